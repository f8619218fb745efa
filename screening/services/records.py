"""Data that leaves the app for the clinic: the intakes of a date range as CSV rows, and one
patient's own record (their right of access) as a ZIP.

Both are read-only except for their audit rows, which hold the range or counts, never names.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from screening import answers_display, review_display, selectors
from screening.engine import regions, rules
from screening.models import ClinicSettings, Consent, Intake, Patient, User
from screening.services.audit import audit_record
from screening.wording import item_title, plain_words

# ---------------------------------------------------------------------------------------------
# The clinic's CSV export

EXPORT_HEADER = (
    "Appointment (clinic time)",
    "Patient",
    "Practitioner",
    "Status",
    "Screening outcome",
    "Flags",
    "Decision",
)

_STATUS = dict(Intake.Status.choices)
_OUTCOME = dict(Intake.Outcome.choices)
_DECISION = dict(Intake.Decision.choices)


def export_intakes(date_from: datetime.date, date_to: datetime.date):
    """The intakes whose appointment falls on ``date_from`` to ``date_to`` (both included,
    clinic days), in appointment order, with only the columns the CSV prints."""
    start = selectors.day_bounds(date_from)[0]
    end = selectors.day_bounds(date_to)[1]
    return (
        Intake.objects.filter(appointment_at__gte=start, appointment_at__lt=end)
        .select_related("patient", "practitioner")
        .only(
            "appointment_at",
            "status",
            "decision",
            "latest_outcome",
            "latest_flags",
            "patient__full_name",
            "practitioner__username",
            "practitioner__first_name",
            "practitioner__last_name",
        )
        .order_by("appointment_at", "pk")
    )


def flags_in_words(flags: list[dict]) -> str:
    """Stored flags ([{"item", "level"}]) as "Precaution: Blood thinners; ..."."""
    return "; ".join(
        f"{review_display.LEVEL_WORDS.get(flag.get('level'), flag.get('level', ''))}: "
        f"{item_title(flag.get('item', ''))}"
        for flag in flags or []
    )


def export_row(intake: Intake) -> list[str]:
    """One intake as the CSV's cells, in words (never an id)."""
    practitioner = intake.practitioner.display_name() if intake.practitioner else ""
    return [
        timezone.localtime(intake.appointment_at).strftime("%Y-%m-%d %H:%M"),
        intake.patient.full_name,
        practitioner,
        str(_STATUS.get(intake.status, intake.status)),
        str(_OUTCOME.get(intake.latest_outcome, "")),
        flags_in_words(intake.latest_flags),
        str(_DECISION.get(intake.decision, "")),
    ]


def intakes_export_begin(
    *, actor: User, date_from: datetime.date, date_to: datetime.date, request=None
) -> Iterator[list[str]]:
    """Record the export (the range and the number of rows, never a name), then give the rows
    to stream. A range that ends before it starts is refused by the form before this."""
    if date_from > date_to:
        raise ValueError("date_from is after date_to")
    intakes = export_intakes(date_from, date_to)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="intakes.export",
            request=request,
            detail={
                "date_from": date_from.isoformat(),
                "date_to": date_to.isoformat(),
                "rows": intakes.count(),
            },
        )
    return (export_row(intake) for intake in intakes.iterator(chunk_size=1000))


# ---------------------------------------------------------------------------------------------
# A patient's own record

SEARCH_LIMIT = 20


def patient_search(*, full_name: str, date_of_birth: datetime.date):
    """Patients (not erased) born on that day whose name contains the typed words."""
    key = Patient.make_name_key(full_name)
    return (
        Patient.objects.filter(
            erased_at__isnull=True, date_of_birth=date_of_birth, name_key__contains=key
        )
        .order_by("name_key", "pk")
        .prefetch_related("intakes")[:SEARCH_LIMIT]
    )


def patient_record_search(
    *, actor: User, full_name: str, date_of_birth: datetime.date, request=None
) -> list[Patient]:
    """Search and record that a search was made (how many were found, never what was typed)."""
    found = list(patient_search(full_name=full_name, date_of_birth=date_of_birth))
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="patient_record.search",
            request=request,
            detail={"found": len(found)},
        )
    return found


@dataclasses.dataclass
class _Archive:
    """The ZIP being written, and the manifest of every file in it."""

    buffer: io.BytesIO = dataclasses.field(default_factory=io.BytesIO)
    files: list[dict] = dataclasses.field(default_factory=list)

    def __post_init__(self):
        self.zip = zipfile.ZipFile(self.buffer, "w", compression=zipfile.ZIP_DEFLATED)

    def add(self, name: str, data: bytes | str, **extra) -> str:
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        digest = hashlib.sha256(raw).hexdigest()
        self.zip.writestr(name, raw)
        self.files.append({"file": name, "sha256": digest, "bytes": len(raw), **extra})
        return digest


def _json(resource) -> str:
    return json.dumps(resource, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def _fhir():
    """The FHIR builders (``screening.fhir``), imported only when a record is exported."""
    from screening import fhir

    return fhir


def _techniques_words(codes) -> str:
    return "; ".join(
        regions.TECHNIQUES[code].label if code in regions.TECHNIQUES else plain_words(code)
        for code in codes or []
    )


def _regions_words(codes) -> str:
    return "; ".join(
        regions.label(code) if regions.is_region_or_alias(code) else plain_words(code)
        for code in codes or []
    )


def _screening_words(screening) -> dict:
    findings = [
        {
            "title": item_title(finding.get("item", "")),
            "level": review_display.LEVEL_WORDS.get(finding.get("level"), ""),
            "message": plain_words(finding.get("message", "")),
        }
        for finding in screening.findings or []
    ]
    plan = screening.plan or {}
    return {
        "at": screening.created_at,
        "why": screening.get_trigger_display(),
        "outcome": _OUTCOME.get(screening.outcome, ""),
        "findings": findings,
        "techniques": _techniques_words(plan.get("techniques")),
        "regions": _regions_words(plan.get("regions")),
    }


def _intake_folder(number: int, intake: Intake) -> str:
    day = timezone.localtime(intake.appointment_at).strftime("%Y-%m-%d")
    return f"{number:02d}-appointment-{day}"


def _thresholds(intake: Intake, screening):
    if screening is not None and screening.thresholds:
        return rules.Thresholds.from_dict(screening.thresholds)
    return selectors.clinic_thresholds()


def _intake_page(intake: Intake, clinic: ClinicSettings, consent_files: list[dict]) -> str:
    screenings = list(intake.screenings.order_by("created_at", "pk"))
    latest = screenings[-1] if screenings else None
    sections = answers_display.section_summaries(
        intake.answers or {}, thresholds=_thresholds(intake, latest), patient=True
    )
    decisions = [
        {
            "at": decision.decided_at,
            "decision": _DECISION.get(decision.decision, ""),
            "by": decision.decided_by.display_name(),
            "note": decision.note,
            "reopened_at": decision.reopened_at,
            "reopen_reason": decision.reopen_reason,
        }
        for decision in intake.decisions.select_related("decided_by").order_by("decided_at", "pk")
    ]
    resolutions = [
        {
            "title": item_title(resolution.item),
            "level": review_display.LEVEL_WORDS.get(resolution.level, ""),
            "kind": resolution.get_kind_display(),
            "mitigation": resolution.mitigation,
            "justification": resolution.justification,
            "at": resolution.created_at,
            "superseded": resolution.superseded_at is not None,
        }
        for resolution in intake.resolutions.order_by("created_at", "pk")
    ]
    return render_to_string(
        "screening/manage/patient_record_intake.html",
        {
            "clinic": clinic,
            "patient": intake.patient,
            "intake": intake,
            "status": _STATUS.get(intake.status, ""),
            "practitioner": intake.practitioner.display_name() if intake.practitioner else "",
            "sections": sections,
            "screenings": [_screening_words(s) for s in screenings],
            "plan_techniques": _techniques_words(intake.plan_techniques),
            "plan_regions": _regions_words(intake.plan_regions),
            "resolutions": resolutions,
            "decisions": decisions,
            "consents": consent_files,
        },
    )


def patient_record_export(*, actor: User, patient: Patient, request=None) -> bytes:
    """One ZIP holding everything the app keeps about ``patient``: per appointment the
    answers, screenings and decisions in words (HTML) and as FHIR R4 JSON, and every signed
    consent PDF; a manifest gives each file's SHA-256 and whether each consent's bytes still
    match the hash recorded when it was signed. Recorded in the audit trail (counts only)."""
    if patient.erased_at is not None:
        raise ValueError("an erased record has nothing to export")
    fhir = _fhir()
    clinic = ClinicSettings.load()
    archive = _Archive()
    archive.add("questionnaire.json", _json(fhir.questionnaire()))
    intakes = list(
        patient.intakes.select_related("patient", "practitioner").order_by("appointment_at", "pk")
    )
    index, consents_total, damaged = [], 0, 0
    for number, intake in enumerate(intakes, start=1):
        folder = _intake_folder(number, intake)
        consent_files = []
        signed = Consent.objects.filter(intake=intake, pdf__isnull=False).order_by(
            "signed_at", "pk"
        )
        for consent_number, consent in enumerate(signed, start=1):
            name = f"{folder}/signed-consent-{consent_number}.pdf"
            intact = consent.pdf_intact()
            archive.add(
                name,
                bytes(consent.pdf),
                recorded_sha256=consent.sha256,
                intact=intact,
                signed_at=consent.signed_at.isoformat() if consent.signed_at else None,
            )
            consents_total += 1
            damaged += not intact
            consent_files.append(
                {
                    "file": name.rsplit("/", 1)[1],
                    "status": consent.get_status_display(),
                    "method": consent.get_method_display(),
                    "signed_at": consent.signed_at,
                    "sha256": consent.sha256,
                    "intact": intact,
                }
            )
        archive.add(f"{folder}/record.html", _intake_page(intake, clinic, consent_files))
        if intake.submitted_at is not None:
            archive.add(
                f"{folder}/questionnaire-response.json", _json(fhir.questionnaire_response(intake))
            )
            # None when there is no screening, or no decision, to tell.
            risk = fhir.risk_assessment(intake)
            if risk is not None:
                archive.add(f"{folder}/risk-assessment.json", _json(risk))
            decision = fhir.decision_provenance(intake)
            if decision is not None:
                archive.add(f"{folder}/decision-provenance.json", _json(decision))
        index.append(
            {
                "folder": folder,
                "appointment": intake.appointment_at,
                "status": _STATUS.get(intake.status, ""),
                "decision": _DECISION.get(intake.decision, ""),
                "consents": len(consent_files),
            }
        )
    archive.add(
        "index.html",
        render_to_string(
            "screening/manage/patient_record_index.html",
            {
                "clinic": clinic,
                "patient": patient,
                "intakes": index,
                "made_at": timezone.localtime(),
                "damaged": damaged,
            },
        ),
    )
    manifest = {
        "made_at": timezone.now().isoformat(timespec="seconds"),
        "files": archive.files,
    }
    archive.zip.writestr("manifest.json", _json(manifest))
    archive.zip.writestr(
        "SHA256SUMS",
        "".join(f"{entry['sha256']}  {entry['file']}\n" for entry in archive.files),
    )
    archive.zip.close()
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="patient_record.export",
            request=request,
            obj=patient,
            detail={
                "intakes": len(intakes),
                "consents": consents_total,
                "consents_not_intact": damaged,
                "files": len(archive.files) + 2,
            },
        )
    return archive.buffer.getvalue()
