"""After the needles (issue 18): the treatment record, adverse events, and the patient's
aftercare check 48 hours later (its one-use link, its sending, the answers, the calls).

A treatment is recorded against the intake's signed consent: what was treated must lie
within the plan that consent was signed for. Every write runs in one transaction and records
one audit event, last.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets
from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from screening import course_state, sms
from screening.engine import regions
from screening.models import (
    AdverseEvent,
    AftercareCheck,
    ClinicSettings,
    Intake,
    TreatmentRecord,
    User,
)
from screening.services.audit import PATIENT_ACTOR, audit_record
from screening.services.base import ConflictError, ServiceError
from screening.services.delivery import (
    SYSTEM_ACTOR,
    DeliveryError,
    _contact_problem,
    _send_email,
)

logger = logging.getLogger(__name__)

AFTERCARE_DUE = datetime.timedelta(hours=48)
# The aftercare link opens for this long after it was sent, then answers 410.
AFTERCARE_LINK_DAYS = 7
TOKEN_BYTES = 32
# Soreness is expected after needling (clinical reference §7.1); this much or more is recorded
# as "pain after treatment", the Brady 2014 category.
SORENESS_EVENT = 7
MAX_MINUTES = 240
MAX_NEEDLES = 200

Type = AdverseEvent.Type
Severity = AdverseEvent.Severity
Onset = AdverseEvent.Onset


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _lock(intake: Intake) -> Intake:
    return (
        Intake.objects.select_for_update(of=("self",)).select_related("patient").get(pk=intake.pk)
    )


# ---------------------------------------------------------------------------------------------
# The treatment record


def _technique_label(technique_id: str) -> str:
    return regions.TECHNIQUES[technique_id].label


def _words(labels: list[str]) -> str:
    return ", ".join(labels) if labels else "none"


def check_scope(intake: Intake, techniques: list[str], region_ids: list[str]) -> None:
    """Refuse, with the reason in words, a treatment outside the consent in force: no signed
    consent, or a technique or region that its plan did not include."""
    consent = course_state.consent_in_force(intake)
    if consent is None or not (consent.screening.plan or {}).get("regions"):
        raise ServiceError(
            "There is no signed consent for this appointment, so no treatment can be recorded. "
            "The consent must be signed before needling."
        )
    plan = consent.screening.plan
    consented_techniques = set(plan.get("techniques") or ())
    consented_regions = regions.expand(plan.get("regions") or ())
    outside = [t for t in techniques if t not in consented_techniques]
    if outside:
        consented = [_technique_label(t) for t in regions.TECHNIQUES if t in consented_techniques]
        raise ServiceError(
            f"{_words([_technique_label(t) for t in outside])}: not in the consented plan "
            f"(consented techniques: {_words(consented)}). Record only what the signed consent "
            "covers; anything more needs a new plan and a new consent."
        )
    treated = regions.expand(region_ids)
    outside_regions = regions.ordered(treated - consented_regions)
    if outside_regions:
        raise ServiceError(
            f"{_words([regions.label(r) for r in outside_regions])}: outside the consented "
            f"plan (consented regions: "
            f"{_words([regions.label(r) for r in regions.ordered(consented_regions)])}). Record "
            "only what the signed consent covers; anything more needs a new plan and a new "
            "consent."
        )


def _clean_treatment(techniques, region_ids, needle_count, duration_minutes, treated_at):
    if not techniques:
        raise ServiceError("Choose at least one technique used.")
    if not region_ids:
        raise ServiceError("Choose at least one body region treated.")
    unknown = [t for t in techniques if t not in regions.TECHNIQUES]
    if unknown or not all(regions.is_region_or_alias(r) for r in region_ids):
        raise ServiceError("Choose techniques and regions from the lists.")
    if needle_count is not None and not 1 <= needle_count <= MAX_NEEDLES:
        raise ServiceError(f"The number of needles is between 1 and {MAX_NEEDLES}.")
    if duration_minutes is None or not 1 <= duration_minutes <= MAX_MINUTES:
        raise ServiceError(f"Give the duration in minutes, between 1 and {MAX_MINUTES}.")
    if treated_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ServiceError("The treatment time cannot be in the future.")
    ordered_techniques = [t for t in regions.TECHNIQUES if t in set(techniques)]
    ordered_regions = list(regions.ordered(regions.expand(region_ids)))
    return ordered_techniques, ordered_regions


def treatment_record(
    *,
    actor: User,
    intake: Intake,
    techniques: list[str],
    regions_treated: list[str],
    duration_minutes: int | None,
    needle_count: int | None = None,
    note: str = "",
    treated_at: datetime.datetime | None = None,
    expected_version: int | None = None,
    request=None,
) -> TreatmentRecord:
    """Record (or correct) what was done at this appointment. The practitioner who first
    records it is recorded as the one who treated. The first record also schedules the
    patient's aftercare check, 48 hours after the treatment. A correction needs the version
    the form was built from (``expected_version``)."""
    treated_at = treated_at or timezone.now()
    techniques, region_ids = _clean_treatment(
        list(techniques), list(regions_treated), needle_count, duration_minutes, treated_at
    )
    note = note.strip()
    with transaction.atomic():
        locked = _lock(intake)
        if locked.status == Intake.Status.CANCELLED:
            raise ServiceError("This appointment was cancelled.")
        check_scope(locked, techniques, region_ids)
        record = TreatmentRecord.objects.select_for_update().filter(intake=locked).first()
        values = {
            "techniques": techniques,
            "regions": region_ids,
            "needle_count": needle_count,
            "duration_minutes": duration_minutes,
            "note": note,
            "treated_at": treated_at,
        }
        if record is None:
            record = TreatmentRecord.objects.create(
                intake=locked,
                practitioner=actor,
                recorded_by=actor,
                **values,
            )
            AftercareCheck.objects.create(
                intake=locked, treatment=record, due_at=treated_at + AFTERCARE_DUE
            )
            action = "treatment.record"
        else:
            if expected_version is None or record.version != expected_version:
                raise ConflictError(
                    "Someone else saved this treatment record while you were working on it. "
                    "The page now shows their version; please make your change again."
                )
            for name, value in values.items():
                setattr(record, name, value)
            record.recorded_by = actor
            record.version += 1
            record.save()
            # A check not sent yet follows a corrected treatment time.
            AftercareCheck.objects.filter(treatment=record, sent_at__isnull=True).update(
                due_at=treated_at + AFTERCARE_DUE
            )
            action = "treatment.update"
        audit_record(
            actor=actor,
            action=action,
            request=request,
            intake=locked,
            obj=record,
            detail={"techniques": techniques, "regions": region_ids},
        )
    return record


# ---------------------------------------------------------------------------------------------
# Adverse events


def adverse_event_record(
    *,
    actor: User | None,
    intake: Intake,
    type: str,  # noqa: A002 - the model's field name
    severity: str,
    onset: str,
    duration: str = "",
    action_taken: str = "",
    referred: bool = False,
    referred_to: str = "",
    description: str = "",
    source: str = AdverseEvent.Source.PRACTITIONER,
    request=None,
) -> AdverseEvent:
    """Record one adverse event of this intake's treatment (several may be recorded)."""
    if type not in Type.values:
        raise ServiceError("Choose what happened from the list.")
    if severity not in Severity.values:
        raise ServiceError("Choose how severe it was.")
    if onset not in Onset.values:
        raise ServiceError("Choose when it started.")
    referred_to = " ".join(referred_to.split())
    if referred and not referred_to:
        raise ServiceError("Say to whom the patient was referred.")
    if not referred:
        referred_to = ""
    with transaction.atomic():
        locked = _lock(intake)
        treatment = TreatmentRecord.objects.filter(intake=locked).first()
        if treatment is None:
            raise ServiceError("Record the treatment first; an adverse event belongs to it.")
        event = AdverseEvent.objects.create(
            intake=locked,
            treatment=treatment,
            type=type,
            severity=severity,
            onset=onset,
            duration=duration.strip()[:100],
            action_taken=action_taken.strip(),
            referred=referred,
            referred_to=referred_to[:200],
            description=description.strip(),
            source=source,
            recorded_by=actor,
        )
        audit_record(
            actor=actor,
            actor_role=None if actor is not None else PATIENT_ACTOR,
            action="adverse_event.record",
            request=request,
            intake=locked,
            obj=event,
            detail={
                "type": type,
                "severity": severity,
                "significant": event.is_significant,
                "source": source,
            },
        )
    return event


# ---------------------------------------------------------------------------------------------
# The aftercare check: sending


EMAIL_SUBJECT = "{clinic_name}: how are you after your treatment?"
EMAIL_BODY = (
    "Hello,\n\n"
    "Two days ago you had dry needling at {clinic_name}. Please tell us how you are: three short "
    "questions, about a minute. The link works once.\n\n"
    "{link}\n\n"
    "If you are short of breath, have chest pain, or feel very unwell, do not wait for us: call "
    "{emergency_number} now.\n\n"
    "{clinic_name} {clinic_phone}\n"
)
SMS_BODY = (
    "{clinic_name}: how are you 2 days after your treatment? Tell us in a minute: {link} "
    "Short of breath or chest pain? Call {emergency_number} now."
)


def aftercare_link_url(base_url: str, token: str) -> str:
    return base_url + reverse("patient:aftercare_open", args=[token])


@dataclass
class AftercareRun:
    sent: int = 0
    failed: int = 0
    no_contact: int = 0
    checks: list = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"Aftercare checks: {self.sent} sent, {self.failed} failed, {self.no_contact} "
            "without usable contact details (on the desk's list to phone)."
        )


def aftercare_checks_due(now: datetime.datetime):
    return (
        AftercareCheck.objects.filter(
            due_at__lte=now, sent_at__isnull=True, answered_at__isnull=True
        )
        .exclude(intake__status=Intake.Status.CANCELLED)
        .order_by("due_at", "pk")
    )


def aftercare_checks_send(*, now: datetime.datetime | None = None, base_url: str) -> AftercareRun:
    """Send each due aftercare check once, by e-mail and text message where the patient has
    them. A check is taken under a row lock before anything is sent, so two overlapping runs
    (or one run twice) send it once. A check with no usable contact, or whose every message
    failed, goes on the desk's list to phone."""
    now = now or timezone.now()
    run = AftercareRun()
    for check_id in list(aftercare_checks_due(now).values_list("pk", flat=True)):
        claimed = _aftercare_claim(check_id, now)
        if claimed is None:
            continue
        check, token, channels = claimed
        run.checks.append(check.pk)
        if not channels:
            run.no_contact += 1
            continue
        delivered, errors = _aftercare_deliver(check, channels, aftercare_link_url(base_url, token))
        _aftercare_outcome(check, delivered, errors)
        run.sent += bool(delivered)
        run.failed += not delivered
    return run


def _aftercare_claim(check_id: int, now):
    with transaction.atomic():
        check = (
            AftercareCheck.objects.select_for_update(of=("self",))
            .select_related("intake__patient")
            .filter(pk=check_id, sent_at__isnull=True, answered_at__isnull=True)
            .first()
        )
        if check is None:
            return None
        patient = check.intake.patient
        channels = [c for c in ("email", "sms") if not _contact_problem(patient, c)]
        token = secrets.token_urlsafe(TOKEN_BYTES)
        check.sent_at = now
        check.token_hash = _token_hash(token) if channels else None
        check.send_error = (
            "" if channels else "There is no e-mail address or mobile number on file."
        )
        check.save(update_fields=["sent_at", "token_hash", "send_error"])
        audit_record(
            actor=None,
            actor_role=SYSTEM_ACTOR,
            action="aftercare.send",
            intake=check.intake,
            obj=check,
            detail={"channels": channels},
        )
    return check, token, channels


def _aftercare_deliver(check: AftercareCheck, channels: list[str], link: str):
    clinic = ClinicSettings.load()
    values = {
        "clinic_name": clinic.name,
        "clinic_phone": clinic.phone,
        "emergency_number": clinic.emergency_number or "the emergency number",
        "link": link,
    }
    patient = check.intake.patient
    delivered, errors = [], []
    for channel in channels:
        try:
            if channel == "email":
                _send_email(
                    patient.email, EMAIL_SUBJECT.format_map(values), EMAIL_BODY.format_map(values)
                )
            else:
                sms.get_backend().send(
                    sms.normalise_mobile(patient.phone), SMS_BODY.format_map(values)
                )
            delivered.append(channel)
        except (DeliveryError, sms.SmsError) as exc:
            errors.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - any fault is recorded, never lost
            logger.error(
                "aftercare check %s (%s): unexpected %s", check.pk, channel, type(exc).__name__
            )
            errors.append("The message could not be sent because of an unexpected error.")
    return delivered, errors


def _aftercare_outcome(check: AftercareCheck, delivered: list[str], errors: list[str]) -> None:
    with transaction.atomic():
        AftercareCheck.objects.filter(pk=check.pk).update(
            sent_channels=delivered, delivered=bool(delivered), send_error=" ".join(errors)[:300]
        )
        audit_record(
            actor=None,
            actor_role=SYSTEM_ACTOR,
            action="aftercare.delivered" if delivered else "aftercare.failed",
            intake=check.intake,
            obj=check,
            detail={"delivered": delivered, "failed": len(errors)},
        )


# ---------------------------------------------------------------------------------------------
# The aftercare check: the patient's answers


class AftercareLinkProblem(ServiceError):
    """Why an aftercare link does not open: ``reason`` is "unknown", "used" or "expired"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def aftercare_problem(check: AftercareCheck | None, now=None) -> str | None:
    now = now or timezone.now()
    if check is None or check.sent_at is None:
        return "unknown"
    if check.answered_at is not None:
        return "used"
    if check.intake.status == Intake.Status.CANCELLED:
        return "unknown"
    if now - check.sent_at > datetime.timedelta(days=AFTERCARE_LINK_DAYS):
        return "expired"
    return None


def aftercare_check_open(*, token: str, request=None) -> AftercareCheck:
    """The aftercare check of this link's token, recorded as opened; raises
    AftercareLinkProblem."""
    if not token or len(token) > 100:
        raise AftercareLinkProblem("unknown")
    check = (
        AftercareCheck.objects.select_related("intake", "treatment")
        .filter(token_hash=_token_hash(token))
        .first()
    )
    problem = aftercare_problem(check)
    if problem is not None:
        raise AftercareLinkProblem(problem)
    with transaction.atomic():
        audit_record(
            actor=None,
            actor_role=PATIENT_ACTOR,
            action="aftercare.open",
            request=request,
            intake=check.intake,
            obj=check,
        )
    return check


# The answers of the form, by symptom id: (adverse event type, severity, red flag?).
SYMPTOMS = {
    "short_of_breath": (Type.PNEUMOTHORAX, Severity.SIGNIFICANT, True),
    "spreading_redness": (Type.INFECTION, Severity.SIGNIFICANT, True),
    "fever": (Type.INFECTION, Severity.SIGNIFICANT, True),
    "numbness": (Type.NERVE_INJURY, Severity.SIGNIFICANT, True),
    "worse_pain": (Type.AGGRAVATION, Severity.MILD, False),
    "headache": (Type.HEADACHE, Severity.MILD, False),
    "tiredness": (Type.FATIGUE, Severity.MILD, False),
    "nausea": (Type.NAUSEA, Severity.MILD, False),
}
RED_FLAGS = tuple(key for key, (_t, _s, red) in SYMPTOMS.items() if red)
NONE = "none"

_EVENT_WORDS = {
    "short_of_breath": "Shortness of breath or chest pain, reported at the 48-hour check.",
    "spreading_redness": (
        "Spreading redness, heat or swelling at a needle site, reported at the 48-hour check."
    ),
    "fever": "A fever, reported at the 48-hour check.",
    "numbness": "New numbness or weakness, reported at the 48-hour check.",
}


def _events_from_answers(check: AftercareCheck, soreness, bruising, symptoms) -> list[dict]:
    """The adverse events these answers are: one per type."""
    lung_risk = bool(set(check.treatment.regions) & regions.LUNG_RISK_REGIONS)
    events: dict[str, dict] = {}
    if bruising:
        events[Type.BRUISING] = {"severity": Severity.MILD, "description": ""}
    if soreness is not None and soreness >= SORENESS_EVENT:
        events[Type.PAIN_AFTER] = {
            "severity": Severity.MODERATE,
            "description": f"Soreness {soreness} out of 10 at the 48-hour check.",
        }
    for symptom in symptoms:
        event_type, severity, _red = SYMPTOMS[symptom]
        if symptom == "short_of_breath" and not lung_risk:
            # Away from the chest wall a needle cannot reach the lung: still urgent, recorded
            # as an other significant event for the practitioner to assess.
            event_type = Type.OTHER_SIGNIFICANT
        events.setdefault(
            event_type, {"severity": severity, "description": _EVENT_WORDS.get(symptom, "")}
        )
    return [{"type": key, **value} for key, value in events.items()]


def aftercare_check_answer(
    *,
    check: AftercareCheck,
    soreness: int,
    bruising: bool,
    symptoms: list[str],
    other_symptoms: str = "",
    request=None,
) -> AftercareCheck:
    """Store the patient's answers once. Answers that are an adverse event are recorded as one
    (source aftercare_check); a red-flag answer flags the intake for a practitioner's call.
    A link already used raises AftercareLinkProblem("used") and changes nothing."""
    if not 0 <= soreness <= 10:
        raise ServiceError("Give a number from 0 to 10.")
    symptoms = [s for s in SYMPTOMS if s in set(symptoms)]
    now = timezone.now()
    with transaction.atomic():
        locked = (
            AftercareCheck.objects.select_for_update(of=("self",))
            .select_related("intake", "treatment")
            .get(pk=check.pk)
        )
        problem = aftercare_problem(locked, now)
        if problem is not None:
            raise AftercareLinkProblem(problem)
        red = [s for s in symptoms if s in RED_FLAGS]
        locked.answered_at = now
        locked.soreness = soreness
        locked.bruising = bruising
        locked.symptoms = symptoms
        locked.other_symptoms = other_symptoms.strip()[:2000]
        locked.red_flags = red
        if red and locked.call_needed_at is None:
            locked.call_needed_at = now
        locked.save()
        for values in _events_from_answers(locked, soreness, bruising, symptoms):
            AdverseEvent.objects.create(
                intake=locked.intake,
                treatment=locked.treatment,
                onset=Onset.WITHIN_24H if values["type"] == Type.BRUISING else Onset.LATER,
                source=AdverseEvent.Source.AFTERCARE_CHECK,
                **values,
            )
        audit_record(
            actor=None,
            actor_role=PATIENT_ACTOR,
            action="aftercare.answer",
            request=request,
            intake=locked.intake,
            obj=locked,
            detail={"call_needed": bool(red)},
        )
    return locked


# ---------------------------------------------------------------------------------------------
# Calls: the practitioner's after a red flag, the desk's for checks not answered


def aftercare_call_record(
    *, actor: User, intake: Intake, note: str, request=None
) -> AftercareCheck:
    """A practitioner records that they called the patient; the flag on the intake ends."""
    note = note.strip()
    if not note:
        raise ServiceError("Please note what was said and advised.")
    with transaction.atomic():
        locked = _lock(intake)
        check = AftercareCheck.objects.select_for_update().filter(intake=locked).first()
        if check is None or not check.call_waiting:
            raise ServiceError("No call is waiting for this patient.")
        check.call_recorded_at = timezone.now()
        check.call_recorded_by = actor
        check.call_note = note
        check.save(update_fields=["call_recorded_at", "call_recorded_by", "call_note"])
        audit_record(
            actor=actor, action="aftercare.call", request=request, intake=locked, obj=check
        )
    return check


def aftercare_desk_call(
    *, actor: User, intake: Intake, outcome: str, note: str = "", request=None
) -> AftercareCheck:
    """The desk phoned the patient for their aftercare check. "problem" asks a practitioner
    to call back (the intake is flagged as after a red-flag answer)."""
    if outcome not in AftercareCheck.DeskOutcome.values:
        raise ServiceError("Choose how the call went.")
    note = note.strip()
    if outcome == AftercareCheck.DeskOutcome.PROBLEM and not note:
        raise ServiceError("Please note what the patient said, for the practitioner.")
    with transaction.atomic():
        locked = _lock(intake)
        check = AftercareCheck.objects.select_for_update().filter(intake=locked).first()
        if check is None:
            raise ServiceError("This appointment has no aftercare check.")
        now = timezone.now()
        check.desk_called_at = now
        check.desk_called_by = actor
        check.desk_outcome = outcome
        check.desk_note = note
        if outcome == AftercareCheck.DeskOutcome.PROBLEM and check.call_needed_at is None:
            check.call_needed_at = now
        check.save()
        audit_record(
            actor=actor,
            action="aftercare.desk_call",
            request=request,
            intake=locked,
            obj=check,
            detail={"outcome": outcome},
        )
    return check
