"""screening.session_store: Django's database sessions, the row read by a compiled query. It
loads what Django's backend loads, and refuses what it refuses."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from screening.session_store import _SESSION, SessionStore
from tests.conftest import make_intake, open_as_patient, step_url

pytestmark = pytest.mark.django_db


def _saved(data: dict) -> str:
    store = SessionStore()
    store.update(data)
    store.save()
    return store.session_key


def test_the_app_uses_it():
    assert settings.SESSION_ENGINE == "screening.session_store"


def test_a_session_loads_as_djangos_backend_loads_it_in_one_statement():
    key = _saved({"patient": {"link": 7, "verified": True}, "n": 3})

    store = SessionStore(key)
    with CaptureQueriesContext(connection) as queries:
        data = store.load()

    assert data == DjangoStore(key).load() == {"patient": {"link": 7, "verified": True}, "n": 3}
    assert len(queries) == 1 and "django_session" in queries[0]["sql"]
    assert store.session_key == key


def test_the_row_is_the_one_the_orm_reads():
    key = _saved({"a": 1})
    now = timezone.now()

    compiled = _SESSION.first(key=key, now=now)
    plain = Session.objects.get(session_key=key, expire_date__gt=now)

    assert (compiled.session_key, compiled.session_data, compiled.expire_date) == (
        plain.session_key,
        plain.session_data,
        plain.expire_date,
    )


def test_an_expired_session_loads_empty_and_forgets_its_key():
    key = _saved({"a": 1})
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )

    store = SessionStore(key)
    assert store.load() == {}
    assert store.session_key is None
    assert DjangoStore(key).load() == {}


def test_the_expiry_is_compared_with_the_time_of_each_read():
    key = _saved({"a": 1})
    expiry = Session.objects.get(session_key=key).expire_date

    assert _SESSION.first(key=key, now=expiry - datetime.timedelta(seconds=1)) is not None
    assert _SESSION.first(key=key, now=expiry) is None
    assert _SESSION.first(key=key, now=expiry + datetime.timedelta(days=1)) is None


def test_the_time_of_a_read_counts_in_any_time_zone():
    key = _saved({"a": 1})
    expiry = Session.objects.get(session_key=key).expire_date.astimezone(ZoneInfo("Asia/Kolkata"))

    assert _SESSION.first(key=key, now=expiry - datetime.timedelta(seconds=1)) is not None
    assert _SESSION.first(key=key, now=expiry) is None


def test_an_unknown_key_loads_empty():
    _saved({"a": 1})
    store = SessionStore("nosuchsessionkey12345")

    assert store.load() == {}
    assert store.session_key is None


@pytest.mark.parametrize(
    "cookie",
    ["x" * 200, "' OR '1'='1", "%00%27", "short", "ümlaut-session-key-ü"],
)
def test_an_odd_cookie_is_no_session_and_no_error(client, cookie):
    intake = make_intake()
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie

    response = client.get(step_url(intake, "about_you"))

    # No session for this intake: "not yours" (404), never an error.
    assert response.status_code == 404


def test_a_patient_session_still_works_end_to_end(client):
    intake = make_intake()
    open_as_patient(client, intake)

    response = client.get(step_url(intake, "about_you"))

    assert response.status_code == 200
    assert b'name="about_you' in response.content or b"wizard-step" in response.content
