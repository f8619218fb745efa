"""While the database drops connections, pages answer 503 with Retry-After and a page that says
to try again (worded for a patient or for staff), never a 400 or a traceback."""

import time
from unittest import mock

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore
from django.db import InterfaceError, OperationalError, connections
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


def _served(path: str, cookie: str) -> tuple[int, dict, str]:
    """One request through Django's real WSGI handler, on this thread: unlike the test client
    it runs the request_started/request_finished signals, which close a broken connection and
    reuse a healthy one (CONN_MAX_AGE, CONN_HEALTH_CHECKS) as a server worker does."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import RequestFactory

    environ = RequestFactory()._base_environ(PATH_INFO=path, HTTP_COOKIE=cookie)
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"], started["headers"] = int(status.split()[0]), dict(headers)

    response = WSGIHandler()(environ, start_response)
    try:
        body = b"".join(response).decode()
    finally:
        response.close()
    return started["status"], started["headers"], body


def _admin_dsn(connection) -> str:
    import psycopg

    params = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        dbname="postgres",
        user=params["USER"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        password=params["PASSWORD"] or None,
    )


def _queue_signed_in(practitioner) -> tuple[str, str]:
    """The review queue's path and a signed-in practitioner's cookie, after one request served
    (so that the next one reuses this thread's connection, as a server worker does)."""
    from django.conf import settings

    client = Client()
    client.force_login(practitioner)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    queue = reverse("review:queue")
    assert _served(queue, cookie)[0] == 200
    return queue, cookie


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_connection_killed_by_the_server_gives_503_then_the_next_request_recovers(practitioner):
    """A real outage, not a mock: the database server ends the request's own connection half
    way through (as a restart or a failover does)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("kills a PostgreSQL backend (run with DATABASE_URL=postgresql://...)")
    import psycopg

    from screening import selectors

    admin_dsn = _admin_dsn(connection)
    queue, cookie = _queue_signed_in(practitioner)
    real_day_bounds = selectors.day_bounds
    killed = []

    def kill_this_requests_connection(day):
        # The request has already read the session and the user over this connection.
        pid = connection.connection.info.backend_pid
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        killed.append(pid)
        return real_day_bounds(day)

    with mock.patch(
        "screening.views.review.selectors.day_bounds", side_effect=kill_this_requests_connection
    ):
        status, headers, body = _served(queue, cookie)

    assert killed
    assert status == 503
    assert headers["Retry-After"] == "30"
    assert "Please try again in a moment" in body
    status, _headers, body = _served(queue, cookie)
    assert status == 200, body[:500]
    assert connection.connection.info.backend_pid != killed[0]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_connection_ended_between_requests_is_replaced_before_the_next_one_uses_it(
    practitioner,
):
    """The health check of a reused connection (clinic/postgresql/base.py): the server ends the
    idle connection between two requests (a restart, an idle timeout); the next request is
    served on a new connection, not answered 503."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("ends a PostgreSQL backend (run with DATABASE_URL=postgresql://...)")
    import psycopg

    queue, cookie = _queue_signed_in(practitioner)
    pid = connection.connection.info.backend_pid
    with psycopg.connect(_admin_dsn(connection), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        # The backend is gone (and its goodbye sent) before the next request starts.
        for _ in range(100):
            if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
                break
            time.sleep(0.02)

    status, _headers, body = _served(queue, cookie)

    assert status == 200, body[:500]
    assert connection.connection.info.backend_pid != pid


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_healthy_reused_connection_is_checked_without_a_query(practitioner):
    """The check sends SELECT 1 only when the server has said something on the idle
    connection; a request on a healthy reused connection sends only its own statements."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's backend (run with DATABASE_URL=postgresql://...)")
    queue, cookie = _queue_signed_in(practitioner)
    from django.db.backends.postgresql.base import DatabaseWrapper as DjangoWrapper

    from clinic.postgresql.base import DatabaseWrapper

    assert isinstance(connections["default"], DatabaseWrapper)
    pid = connection.connection.info.backend_pid
    checked = mock.patch.object(
        DatabaseWrapper, "is_usable", autospec=True, side_effect=DatabaseWrapper.is_usable
    )
    select_1 = mock.patch.object(
        DjangoWrapper, "is_usable", autospec=True, side_effect=DjangoWrapper.is_usable
    )
    with checked as check, select_1 as query:
        assert _served(queue, cookie)[0] == 200
    assert connection.connection.info.backend_pid == pid
    assert check.call_count == 1  # the connection was checked as the request began
    assert query.call_count == 0  # without sending SELECT 1
