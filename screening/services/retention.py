"""Retention: erase a patient's record once the clinic's retention period has passed.

A patient is due when their LAST appointment (any intake, whatever its status; a patient with
no intake counts from when the record was made) is older than ``ClinicSettings.retention_years``
on the clinic's calendar. A patient who was a minor (``ClinicSettings.age_of_majority``) at
that last appointment is also kept until their 25th birthday: the later of the two dates wins.

Erasure keeps every row that the audit trail can point at (the patient, the intakes, the
screenings, decisions, resolutions, consents, messages, links, treatments and adverse events)
and empties what identifies the person or tells their health in their own words. The patient
is left as an opaque id (``Patient #<pk>``, the id the audit rows already use). Field by field:

- Patient: full name becomes "Erased patient #<pk>" (every page that shows a name says so),
  the match key, e-mail, phone and date of birth are emptied; ``erased_at`` is set.
- Intake: answers, clinician answers and the cancellation reason are emptied. Kept: the
  appointment time (the date retention counts from), status, decision, outcome, the coded
  flags (item and level), the plan's technique and region codes: none identifies a person
  once name, birth date and contact details are gone, and the clinic's safety figures count
  them.
- Screening snapshots: the answers copy is emptied; each finding keeps only its codes (item,
  level, rule codes, sources), not its wording, which can quote answers.
- Flag resolutions: mitigation, justification and the wording for the patient are emptied.
- Decisions: the note and the reopening reason are emptied.
- Consents: the PDF, every signature image, the signer's and interpreter's names, the
  guardian's relationship, the young person's words of assent and the interpreter's language
  are emptied. The SHA-256, the times, the method, the status and the consent-text version stay:
  they say that a consent existed and which bytes it was, without the bytes. Signed consents
  are frozen by ``models.ConsentQuerySet``; ``_erase_consents`` below is the one deliberate way
  past that guard.
- Documents prepared ahead (``RenderedDocument``): deleted. They are a cache of unsigned PDFs
  that print the name and birth date, and nothing in the audit trail points at them.
- Messages: the provider's message id (it finds the message, and its address, at the e-mail or
  text message service) is emptied; kind, channel, status and times stay.
- Links: every link still open is revoked (only hashes are stored).
- Treatment records: the note is emptied; techniques, regions, needle count and duration stay.
- Adverse events: description, action taken, how long it lasted and whom they were referred to
  are emptied; type, severity, onset, referred and source stay (safety reporting).
- Aftercare checks: the patient's answers (soreness, bruising, symptoms, red flags, their own
  words) and the desk's and practitioner's call notes are emptied, and the link's token hash
  removed; the times (due, sent, answered, called) and the desk's coded outcome stay.
- The audit trail is never touched: it holds no names or answers, and its rows keep pointing at
  the (now opaque) intakes, so ``manage.py audit_verify`` stays intact.
"""

from __future__ import annotations

import dataclasses
import datetime

from django.db import models, transaction
from django.db.models import Max
from django.db.models.functions import Coalesce
from django.utils import timezone

from screening import selectors
from screening.models import (
    AdverseEvent,
    AftercareCheck,
    ClinicSettings,
    Consent,
    Decision,
    FlagResolution,
    Intake,
    IntakeLink,
    InvitationMessage,
    Patient,
    RenderedDocument,
    ScreeningResult,
    TreatmentRecord,
)
from screening.services.audit import audit_record

# Minors' records are kept at least until this birthday (whatever the retention period).
MINOR_KEPT_UNTIL_AGE = 25

ERASED_CONSENT_VALUES = {
    "signer_name": "",
    "guardian_relationship": "",
    "assent_words": "",
    "patient_signature": None,
    "interpreter_name": "",
    "interpreter_language": "",
    "interpreter_signature": None,
    "practitioner_signature": None,
    "pdf": None,
}

# What a stored finding keeps after erasure: its codes, never its wording.
FINDING_KEYS_KEPT = ("code", "codes", "item", "ref", "level", "sources", "pending_plan", "trigger")

# Every model that points at a patient or an intake, and what erasure does with it (a test
# checks that a new such model is added here, so that someone decides what happens to it).
ERASURE_COVERS = {
    Patient: "name, key, date of birth, contact details emptied; erased_at set",
    Intake: "answers, clinician answers, cancellation reason emptied",
    ScreeningResult: "answers emptied; findings reduced to codes",
    FlagResolution: "mitigation, justification, patient wording emptied",
    Decision: "note and reopening reason emptied",
    Consent: "PDF, signatures, names, assent, interpreter language emptied",
    RenderedDocument: "deleted (a cache of unsigned PDFs)",
    InvitationMessage: "provider id emptied",
    IntakeLink: "revoked",
    TreatmentRecord: "note emptied",
    AdverseEvent: "free text emptied",
    AftercareCheck: "answers and notes emptied; link token removed",
}


@dataclasses.dataclass(frozen=True)
class Due:
    """A patient whose record is due for erasure, as the report may show it: no name."""

    patient_id: int
    last_contact: datetime.date
    minor_at_last_contact: bool

    @property
    def opaque_id(self) -> str:
        return f"Patient #{self.patient_id}"


@dataclasses.dataclass(frozen=True)
class RetentionReport:
    retention_years: int
    cutoff: datetime.date
    due: tuple[Due, ...]
    kept_minors: int
    erased: tuple[int, ...] = ()
    dry_run: bool = True


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _birthday(dob: datetime.date, age: int) -> datetime.date:
    try:
        return dob.replace(year=dob.year + age)
    except ValueError:  # born on 29 February
        return dob.replace(year=dob.year + age, month=3, day=1)


def due_for_erasure(
    *, today: datetime.date | None = None, patient_id: int | None = None
) -> RetentionReport:
    """Who is due now (or whether one patient is), read only. ``today`` is the clinic's local
    date (default: now)."""
    today = today or timezone.localdate()
    clinic = ClinicSettings.load()
    cutoff = years_before(today, clinic.retention_years)
    # A last contact before the cutoff day's first instant is older than the period; one on
    # the cutoff day itself is not yet.
    cutoff_start = selectors.day_bounds(cutoff)[0]
    candidates = (
        Patient.objects.filter(erased_at__isnull=True)
        .annotate(last_contact=Coalesce(Max("intakes__appointment_at"), "created_at"))
        .filter(last_contact__lt=cutoff_start)
        .only("pk", "date_of_birth")
        .order_by("pk")
    )
    if patient_id is not None:
        candidates = candidates.filter(pk=patient_id)
    due, kept_minors = [], 0
    for patient in candidates.iterator(chunk_size=1000):
        last_day = timezone.localtime(patient.last_contact).date()
        minor = (
            patient.date_of_birth is not None and patient.age_on(last_day) < clinic.age_of_majority
        )
        if minor and today < _birthday(patient.date_of_birth, MINOR_KEPT_UNTIL_AGE):
            kept_minors += 1
            continue
        due.append(Due(patient.pk, last_day, minor))
    return RetentionReport(
        retention_years=clinic.retention_years,
        cutoff=cutoff,
        due=tuple(due),
        kept_minors=kept_minors,
    )


def retention_apply(*, dry_run: bool, today: datetime.date | None = None) -> RetentionReport:
    """List (``dry_run``) or erase every patient due. A dry run writes nothing at all. A real
    run erases each patient in a transaction of its own with one audit row each, then records
    one audit row for the run; a patient already erased is never erased again."""
    report = due_for_erasure(today=today)
    if dry_run:
        return report
    erased = [due.patient_id for due in report.due if _erase_patient(due.patient_id, today=today)]
    with transaction.atomic():
        audit_record(
            actor=None,
            actor_role="system",
            action="retention.run",
            detail={
                "retention_years": report.retention_years,
                "cutoff": report.cutoff.isoformat(),
                "erased": len(erased),
                "kept_minors": report.kept_minors,
            },
        )
    return dataclasses.replace(report, erased=tuple(erased), dry_run=False)


def _erase_patient(patient_id: int, *, today: datetime.date | None) -> bool:
    """Erase one patient's record under its row lock; False if it was no longer due (erased
    meanwhile, or a new appointment made since the list was read)."""
    with transaction.atomic():
        patient = Patient.objects.select_for_update().filter(pk=patient_id).first()
        if patient is None or patient.erased_at is not None:
            return False
        if not due_for_erasure(today=today, patient_id=patient_id).due:
            return False
        intake_ids = list(Intake.objects.filter(patient=patient).values_list("pk", flat=True))
        counts = {
            "intakes": len(intake_ids),
            "consents": _erase_consents(intake_ids),
        }
        _erase_intakes(intake_ids)
        counts["screenings"] = _erase_screenings(intake_ids)
        RenderedDocument.objects.filter(intake_id__in=intake_ids).delete()
        now = timezone.now()
        patient.full_name = f"Erased patient #{patient.pk}"
        patient.name_key = ""
        patient.date_of_birth = None
        patient.email = ""
        patient.phone = ""
        patient.erased_at = now
        patient.save(
            update_fields=["full_name", "name_key", "date_of_birth", "email", "phone", "erased_at"]
        )
        audit_record(
            actor=None,
            actor_role="system",
            action="retention.erase",
            obj=patient,
            detail=counts,
        )
    return True


def _erase_intakes(intake_ids: list[int]) -> None:
    Intake.objects.filter(pk__in=intake_ids).update(
        answers={},
        clinician_answers={},
        answered_at={},
        cancel_reason="",
        # An edit form opened before the erasure now meets a conflict instead of writing back.
        version=models.F("version") + 1,
    )
    FlagResolution.objects.filter(intake_id__in=intake_ids).update(
        mitigation="", justification="", patient_wording=""
    )
    Decision.objects.filter(intake_id__in=intake_ids).update(note="", reopen_reason="")
    InvitationMessage.objects.filter(intake_id__in=intake_ids).update(provider_id="")
    IntakeLink.objects.filter(intake_id__in=intake_ids, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    TreatmentRecord.objects.filter(intake_id__in=intake_ids).update(note="")
    AdverseEvent.objects.filter(intake_id__in=intake_ids).update(
        description="", action_taken="", duration="", referred_to=""
    )
    AftercareCheck.objects.filter(intake_id__in=intake_ids).update(
        token_hash=None,
        soreness=None,
        bruising=None,
        symptoms=[],
        other_symptoms="",
        red_flags=[],
        call_note="",
        desk_note="",
    )


def _erase_screenings(intake_ids: list[int]) -> int:
    screenings = list(ScreeningResult.objects.filter(intake_id__in=intake_ids).only("findings"))
    for screening in screenings:
        screening.answers = {}
        screening.findings = [
            {key: finding[key] for key in FINDING_KEYS_KEPT if key in finding}
            for finding in screening.findings or []
        ]
    ScreeningResult.objects.bulk_update(screenings, ["answers", "findings"], batch_size=500)
    return len(screenings)


def _erase_consents(intake_ids: list[int]) -> int:
    """Empty the consents' PDFs, signatures and names. A signed consent is frozen: its
    queryset refuses any change to these fields (``models.ConsentQuerySet.update``). The end
    of the retention period is the one deliberate exception, so this calls the plain
    ``QuerySet.update`` past that guard, here and nowhere else."""
    consents = Consent.objects.filter(intake_id__in=intake_ids)
    return models.QuerySet.update(consents, **ERASED_CONSENT_VALUES)
