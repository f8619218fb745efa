"""The practitioner's review: plan, flag resolutions, decision, reopen."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from screening import tasks
from screening.engine import questionnaire, rules
from screening.models import Decision, FlagResolution, Intake, ScreeningResult, User
from screening.selectors import flag_changes, flags_of, latest_screening, unresolved_flags
from screening.services.audit import audit_record
from screening.services.base import ConflictError, ServiceError, bump_version
from screening.services.screenings import screening_run

MIN_JUSTIFICATION = 20
CLEARING_DECISIONS = (Intake.Decision.CLEARED, Intake.Decision.CLEARED_WITH_MODIFICATIONS)
CONFLICT_MESSAGE = (
    "Someone else saved this intake while you were working on it. The page now shows their "
    "changes; please check them and make your change again."
)


def _lock_intake(intake: Intake, *, expected_version: int, statuses) -> Intake:
    """Lock the row, refuse a stale form (optimistic concurrency) and a wrong status."""
    locked = Intake.objects.select_for_update().select_related("patient").get(pk=intake.pk)
    if locked.version != expected_version:
        raise ConflictError(CONFLICT_MESSAGE)
    if locked.status not in statuses:
        raise ServiceError(
            f"This intake is {locked.get_status_display().lower()}; reopen it first."
        )
    return locked


def review_set_plan(
    *,
    actor: User,
    intake: Intake,
    techniques: list[str],
    regions: list[str],
    clinician: dict,
    expected_version: int,
    request=None,
) -> tuple[ScreeningResult, dict]:
    """Store the treatment plan and clinician-set fields, re-screen, and report what changed."""
    plan = rules.Plan(techniques=frozenset(techniques), regions=frozenset(regions))
    with transaction.atomic():
        locked = _lock_intake(
            intake, expected_version=expected_version, statuses=(Intake.Status.SUBMITTED,)
        )
        before = latest_screening(locked)
        stored = plan.as_dict()
        locked.plan_techniques = stored["techniques"]
        locked.plan_regions = stored["regions"]
        locked.clinician_answers = {
            item_id: values for item_id, values in clinician.items() if values
        }
        bump_version(locked, "plan_techniques", "plan_regions", "clinician_answers")
        audit_record(
            actor=actor,
            action="review.plan",
            request=request,
            intake=locked,
            detail={"techniques": stored["techniques"], "regions": locked.plan_regions},
        )
        after = screening_run(
            intake=locked, trigger=ScreeningResult.Trigger.PLAN, actor=actor, request=request
        )
    intake.version = locked.version
    return after, flag_changes(before, after)


def flag_resolve(
    *,
    actor: User,
    intake: Intake,
    item: str,
    mitigation: str = "",
    justification: str = "",
    patient_wording: str = "",
    expected_version: int,
    request=None,
) -> FlagResolution:
    """Resolve one current flag: mitigation for a relative flag, override for an absolute one.

    ``patient_wording`` (optional) is the practitioner's own plain words for the patient's
    consent form; left empty, the consent prints the rule's suggested patient wording.
    """
    mitigation, justification = mitigation.strip(), justification.strip()
    patient_wording = patient_wording.strip()
    with transaction.atomic():
        locked = _lock_intake(
            intake, expected_version=expected_version, statuses=(Intake.Status.SUBMITTED,)
        )
        screening = latest_screening(locked)
        flag = next((f for f in flags_of(screening) if f["item"] == item), None)
        if flag is None:
            raise ServiceError("That flag is no longer raised by the current screening.")
        if flag["level"] == rules.ABSOLUTE:
            if len(justification) < MIN_JUSTIFICATION:
                raise ServiceError(
                    "An absolute contraindication can be overridden only with a written "
                    f"clinical justification (at least {MIN_JUSTIFICATION} characters). "
                    "Otherwise change the plan so that it no longer applies."
                )
            kind = FlagResolution.Kind.OVERRIDE
        else:
            if not mitigation:
                raise ServiceError("Please describe the mitigation you will apply.")
            kind = FlagResolution.Kind.ACKNOWLEDGED
        now = timezone.now()
        locked.resolutions.filter(item=item, superseded_at__isnull=True).update(superseded_at=now)
        resolution = FlagResolution.objects.create(
            intake=locked,
            screening=screening,
            item=item,
            level=flag["level"],
            kind=kind,
            mitigation=mitigation,
            justification=justification,
            patient_wording=patient_wording,
            created_by=actor,
        )
        bump_version(locked)
        audit_record(
            actor=actor,
            action="review.resolve",
            request=request,
            intake=locked,
            obj=resolution,
            # Like the mitigation and justification, the wording itself stays on the resolution
            # this event points to; the detail only says whether there was any (no free text).
            detail={
                "item": item,
                "level": flag["level"],
                "kind": kind,
                "patient_wording": bool(patient_wording),
            },
        )
    intake.version = locked.version
    return resolution


def review_decide(
    *,
    actor: User,
    intake: Intake,
    decision: str,
    note: str = "",
    expected_version: int,
    request=None,
) -> Decision:
    """Record the decision. Clearing needs a plan and a resolution for every flag."""
    if decision not in Intake.Decision.values:
        raise ServiceError("Please choose a decision.")
    note = note.strip()
    with transaction.atomic():
        locked = _lock_intake(
            intake, expected_version=expected_version, statuses=(Intake.Status.SUBMITTED,)
        )
        screening = latest_screening(locked)
        if screening is None:
            raise ServiceError("This intake has not been screened yet.")
        if decision in CLEARING_DECISIONS:
            if screening.plan is None:
                raise ServiceError("Set the treatment plan before clearing the patient.")
            open_flags = unresolved_flags(locked, screening)
            if open_flags:
                names = ", ".join(questionnaire.item(f["item"]).title for f in open_flags)
                raise ServiceError(f"Every flag needs a resolution first (still open: {names}).")
            if decision == Intake.Decision.CLEARED and flags_of(screening):
                # Every flag is resolved by a mitigation or an override: treatment goes ahead
                # with changes, and the record must say so.
                raise ServiceError(
                    "Mitigations or overrides are on file for this patient, so the decision is "
                    "“Cleared with modifications”, not plain “Cleared”."
                )
        elif not note:
            raise ServiceError("Please add a note saying why (it is kept with the record).")
        record = Decision.objects.create(
            intake=locked, screening=screening, decision=decision, note=note, decided_by=actor
        )
        locked.status = Intake.Status.REVIEWED
        locked.decision = decision
        bump_version(locked, "status", "decision")
        audit_record(
            actor=actor,
            action="review.decide",
            request=request,
            intake=locked,
            obj=record,
            detail={"decision": decision},
        )
        if decision in CLEARING_DECISIONS:
            tasks.prepare_after_commit(locked)
    intake.version, intake.status, intake.decision = locked.version, locked.status, decision
    return record


def review_reopen(
    *, actor: User, intake: Intake, reason: str, expected_version: int, request=None
) -> Intake:
    """Reopen a reviewed (or signed) intake, e.g. because the plan changed."""
    reason = reason.strip()
    if not reason:
        raise ServiceError("Please say why the intake is reopened.")
    with transaction.atomic():
        locked = _lock_intake(
            intake,
            expected_version=expected_version,
            statuses=(Intake.Status.REVIEWED, Intake.Status.SIGNED),
        )
        current = locked.decisions.filter(reopened_at__isnull=True).first()
        if current is not None:
            current.reopened_at = timezone.now()
            current.reopened_by = actor
            current.reopen_reason = reason
            current.save(update_fields=["reopened_at", "reopened_by", "reopen_reason"])
        locked.status = Intake.Status.SUBMITTED
        locked.decision = ""
        bump_version(locked, "status", "decision")
        audit_record(actor=actor, action="review.reopen", request=request, intake=locked)
    return locked
