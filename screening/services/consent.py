"""Consent: tablet signatures, the practitioner's co-signature, the paper record, freezing.

Safe under double submits. A double tap on the tablet's "sign" or a double click on "record
paper consent" sends the same POST twice, perhaps at the same instant. Each of those forms
carries a one-time token (``form_token``, a UUID made when the page is drawn), stored on the
consent it creates. Under the intake's row lock a second POST with the same token finds that
consent and returns it unchanged, so the caller answers as it did the first time. The
co-signature needs no token: it names the consent it signs, and that consent already
co-signed by the same practitioner is the first answer. A repeat stores nothing and audits
nothing, as a repeated ``intake_submit`` does: the trail keeps the one event of the one
consent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid

from django.db import transaction
from django.utils import timezone

from screening.documents import CONSENT_TEXT_VERSION, documents_available
from screening.engine import course
from screening.models import ClinicSettings, Consent, Intake, User
from screening.selectors import latest_screening
from screening.services.audit import PATIENT_ACTOR, audit_record
from screening.services.base import ServiceError, bump_version

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
    ok, reason = documents_available(intake)
    if not ok:
        raise ServiceError(reason)


def consent_handover(*, actor: User, intake: Intake, request=None) -> None:
    """Record that staff handed the tablet to the patient to sign the consent."""
    _require_documents(intake)
    audit_record(actor=actor, action="consent.handover", request=request, intake=intake)


def _consent_for_token(intake: Intake, form_token: uuid.UUID) -> Consent | None:
    """The consent an earlier POST of the same form made, if any (caller holds the lock)."""
    if not isinstance(form_token, uuid.UUID):
        # Forms hand over a checked UUID; anything else is a caller's bug, not a user's. None
        # in particular would match every consent stored without a token.
        raise TypeError("form_token must be a uuid.UUID")
    return intake.consents.filter(form_token=form_token).first()


def consent_patient_sign(
    *,
    intake: Intake,
    form_token: uuid.UUID,
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
    """The patient's (or guardian's) signature; the consent then waits for the practitioner.

    Idempotent per ``form_token``: a second call with the token of a stored consent returns
    that consent (whatever happened to it since) and writes nothing.
    """
    with transaction.atomic():
        locked = Intake.objects.select_for_update().select_related("patient").get(pk=intake.pk)
        earlier = _consent_for_token(locked, form_token)
        if earlier is not None:
            return earlier
        _require_documents(locked)
        now = timezone.now()
        locked.consents.filter(status=Consent.Status.AWAITING_PRACTITIONER).update(
            status=Consent.Status.SUPERSEDED, superseded_at=now
        )
        consent = Consent.objects.create(
            intake=locked,
            form_token=form_token,
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


def _render_consent(intake: Intake, consent: Consent | None) -> bytes:
    # Imported on use: WeasyPrint takes most of a second to load, and only signing needs it
    # here; every process imports this package (the audit signals do).
    from screening import pdf

    return pdf.render_consent(intake, consent)


def _freeze_and_finish(
    *, intake: Intake, consent: Consent, pdf_bytes: bytes, actor: User, action: str, request
) -> None:
    """Store the PDF bytes with their hash, supersede earlier signed consents, mark the intake
    signed and audit it. Runs inside the caller's transaction with the intake row locked."""
    consent.pdf = pdf_bytes
    consent.sha256 = hashlib.sha256(pdf_bytes).hexdigest()
    consent.signed_at = timezone.now()
    # The consent covers the course's later visits until this day (clinical reference §5),
    # unless the plan, the risks or the consent text change first (course_state.consent_cover).
    consent.valid_until = course.add_months(
        timezone.localdate(consent.signed_at), ClinicSettings.load().consent_valid_months
    )
    consent.status = Consent.Status.SIGNED
    consent.save()
    intake.consents.filter(status=Consent.Status.SIGNED).exclude(pk=consent.pk).update(
        status=Consent.Status.SUPERSEDED, superseded_at=timezone.now()
    )
    intake.status = Intake.Status.SIGNED
    bump_version(intake, "status")
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
    """The practitioner's co-signature: render the PDF once and freeze its bytes.

    Idempotent per consent: when ``actor`` has already co-signed ``consent_id`` (a double
    click), that signed consent is returned unchanged and nothing is written. Another
    practitioner's co-signature is not this actor's result, so that is refused with who
    signed.
    """
    with transaction.atomic():
        locked = Intake.objects.select_for_update().select_related("patient").get(pk=intake.pk)
        consent = Consent.objects.select_for_update().filter(intake=locked, pk=consent_id).first()
        if consent is not None and consent.practitioner_signed_at is not None:
            if consent.practitioner_id == actor.pk:
                return consent
            raise ServiceError(
                f"{consent.practitioner.display_name()} has already co-signed this consent."
            )
        _require_documents(locked)
        if consent is None or consent.status != Consent.Status.AWAITING_PRACTITIONER:
            raise ServiceError("There is no consent waiting for a signature.")
        consent.practitioner = actor
        consent.practitioner_signature = signature
        consent.practitioner_signed_at = timezone.now()
        _freeze_and_finish(
            intake=locked,
            consent=consent,
            pdf_bytes=_render_consent(locked, consent),
            actor=actor,
            action="consent.cosign",
            request=request,
        )
    return consent


def consent_record_paper(
    *, actor: User, intake: Intake, form_token: uuid.UUID, signer_name: str, request=None
) -> Consent:
    """A named staff member records that the printed consent was signed on paper.

    Idempotent per ``form_token``: a second call with the token of a stored consent returns
    that consent and writes nothing.
    """
    signer_name = " ".join(signer_name.split())
    if not signer_name:
        raise ServiceError("Please enter the name of the person who signed.")
    with transaction.atomic():
        locked = Intake.objects.select_for_update().select_related("patient").get(pk=intake.pk)
        earlier = _consent_for_token(locked, form_token)
        if earlier is not None:
            return earlier
        _require_documents(locked)
        consent = Consent(
            intake=locked,
            form_token=form_token,
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
            pdf_bytes=_render_consent(locked, None),
            actor=actor,
            action="consent.record_paper",
            request=request,
        )
    return consent
