"""Consent signatures: tablet signing, co-signature, frozen bytes, paper record, superseding."""

import base64
import hashlib
import io
import uuid

import pytest
from django.urls import reverse

from screening import services
from screening.models import AuditEvent, ClinicSettings, Consent, FrozenConsentError, Intake
from screening.permissions import PATIENT_SESSION_KEY
from tests.factories import make_submitted_intake, set_plan

pytestmark = pytest.mark.django_db


def _png(width=60, height=20) -> bytes:
    """A small real PNG, as signature_pad would send (built without extra libraries)."""
    import struct
    import zlib

    raw = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _data_url() -> str:
    return "data:image/png;base64," + base64.b64encode(_png()).decode()


def _cleared_intake(practitioner) -> Intake:
    intake = make_submitted_intake()
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake.refresh_from_db()
    services.review_decide(
        actor=practitioner, intake=intake, decision="cleared", expected_version=intake.version
    )
    intake.refresh_from_db()
    return intake


def _patient_signs(intake) -> Consent:
    return services.consent_patient_sign(
        intake=intake,
        form_token=uuid.uuid4(),
        signer_name="Jamie Example",
        signer_role="patient",
        signature=_png(),
    )


def test_tablet_signature_then_cosign_freezes_the_pdf_and_download_is_byte_identical(
    client, practitioner, front_desk
):
    intake = _cleared_intake(practitioner)
    pending = _patient_signs(intake)

    signed = services.consent_cosign(
        actor=practitioner, intake=intake, consent_id=pending.pk, signature=_png()
    )
    client.force_login(front_desk)
    response = client.get(reverse("desk:signed_consent_pdf", args=[intake.public_id, signed.pk]))

    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response["Content-Type"] == "application/pdf"
    assert hashlib.sha256(body).hexdigest() == signed.sha256
    page = client.get(reverse("desk:documents", args=[intake.public_id])).content.decode()
    assert "unchanged since it was signed" in page
    assert body == bytes(Consent.objects.get(pk=signed.pk).pdf)
    intake.refresh_from_db()
    assert intake.status == Intake.Status.SIGNED
    assert AuditEvent.objects.filter(action="document.download_signed_consent").exists()


def _signed(practitioner) -> tuple[Intake, Consent]:
    intake = _cleared_intake(practitioner)
    consent = services.consent_cosign(
        actor=practitioner, intake=intake, consent_id=_patient_signs(intake).pk, signature=_png()
    )
    return intake, Consent.objects.get(pk=consent.pk)


def _hand_over_and_verify(client, front_desk, intake) -> None:
    """The desk hands the tablet over and the patient confirms their date of birth."""
    client.force_login(front_desk)
    client.post(reverse("desk:consent_handover", args=[intake.public_id]))
    dob = intake.patient.date_of_birth
    client.post(
        reverse("patient:verify", args=[intake.public_id]),
        {"day": dob.day, "month": dob.month, "year": dob.year},
    )


def test_a_signed_consent_cannot_be_edited_or_deleted_only_superseded(practitioner):
    _, consent = _signed(practitioner)

    consent.signer_name = "Someone Else"
    with pytest.raises(FrozenConsentError):
        consent.save()
    with pytest.raises(FrozenConsentError):
        Consent.objects.filter(pk=consent.pk).update(pdf=b"%PDF-forged")
    with pytest.raises(FrozenConsentError):
        Consent.objects.filter(pk=consent.pk).delete()
    with pytest.raises(FrozenConsentError):
        Consent.objects.get(pk=consent.pk).delete()
    Consent.objects.filter(pk=consent.pk).update(status=Consent.Status.SUPERSEDED)

    stored = Consent.objects.get(pk=consent.pk)
    assert stored.signer_name == "Jamie Example" and stored.pdf_intact()
    assert stored.status == Consent.Status.SUPERSEDED


def test_a_consent_waiting_for_the_practitioner_can_still_change(practitioner):
    intake = _cleared_intake(practitioner)
    pending = _patient_signs(intake)

    pending.interpreter_name = "Anna Kowalska"
    pending.save()

    assert Consent.objects.get(pk=pending.pk).interpreter_name == "Anna Kowalska"


def test_altered_stored_bytes_are_refused_on_download_and_audited(client, practitioner, front_desk):
    from django.db import connection

    intake, consent = _signed(practitioner)
    original = bytes(consent.pdf)
    altered = original[:200] + bytes([original[200] ^ 0x01]) + original[201:]  # one bit
    with connection.cursor() as cursor:  # what corruption or tampering below the app would do
        cursor.execute("UPDATE screening_consent SET pdf = %s WHERE id = %s", [altered, consent.pk])
    client.force_login(front_desk)

    response = client.get(reverse("desk:signed_consent_pdf", args=[intake.public_id, consent.pk]))

    page = client.get(reverse("desk:documents", args=[intake.public_id])).content.decode()
    assert "does not match this fingerprint" in page
    assert reverse("desk:signed_consent_pdf", args=[intake.public_id, consent.pk]) not in page
    assert response.status_code == 409
    assert "no longer matches the fingerprint" in response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    failures = AuditEvent.objects.filter(action="document.integrity_failure")
    assert failures.count() == 2  # the refused download, then the page that showed it
    assert failures.filter(detail__seen_on="documents page").count() == 1
    assert not AuditEvent.objects.filter(action="document.download_signed_consent").exists()


def test_signed_pdf_contains_the_signatures_and_names(practitioner):
    from pypdf import PdfReader

    intake = _cleared_intake(practitioner)
    pending = _patient_signs(intake)
    signed = services.consent_cosign(
        actor=practitioner, intake=intake, consent_id=pending.pk, signature=_png()
    )

    reader = PdfReader(io.BytesIO(bytes(signed.pdf)))
    text = " ".join(page.extract_text() for page in reader.pages)
    images = sum(len(page.images) for page in reader.pages)
    assert "Jamie Example" in text
    assert images >= 2
    # The signature covers each statement of the agreement: no empty tick boxes on the record.
    assert "\u2022 I agree to dry needling as described in this form." in text


def test_signing_again_supersedes_the_earlier_consent(practitioner):
    intake = _cleared_intake(practitioner)
    first = services.consent_cosign(
        actor=practitioner, intake=intake, consent_id=_patient_signs(intake).pk, signature=_png()
    )

    second = services.consent_cosign(
        actor=practitioner, intake=intake, consent_id=_patient_signs(intake).pk, signature=_png()
    )

    first.refresh_from_db()
    assert first.status == Consent.Status.SUPERSEDED
    assert second.status == Consent.Status.SIGNED
    assert bytes(first.pdf)  # the superseded record keeps its bytes


def test_paper_consent_is_recorded_by_a_named_staff_member(practitioner, front_desk):
    intake = _cleared_intake(practitioner)

    consent = services.consent_record_paper(
        actor=front_desk, intake=intake, form_token=uuid.uuid4(), signer_name="  Jamie   Example "
    )

    assert consent.method == Consent.Method.PAPER
    assert consent.recorded_by == front_desk
    assert consent.signer_name == "Jamie Example"
    assert len(consent.sha256) == 64


def test_paper_consent_form_errors_keep_the_documents_page_whole_and_record_nothing(
    client, practitioner, front_desk
):
    intake = _cleared_intake(practitioner)
    client.force_login(front_desk)

    response = client.post(
        reverse("desk:consent_paper", args=[intake.public_id]), {"signer_name": "Jamie Example"}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Please confirm that you checked the signed paper form." in page
    assert 'value="Jamie Example"' in page  # what was typed is kept
    assert 'id="clinic-details-missing"' in page  # the same warnings as the page itself
    assert not Consent.objects.filter(intake=intake).exists()


def test_documents_are_refused_for_an_intake_that_is_not_cleared(client, front_desk):
    intake = make_submitted_intake()
    client.force_login(front_desk)

    response = client.get(reverse("desk:consent_pdf", args=[intake.public_id]))

    assert response.status_code == 409
    assert "not cleared" in response.content.decode() or "practitioner" in response.content.decode()
    with pytest.raises(services.ServiceError):
        _patient_signs(intake)


def test_documents_page_warns_while_the_clinic_phone_and_address_are_missing(
    client, practitioner, front_desk
):
    intake = _cleared_intake(practitioner)
    client.force_login(front_desk)
    url = reverse("desk:documents", args=[intake.public_id])

    before = client.get(url).content.decode()
    ClinicSettings.objects.filter(pk=1).update(
        name="Riverside Physiotherapy", address="12 Mill Lane", phone="01234 567 890"
    )
    after = client.get(url).content.decode()

    assert 'id="clinic-details-missing"' in before
    assert "the clinic&#x27;s name" in before and "phone number" in before
    assert 'id="clinic-details-missing"' not in after


@pytest.mark.parametrize("bad", ["", "data:image/jpeg;base64,AAAA", "data:image/png;base64,!!"])
def test_bad_signature_data_is_refused(bad):
    with pytest.raises(services.ServiceError, match="sign"):
        services.signature_from_data_url(bad, what="patient")


def test_tablet_signing_flow_through_the_pages(client, practitioner, front_desk):
    intake = _cleared_intake(practitioner)

    _hand_over_and_verify(client, front_desk, intake)
    page = client.get(reverse("patient:sign", args=[intake.public_id]))
    token = page.context["form"]["form_token"].value()
    refused = client.post(
        reverse("patient:sign", args=[intake.public_id]),
        {
            "form_token": token,
            "signer_role": "patient",
            "signer_name": "Jamie Example",
            "signature": "",
        },
    )
    consents_after_refusal = Consent.objects.count()
    response = client.post(
        reverse("patient:sign", args=[intake.public_id]),
        {
            "form_token": token,
            "signer_role": "patient",
            "signer_name": "Jamie Example",
            "signature": _data_url(),
        },
    )

    assert page.status_code == 200 and "Consent to dry needling" in page.content.decode()
    assert refused.status_code == 400 and consents_after_refusal == 0
    assert response.status_code == 302
    assert Consent.objects.get().status == Consent.Status.AWAITING_PRACTITIONER
    assert client.session[PATIENT_SESSION_KEY]["purpose"] == "signed"
    assert client.get(reverse("desk:board")).status_code == 302  # staff were signed out


def test_sign_page_starts_from_what_the_questionnaire_already_said(
    client, practitioner, front_desk
):
    intake = _cleared_intake(practitioner)
    answers = dict(intake.answers)
    answers["minor_patient"] = {
        "answer": True,
        "guardian_consent": True,
        "guardian_relationship": "mother",
        "patient_assent": True,
    }
    answers["interpreter_needed"] = {"answer": True, "language": "Polish"}
    Intake.objects.filter(pk=intake.pk).update(answers=answers)
    _hand_over_and_verify(client, front_desk, intake)

    page = client.get(reverse("patient:sign", args=[intake.public_id])).content.decode()

    assert 'name="guardian_relationship" value="mother"' in page
    assert 'name="interpreter_language" value="Polish"' in page


def test_documents_page_says_where_the_consent_stands(client, practitioner):
    intake = _cleared_intake(practitioner)
    url = reverse("desk:documents", args=[intake.public_id])
    cosign = reverse("review:cosign", args=[intake.public_id])
    client.force_login(practitioner)

    before = client.get(url).content.decode()
    pending = _patient_signs(intake)
    waiting = client.get(url).content.decode()
    services.consent_cosign(
        actor=practitioner, intake=intake, consent_id=pending.pk, signature=_png()
    )
    signed = client.get(url).content.decode()

    assert "consent-signed" not in before and "consent-awaiting" not in before
    assert cosign not in before
    assert 'id="consent-awaiting"' in waiting and cosign in waiting
    assert 'id="consent-signed"' in signed and cosign not in signed
    assert "signed on the tablet by Jamie Example" in signed
