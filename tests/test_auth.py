"""Sign-in, lockout by username, idle timeout, and the authentication audit events."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from screening.models import AuditEvent
from screening.permissions import Role
from tests.conftest import PASSWORD, make_user


def _login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


@pytest.mark.django_db
def test_login_lands_on_home_and_is_audited(client, front_desk):
    response = _login(client, "desk1", PASSWORD)

    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.login", actor=front_desk).count() == 1


@pytest.mark.django_db
def test_failed_login_is_audited_without_password(client, front_desk):
    _login(client, "desk1", "wrong-password")

    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.detail == {"username": "desk1"}
    assert "wrong-password" not in str(event.detail)


@pytest.mark.django_db
def test_logout_is_post_only_and_audited(client, front_desk):
    client.force_login(front_desk)

    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.logout", actor=front_desk).exists()


def _login_from(client, address, username, password):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


@pytest.mark.django_db
def test_repeated_failures_lock_that_username_from_that_address_only(client):
    make_user(Role.FRONT_DESK, "desk1")
    make_user(Role.PRACTITIONER, "prac1")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login_from(client, "10.0.0.1", "desk1", "wrong-password")

    locked = _login_from(client, "10.0.0.1", "desk1", PASSWORD)
    colleague = _login_from(client, "10.0.0.1", "prac1", PASSWORD)  # same address
    elsewhere = _login_from(client, "10.0.0.2", "desk1", PASSWORD)  # same user, other address

    assert locked.status_code == 429
    assert b"temporarily locked" in locked.content
    assert colleague.status_code == 302
    assert elsewhere.status_code == 302


@pytest.mark.django_db
def test_a_stranger_cannot_lock_a_real_user_out(client):
    make_user(Role.PRACTITIONER, "prac1")
    for _ in range(settings.AXES_FAILURE_LIMIT * 2):
        _login_from(client, "203.0.113.9", "prac1", "guess-guess-guess")

    assert _login_from(client, "198.51.100.4", "prac1", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_failures_across_usernames_lock_the_address(client):
    make_user(Role.PRACTITIONER, "prac1")
    limit = settings.SIGN_IN_ADDRESS_FAILURE_LIMIT
    names = [f"guess{n}" for n in range(limit)]  # never 5 on one name: only the address counts
    statuses = [
        _login_from(client, "203.0.113.9", name, "password1234").status_code for name in names
    ]

    sprayer = _login_from(client, "203.0.113.9", "prac1", PASSWORD)
    clinic = _login_from(client, "198.51.100.4", "prac1", PASSWORD)

    assert statuses[: limit - 1] == [200] * (limit - 1)
    assert statuses[-1] == 429  # the failure that reaches the limit already answers "locked"
    assert sprayer.status_code == 429
    assert clinic.status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("length", [151, 256, 5000])
def test_an_overlong_username_is_an_ordinary_failed_sign_in(client, length):
    response = _login(client, "x" * length, "password-password")

    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


@pytest.mark.django_db
def test_the_proxy_header_counts_only_behind_the_proxy(client, settings):
    make_user(Role.FRONT_DESK, "desk1")
    settings.BEHIND_PROXY = False
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("accounts:login"),
            {"username": "desk1", "password": "wrong-password"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )

    # Not behind a proxy: the forged header is ignored, the lock is on the real address.
    assert _login_from(client, "10.0.0.1", "desk1", PASSWORD).status_code == 429
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    behind = client.post(
        reverse("accounts:login"),
        {"username": "desk1", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="spoofed, 198.51.100.4",
    )
    assert behind.status_code == 302  # the proxy's last entry is another client


@pytest.mark.django_db
def test_fewer_failures_than_the_limit_do_not_lock(client, front_desk):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "desk1", "wrong-password")

    assert _login(client, "desk1", PASSWORD).status_code == 302


def test_staff_sessions_expire_after_idle_time():
    assert settings.SESSION_SAVE_EVERY_REQUEST is False  # refreshed at most every few minutes
    assert 0 < settings.SESSION_REFRESH_SECONDS < settings.SESSION_COOKIE_AGE
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_MINUTES * 60 == 30 * 60


@pytest.mark.django_db
def test_idle_session_is_signed_out(client, front_desk, settings):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client.force_login(front_desk)
    assert client.get(reverse("desk:board")).status_code == 200
    key = client.session.session_key
    # Age the stored session past the idle limit, as if nobody had clicked for 31 minutes.
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )

    response = client.get(reverse("desk:board"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_login_page_is_styled_and_labelled(client):
    response = client.get(reverse("accounts:login"))

    html = response.content.decode()
    assert "bootstrap.min.css" in html
    labels = re.findall(r'<label\s+for="(id_\w+)"', html)
    assert {"id_username", "id_password"} <= set(labels)
    assert "Skip to main content" in html


# ---------------------------------------------------------------------------------------------
# Session lifetimes


@pytest.mark.django_db
@pytest.mark.parametrize(("hours", "status"), [(11, 200), (13, 302)])
def test_a_staff_session_ends_twelve_hours_after_sign_in_however_active(
    client, front_desk, hours, status
):
    import time

    from screening.middleware import SIGNED_IN_AT_SESSION_KEY

    client.force_login(front_desk)
    session = client.session
    session[SIGNED_IN_AT_SESSION_KEY] = int(time.time()) - hours * 3600
    session.save()

    response = client.get(reverse("desk:board"))

    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("accounts:login"))
        assert client.get(reverse("desk:board")).status_code == 302  # signed out, not only sent


@pytest.mark.django_db
def test_staff_sign_in_on_a_tablet_drops_the_patient_session_and_its_lifetime(client):
    from screening.permissions import PATIENT_SESSION_KEY
    from tests.conftest import make_intake, open_as_patient

    make_user(Role.FRONT_DESK, "desk1")
    open_as_patient(client, make_intake())
    assert client.session.get_expiry_age() == settings.PATIENT_SESSION_IDLE_MINUTES * 60

    response = _login(client, "desk1", PASSWORD)

    assert response.status_code == 302
    assert PATIENT_SESSION_KEY not in client.session
    assert client.session.get_expiry_age() == settings.SESSION_IDLE_MINUTES * 60


@pytest.mark.django_db
def test_confirming_the_date_of_birth_gives_the_patient_a_new_session_key(client):
    from tests.conftest import dob_data, make_intake, make_link

    intake = make_intake()
    client.get(reverse("patient:open", args=[make_link(intake).token]))
    before = client.session.session_key

    client.post(
        reverse("patient:verify", args=[intake.public_id]), dob_data(intake.patient.date_of_birth)
    )

    assert client.session.session_key != before
    old = Client()
    old.cookies[settings.SESSION_COOKIE_NAME] = before
    assert old.get(reverse("patient:review", args=[intake.public_id])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("127.0.0.1", "198.51.100.4", "198.51.100.4"),  # from the proxy: its last entry
        ("127.0.0.1", "spoofed, 198.51.100.4", "198.51.100.4"),
        ("127.0.0.1", "unknown", "127.0.0.1"),  # not an address: the proxy's own
        ("127.0.0.1", "1.2.3.4:5678", "127.0.0.1"),
        ("203.0.113.9", "198.51.100.4", "203.0.113.9"),  # not from the proxy: header ignored
    ],
)
def test_client_address_behind_the_proxy(settings, rf, remote, forwarded, expected):
    from screening.middleware import client_address

    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = ["127.0.0.1", "::1"]
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    assert client_address(request) == expected


@pytest.mark.django_db
def test_a_garbage_forwarded_address_is_an_ordinary_failed_sign_in(client, settings):
    settings.BEHIND_PROXY = True
    make_user(Role.FRONT_DESK, "desk1")

    response = client.post(
        reverse("accounts:login"),
        {"username": "desk1", "password": "wrong-password"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="unknown",
    )

    assert response.status_code == 200


@pytest.mark.django_db
def test_an_address_lock_is_explained_and_lifted_from_the_staff_page(client, settings):
    admin = make_user(Role.CLINIC_ADMIN, "boss")
    for n in range(settings.SIGN_IN_ADDRESS_FAILURE_LIMIT):
        _login_from(client, "198.51.100.4", f"guess{n}", "password1234")
    locked = _login_from(client, "198.51.100.4", "boss", PASSWORD)
    admin_client = Client()
    admin_client.force_login(admin)

    listing = admin_client.get(reverse("manage:staff")).content.decode()
    admin_client.post(reverse("manage:staff_unlock_address"), {"address": "198.51.100.4"})

    assert b"Sign-in from this network is temporarily locked" in locked.content
    assert "Lift the lock on 198.51.100.4" in listing
    assert _login_from(client, "198.51.100.4", "boss", PASSWORD).status_code == 302
    event = AuditEvent.objects.get(action="staff.unlock_address")
    assert event.detail == {"address": "198.51.100.4", "lifted": 20}


@pytest.mark.django_db
def test_failures_from_two_browsers_add_up_and_show_as_locked(client, settings):
    from screening.signin import locked_usernames

    make_user(Role.FRONT_DESK, "desk1")
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("accounts:login"),
            {"username": "desk1", "password": "nope-nope"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_USER_AGENT=f"browser {n % 2}",
        )

    assert _login_from(client, "10.0.0.1", "desk1", PASSWORD).status_code == 429
    assert locked_usernames() == {"desk1"}
