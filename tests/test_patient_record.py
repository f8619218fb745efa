"""A patient's own record: found by name and date of birth (POST), downloaded as one ZIP with
the answers in words, the FHIR JSON, and every signed consent with its SHA-256."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import re
import zipfile

import pytest
from django.db import models
from django.urls import reverse
from django.utils import timezone

from screening.engine import questionnaire
from screening.models import AuditEvent, Consent, Patient
from tests.conftest import make_intake, make_patient
from tests.factories import make_submitted_intake, resolve_and_clear, set_plan

SEARCH = reverse("manage:patient_record")
DOWNLOAD = reverse("manage:patient_record_download")
PDF = b"%PDF-1.7 the signed consent"
DOB = datetime.date(1985, 4, 12)


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def record(practitioner):
    patient = make_patient(full_name="Jamie Example", date_of_birth=DOB)
    intake = make_submitted_intake(
        {"frailty": {"answer": True}},
        patient=patient,
        practitioner=practitioner,
        appointment_at=_at(datetime.date(2026, 3, 2)),
    )
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake = resolve_and_clear(intake, practitioner, mitigation="Treat lying down.")
    Consent.objects.create(
        intake=intake,
        status=Consent.Status.SIGNED,
        method=Consent.Method.TABLET,
        consent_text_version="1",
        screening=intake.screenings.order_by("-pk").first(),
        signer_name="Jamie Example",
        pdf=PDF,
        sha256=hashlib.sha256(PDF).hexdigest(),
        signed_at=_at(datetime.date(2026, 3, 2), 11),
    )
    # Someone else with the same birthday: never in Jamie's record.
    make_submitted_intake(
        patient=make_patient(full_name="Other Person", date_of_birth=DOB),
        appointment_at=_at(datetime.date(2026, 3, 3)),
    )
    return patient, intake


def _zip(client, patient) -> zipfile.ZipFile:
    response = client.post(DOWNLOAD, {"patient": patient.pk})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "no-store"
    assert "Jamie" not in response["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(response.content))


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_search_by_name_and_date_of_birth_is_a_post_and_audited(client, clinic_admin, record):
    patient, _intake = record
    client.force_login(clinic_admin)

    response = client.post(SEARCH, {"full_name": "  jamie ", "date_of_birth": DOB.isoformat()})

    assert response.status_code == 200
    assert b"Jamie Example" in response.content
    assert b"Other Person" not in response.content
    assert f'name="patient" value="{patient.pk}"'.encode() in response.content
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action="patient_record.search")
    assert event.detail == {"found": 1}


def test_search_with_the_wrong_birth_date_finds_nobody(client, clinic_admin, record):
    client.force_login(clinic_admin)

    response = client.post(SEARCH, {"full_name": "Jamie", "date_of_birth": "1985-04-13"})

    assert b"No patient has that name and date of birth" in response.content
    assert AuditEvent.objects.get(action="patient_record.search").detail == {"found": 0}


def test_search_without_a_date_is_explained(client, clinic_admin, record):
    client.force_login(clinic_admin)

    response = client.post(SEARCH, {"full_name": "Jamie", "date_of_birth": ""})

    assert response.status_code == 400
    assert b"error-summary" in response.content
    assert not AuditEvent.objects.filter(action="patient_record.search").exists()


def test_the_zip_holds_every_part_of_the_record(client, clinic_admin, record):
    patient, _intake = record
    client.force_login(clinic_admin)

    archive = _zip(client, patient)

    folder = "01-appointment-2026-03-02"
    assert set(archive.namelist()) == {
        "questionnaire.json",
        "index.html",
        "manifest.json",
        "SHA256SUMS",
        f"{folder}/record.html",
        f"{folder}/questionnaire-response.json",
        f"{folder}/risk-assessment.json",
        f"{folder}/decision-provenance.json",
        f"{folder}/signed-consent-1.pdf",
    }
    assert archive.read(f"{folder}/signed-consent-1.pdf") == PDF
    response = json.loads(archive.read(f"{folder}/questionnaire-response.json"))
    assert response["resourceType"] == "QuestionnaireResponse"
    assert json.loads(archive.read(f"{folder}/risk-assessment.json"))["resourceType"] == (
        "RiskAssessment"
    )
    assert json.loads(archive.read(f"{folder}/decision-provenance.json"))["resourceType"] == (
        "Provenance"
    )
    assert json.loads(archive.read("questionnaire.json"))["resourceType"] == "Questionnaire"
    assert b"Other Person" not in b"".join(archive.read(name) for name in archive.namelist())


def test_the_manifest_hashes_match_the_files_and_the_signed_pdfs(client, clinic_admin, record):
    patient, intake = record
    client.force_login(clinic_admin)

    archive = _zip(client, patient)

    manifest = json.loads(archive.read("manifest.json"))
    listed = {entry["file"]: entry for entry in manifest["files"]}
    assert set(listed) == set(archive.namelist()) - {"manifest.json", "SHA256SUMS"}
    for name, entry in listed.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == entry["sha256"], name
    pdf_entry = listed["01-appointment-2026-03-02/signed-consent-1.pdf"]
    consent = intake.consents.get()
    assert consent.pdf_intact()
    assert pdf_entry["recorded_sha256"] == consent.sha256 == pdf_entry["sha256"]
    assert pdf_entry["intact"] is True
    sums = archive.read("SHA256SUMS").decode()
    assert f"{consent.sha256}  01-appointment-2026-03-02/signed-consent-1.pdf" in sums


def test_the_html_gives_answers_in_words_and_no_ids(client, clinic_admin, record):
    patient, intake = record
    client.force_login(clinic_admin)

    archive = _zip(client, patient)

    html = archive.read("01-appointment-2026-03-02/record.html").decode()
    text = _text(html)
    frailty = questionnaire.item("frailty")
    assert frailty.question_text(None) in text or frailty.title in text
    assert "Jamie Example" in text and "12 April 1985" in text
    assert "Cleared with modifications" in text
    assert "Treat lying down." in text
    assert hashlib.sha256(PDF).hexdigest() in text
    ids = [item_id for item_id in questionnaire.ITEMS if "_" in item_id]
    assert not [item_id for item_id in ids if item_id in text]
    assert str(intake.public_id) not in html
    assert "manual_static" not in text and "lumbar" not in text.split("Lumbar")[0].lower()
    index = _text(archive.read("index.html").decode())
    assert "Jamie Example" in index and str(intake.public_id) not in index


def test_a_consent_whose_bytes_changed_is_marked_not_intact(client, clinic_admin, record):
    patient, intake = record
    # Simulate damage at the storage level, past the model's guard.
    models.QuerySet.update(Consent.objects.filter(intake=intake), pdf=b"%PDF tampered")
    client.force_login(clinic_admin)

    archive = _zip(client, patient)

    entry = next(
        e for e in json.loads(archive.read("manifest.json"))["files"] if e["file"].endswith(".pdf")
    )
    assert entry["intact"] is False
    assert entry["recorded_sha256"] != entry["sha256"]
    assert "no longer match" in archive.read("index.html").decode()
    assert AuditEvent.objects.get(action="patient_record.export").detail["consents_not_intact"] == 1


def test_the_download_is_audited_with_the_patient_as_an_opaque_id(client, clinic_admin, record):
    patient, _intake = record
    client.force_login(clinic_admin)

    _zip(client, patient)

    event = AuditEvent.objects.get(action="patient_record.export")
    assert (event.object_type, event.object_id) == ("Patient", str(patient.pk))
    assert event.detail["intakes"] == 1 and event.detail["consents"] == 1
    assert "Jamie" not in json.dumps(event.detail)


@pytest.mark.parametrize("value", ["999999", "", "abc"])
def test_an_unknown_patient_is_a_404(client, clinic_admin, value):
    client.force_login(clinic_admin)

    assert client.post(DOWNLOAD, {"patient": value}).status_code == 404


def test_an_erased_patient_is_a_404(client, clinic_admin, db):
    patient = make_patient()
    Patient.objects.filter(pk=patient.pk).update(erased_at=timezone.now())
    client.force_login(clinic_admin)

    assert client.post(DOWNLOAD, {"patient": patient.pk}).status_code == 404


@pytest.mark.parametrize("role", ["front_desk", "practitioner"])
def test_the_record_is_for_the_clinic_admin_only(client, request, role, record):
    patient, _intake = record
    client.force_login(request.getfixturevalue(role))

    assert client.post(DOWNLOAD, {"patient": patient.pk}).status_code == 403
    assert client.post(SEARCH, {"full_name": "Jamie", "date_of_birth": DOB}).status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="patient_record.").exists()


def test_a_patient_with_only_an_unsent_questionnaire_gets_a_record_without_fhir(
    client, clinic_admin, db
):
    patient = make_patient(full_name="Sam Draft")
    make_intake(patient, appointment_at=_at(datetime.date(2026, 4, 1)), answers={})
    client.force_login(clinic_admin)

    archive = _zip(client, patient)

    names = set(archive.namelist())
    assert "01-appointment-2026-04-01/record.html" in names
    assert not any(name.endswith("response.json") for name in names)
    text = _text(archive.read("01-appointment-2026-04-01/record.html").decode())
    assert "Not screened: the answers were not sent." in text
    assert "Not answered" in text  # unanswered is never shown as "No"
