"""Links after submit: a thank-you page without a session for 24 hours, then 410. Tokens of 32
random bytes; older, shorter tokens keep working until they expire."""

import datetime
import hashlib
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from screening import services
from screening.models import AuditEvent, Intake, IntakeLink
from screening.permissions import PATIENT_SESSION_KEY
from tests.conftest import complete_steps, make_intake, make_link, open_as_patient, step_url

pytestmark = pytest.mark.django_db


def _submitted_with_token(client) -> tuple[Intake, str]:
    intake = make_intake()
    token = open_as_patient(client, intake)
    complete_steps(client, intake)
    client.post(reverse("patient:review", args=[intake.public_id]), {"declaration": "on"})
    intake.refresh_from_db()
    assert intake.status == Intake.Status.SUBMITTED
    return intake, token


def _hours_after(intake: Intake, hours: float):
    """The clock moved to ``hours`` after the intake was sent."""
    return mock.patch(
        "django.utils.timezone.now",
        return_value=intake.submitted_at + datetime.timedelta(hours=hours),
    )


def _sent_hours_ago(intake: Intake, hours: float) -> None:
    sent = timezone.now() - datetime.timedelta(hours=hours)
    Intake.objects.filter(pk=intake.pk).update(submitted_at=sent)


def test_link_after_submit_shows_the_thank_you_page_for_24_hours_without_a_session(client):
    intake, token = _submitted_with_token(client)
    browser = Client()

    with _hours_after(intake, 23.5):
        response = browser.get(reverse("patient:open", args=[token]))
        step = browser.get(step_url(intake, "bleeding"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Thank you, your answers were sent to Your clinic" in page
    assert intake.patient.full_name not in page  # no date-of-birth check was made
    assert PATIENT_SESSION_KEY not in browser.session
    assert step.status_code == 404
    opened = AuditEvent.objects.filter(action="link.open", intake=intake).order_by("pk").last()
    assert opened.detail == {"after_submit": True}


def test_link_after_submit_answers_410_once_24_hours_have_passed(client):
    intake, token = _submitted_with_token(client)
    browser = Client()

    with _hours_after(intake, 24.01):
        response = browser.get(reverse("patient:open", args=[token]))

    page = response.content.decode()
    assert response.status_code == 410
    assert "This link has expired" in page
    assert "call the clinic" in page
    assert PATIENT_SESSION_KEY not in browser.session


def test_the_session_is_not_reopened_by_the_link_after_submit(client):
    intake, token = _submitted_with_token(client)
    state_before = dict(client.session[PATIENT_SESSION_KEY])
    key_before = client.session.session_key

    with _hours_after(intake, 1):
        again = client.get(reverse("patient:open", args=[token]))
        done = client.get(reverse("patient:done", args=[intake.public_id]))
    # A session kept alive for a day (each request renews it): sent 25 hours ago.
    _sent_hours_ago(intake, 25)
    later = client.get(reverse("patient:done", args=[intake.public_id]))
    reopened = client.get(reverse("patient:open", args=[token]))

    assert (
        again.status_code == 200 and "Thank you, your answers were sent" in again.content.decode()
    )
    assert client.session.session_key == key_before
    assert client.session[PATIENT_SESSION_KEY] == state_before
    assert done.status_code == 200  # the browser that sent them still sees its confirmation
    assert later.status_code == 410 and "This link has expired" in later.content.decode()
    assert reopened.status_code == 410


def test_a_tablet_session_is_not_closed_by_the_day_after_submit(client, front_desk):
    intake = make_intake()
    client.force_login(front_desk)
    client.post(reverse("desk:handover", args=[intake.public_id]))
    dob = intake.patient.date_of_birth
    client.post(
        reverse("patient:verify", args=[intake.public_id]),
        {"day": dob.day, "month": dob.month, "year": dob.year},
    )
    complete_steps(client, intake)
    client.post(reverse("patient:review", args=[intake.public_id]), {"declaration": "on"})
    intake.refresh_from_db()

    _sent_hours_ago(intake, 30)
    done = client.get(reverse("patient:done", args=[intake.public_id]))

    assert done.status_code == 200


def test_new_tokens_carry_at_least_32_random_bytes(front_desk):
    intake = make_intake()

    tokens = {services.link_issue(actor=front_desk, intake=intake).token for _ in range(3)}

    assert len(tokens) == 3
    assert all(len(token) >= 43 for token in tokens)  # base64 of 32 bytes


def test_an_older_shorter_token_keeps_working_until_it_expires(client):
    intake = make_intake()
    old_token = "A" * 32  # the 24-byte tokens made before were 32 characters long
    IntakeLink.objects.create(
        intake=intake,
        token_hash=hashlib.sha256(old_token.encode()).hexdigest(),
        expires_at=timezone.now() + datetime.timedelta(days=2),
    )

    works = client.get(reverse("patient:open", args=[old_token]))
    with mock.patch(
        "django.utils.timezone.now", return_value=timezone.now() + datetime.timedelta(days=3)
    ):
        expired = Client().get(reverse("patient:open", args=[old_token]))

    assert works.status_code == 302
    assert expired.status_code == 410


def test_an_unopened_link_past_its_lifetime_still_says_expired(client):
    intake = make_intake()
    issued = make_link(intake, expires_at=timezone.now() - datetime.timedelta(minutes=1))

    response = client.get(reverse("patient:open", args=[issued.token]))

    assert response.status_code == 410
    assert "questionnaire links only work for a limited time" in response.content.decode()
