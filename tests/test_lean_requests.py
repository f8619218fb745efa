"""Lean requests: the session's idle clock is refreshed every few minutes rather than written on
every click, and the clinic settings are read once per request."""

import re
import time
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import make_intake, open_as_patient, step_url

pytestmark = pytest.mark.django_db


def _session_writes(queries) -> int:
    return sum(
        1
        for q in queries
        if "django_session" in q["sql"]
        and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    )


def test_a_second_click_within_the_interval_does_not_rewrite_the_session(client, front_desk):
    client.force_login(front_desk)
    client.get(reverse("desk:board"))  # the first request stamps the refresh time
    expiry = Session.objects.get().expire_date

    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("desk:board")).status_code == 200

    assert _session_writes(queries.captured_queries) == 0
    assert Session.objects.get().expire_date == expiry


def test_a_click_after_the_interval_restarts_the_idle_clock(client, front_desk, settings):
    client.force_login(front_desk)
    client.get(reverse("desk:board"))
    expiry = Session.objects.get().expire_date
    later = time.time() + settings.SESSION_REFRESH_SECONDS + 1

    with (
        mock.patch("screening.middleware.time.time", return_value=later),
        CaptureQueriesContext(connection) as queries,
    ):
        client.get(reverse("desk:board"))

    assert _session_writes(queries.captured_queries) == 1
    assert Session.objects.get().expire_date > expiry


def test_a_patient_step_reads_the_clinic_settings_once(client):
    intake = make_intake()
    open_as_patient(client, intake)

    with CaptureQueriesContext(connection) as queries:
        assert client.get(step_url(intake, "bleeding", 1)).status_code == 200

    reads = [
        q
        for q in queries.captured_queries
        if re.search(r'FROM "?screening_clinicsettings', q["sql"])
    ]
    assert len(reads) == 1


def test_settings_changed_in_a_request_are_seen_by_the_next(client, clinic_admin):
    from screening.models import ClinicSettings

    client.force_login(clinic_admin)
    client.get(reverse("manage:settings"))
    ClinicSettings.objects.filter(pk=1).update(phone="01632 960 999")

    page = client.get(reverse("manage:settings")).content.decode()

    assert "01632 960 999" in page


def _step_sql(client, intake, method="get", data=None):
    url = step_url(intake, "bleeding", 1)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url) if method == "get" else client.post(url, data)
    assert response.status_code == (200 if method == "get" else 302)
    return [q["sql"] for q in queries.captured_queries]


def _step_queries(client, intake, method="get", data=None):
    return [sql.split()[0].upper() for sql in _step_sql(client, intake, method, data)]


def test_a_step_get_is_two_statements_however_far_the_patient_has_come(client):
    from tests.conftest import complete_steps

    fresh = make_intake()
    open_as_patient(client, fresh)
    client.get(step_url(fresh, "bleeding", 1))
    first = _step_queries(client, fresh)

    done = make_intake()
    open_as_patient(client, done)
    complete_steps(client, done)
    client.get(step_url(done, "bleeding", 1))
    later = _step_queries(client, done)

    # The session; the link with its intake, its patient and the clinic settings' time of
    # change (this process's copy of the settings is current, so they are not read again).
    assert first == later == ["SELECT", "SELECT"]


# Transactional: inside a test's own transaction the step's transaction would be a savepoint.
@pytest.mark.django_db(transaction=True)
def test_a_step_post_is_seven_statements_on_sqlite_however_far_the_patient_has_come(client):
    from tests.conftest import complete_steps, make_step_data

    answers = make_step_data("bleeding")
    fresh = make_intake()
    open_as_patient(client, fresh)
    client.post(step_url(fresh, "bleeding", 1), answers)
    first = _step_queries(client, fresh, "post", answers)

    done = make_intake()
    open_as_patient(client, done)
    complete_steps(client, done)
    client.post(step_url(done, "bleeding", 1), answers)
    later = _step_queries(client, done, "post", answers)

    assert first == later
    # The session; then in one transaction: the link with its intake (locked: SQLite's
    # IMMEDIATE transaction, PostgreSQL's SELECT ... FOR UPDATE) and patient, the page's
    # answers, the audit chain's head and the new audit event. On PostgreSQL the head comes
    # from screening_audit_chain_head(), which takes the chain's advisory lock first.
    assert first == ["SELECT", "BEGIN", "SELECT", "UPDATE", "SELECT", "INSERT", "COMMIT"], first
    if connection.vendor == "postgresql":
        assert "screening_audit_chain_head" in _step_sql(client, done, "post", answers)[4]


def test_settings_changed_elsewhere_are_read_again_by_the_next_patient_page(client):
    from screening.models import ClinicSettings

    intake = make_intake()
    open_as_patient(client, intake)
    client.get(step_url(intake, "bleeding", 1))
    # Another process saves the settings (a bulk update moves updated_at as save() does).
    ClinicSettings.objects.filter(pk=1).update(name="Harbour Physio")

    with CaptureQueriesContext(connection) as queries:
        page = client.get(step_url(intake, "bleeding", 1)).content.decode()

    assert "Harbour Physio" in page
    assert len(queries.captured_queries) == 3
    with CaptureQueriesContext(connection) as queries:
        assert "Harbour Physio" in client.get(step_url(intake, "bleeding", 1)).content.decode()
    assert len(queries.captured_queries) == 2
