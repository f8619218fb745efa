"""Invitations and reminders on the background tasks (issue 20): the request (or the reminder
run) records the messages; a task issues the link and sends them, so no live link is ever
stored in the task queue, and running the task twice sends once."""

import datetime
import io
import re
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from screening import services, tasks
from screening.models import Intake, IntakeLink, InvitationMessage
from tests.conftest import make_intake, make_link, make_patient

DATABASE_TASKS = override_settings(
    TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
)
LINK = re.compile(r"https?://\S+/i/([A-Za-z0-9_\-]+)/")
BASE_URL = "https://clinic.example.org"


def draft(**patient) -> Intake:
    values = {"full_name": "Alex Morgan", "email": "alex@example.org", "phone": "07700 900123"}
    values.update(patient)
    day = timezone.localdate() + datetime.timedelta(days=2)
    at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))
    return make_intake(make_patient(**values), appointment_at=at)


def send(front_desk, intake, channels=("email",)):
    return services.invitation_send(
        actor=front_desk,
        intake=intake,
        channels=list(channels),
        email=intake.patient.email,
        mobile=intake.patient.phone,
        base_url=BASE_URL,
    )


@pytest.mark.django_db
@DATABASE_TASKS
def test_the_request_queues_ids_only_and_the_task_issues_and_sends_the_link(
    front_desk, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    intake = draft()
    old = make_link(intake)
    with django_capture_on_commit_callbacks(execute=True):
        [message] = send(front_desk, intake)

    # Queued, not sent: the old link still works and no new one exists yet.
    assert message.status == "sending" and message.link_id is None
    assert IntakeLink.objects.filter(intake=intake).count() == 1
    assert mail.outbox == []
    queued = DBTaskResult.objects.get()
    assert queued.args_kwargs["args"] == [[message.pk], BASE_URL]
    assert "/i/" not in str(queued.args_kwargs)

    tasks.send_messages.call([message.pk], BASE_URL)

    message.refresh_from_db()
    assert message.status == "sent" and message.link_id is not None
    [sent] = mail.outbox
    token = LINK.search(sent.body).group(1)
    assert IntakeLink.objects.get(pk=message.link_id).token_hash != old.link.token_hash
    old.link.refresh_from_db()
    assert old.link.revoked_at is not None
    assert f"/i/{token}/" not in str(DBTaskResult.objects.values_list("args_kwargs", flat=True))


@pytest.mark.django_db
def test_a_second_run_of_the_task_sends_nothing_more(front_desk):
    intake = draft()
    [message] = send(front_desk, intake)  # inside the test's transaction: queued, not run

    tasks.send_messages.call([message.pk], BASE_URL)
    tasks.send_messages.call([message.pk], BASE_URL)

    assert len(mail.outbox) == 1
    assert IntakeLink.objects.filter(intake=intake).count() == 1
    message.refresh_from_db()
    assert message.status == "sent"


@pytest.mark.django_db
def test_one_link_is_issued_for_the_messages_of_one_sending(front_desk, settings):
    from screening import sms

    settings.SMS_BACKEND = "screening.sms.LocmemBackend"
    sms.outbox.clear()
    intake = draft()
    ids = [m.pk for m in send(front_desk, intake, channels=("email", "sms"))]

    tasks.send_messages.call(ids, BASE_URL)

    assert InvitationMessage.objects.filter(pk__in=ids, status="sent").count() == 2
    assert len(set(InvitationMessage.objects.values_list("link_id", flat=True))) == 1
    email_token = LINK.search(mail.outbox[0].body).group(1)
    sms_token = LINK.search(sms.outbox[0]["body"]).group(1)
    assert email_token == sms_token
    sms.outbox.clear()


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["cancelled", "submitted"])
def test_an_intake_no_longer_waiting_when_the_task_runs_gets_no_link(front_desk, change):
    intake = draft()
    [message] = send(front_desk, intake)
    Intake.objects.filter(pk=intake.pk).update(status=change)

    tasks.send_messages.call([message.pk], BASE_URL)

    message.refresh_from_db()
    assert message.status == "failed"
    assert "no longer waiting for the patient" in message.error
    assert not IntakeLink.objects.filter(intake=intake).exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_queue_that_cannot_be_reached_sends_at_once(
    front_desk, django_capture_on_commit_callbacks
):
    intake = draft()
    unreachable = mock.Mock(**{"enqueue.side_effect": RuntimeError("queue down")})
    with (
        mock.patch.object(tasks, "send_messages", unreachable),
        django_capture_on_commit_callbacks(execute=True),
    ):
        [message] = send(front_desk, intake)

    message.refresh_from_db()
    assert message.status == "sent"
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
@DATABASE_TASKS
def test_reminders_are_queued_and_sent_by_the_worker(settings):
    from django_tasks_db.models import DBTaskResult

    settings.SITE_URL = BASE_URL
    intake = draft()
    issued = make_link(intake)
    InvitationMessage.objects.create(
        intake=intake,
        link=issued.link,
        kind="invitation",
        channel="email",
        status="sent",
        appointment_at=intake.appointment_at,
        created_at=intake.appointment_at - datetime.timedelta(hours=72),
    )
    out = io.StringIO()
    now = intake.appointment_at - datetime.timedelta(hours=20)
    call_command("send_reminders", "--now", now.isoformat(), stdout=out)

    assert "1 queued for the worker" in out.getvalue()
    assert mail.outbox == []
    assert "/i/" not in str(DBTaskResult.objects.values_list("args_kwargs", flat=True))

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    reminder = InvitationMessage.objects.get(kind="reminder")
    assert reminder.status == "sent" and reminder.link_id != issued.link.pk
    assert len(mail.outbox) == 1 and LINK.search(mail.outbox[0].body)


@pytest.mark.django_db
def test_the_desk_is_told_the_link_is_on_its_way_while_queued(client, front_desk):
    intake = draft()
    client.force_login(front_desk)

    with DATABASE_TASKS:
        response = client.post(
            reverse("desk:send", args=[intake.public_id]),
            {"email": intake.patient.email, "mobile": intake.patient.phone, "send": "email"},
            follow=True,
        )

    assert "The link is on its way by e-mail." in response.content.decode()
