"""Every write to the domain: keyword-only functions named ``<entity>_<action>``.

Each runs in one transaction and records one audit event. Views and commands call these and
never ``.save()`` a domain model themselves.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from screening import questionnaire, rules
from screening.middleware import current_request_id
from screening.models import (
    AuditEvent,
    ClinicSettings,
    Consent,
    Decision,
    FlagResolution,
    Intake,
    IntakeLink,
    Patient,
    ScreeningResult,
    User,
)
from screening.permissions import Role

PATIENT_ACTOR = "patient"


class ServiceError(Exception):
    """A request that cannot be carried out; the message is fit to show to the user."""


class ConflictError(ServiceError):
    """Someone else saved the same record first."""


class SameDayIntake(ServiceError):
    """The patient already has an intake for an appointment that day (``existing``)."""

    def __init__(self, message: str, existing: Intake):
        super().__init__(message)
        self.existing = existing


def audit_record(
    *,
    actor: User | None,
    action: str,
    request=None,
    intake: Intake | None = None,
    obj=None,
    detail: dict | None = None,
    actor_role: str | None = None,
) -> AuditEvent:
    """Append one audit event. ``detail`` holds metadata only, never answer values."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    role = actor_role if actor_role is not None else (getattr(actor, "role", "") or "")
    if actor is not None and not role and actor.is_superuser:
        role = "superuser"
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=actor.username if actor is not None else "",
        actor_role=role,
        action=action,
        intake=intake,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        request_id=getattr(request, "request_id", "") or current_request_id(),
        detail=detail or {},
    )


def staff_create(
    *,
    username: str,
    role: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    profession: str = "",
    registration_number: str = "",
    created_by: User | None = None,
    validate: bool = True,
) -> User:
    """Create a staff account with one role; refuses unknown roles and taken usernames."""
    if role not in Role.values:
        raise ServiceError(
            f"Unknown role {role!r}. Choose one of: {', '.join(sorted(Role.values))}."
        )
    username = username.strip()
    if not username:
        raise ServiceError("A username is required.")
    if User.objects.filter(username__iexact=username).exists():
        raise ServiceError(f"The username {username!r} is already taken.")
    user = User(
        username=username,
        role=role,
        first_name=first_name,
        last_name=last_name,
        email=email,
        profession=profession,
        registration_number=registration_number,
    )
    if validate:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ServiceError(" ".join(exc.messages)) from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            audit_record(
                actor=created_by,
                action="staff.create",
                obj=user,
                detail={"username": username, "role": role},
            )
    except IntegrityError:
        raise ServiceError(f"The username {username!r} is already taken.") from None
    return user


def clinic_settings_update(
    *, actor: User, changes: dict, expected_version: int, request=None
) -> ClinicSettings:
    """Apply validated changes to the clinic settings; refuses a stale form."""
    with transaction.atomic():
        ClinicSettings.load()
        settings_row = ClinicSettings.objects.select_for_update().get(pk=1)
        if settings_row.version != expected_version:
            raise ConflictError(
                "Someone else changed the clinic settings while you were editing. "
                "The page now shows their values; please make your change again."
            )
        changed = {}
        for name, value in changes.items():
            old = getattr(settings_row, name)
            if old != value:
                changed[name] = {"from": _jsonable(old), "to": _jsonable(value)}
                setattr(settings_row, name, value)
        if not changed:
            return settings_row
        settings_row.version += 1
        settings_row.full_clean()
        settings_row.save()
        audit_record(
            actor=actor,
            action="clinic_settings.update",
            request=request,
            obj=settings_row,
            detail={"changed": changed},
        )
    return settings_row


def _jsonable(value):
    from decimal import Decimal

    return float(value) if isinstance(value, Decimal) else value


def staff_set_password(*, user: User, password: str, actor: User | None) -> None:
    """Set a staff member's password (demo reset, admin reset)."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(actor=actor, action="staff.set_password", obj=user)


# ---------------------------------------------------------------------------------------------
# Patients, intakes and invitation links

IDENTITY_CHECK_LIMIT = 5
SECTIONS_BY_ID = {section.id: section for section in questionnaire.SECTIONS}


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _lock_identity(name: str) -> None:
    """Serialise, until the transaction ends, every writer that names the same identity.

    A row lock cannot guard a patient who does not exist yet: two desks creating the same new
    patient at once would each find nobody, each create one, and neither would see the other's
    same-day intake. On PostgreSQL a transaction-level advisory lock on a hash of the identity
    makes the second wait; SQLite's IMMEDIATE transactions already serialise all writers.
    """
    if connection.vendor != "postgresql":
        return
    lock_id = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])


def patient_find_or_create(
    *, full_name: str, date_of_birth, email: str = "", phone: str = ""
) -> tuple[Patient, bool]:
    """The existing patient with this name and date of birth, or a new one.

    Must run inside the caller's transaction. New contact details replace old ones; blank ones
    never erase what is on file.
    """
    full_name = " ".join(full_name.split())
    key = Patient.make_name_key(full_name)
    _lock_identity(f"patient:{key}:{date_of_birth.isoformat()}")
    patient = (
        Patient.objects.select_for_update()
        .filter(name_key=key, date_of_birth=date_of_birth)
        .order_by("pk")
        .first()
    )
    if patient is None:
        patient = Patient.objects.create(
            full_name=full_name,
            name_key=key,
            date_of_birth=date_of_birth,
            email=email,
            phone=phone,
        )
        return patient, True
    changed = []
    for name, value in (("email", email), ("phone", phone)):
        if value and getattr(patient, name) != value:
            setattr(patient, name, value)
            changed.append(name)
    if changed:
        patient.save(update_fields=changed)
    return patient, False


def intake_create(
    *,
    actor: User,
    full_name: str,
    date_of_birth,
    appointment_at,
    practitioner: User | None = None,
    email: str = "",
    phone: str = "",
    allow_same_day: bool = False,
    request=None,
) -> Intake:
    """Create a draft intake for an appointment, matching a returning patient.

    A second intake for the same patient on the same day is usually a slip (a double click, or
    a colleague who already made one) that would leave the patient answering one intake while
    the desk prints from the other; it raises `SameDayIntake` unless ``allow_same_day``.
    """
    if date_of_birth > timezone.localdate():
        raise ServiceError("The date of birth cannot be in the future.")
    with transaction.atomic():
        patient, created = patient_find_or_create(
            full_name=full_name, date_of_birth=date_of_birth, email=email, phone=phone
        )
        start, end = day_bounds(timezone.localtime(appointment_at).date())
        same_day = (
            Intake.objects.filter(
                patient=patient,
                appointment_at__gte=start,
                appointment_at__lt=end,
            )
            .exclude(status__in=(Intake.Status.CANCELLED, Intake.Status.EXPIRED))
            .order_by("appointment_at")
            .first()
        )
        if same_day is not None and not allow_same_day:
            when = timezone.localtime(same_day.appointment_at)
            raise SameDayIntake(
                f"{patient.full_name} already has an intake for an appointment that day, at "
                f"{when:%H:%M}. Open that intake instead, or tick the box below to make a "
                "second one.",
                same_day,
            )
        intake = Intake.objects.create(
            patient=patient,
            appointment_at=appointment_at,
            practitioner=practitioner,
            created_by=actor,
            questionnaire_version=questionnaire.VERSION,
        )
        audit_record(
            actor=actor,
            action="intake.create",
            request=request,
            intake=intake,
            obj=intake,
            detail={"patient_matched": not created},
        )
    return intake


@dataclass(frozen=True)
class IssuedLink:
    link: IntakeLink
    token: str  # shown once to the front desk; only its hash is stored


def link_issue(*, actor: User, intake: Intake, request=None) -> IssuedLink:
    """A new invitation link for a draft intake; earlier links stop working."""
    if intake.status != Intake.Status.DRAFT:
        raise ServiceError("This intake has already been sent; a new link is not needed.")
    lifetime = datetime.timedelta(days=ClinicSettings.load().link_lifetime_days)
    token = secrets.token_urlsafe(24)  # 192 bits
    now = timezone.now()
    with transaction.atomic():
        IntakeLink.objects.filter(intake=intake, revoked_at__isnull=True).update(revoked_at=now)
        link = IntakeLink.objects.create(
            intake=intake,
            token_hash=_token_hash(token),
            expires_at=now + lifetime,
            created_by=actor,
        )
        audit_record(actor=actor, action="link.issue", request=request, intake=intake, obj=link)
    return IssuedLink(link=link, token=token)


class LinkProblem(ServiceError):
    """Why an invitation link cannot be used: ``reason`` is unknown, expired or locked."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def link_current(*, intake: Intake, token: str) -> IntakeLink | None:
    """The intake's link for ``token`` if it is still the one in force (not revoked); reads
    only."""
    if not token or len(token) > 100:
        return None
    return IntakeLink.objects.filter(
        intake=intake, token_hash=_token_hash(token), revoked_at__isnull=True
    ).first()


def link_open(*, token: str, request=None) -> IntakeLink:
    """Check a token from an invitation URL and record its use; raises LinkProblem."""
    if not token or len(token) > 100:
        raise LinkProblem("unknown")
    with transaction.atomic():
        link = (
            IntakeLink.objects.select_for_update()
            .select_related("intake")
            .filter(token_hash=_token_hash(token))
            .first()
        )
        if link is None or link.revoked_at is not None:
            raise LinkProblem("unknown")
        if link.locked_at is not None:
            raise LinkProblem("locked")
        if link.intake.status in (Intake.Status.CANCELLED, Intake.Status.EXPIRED):
            raise LinkProblem("unknown")
        if link.expires_at <= timezone.now() and link.intake.status == Intake.Status.DRAFT:
            raise LinkProblem("expired")
        if link.first_used_at is None:
            link.first_used_at = timezone.now()
            link.save(update_fields=["first_used_at"])
        audit_record(
            actor=None,
            actor_role=PATIENT_ACTOR,
            action="link.open",
            request=request,
            intake=link.intake,
            obj=link,
        )
    return link


def identity_check(*, link: IntakeLink | None, intake: Intake, date_of_birth, request=None) -> bool:
    """Does the date of birth match? Five wrong tries lock the link until it is reissued."""
    with transaction.atomic():
        matches = date_of_birth == intake.patient.date_of_birth
        detail = {"result": "match" if matches else "mismatch"}
        if link is not None:
            link = IntakeLink.objects.select_for_update().get(pk=link.pk)
            if link.locked_at is not None:
                raise LinkProblem("locked")
            if not matches:
                link.failed_identity_checks += 1
                if link.failed_identity_checks >= IDENTITY_CHECK_LIMIT:
                    link.locked_at = timezone.now()
                    detail["locked"] = True
                link.save(update_fields=["failed_identity_checks", "locked_at"])
        audit_record(
            actor=None,
            actor_role=PATIENT_ACTOR,
            action="intake.identity_check",
            request=request,
            intake=intake,
            detail=detail,
        )
    if link is not None and link.locked_at is not None:
        raise LinkProblem("locked")
    return matches


def intake_handover(*, actor: User, intake: Intake, request=None) -> None:
    """Record that staff handed the clinic tablet to the patient for this intake."""
    if intake.status != Intake.Status.DRAFT:
        raise ServiceError("This questionnaire has already been sent.")
    audit_record(actor=actor, action="intake.handover", request=request, intake=intake)


def _check_draft(intake: Intake) -> None:
    if intake.status != Intake.Status.DRAFT:
        raise ServiceError("These answers have already been sent to the clinic.")


def intake_save_step(
    *,
    intake: Intake,
    section_id: str,
    values: dict,
    complete: bool = True,
    completed_by: str = "",
    request=None,
) -> Intake:
    """Store one wizard step's answers (already validated) and mark the step done.

    ``values`` maps the section's item ids to their item values; items of this section that are
    absent are cleared. Answers are pruned again over the whole questionnaire, so a follow-up
    that an earlier change disabled is never kept.
    """
    section = SECTIONS_BY_ID[section_id]
    with transaction.atomic():
        locked = Intake.objects.select_for_update().get(pk=intake.pk)
        _check_draft(locked)
        answers = dict(locked.answers)
        for item_id in section.items:
            item_values = values.get(item_id)
            if item_values:
                answers[item_id] = item_values
            else:
                answers.pop(item_id, None)
        locked.answers = questionnaire.prune(answers)
        if complete and section_id not in locked.completed_steps:
            locked.completed_steps = [*locked.completed_steps, section_id]
        if completed_by:
            locked.completed_by = completed_by
        locked.questionnaire_version = questionnaire.VERSION
        locked.version += 1
        locked.save(
            update_fields=[
                "answers",
                "completed_steps",
                "completed_by",
                "questionnaire_version",
                "version",
                "updated_at",
            ]
        )
        audit_record(
            actor=None,
            actor_role=PATIENT_ACTOR,
            action="intake.save_step",
            request=request,
            intake=locked,
            detail={"step": section_id, "complete": complete},
        )
    return locked


# ---------------------------------------------------------------------------------------------
# Screening


def clinic_thresholds() -> rules.Thresholds:
    """The clinic's current thresholds as the engine takes them."""
    return rules.Thresholds.from_dict(ClinicSettings.load().threshold_values())


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The clinic-local day as an aware [start, end) range, so the appointment index is used
    (a ``__date`` lookup converts every row's time zone and cannot use it)."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, start + datetime.timedelta(days=1)


def intake_age(intake: Intake) -> int:
    """The patient's age on the day of the appointment."""
    day = timezone.localtime(intake.appointment_at).date()
    return intake.patient.age_on(day)


def screening_answers(intake: Intake, thresholds: rules.Thresholds | None = None) -> dict:
    """The answers the engine sees: the patient's, the clinician-set fields, and the age."""
    answers = {item_id: dict(values) for item_id, values in intake.answers.items()}
    for item_id, values in intake.clinician_answers.items():
        if item_id in answers:
            answers[item_id].update(values)
    derived = questionnaire.derive(
        answers, thresholds=thresholds or clinic_thresholds(), age_years=intake_age(intake)
    )
    return questionnaire.prune(derived)


def intake_plan(intake: Intake) -> rules.Plan | None:
    """The practitioner's plan, or None before one is set ("pending plan" semantics)."""
    if not intake.plan_techniques and not intake.plan_regions:
        return None
    return rules.Plan(
        techniques=frozenset(intake.plan_techniques), regions=frozenset(intake.plan_regions)
    )


def screening_run(
    *, intake: Intake, trigger: str, actor: User | None = None, request=None
) -> ScreeningResult:
    """Screen the intake as it stands and store the snapshot. Call inside a transaction."""
    thresholds = clinic_thresholds()
    answers = screening_answers(intake, thresholds)
    plan = intake_plan(intake)
    result = rules.evaluate(answers, plan, thresholds)
    snapshot = ScreeningResult.objects.create(
        intake=intake,
        created_by=actor,
        trigger=trigger,
        outcome=result.outcome,
        findings=[finding.as_dict() for finding in result.findings],
        answers=answers,
        plan=plan.as_dict() if plan is not None else None,
        thresholds=thresholds.as_dict(),
        ruleset_version=rules.RULESET_VERSION,
        questionnaire_version=questionnaire.VERSION,
    )
    Intake.objects.filter(pk=intake.pk).update(
        latest_outcome=result.outcome, latest_flag_count=len(result.flags)
    )
    intake.latest_outcome = result.outcome
    intake.latest_flag_count = len(result.flags)
    audit_record(
        actor=actor,
        actor_role=None if actor is not None else PATIENT_ACTOR,
        action="screening.run",
        request=request,
        intake=intake,
        obj=snapshot,
        detail={"trigger": trigger, "outcome": result.outcome},
    )
    return snapshot


def missing_steps(intake: Intake) -> list[str]:
    """Question steps not completed, or whose stored answers are no longer complete and valid,
    in wizard order (the server's check before anything is sent)."""
    missing = []
    for section in questionnaire.SECTIONS:
        if not section.items:
            continue
        done = section.id in intake.completed_steps
        if not done or any(
            questionnaire.validate_item(item_id, intake.answers.get(item_id, {}))
            for item_id in section.items
        ):
            missing.append(section.id)
    return missing


def intake_submit(*, intake: Intake, request=None) -> tuple[Intake, bool]:
    """Send the answers to the clinic and screen them. Idempotent: returns (intake, created).

    The row lock (PostgreSQL) or the immediate write lock (SQLite) makes a double click or a
    retried request see the first submission and return it unchanged.
    """
    with transaction.atomic():
        locked = Intake.objects.select_for_update().select_related("patient").get(pk=intake.pk)
        if locked.status != Intake.Status.DRAFT:
            if locked.status == Intake.Status.SUBMITTED or locked.submitted_at:
                return locked, False
            raise ServiceError("This questionnaire can no longer be sent.")
        missing = missing_steps(locked)
        if missing:
            raise ServiceError("Some sections are not finished yet.")
        locked.status = Intake.Status.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.version += 1
        locked.save(update_fields=["status", "submitted_at", "version", "updated_at"])
        audit_record(
            actor=None,
            actor_role=PATIENT_ACTOR,
            action="intake.submit",
            request=request,
            intake=locked,
        )
        screening_run(intake=locked, trigger=ScreeningResult.Trigger.SUBMIT, request=request)
    return locked, True


# ---------------------------------------------------------------------------------------------
# Practitioner review: plan, flag resolutions, decision, reopen

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


def _bump(intake: Intake, *fields: str) -> None:
    intake.version += 1
    intake.save(update_fields=[*fields, "version", "updated_at"])


def latest_screening(intake: Intake) -> ScreeningResult | None:
    return intake.screenings.order_by("-created_at", "-pk").first()


def active_resolutions(intake: Intake) -> dict[tuple[str, str], FlagResolution]:
    """The standing resolution of each (item, level)."""
    found = {}
    for resolution in intake.resolutions.filter(superseded_at__isnull=True).select_related(
        "created_by"
    ):
        found[(resolution.item, resolution.level)] = resolution
    return found


def flags_of(screening: ScreeningResult | None) -> list[dict]:
    if screening is None:
        return []
    return [f for f in screening.findings if f["level"] in (rules.ABSOLUTE, rules.RELATIVE)]


def unresolved_flags(intake: Intake, screening: ScreeningResult | None) -> list[dict]:
    resolutions = active_resolutions(intake)
    return [f for f in flags_of(screening) if (f["item"], f["level"]) not in resolutions]


def flag_changes(before: ScreeningResult | None, after: ScreeningResult) -> dict[str, list]:
    """Which flags appeared, disappeared or changed level between two screenings."""
    old = {f["item"]: f["level"] for f in flags_of(before)}
    new = {f["item"]: f["level"] for f in flags_of(after)}
    return {
        "appeared": [item for item in new if item not in old],
        "disappeared": [item for item in old if item not in new],
        "changed": [
            (item, old[item], new[item]) for item in new if item in old and old[item] != new[item]
        ],
    }


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
        _bump(locked, "plan_techniques", "plan_regions", "clinician_answers")
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
    expected_version: int,
    request=None,
) -> FlagResolution:
    """Resolve one current flag: mitigation for a relative flag, override for an absolute one."""
    mitigation, justification = mitigation.strip(), justification.strip()
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
            created_by=actor,
        )
        _bump(locked)
        audit_record(
            actor=actor,
            action="review.resolve",
            request=request,
            intake=locked,
            obj=resolution,
            detail={"item": item, "level": flag["level"], "kind": kind},
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
                names = ", ".join(f["item"] for f in open_flags)
                raise ServiceError(f"Every flag needs a resolution first (still open: {names}).")
        elif not note:
            raise ServiceError("Please add a note saying why (it is kept with the record).")
        record = Decision.objects.create(
            intake=locked, screening=screening, decision=decision, note=note, decided_by=actor
        )
        locked.status = Intake.Status.REVIEWED
        locked.decision = decision
        _bump(locked, "status", "decision")
        audit_record(
            actor=actor,
            action="review.decide",
            request=request,
            intake=locked,
            obj=record,
            detail={"decision": decision},
        )
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
        _bump(locked, "status", "decision")
        audit_record(actor=actor, action="review.reopen", request=request, intake=locked)
    return locked


# ---------------------------------------------------------------------------------------------
# Consent: tablet signatures, practitioner co-signature, paper record

MAX_SIGNATURE_BYTES = 400_000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def signature_from_data_url(data_url: str, *, what: str) -> bytes:
    """The PNG bytes of a signature_pad data URL; a clear error for anything else."""
    prefix = "data:image/png;base64,"
    if not isinstance(data_url, str) or not data_url.startswith(prefix):
        raise ServiceError(f"Please sign in the box ({what}).")
    try:
        raw = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise ServiceError(
            f"The signature ({what}) could not be read; please sign again."
        ) from None
    if not raw.startswith(PNG_MAGIC) or len(raw) > MAX_SIGNATURE_BYTES or len(raw) < 100:
        raise ServiceError(f"The signature ({what}) could not be read; please sign again.")
    return raw


def _require_documents(intake: Intake) -> None:
    from screening.documents import documents_available

    ok, reason = documents_available(intake)
    if not ok:
        raise ServiceError(reason)


def consent_handover(*, actor: User, intake: Intake, request=None) -> None:
    """Record that staff handed the tablet to the patient to sign the consent."""
    _require_documents(intake)
    audit_record(actor=actor, action="consent.handover", request=request, intake=intake)


def consent_patient_sign(
    *,
    intake: Intake,
    signer_name: str,
    signer_role: str,
    signature: bytes,
    guardian_relationship: str = "",
    assent_words: str = "",
    interpreter_name: str = "",
    interpreter_language: str = "",
    interpreter_mode: str = "",
    interpreter_signature: bytes | None = None,
    request=None,
) -> Consent:
    """The patient's (or guardian's) signature; the consent then waits for the practitioner."""
    from screening.documents import CONSENT_TEXT_VERSION

    with transaction.atomic():
        locked = Intake.objects.select_for_update().select_related("patient").get(pk=intake.pk)
        _require_documents(locked)
        now = timezone.now()
        locked.consents.filter(status=Consent.Status.AWAITING_PRACTITIONER).update(
            status=Consent.Status.SUPERSEDED, superseded_at=now
        )
        consent = Consent.objects.create(
            intake=locked,
            status=Consent.Status.AWAITING_PRACTITIONER,
            method=Consent.Method.TABLET,
            consent_text_version=CONSENT_TEXT_VERSION,
            screening=latest_screening(locked),
            signer_name=signer_name,
            signer_role=signer_role,
            guardian_relationship=guardian_relationship,
            assent_words=assent_words,
            patient_signature=signature,
            patient_signed_at=now,
            interpreter_name=interpreter_name,
            interpreter_language=interpreter_language,
            interpreter_mode=interpreter_mode,
            interpreter_signature=interpreter_signature,
        )
        audit_record(
            actor=None,
            actor_role=PATIENT_ACTOR,
            action="consent.patient_sign",
            request=request,
            intake=locked,
            obj=consent,
            detail={"signer_role": signer_role, "interpreter": bool(interpreter_name)},
        )
    return consent


def _freeze_and_finish(
    *, intake: Intake, consent: Consent, pdf_bytes: bytes, actor: User, action: str, request
) -> None:
    """Store the PDF bytes with their hash, supersede earlier signed consents, mark the intake
    signed and audit it. Runs inside the caller's transaction with the intake row locked."""
    consent.pdf = pdf_bytes
    consent.sha256 = hashlib.sha256(pdf_bytes).hexdigest()
    consent.signed_at = timezone.now()
    consent.status = Consent.Status.SIGNED
    consent.save()
    intake.consents.filter(status=Consent.Status.SIGNED).exclude(pk=consent.pk).update(
        status=Consent.Status.SUPERSEDED, superseded_at=timezone.now()
    )
    intake.status = Intake.Status.SIGNED
    _bump(intake, "status")
    audit_record(
        actor=actor,
        action=action,
        request=request,
        intake=intake,
        obj=consent,
        detail={"sha256": consent.sha256},
    )


def consent_cosign(
    *, actor: User, intake: Intake, consent_id: int, signature: bytes, request=None
) -> Consent:
    """The practitioner's co-signature: render the PDF once and freeze its bytes."""
    from screening import pdf

    with transaction.atomic():
        locked = Intake.objects.select_for_update().select_related("patient").get(pk=intake.pk)
        _require_documents(locked)
        consent = (
            Consent.objects.select_for_update()
            .filter(intake=locked, pk=consent_id, status=Consent.Status.AWAITING_PRACTITIONER)
            .first()
        )
        if consent is None:
            raise ServiceError("There is no consent waiting for a signature.")
        consent.practitioner = actor
        consent.practitioner_signature = signature
        consent.practitioner_signed_at = timezone.now()
        _freeze_and_finish(
            intake=locked,
            consent=consent,
            pdf_bytes=pdf.render_consent(locked, consent),
            actor=actor,
            action="consent.cosign",
            request=request,
        )
    return consent


def consent_record_paper(*, actor: User, intake: Intake, signer_name: str, request=None) -> Consent:
    """A named staff member records that the printed consent was signed on paper."""
    from screening import pdf
    from screening.documents import CONSENT_TEXT_VERSION

    signer_name = " ".join(signer_name.split())
    if not signer_name:
        raise ServiceError("Please enter the name of the person who signed.")
    with transaction.atomic():
        locked = Intake.objects.select_for_update().select_related("patient").get(pk=intake.pk)
        _require_documents(locked)
        consent = Consent(
            intake=locked,
            status=Consent.Status.SIGNED,
            method=Consent.Method.PAPER,
            consent_text_version=CONSENT_TEXT_VERSION,
            screening=latest_screening(locked),
            signer_name=signer_name,
            recorded_by=actor,
        )
        _freeze_and_finish(
            intake=locked,
            consent=consent,
            pdf_bytes=pdf.render_consent(locked, None),
            actor=actor,
            action="consent.record_paper",
            request=request,
        )
    return consent
