"""Documents prepared ahead: a cleared intake's consent form and aftercare sheet are rendered
by a background task and stored under a key of everything they depend on; printing serves
the stored bytes and renders only on a miss."""

from unittest import mock

import pytest
from django.test import override_settings
from django.urls import reverse

from screening import documents, services, tasks
from screening.models import ClinicSettings, RenderedDocument
from screening.services import prepared
from tests.test_documents import clear_intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def renders():
    """Counts real renders (each still runs WeasyPrint)."""
    with mock.patch.object(prepared, "_render", wraps=prepared._render) as spy:
        yield spy


def test_clearing_an_intake_prepares_both_documents_after_the_commit(
    practitioner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        intake = clear_intake(practitioner)

    stored = {row.kind: row for row in RenderedDocument.objects.filter(intake=intake)}
    assert set(stored) == {"consent", "aftercare"}
    assert bytes(stored["consent"].pdf).startswith(b"%PDF")
    assert stored["consent"].key == prepared.document_key(intake, "consent")


def test_printing_a_prepared_intake_serves_the_stored_bytes_without_rendering(
    client, practitioner, front_desk, renders
):
    intake = clear_intake(practitioner)
    prepared.documents_prepare(intake_id=intake.pk)
    stored = bytes(RenderedDocument.objects.get(intake=intake, kind="consent").pdf)
    renders.reset_mock()
    client.force_login(front_desk)

    first = client.get(reverse("desk:consent_pdf", args=[intake.public_id]))
    second = client.get(reverse("desk:consent_pdf", args=[intake.public_id]))

    assert first.content == stored == second.content
    assert renders.call_count == 0


@pytest.mark.parametrize("change", ["reopen", "cancel"])
def test_a_prepared_document_is_not_printed_once_the_intake_changed_so(
    client, practitioner, front_desk, change
):
    intake = clear_intake(practitioner)
    prepared.documents_prepare(intake_id=intake.pk)
    intake.refresh_from_db()
    if change == "reopen":
        services.review_reopen(
            actor=practitioner,
            intake=intake,
            reason="The plan changes.",
            expected_version=intake.version,
        )
    else:
        services.intake_cancel(
            actor=front_desk,
            intake=intake,
            reason="Rang to cancel.",
            expected_version=intake.version,
        )
    client.force_login(front_desk)

    response = client.get(reverse("desk:consent_pdf", args=[intake.public_id]))

    assert response.status_code != 200
    assert response["Content-Type"].startswith("text/html")
    # The stored rendering is still there; it is simply not the intake's current one.
    assert RenderedDocument.objects.filter(intake=intake, kind="consent").exists()


def test_a_prepared_print_reads_neither_the_screening_nor_the_resolutions(
    client, practitioner, front_desk
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    intake = clear_intake(practitioner)
    prepared.documents_prepare(intake_id=intake.pk)
    client.force_login(front_desk)
    client.get(reverse("desk:consent_pdf", args=[intake.public_id]))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("desk:consent_pdf", args=[intake.public_id]))

    assert response.status_code == 200
    tables = " ".join(q["sql"] for q in queries.captured_queries)
    assert "screening_screeningresult" not in tables
    assert "screening_flagresolution" not in tables


def test_a_miss_renders_once_and_stores(client, practitioner, front_desk, renders):
    intake = clear_intake(practitioner)
    client.force_login(front_desk)

    client.get(reverse("desk:aftercare_pdf", args=[intake.public_id]))
    client.get(reverse("desk:aftercare_pdf", args=[intake.public_id]))

    assert renders.call_count == 1
    assert RenderedDocument.objects.filter(intake=intake, kind="aftercare").count() == 1


def test_running_the_task_twice_stores_one_document_of_each_kind(practitioner, renders):
    intake = clear_intake(practitioner)

    first = prepared.documents_prepare(intake_id=intake.pk)
    second = prepared.documents_prepare(intake_id=intake.pk)

    assert first == {"consent": "stored", "aftercare": "stored"}
    assert second == {"consent": "ready", "aftercare": "ready"}
    assert renders.call_count == 2
    assert RenderedDocument.objects.filter(intake=intake).count() == 2


def test_an_intake_that_cannot_be_printed_is_not_prepared(practitioner):
    from tests.factories import make_submitted_intake

    intake = make_submitted_intake()

    assert prepared.documents_prepare(intake_id=intake.pk) == {
        "consent": "not printable",
        "aftercare": "not printable",
    }
    assert not RenderedDocument.objects.exists()


def _keys(intake):
    intake.refresh_from_db()
    return {kind: prepared.document_key(intake, kind) for kind in prepared.KINDS}


def test_a_clinic_detail_change_makes_new_documents(practitioner, clinic_admin):
    intake = clear_intake(practitioner)
    before = _keys(intake)
    clinic = ClinicSettings.load()

    services.clinic_settings_update(
        actor=clinic_admin, changes={"phone": "01632 960 000"}, expected_version=clinic.version
    )

    after = _keys(intake)
    assert before["consent"] != after["consent"] and before["aftercare"] != after["aftercare"]


def test_a_new_plan_makes_new_documents(practitioner):
    from tests.factories import resolve_and_clear, set_plan

    intake = clear_intake(practitioner)
    before = _keys(intake)
    services.review_reopen(
        actor=practitioner, intake=intake, reason="Plan changes.", expected_version=intake.version
    )
    set_plan(intake, practitioner, ["manual_static"], ["thigh_left"])
    resolve_and_clear(intake, practitioner)

    assert _keys(intake)["consent"] != before["consent"]


def test_new_consent_text_makes_new_documents(practitioner, monkeypatch):
    intake = clear_intake(practitioner)
    before = _keys(intake)

    monkeypatch.setattr(documents, "CONSENT_TEXT_VERSION", "consent-2099.01-1")

    assert _keys(intake)["consent"] != before["consent"]


def test_an_unchanged_intake_keeps_its_key(practitioner):
    intake = clear_intake(practitioner)

    assert _keys(intake) == _keys(intake)


def test_a_failed_render_is_recorded_shown_on_the_documents_page_and_printing_retries(
    client, practitioner, front_desk
):
    intake = clear_intake(practitioner)
    with mock.patch.object(
        prepared, "_render", side_effect=documents.DocumentError("a font is missing")
    ):
        outcome = prepared.documents_prepare(intake_id=intake.pk)
        prepared.documents_prepare(intake_id=intake.pk)

    assert outcome == {"consent": "failed", "aftercare": "failed"}
    row = RenderedDocument.objects.get(intake=intake, kind="consent")
    assert row.pdf is None and row.attempts == 2 and "font" in row.error
    client.force_login(front_desk)
    page = client.get(reverse("desk:documents", args=[intake.public_id])).content.decode()
    assert "could not be prepared in advance (2 tries)" in page
    printed = client.get(reverse("desk:consent_pdf", args=[intake.public_id]))
    assert printed.content.startswith(b"%PDF")
    page = client.get(reverse("desk:documents", args=[intake.public_id])).content.decode()
    assert 'id="preparation-failed-consent"' not in page  # printed since: stored now
    assert 'id="preparation-failed-aftercare"' in page


def test_a_print_whose_render_fails_says_why_and_is_not_a_500(client, practitioner, front_desk):
    intake = clear_intake(practitioner)
    client.force_login(front_desk)

    with mock.patch.object(
        prepared, "_render", side_effect=documents.DocumentError("a font is missing")
    ):
        response = client.get(reverse("desk:consent_pdf", args=[intake.public_id]))

    assert response.status_code == 409
    assert "could not be produced just now" in response.content.decode()


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
def test_with_the_database_backend_a_failed_render_is_queued_again_later(practitioner):
    from django_tasks_db.models import DBTaskResult

    intake = clear_intake(practitioner)
    with mock.patch.object(
        prepared, "_render", side_effect=documents.DocumentError("a font is missing")
    ):
        tasks.prepare_documents.call(intake.pk)

    retry = DBTaskResult.objects.get()
    assert retry.args_kwargs["args"] == [intake.pk]
    assert retry.run_after is not None


@pytest.mark.django_db(transaction=True)  # the worker closes its connections between tasks
@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
def test_the_worker_command_prepares_queued_documents(practitioner):
    from django.core.management import call_command

    intake = clear_intake(practitioner)
    tasks.enqueue_prepare_documents(intake.pk)
    assert not RenderedDocument.objects.exists()

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    assert RenderedDocument.objects.filter(intake=intake, pdf__isnull=False).count() == 2
