"""Sign-in, lockout by username, idle timeout, and the authentication audit events."""

import re

import pytest
from django.conf import settings
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


@pytest.mark.django_db
def test_repeated_failures_lock_that_username_only(client):
    make_user(Role.FRONT_DESK, "desk1")
    make_user(Role.PRACTITIONER, "prac1")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "desk1", "wrong-password")

    locked = _login(client, "desk1", PASSWORD)
    colleague = _login(client, "prac1", PASSWORD)  # same IP address, other username

    assert locked.status_code == 429
    assert b"temporarily locked" in locked.content
    assert colleague.status_code == 302


@pytest.mark.django_db
def test_fewer_failures_than_the_limit_do_not_lock(client, front_desk):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "desk1", "wrong-password")

    assert _login(client, "desk1", PASSWORD).status_code == 302


def test_staff_sessions_expire_after_idle_time():
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
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
