"""While the database drops connections, pages answer 503 with Retry-After and a page that says
to try again (worded for a patient or for staff), never a 400 or a traceback."""

from unittest import mock

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore
from django.db import InterfaceError, OperationalError
from django.test import Client
from django.urls import reverse

from tests.conftest import make_intake, open_as_patient, step_url

pytestmark = pytest.mark.django_db


def _client_that_sees_error_pages() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("fault", [OperationalError, InterfaceError])
def test_a_patient_page_answers_503_when_the_database_is_gone(fault):
    client = _client_that_sees_error_pages()
    intake = make_intake()
    open_as_patient(client, intake)

    with mock.patch(
        "screening.views.patient.access_intake_for_patient",
        side_effect=fault("server closed the connection unexpectedly"),
    ):
        response = client.get(step_url(intake, "bleeding", 2))

    text = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Please try again in a moment" in text
    assert "not with your answers" in text
    assert "Traceback" not in text and "server closed" not in text


def test_a_staff_page_answers_503_with_the_staff_wording(client, practitioner):
    client = _client_that_sees_error_pages()
    client.force_login(practitioner)

    with mock.patch(
        "screening.selectors.day_bounds", side_effect=OperationalError("connection refused")
    ):
        response = client.get(reverse("review:queue"))

    assert response.status_code == 503
    assert "The database did not answer" in response.content.decode()


def test_any_other_fault_is_still_a_500():
    client = _client_that_sees_error_pages()
    intake = make_intake()
    open_as_patient(client, intake)

    with mock.patch(
        "screening.views.patient.access_intake_for_patient", side_effect=RuntimeError("bug")
    ):
        response = client.get(step_url(intake, "bleeding", 2))

    assert response.status_code == 500
    assert "Retry-After" not in response


def _save_failing_with(cause):
    def save(self, must_create=False):
        if must_create:
            return original_save(self, must_create=True)
        if cause is None:
            raise UpdateError
        try:
            raise cause("terminating connection due to administrator command")
        except cause:
            # As Django's database session backend does: UpdateError inside the except block.
            raise UpdateError  # noqa: B904

    return save


original_save = SessionStore.save


def test_a_session_lost_with_the_connection_after_saving_is_503_not_400():
    client = _client_that_sees_error_pages()
    intake = make_intake()
    open_as_patient(client, intake)

    with mock.patch.object(SessionStore, "save", _save_failing_with(OperationalError)):
        response = client.post(
            step_url(intake, "bleeding", 1), {"action": "next", "bleeding_disorder__answer": "no"}
        )

    intake.refresh_from_db()
    assert response.status_code == 503
    # The step itself was stored before the session could not be: nothing is lost.
    assert intake.answers["bleeding_disorder"] == {"answer": False}


def test_a_session_deleted_meanwhile_is_still_a_400():
    client = _client_that_sees_error_pages()
    intake = make_intake()
    open_as_patient(client, intake)

    with mock.patch.object(SessionStore, "save", _save_failing_with(None)):
        response = client.post(
            step_url(intake, "bleeding", 1), {"action": "next", "bleeding_disorder__answer": "no"}
        )

    assert response.status_code == 400
