"""Where the patient's questionnaire stands, from recorded events: on the board and the intake
page, and as ``link_status`` words."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from screening.engine import questionnaire
from screening.link_status import (
    TOTAL_STEPS,
    current_step,
    link_status,
    status_for,
    with_link_status,
)
from screening.models import Intake, IntakeLink, InvitationMessage
from tests.conftest import make_intake, make_link, make_patient

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2026, 12, 3, 11, 0))
MIN = datetime.timedelta(minutes=1)


def draft():
    return make_intake(make_patient(), appointment_at=NOW + 3 * 60 * MIN)


def message(intake, link, channel="email", status="sent", at=NOW - 60 * MIN, error=""):
    return InvitationMessage.objects.create(
        intake=intake,
        link=link,
        kind="invitation",
        channel=channel,
        status=status,
        error=error,
        appointment_at=intake.appointment_at,
        created_at=at,
        sent_at=at + MIN if status == "sent" else None,
    )


def status(intake):
    return status_for(Intake.objects.get(pk=intake.pk), NOW)


def test_nothing_sent_yet():
    assert status(draft()).label == "Not sent yet"


def test_a_link_made_by_hand_and_not_opened():
    intake = draft()
    link = make_link(intake).link
    IntakeLink.objects.filter(pk=link.pk).update(created_at=NOW - 30 * MIN)

    assert status(intake).label == "Link made 10:30, not opened yet"


def test_sent_by_e_mail_with_the_time():
    intake = draft()
    message(intake, make_link(intake).link, at=NOW - 106 * MIN)

    state = status(intake)
    assert (state.label, state.tone, state.problem) == ("Sent by e-mail 09:15", "info", "")


def test_sent_by_both():
    intake = draft()
    link = make_link(intake).link
    message(intake, link, "email")
    message(intake, link, "sms")

    assert status(intake).label == "Sent by e-mail and text message 10:01"


def test_sending_failed_is_red_with_the_reason():
    intake = draft()
    message(
        intake,
        make_link(intake).link,
        status="failed",
        error="The mail server refused the address.",
    )

    state = status(intake)
    assert state.label == "Sending failed: E-mail: The mail server refused the address."
    assert state.tone == "danger" and state.failed


def test_one_channel_failed_the_other_sent():
    intake = draft()
    link = make_link(intake).link
    message(intake, link, "email")
    message(intake, link, "sms", status="failed", error="The number cannot receive text messages.")

    state = status(intake)
    assert state.label == "Sent by e-mail 10:01"
    assert state.problem == "Sending failed: Text message: The number cannot receive text messages."


def test_a_message_whose_link_was_replaced_no_longer_counts():
    intake = draft()
    message(intake, make_link(intake).link, status="failed", error="Refused.")
    link = make_link(intake).link
    IntakeLink.objects.filter(pk=link.pk).update(created_at=NOW - 5 * MIN)

    assert status(intake).label == "Link made 10:55, not opened yet"


def test_a_message_stuck_sending_shows_as_interrupted():
    intake = draft()
    message(intake, make_link(intake).link, status="sending", at=NOW - 30 * MIN)

    assert status(intake).label == "Sending failed: E-mail: sending was interrupted"


def test_opened_after_the_message():
    intake = draft()
    link = make_link(intake).link
    message(intake, link, at=NOW - 60 * MIN)
    IntakeLink.objects.filter(pk=link.pk).update(first_used_at=NOW - 40 * MIN)

    assert status(intake).label == "Opened 10:20"


def test_answering_shows_the_step_as_the_patient_sees_it_and_when_active():
    intake = draft()
    Intake.objects.filter(pk=intake.pk).update(
        completed_steps=["welcome", "about_you/1", "about_you/2", "about_you/3", "about_you"],
        patient_active_at=NOW - 2 * MIN,
    )

    state = status(intake)
    assert state.label == f"Answering: step 3 of {TOTAL_STEPS}, active 2 min ago"
    assert state.tone == "progress"


def test_answering_long_ago_says_when():
    intake = draft()
    Intake.objects.filter(pk=intake.pk).update(
        completed_steps=["welcome"], patient_active_at=NOW - 150 * MIN
    )

    assert status(intake).label == f"Answering: step 2 of {TOTAL_STEPS}, last active 08:30"


def test_sent_to_the_clinic():
    intake = draft()
    Intake.objects.filter(pk=intake.pk).update(
        status=Intake.Status.SUBMITTED, submitted_at=NOW - 19 * MIN, completed_steps=["welcome"]
    )

    assert status(intake).label == "Sent to the clinic 10:41"


def test_another_day_shows_the_date():
    intake = draft()
    Intake.objects.filter(pk=intake.pk).update(
        status=Intake.Status.SUBMITTED, submitted_at=NOW - 26 * 60 * MIN
    )

    assert status(intake).label == "Sent to the clinic 2 Dec 09:00"


def test_current_step_counts_the_first_step_not_done():
    assert current_step([]) == 1
    assert current_step(["welcome"]) == 2
    assert current_step(["welcome", "wishes"]) == 2
    assert current_step([section.id for section in questionnaire.SECTIONS]) == TOTAL_STEPS


def test_the_board_annotates_every_row_in_its_one_query(django_assert_num_queries):
    for _ in range(3):
        intake = draft()
        message(intake, make_link(intake).link)

    with django_assert_num_queries(1):
        rows = [link_status(i, NOW).label for i in with_link_status(Intake.objects.all())]

    assert rows == ["Sent by e-mail 10:01"] * 3


def test_the_board_no_longer_says_in_progress_before_any_link(client, front_desk):
    intake = draft()
    client.force_login(front_desk)
    day = timezone.localtime(intake.appointment_at).date().isoformat()

    board = client.get(reverse("desk:board") + f"?day={day}").content.decode()
    page = client.get(reverse("desk:intake", args=[intake.public_id])).content.decode()

    assert "Not sent yet" in board and "In progress" not in board
    assert "Send the link or hand over the tablet" in board
    assert "Not sent yet" in page and "In progress" not in page
