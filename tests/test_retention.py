"""Retention: ``manage.py apply_retention`` lists, then erases, the patients whose last
appointment is older than the clinic's retention period; the audit trail stays intact.

Runs on SQLite and on PostgreSQL (where the audit table is guarded by triggers)."""

from __future__ import annotations

import datetime
import hashlib
import io
import os
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, models, transaction
from django.urls import reverse
from django.utils import timezone

from screening.models import (
    AuditEvent,
    ClinicSettings,
    Consent,
    FrozenConsentError,
    Intake,
    IntakeLink,
    InvitationMessage,
    Patient,
    RenderedDocument,
)
from screening.services import audit, retention
from tests.conftest import make_intake, make_patient
from tests.factories import make_submitted_intake, resolve_and_clear, set_plan

TODAY = datetime.date(2026, 6, 15)
PDF = b"%PDF-1.7 signed consent of Jamie Example"


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _full_record(practitioner, *, appointment: datetime.date, name="Jamie Example", dob=None):
    """A patient with a submitted, flagged, resolved and decided intake, a signed consent,
    a prepared document, a message and a link: everything erasure must reach."""
    patient = make_patient(
        full_name=name,
        date_of_birth=dob or datetime.date(1970, 3, 1),
        email="jamie@example.org",
        phone="+447700900123",
    )
    intake = make_submitted_intake(
        {"frailty": {"answer": True}},
        patient=patient,
        practitioner=practitioner,
        appointment_at=_at(appointment),
    )
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake = resolve_and_clear(intake, practitioner, mitigation="Lying down, Jamie is frail.")
    screening = intake.screenings.order_by("-pk").first()
    Consent.objects.create(
        intake=intake,
        status=Consent.Status.SIGNED,
        method=Consent.Method.TABLET,
        consent_text_version="1",
        screening=screening,
        signer_name=name,
        patient_signature=b"PNG patient",
        practitioner=practitioner,
        practitioner_signature=b"PNG practitioner",
        pdf=PDF,
        sha256=hashlib.sha256(PDF).hexdigest(),
        signed_at=_at(appointment, 11),
    )
    RenderedDocument.objects.create(
        intake=intake, kind=RenderedDocument.Kind.AFTERCARE, key="k" * 64, pdf=b"%PDF aftercare"
    )
    InvitationMessage.objects.create(
        intake=intake,
        kind=InvitationMessage.Kind.INVITATION,
        channel=InvitationMessage.Channel.EMAIL,
        status=InvitationMessage.Status.SENT,
        appointment_at=intake.appointment_at,
        provider_id="<abc@mail.example>",
    )
    IntakeLink.objects.create(
        intake=intake,
        token_hash=hashlib.sha256(name.encode()).hexdigest(),
        expires_at=_at(appointment),
    )
    return patient, intake


def _snapshot(*, with_audit: bool = True) -> dict:
    """Every row of every table of the app, as plain values."""
    tables = {}
    for model in apps.get_app_config("screening").get_models():
        if model is AuditEvent and not with_audit:
            continue
        rows = list(model.objects.order_by("pk").values())
        for row in rows:
            for key, value in row.items():
                if isinstance(value, memoryview):
                    row[key] = bytes(value)
        tables[model.__name__] = rows
    return tables


def _run(*args) -> str:
    out = io.StringIO()
    call_command("apply_retention", *args, f"--today={TODAY.isoformat()}", stdout=out)
    return out.getvalue()


@pytest.fixture
def old_and_recent(practitioner):
    old, old_intake = _full_record(practitioner, appointment=datetime.date(2017, 6, 1))
    recent, _ = _full_record(
        practitioner, appointment=datetime.date(2024, 1, 10), name="Robin Recent"
    )
    return old, old_intake, recent


def test_dry_run_lists_opaque_ids_and_changes_nothing(old_and_recent):
    old, _intake, recent = old_and_recent
    before = _snapshot()

    out = _run("--dry-run")

    assert _snapshot() == before
    assert f"Patient #{old.pk}" in out
    assert f"Patient #{recent.pk}" not in out
    assert "1 patients due for erasure; nothing changed" in out
    assert "Jamie" not in out and "Robin" not in out and "1970" not in out


def test_real_run_erases_the_listed_patients_and_keeps_the_audit_chain(old_and_recent):
    old, intake, recent = old_and_recent
    recent_before = Patient.objects.filter(pk=recent.pk).values().get()

    out = _run()

    assert "Erased 1 patients." in out and f"Patient #{old.pk}" in out
    old.refresh_from_db()
    assert old.erased_at is not None
    assert (old.full_name, old.name_key, old.email, old.phone, old.date_of_birth) == (
        f"Erased patient #{old.pk}",
        "",
        "",
        "",
        None,
    )
    intake.refresh_from_db()
    assert intake.answers == {} and intake.clinician_answers == {} and intake.answered_at == {}
    assert intake.decision == Intake.Decision.CLEARED_WITH_MODIFICATIONS  # coded facts stay
    for screening in intake.screenings.all():
        assert screening.answers == {}
        assert all("message" not in f and "rationale" not in f for f in screening.findings)
        assert all(f["item"] and f["level"] for f in screening.findings)
    assert [r.mitigation for r in intake.resolutions.all()] == [""]
    assert [d.note for d in intake.decisions.all()] == [""] * intake.decisions.count()
    consent = intake.consents.get()
    assert consent.pdf is None
    assert consent.patient_signature is None and consent.practitioner_signature is None
    assert consent.signer_name == ""
    assert consent.sha256 == hashlib.sha256(PDF).hexdigest()  # that it existed, not its bytes
    assert not RenderedDocument.objects.filter(intake=intake).exists()
    assert intake.messages.get().provider_id == ""
    assert intake.links.get().revoked_at is not None
    # The other patient is untouched.
    assert Patient.objects.filter(pk=recent.pk).values().get() == recent_before
    assert Consent.objects.filter(intake__patient=recent, pdf=PDF).exists()
    # Audited: one row for the patient (opaque id only), one for the run; the chain holds.
    erase = AuditEvent.objects.get(action="retention.erase")
    assert (erase.object_type, erase.object_id) == ("Patient", str(old.pk))
    assert "Jamie" not in str(erase.detail)
    run = AuditEvent.objects.get(action="retention.run")
    assert run.detail["erased"] == 1
    assert audit.verify_chain().ok
    assert AuditEvent.objects.filter(intake=intake).exists()  # history still points at it


def test_audit_verify_stays_intact_after_erasure(old_and_recent):
    _run()
    out = io.StringIO()

    call_command("audit_verify", stdout=out)

    assert "Audit trail intact" in out.getvalue()


def test_second_run_changes_nothing_more(old_and_recent):
    _run()
    after_first = _snapshot(with_audit=False)
    audit_rows = AuditEvent.objects.count()

    out = _run()

    assert "Erased 0 patients." in out
    assert _snapshot(with_audit=False) == after_first
    assert AuditEvent.objects.count() == audit_rows + 1  # the run itself, nobody erased twice
    assert AuditEvent.objects.filter(action="retention.erase").count() == 1
    assert AuditEvent.objects.order_by("-pk").first().action == "retention.run"
    assert audit.verify_chain().ok


def test_erased_intake_is_no_longer_reachable(client, practitioner, old_and_recent):
    _old, intake, _recent = old_and_recent
    _run()
    client.force_login(practitioner)

    assert client.get(reverse("desk:intake", args=[intake.public_id])).status_code == 404
    assert client.get(reverse("review:intake", args=[intake.public_id])).status_code == 404


def test_signed_consents_stay_frozen_outside_retention(old_and_recent):
    _old, intake, _recent = old_and_recent

    with pytest.raises(FrozenConsentError):
        Consent.objects.filter(intake=intake).update(pdf=None)
    assert Consent.objects.filter(intake=intake, pdf=PDF).exists()


@pytest.mark.django_db
def test_retention_years_boundary():
    cutoff = retention.years_before(TODAY, 8)  # 2018-06-15
    on_cutoff = make_intake(make_patient(full_name="On Cutoff"), appointment_at=_at(cutoff, 0))
    day_before = make_intake(
        make_patient(full_name="Day Before"),
        appointment_at=_at(cutoff - datetime.timedelta(days=1), 23),
    )

    due = {d.patient_id for d in retention.due_for_erasure(today=TODAY).due}

    assert due == {day_before.patient_id}
    assert on_cutoff.patient_id not in due


@pytest.mark.django_db
def test_retention_years_setting_is_read_and_later_appointments_count():
    patient = make_patient()
    make_intake(patient, appointment_at=_at(datetime.date(2016, 1, 5)))
    ClinicSettings.objects.filter(pk=1).update(retention_years=8)
    ClinicSettings.load()
    assert retention.due_for_erasure(today=TODAY).due

    ClinicSettings.objects.filter(pk=1).update(retention_years=11)
    assert not retention.due_for_erasure(today=TODAY).due

    ClinicSettings.objects.filter(pk=1).update(retention_years=8)
    # A later appointment (even a cancelled one) restarts the period.
    make_intake(patient, appointment_at=_at(datetime.date(2019, 1, 5)), status="cancelled")
    assert not retention.due_for_erasure(today=TODAY).due


@pytest.mark.django_db
def test_a_minor_at_the_last_appointment_is_kept_until_their_25th_birthday():
    # 16 at the last appointment, ten years ago; 25 on 2027-03-10.
    dob = datetime.date(2002, 3, 10)
    minor = make_patient(full_name="Young Person", date_of_birth=dob)
    make_intake(minor, appointment_at=_at(datetime.date(2018, 5, 1)))
    # An adult at an appointment on the same day is due.
    adult = make_patient(full_name="Grown Up", date_of_birth=datetime.date(1980, 1, 1))
    make_intake(adult, appointment_at=_at(datetime.date(2018, 5, 1)))

    on_eve = retention.due_for_erasure(today=datetime.date(2027, 3, 9))
    on_birthday = retention.due_for_erasure(today=datetime.date(2027, 3, 10))

    assert [d.patient_id for d in on_eve.due] == [adult.pk]
    assert on_eve.kept_minors == 1
    assert {d.patient_id for d in on_birthday.due} == {adult.pk, minor.pk}
    assert on_birthday.kept_minors == 0


@pytest.mark.django_db
def test_a_patient_of_age_at_the_last_appointment_is_not_kept_as_a_minor():
    # 18 (the age of majority) on the day of the last appointment: an adult.
    patient = make_patient(date_of_birth=datetime.date(2000, 5, 1))
    make_intake(patient, appointment_at=_at(datetime.date(2018, 5, 1)))

    assert [d.patient_id for d in retention.due_for_erasure(today=TODAY).due] == [patient.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [("--today=2026-13-01",), ("--dry-run", "extra"), ("--unknown",), ("--today=",)],
    ids=["bad date", "positional", "unknown option", "empty date"],
)
def test_bad_arguments_are_refused_and_change_nothing(args):
    patient = make_patient()
    make_intake(patient, appointment_at=_at(datetime.date(2010, 1, 1)))
    before = _snapshot()

    with pytest.raises(CommandError):
        call_command("apply_retention", *args, stdout=io.StringIO())

    assert _snapshot() == before


def test_every_model_that_points_at_a_patient_or_intake_has_an_erasure_decision():
    pointing = {
        model
        for model in apps.get_app_config("screening").get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.ForeignKey | models.OneToOneField)
        and field.related_model in (Patient, Intake)
    }
    undecided = pointing - set(retention.ERASURE_COVERS) - {AuditEvent}
    assert not undecided, (
        f"decide what retention erases in: {sorted(m.__name__ for m in undecided)}"
    )


def test_the_clinic_admin_sets_the_retention_period_on_the_settings_page(client, clinic_admin):
    from tests.test_views_manage import _settings_post

    client.force_login(clinic_admin)
    page = client.get(reverse("manage:settings")).content.decode()
    assert "Keep records for (years after the last appointment)" in page
    assert "jurisdiction" in page

    response = _settings_post(client, retention_years="10")

    assert response.status_code == 302
    assert ClinicSettings.load().retention_years == 10
    event = AuditEvent.objects.get(action="clinic_settings.update")
    assert event.detail["changed"]["retention_years"] == {"from": 8, "to": 10}
    assert _settings_post(client, retention_years="0").status_code == 200  # refused, explained
    assert ClinicSettings.load().retention_years == 10


def test_pages_that_list_an_erased_intake_still_work(client, practitioner, old_and_recent):
    _old, intake, _recent = old_and_recent
    _run()
    client.force_login(practitioner)

    queue = client.get(reverse("review:queue"), {"day": "2017-06-01", "status": "all"})
    board = client.get(reverse("desk:board"), {"day": "2017-06-01"})

    assert queue.status_code == 200 and board.status_code == 200
    assert f"Erased patient #{intake.patient_id}".encode() in queue.content
    assert b"Jamie" not in queue.content and b"Jamie" not in board.content


def test_the_audit_page_tells_the_erasure_in_words(client, clinic_admin, old_and_recent):
    old, _intake, _recent = old_and_recent
    _run()
    client.force_login(clinic_admin)

    page = client.get(reverse("manage:audit"), {"action": "retention.erase"}).content.decode()

    assert "Erased a patient&#x27;s record" in page or "Erased a patient's record" in page
    assert "Retention (manage.py apply_retention)" in page
    assert f"Patient #{old.pk}" in page
    assert "Jamie" not in page


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the audit table's triggers exist on PostgreSQL only",
)
def test_on_postgresql_the_audit_rows_stay_guarded_after_erasure(old_and_recent):
    _run()

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE screening_auditevent SET action = 'x'")
    assert audit.verify_chain().ok


def test_only_the_retention_service_goes_past_the_frozen_consent_guard():
    root = Path(__file__).resolve().parent.parent / "screening"
    bypassing = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "models.QuerySet.update(" in path.read_text(encoding="utf-8")
        or "models.QuerySet.delete(" in path.read_text(encoding="utf-8")
    )

    assert bypassing == ["services/retention.py"]
