"""Unsigned documents prepared ahead: the consent form and aftercare sheet of a cleared intake
are rendered by a background task and stored, keyed by everything their bytes depend on, so
that printing serves stored bytes instead of running WeasyPrint on the desk's request.

Signed consents are not these: they are frozen on the consent itself when it is signed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from screening import documents
from screening.models import ClinicSettings, Intake, RenderedDocument

logger = logging.getLogger(__name__)

KINDS = (RenderedDocument.Kind.CONSENT, RenderedDocument.Kind.AFTERCARE)
MAX_ATTEMPTS = 3


@cache
def template_version() -> str:
    """A digest of the print templates, stylesheet and fonts: a deploy that changes how the
    documents look or read changes every key (computed once per process)."""
    base = Path(settings.BASE_DIR)
    files = sorted(
        [
            *(base / "templates" / "screening" / "pdf").glob("*.html"),
            base / "static" / "screening" / "css" / "print.css",
            *(base / "static" / "screening" / "fonts").glob("**/*"),
            base / "screening" / "documents.py",
        ]
    )
    digest = hashlib.sha256()
    for path in files:
        if path.is_file():
            digest.update(path.relative_to(base).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def document_key(intake: Intake, kind: str, clinic: ClinicSettings | None = None) -> str:
    """The stored rendering's key: the intake's version and everything printed from outside
    it (the patient, the practitioner, the clinic's settings, the consent text's version, the
    templates)."""
    clinic = clinic or ClinicSettings.load()
    patient, practitioner = intake.patient, intake.practitioner
    parts = {
        "kind": kind,
        "intake": [intake.pk, intake.version, intake.updated_at.isoformat()],
        "patient": [patient.full_name, patient.date_of_birth.isoformat()],
        "practitioner": [
            practitioner.pk,
            practitioner.display_name(),
            practitioner.profession,
            practitioner.registration_number,
        ]
        if practitioner
        else None,
        "clinic": clinic.version,
        "consent_text": documents.CONSENT_TEXT_VERSION,
        "templates": template_version(),
        "time_zone": settings.TIME_ZONE,
    }
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _render(intake: Intake, kind: str) -> bytes:
    # Imported on use: WeasyPrint takes most of a second to load.
    from screening import pdf

    if kind == RenderedDocument.Kind.CONSENT:
        return pdf.render_consent(intake, None)
    return pdf.render_aftercare(intake)


def _store(intake: Intake, kind: str, key: str, data: bytes) -> None:
    """Keep the new rendering and drop the intake's older ones of that kind. Two workers
    that rendered the same key at once store one row: the second finds it there."""
    try:
        with transaction.atomic():
            RenderedDocument.objects.update_or_create(
                intake=intake, kind=kind, key=key, defaults={"pdf": data, "error": ""}
            )
    except IntegrityError:
        pass  # another worker stored the same rendering first
    RenderedDocument.objects.filter(intake=intake, kind=kind).exclude(key=key).delete()


def stored_bytes(intake: Intake, kind: str) -> bytes | None:
    """The stored rendering for the intake as it is now, or None.

    A rendering is stored only for a printable intake (``documents_available``), and its key
    holds the intake's version and time of change, which move with every change that
    availability reads (status, decision, plan, screening, flag resolutions, cancellation): a
    document found here is one that may be printed now, without checking again."""
    stored = (
        RenderedDocument.objects.filter(
            intake=intake, kind=kind, key=document_key(intake, kind), pdf__isnull=False
        )
        .values_list("pdf", flat=True)
        .first()
    )
    return None if stored is None else bytes(stored)


def document_bytes(intake: Intake, kind: str) -> bytes:
    """The document as it prints now: the stored rendering for the current key, or rendered
    once and stored. The caller has checked that the intake is printable. Raises
    ``documents.DocumentError`` when it cannot be rendered."""
    stored = stored_bytes(intake, kind)
    if stored is not None:
        return stored
    data = _render(intake, kind)
    _store(intake, kind, document_key(intake, kind), data)
    return data


def documents_prepare(*, intake_id: int) -> dict[str, str]:
    """Render and store both documents of a printable intake if their current versions are not
    stored yet (the background task's body; safe to run twice, or on two machines at once).
    Returns kind -> "stored" / "ready" / "failed" / "not printable"."""
    intake = Intake.objects.select_related("patient", "practitioner").filter(pk=intake_id).first()
    if intake is None:
        return {}
    available, _reason = documents.documents_available(intake)
    if not available:
        return dict.fromkeys(KINDS, "not printable")
    clinic = ClinicSettings.load()
    outcome = {}
    for kind in KINDS:
        key = document_key(intake, kind, clinic)
        row = RenderedDocument.objects.filter(intake=intake, kind=kind, key=key).first()
        if row is not None and row.pdf is not None:
            outcome[kind] = "ready"
            continue
        try:
            data = _render(intake, kind)
        except Exception as exc:  # noqa: BLE001 - recorded for the documents page, then retried
            logger.warning("Preparing the %s of intake %s failed: %s", kind, intake.pk, exc)
            RenderedDocument.objects.update_or_create(
                intake=intake,
                kind=kind,
                key=key,
                defaults={
                    "pdf": None,
                    "error": str(exc)[:300] or type(exc).__name__,
                    "attempts": (row.attempts if row else 0) + 1,
                },
            )
            outcome[kind] = "failed"
            continue
        _store(intake, kind, key, data)
        outcome[kind] = "stored"
    return outcome


def preparation_failures(intake: Intake) -> list[RenderedDocument]:
    """The current documents whose preparation failed (for the documents page)."""
    clinic = ClinicSettings.load()
    keys = {kind: document_key(intake, kind, clinic) for kind in KINDS}
    return [
        row
        for row in RenderedDocument.objects.filter(intake=intake, pdf__isnull=True)
        if keys.get(row.kind) == row.key
    ]


def failed_rows(intake_id: int) -> list[RenderedDocument]:
    return list(RenderedDocument.objects.filter(intake_id=intake_id, pdf__isnull=True))
