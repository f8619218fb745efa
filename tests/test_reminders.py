"""``manage.py send_reminders``: one reminder before the appointment, never twice, never to a
patient answering right now, never late, and again for a moved appointment."""

import datetime
import io
import re

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from screening import sms
from screening.models import AuditEvent, ClinicSettings, Intake, IntakeLink, InvitationMessage
from tests.conftest import make_intake, make_link, make_patient

# The command runs outside any transaction, as cron runs it: each message goes when its
# records commit, and the summary counts what happened.
pytestmark = pytest.mark.django_db(transaction=True)

H = datetime.timedelta(hours=1)
LINK = re.compile(r"https://clinic\.example\.org(/i/[A-Za-z0-9_\-]+/)")


@pytest.fixture(autouse=True)
def _messaging(settings):
    settings.SITE_URL = "https://clinic.example.org"
    settings.SMS_BACKEND = "screening.sms.LocmemBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def appointment():
    """An appointment the day after tomorrow at 10:00, clinic time."""
    day = timezone.localdate() + datetime.timedelta(days=2)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))


def invited(appointment, *, channels=("email",), sent_at=None, status="sent", **patient):
    """A draft intake whose invitation went by ``channels`` three days before."""
    values = {"full_name": "Kim Patel", "email": "kim@example.org", "phone": "07700 900123"}
    values.update(patient)
    intake = make_intake(make_patient(**values), appointment_at=appointment)
    issued = make_link(intake)
    for channel in channels:
        InvitationMessage.objects.create(
            intake=intake,
            link=issued.link,
            kind="invitation",
            channel=channel,
            status=status,
            appointment_at=appointment,
            created_at=sent_at or appointment - 72 * H,
        )
    return intake


def run(now) -> str:
    out = io.StringIO()
    call_command("send_reminders", "--now", now.isoformat(), stdout=out)
    return out.getvalue().strip()


def reminders(intake=None):
    found = InvitationMessage.objects.filter(kind="reminder")
    return found.filter(intake=intake) if intake else found


def test_run_twice_with_the_clock_moved_sends_one_reminder(appointment):
    intake = invited(appointment)

    assert run(appointment - 30 * H).startswith("Reminders: 0 sent")
    assert run(appointment - 23 * H).startswith("Reminders: 1 sent, 0 failed")
    assert run(appointment - 22 * H).startswith("Reminders: 0 sent")
    assert run(appointment - 1 * H).startswith("Reminders: 0 sent")

    [reminder] = reminders(intake)
    assert (reminder.channel, reminder.status, reminder.appointment_at) == (
        "email",
        "sent",
        appointment,
    )
    [message] = mail.outbox
    assert message.to == ["kim@example.org"]
    assert message.subject.startswith("Reminder: your health questionnaire")
    local = timezone.localtime(appointment)
    assert f"{local:%A} {local.day} {local:%B}" in message.body and "10:00" in message.body
    assert AuditEvent.objects.filter(action="reminder.send", intake=intake).count() == 1
    assert AuditEvent.objects.get(action="reminder.send").actor_role == "system"


def test_the_reminder_carries_a_new_link_that_works(appointment):
    intake = invited(appointment)
    old = IntakeLink.objects.get(intake=intake)

    run(appointment - 23 * H)

    path = LINK.search(mail.outbox[0].body).group(1)
    assert Client().get(path).status_code == 302
    old.refresh_from_db()
    assert old.revoked_at is not None
    assert reminders(intake).get().link.revoked_at is None


def test_a_moved_appointment_moves_the_reminder(appointment):
    intake = invited(appointment)
    run(appointment - 23 * H)
    later = appointment + 48 * H
    Intake.objects.filter(pk=intake.pk).update(appointment_at=later)

    assert run(later - 30 * H).startswith("Reminders: 0 sent")
    assert run(later - 23 * H).startswith("Reminders: 1 sent")
    assert run(later - 22 * H).startswith("Reminders: 0 sent")

    assert sorted(reminders(intake).values_list("appointment_at", flat=True)) == [
        appointment,
        later,
    ]
    local = timezone.localtime(later)
    assert f"{local:%A} {local.day} {local:%B}" in mail.outbox[1].body


def test_an_appointment_moved_before_its_reminder_is_reminded_once_at_the_new_time(appointment):
    intake = invited(appointment)
    later = appointment + 48 * H
    Intake.objects.filter(pk=intake.pk).update(appointment_at=later)

    assert run(appointment - 23 * H).startswith("Reminders: 0 sent")
    assert run(later - 23 * H).startswith("Reminders: 1 sent")
    assert reminders(intake).get().appointment_at == later


def test_a_patient_answering_now_is_reminded_later_if_still_needed(appointment):
    intake = invited(appointment)
    now = appointment - 23 * H
    Intake.objects.filter(pk=intake.pk).update(
        patient_active_at=now - datetime.timedelta(minutes=5)
    )

    assert "1 waiting (patient answering now)" in run(now)
    assert not reminders(intake).exists()
    assert run(now + datetime.timedelta(minutes=15)).startswith("Reminders: 1 sent")


def test_no_late_reminder_after_the_appointment(appointment):
    intake = invited(appointment)
    Intake.objects.filter(pk=intake.pk).update(patient_active_at=appointment - 5 * H)
    # Active until just before the appointment, then gone: no run before it could send.
    Intake.objects.filter(pk=intake.pk).update(
        patient_active_at=appointment - datetime.timedelta(minutes=10)
    )

    assert run(appointment - datetime.timedelta(minutes=1)).startswith(
        "Reminders: 0 sent, 0 failed, 1 waiting"
    )
    assert run(appointment + datetime.timedelta(minutes=14)).startswith("Reminders: 0 sent")
    assert not reminders().exists()


@pytest.mark.parametrize(
    "change",
    [
        {"status": Intake.Status.SUBMITTED},
        {"status": Intake.Status.CANCELLED},
        {"submitted_at": "now"},
    ],
)
def test_no_reminder_once_sent_or_cancelled(appointment, change):
    intake = invited(appointment)
    if change.get("submitted_at") == "now":
        change = {"submitted_at": timezone.now()}
    Intake.objects.filter(pk=intake.pk).update(**change)

    assert run(appointment - 23 * H).startswith("Reminders: 0 sent")
    assert mail.outbox == []


def test_no_reminder_without_an_invitation_by_message(appointment):
    intake = make_intake(
        make_patient(full_name="Paper Only", email="p@example.org"), appointment_at=appointment
    )
    make_link(intake)  # printed on the handout: a reminder would replace it

    assert run(appointment - 23 * H).startswith("Reminders: 0 sent")


def test_an_invitation_sent_inside_the_window_is_the_reminder(appointment):
    intake = invited(appointment, sent_at=appointment - 5 * H)

    assert run(appointment - 4 * H).startswith("Reminders: 0 sent")
    assert not reminders(intake).exists()


def test_a_failed_invitation_channel_is_not_reminded(appointment):
    invited(appointment, status="failed")

    assert run(appointment - 23 * H).startswith("Reminders: 0 sent")


def test_reminders_go_by_every_channel_the_invitation_reached(appointment):
    intake = invited(appointment, channels=("email", "sms"))

    assert run(appointment - 23 * H).startswith("Reminders: 2 sent")

    assert set(reminders(intake).values_list("channel", flat=True)) == {"email", "sms"}
    [text] = sms.outbox
    assert text["to"] == "+447700900123"
    assert LINK.search(text["body"]).group(1) == LINK.search(mail.outbox[0].body).group(1)


def test_a_removed_contact_detail_is_counted_not_sent(appointment):
    intake = invited(appointment)
    intake.patient.email = ""
    intake.patient.save()

    assert "1 without usable contact details" in run(appointment - 23 * H)


def test_the_hours_before_are_the_clinics_setting(appointment):
    ClinicSettings.objects.update_or_create(pk=1, defaults={"reminder_hours_before": 6})
    invited(appointment)

    assert run(appointment - 23 * H).startswith("Reminders: 0 sent")
    assert run(appointment - 6 * H).startswith("Reminders: 1 sent")


def test_the_database_refuses_a_second_reminder_for_the_same_appointment(appointment):
    intake = invited(appointment)
    values = {
        "intake": intake,
        "kind": "reminder",
        "channel": "email",
        "appointment_at": appointment,
    }
    InvitationMessage.objects.create(**values)

    with pytest.raises(IntegrityError), transaction.atomic():
        InvitationMessage.objects.create(**values)
    # Invitations are not limited.
    InvitationMessage.objects.create(**(values | {"kind": "invitation"}))
    InvitationMessage.objects.create(**(values | {"kind": "invitation"}))


def test_a_failed_reminder_is_recorded_and_counted(appointment, settings):
    settings.SMS_BACKEND = "screening.sms.DisabledBackend"
    intake = invited(appointment, channels=("sms",))

    assert run(appointment - 23 * H).startswith("Reminders: 0 sent, 1 failed")
    assert reminders(intake).get().error.startswith("Text messages are not set up")
    assert run(appointment - 22 * H).startswith("Reminders: 0 sent, 0 failed")


def test_a_message_left_sending_is_marked_failed_by_the_next_run(appointment):
    intake = invited(
        appointment, status="sending", sent_at=timezone.now() - datetime.timedelta(hours=1)
    )

    assert "1 interrupted earlier marked failed" in run(timezone.now())

    message = InvitationMessage.objects.get(intake=intake)
    assert message.status == "failed" and "interrupted" in message.error
    assert AuditEvent.objects.filter(action="message.failed", intake=intake).count() == 1


def test_the_command_needs_the_sites_address(settings):
    settings.SITE_URL = ""

    with pytest.raises(CommandError, match="DJANGO_SITE_URL"):
        call_command("send_reminders")


def test_a_bad_now_is_refused():
    with pytest.raises(CommandError, match="2026-12-03T09:00"):
        call_command("send_reminders", "--now", "tomorrow")
