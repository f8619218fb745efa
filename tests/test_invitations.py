"""Sending the patient's link from the desk's intake page: e-mail through a real SMTP server,
text messages, contact details, the warning before replacing a link in use, permissions."""

import datetime
import re
import socket

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from screening import sms
from screening.models import AuditEvent, ClinicSettings, Intake, IntakeLink, InvitationMessage
from tests.conftest import dob_data, make_intake, make_patient, open_as_patient
from tests.fake_servers import body_text, free_port

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/i/[A-Za-z0-9_\-]+/")


def tomorrow_at(hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def make_draft(**patient) -> Intake:
    values = {"full_name": "Alex Morgan", "date_of_birth": datetime.date(1984, 5, 6)}
    values.update(patient)
    return make_intake(make_patient(**values), appointment_at=tomorrow_at(14, 30))


def send(client, intake, how="email", **fields):
    data = {"email": intake.patient.email, "mobile": intake.patient.phone, "send": how}
    data.update(fields)
    return client.post(reverse("desk:send", args=[intake.public_id]), data)


@pytest.fixture
def clinic(db):
    settings_row = ClinicSettings.load()
    settings_row.name = "Riverside Physio"
    settings_row.phone = "020 7946 0000"
    settings_row.save()
    return settings_row


@pytest.fixture
def sms_outbox(settings):
    settings.SMS_BACKEND = "screening.sms.LocmemBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def test_send_by_email_delivers_a_working_link_through_a_real_smtp_server(
    client, front_desk, clinic, smtp_server, django_capture_on_commit_callbacks
):
    intake = make_draft(email="alex@example.org")
    client.force_login(front_desk)

    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, intake)

    assert response.status_code == 302
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "alex@example.org"
    assert message["Subject"] == "Your health questionnaire for Riverside Physio"
    body = body_text(message)
    local = timezone.localtime(intake.appointment_at)
    assert f"{local:%A} {local.day} {local:%B}" in body and "14:30" in body
    assert "020 7946 0000" in body
    url = LINK.search(body).group(0)
    patient = Client()
    opened = patient.get(url.removeprefix("http://testserver"))
    assert opened.status_code == 302
    verify = patient.get(opened["Location"])
    assert verify.status_code == 200 and "Date of birth" in verify.content.decode()
    confirmed = patient.post(opened["Location"], dob_data(intake.patient.date_of_birth))
    assert confirmed.status_code == 302
    sent = InvitationMessage.objects.get(intake=intake)
    assert (sent.status, sent.channel, sent.kind) == ("sent", "email", "invitation")
    assert sent.sent_at is not None and sent.created_by == front_desk
    assert f"<{sent.provider_id}>" == message["Message-ID"]


def test_sending_is_audited_with_channel_and_outcome_never_the_address(
    client, front_desk, clinic, smtp_server, django_capture_on_commit_callbacks
):
    intake = make_draft(email="old@example.org")
    client.force_login(front_desk)

    with django_capture_on_commit_callbacks(execute=True):
        send(client, intake, email="new@example.org")

    actions = list(
        AuditEvent.objects.filter(intake=intake).order_by("pk").values_list("action", flat=True)
    )
    # The request records the sending; the task then issues the link and sends it.
    assert actions == ["patient.contact_update", "invitation.send", "link.issue", "message.sent"]
    details = AuditEvent.objects.get(action="patient.contact_update").detail
    assert details == {"fields": ["email"]}
    assert AuditEvent.objects.get(action="invitation.send").detail["channels"] == ["email"]
    assert AuditEvent.objects.get(action="message.sent").detail == {
        "kind": "invitation",
        "channel": "email",
    }
    for event in AuditEvent.objects.all():
        assert "@" not in str(event.detail)
    intake.patient.refresh_from_db()
    assert intake.patient.email == "new@example.org"


def test_a_refused_address_is_recorded_and_shown_on_the_intake_page_and_the_board(
    client, front_desk, clinic, smtp_server, django_capture_on_commit_callbacks
):
    intake = make_draft(email="nobody@example.org")
    smtp_server.refuse.add("nobody@example.org")
    client.force_login(front_desk)

    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, intake)

    sent = InvitationMessage.objects.get(intake=intake)
    assert sent.status == "failed"
    assert sent.error == "The mail server refused the address."
    assert AuditEvent.objects.get(action="message.failed").detail["reason"] == sent.error
    page = client.get(response["Location"]).content.decode()
    assert "Sending failed: E-mail: The mail server refused the address." in page
    day = timezone.localtime(intake.appointment_at).date().isoformat()
    board = client.get(reverse("desk:board") + f"?day={day}").content.decode()
    assert "Sending failed: E-mail: The mail server refused the address." in board
    assert "Check the contact details and send again" in board


@pytest.mark.django_db(transaction=True)
def test_the_desk_is_told_at_once_when_sending_failed(client, front_desk, smtp_server):
    """Outside a test transaction the message goes when the send's transaction commits, so the
    page after the click already says how it went."""
    intake = make_draft(email="nobody@example.org")
    smtp_server.refuse.add("nobody@example.org")
    client.force_login(front_desk)

    response = send(client, intake)

    page = client.get(response["Location"]).content.decode()
    assert "Sending by e-mail failed: The mail server refused the address." in page


def test_a_mail_server_that_cannot_be_reached_is_a_recorded_failure(
    client, front_desk, clinic, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    intake = make_draft(email="alex@example.org")
    client.force_login(front_desk)

    with django_capture_on_commit_callbacks(execute=True):
        send(client, intake)

    sent = InvitationMessage.objects.get(intake=intake)
    assert sent.status == "failed"
    assert sent.error == "The mail server could not be reached; try again in a few minutes."


def test_a_mail_server_that_does_not_answer_times_out(
    client, front_desk, clinic, settings, django_capture_on_commit_callbacks
):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never says hello
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", silent.getsockname()[1]
    settings.EMAIL_TIMEOUT = 1
    intake = make_draft(email="alex@example.org")
    client.force_login(front_desk)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            send(client, intake)
    finally:
        silent.close()

    sent = InvitationMessage.objects.get(intake=intake)
    assert sent.error == "The mail server did not answer in time; try again."


@pytest.mark.parametrize(
    ("fields", "how", "message"),
    [
        ({"email": "not-an-address"}, "email", "Enter an e-mail address like name@example.org."),
        ({"email": ""}, "email", "Enter the patient&#x27;s e-mail address to send by e-mail."),
        ({"mobile": "call after 5"}, "sms", "This is not a mobile number a text message can go to"),
        ({"mobile": "+44 12"}, "sms", "This is not a mobile number a text message can go to"),
        ({"mobile": ""}, "sms", "Enter the patient&#x27;s mobile number to send a text message."),
        ({"mobile": "123"}, "email", "This is not a mobile number a text message can go to"),
        ({}, "fax", "Choose how to send the link."),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(
    client, front_desk, clinic, sms_outbox, fields, how, message
):
    intake = make_draft(email="alex@example.org", phone="07700 900123")
    client.force_login(front_desk)
    before = AuditEvent.objects.count()

    response = send(client, intake, how=how, **fields)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Please correct the following" in page and message in page
    intake.patient.refresh_from_db()
    assert (intake.patient.email, intake.patient.phone) == ("alex@example.org", "07700 900123")
    assert not InvitationMessage.objects.exists()
    assert not IntakeLink.objects.exists()
    assert AuditEvent.objects.count() == before
    assert mail.outbox == [] and sms_outbox == []


def test_send_by_text_message_uses_the_international_number(
    client, front_desk, clinic, sms_outbox, django_capture_on_commit_callbacks
):
    intake = make_draft(phone="07700 900123")
    client.force_login(front_desk)

    with django_capture_on_commit_callbacks(execute=True):
        send(client, intake, how="sms")

    [text] = sms_outbox
    assert text["to"] == "+447700900123"
    assert text["body"].startswith("Riverside Physio: please fill in your health form for ")
    assert LINK.search(text["body"])
    assert InvitationMessage.objects.get().provider_id == text["id"]


def test_send_both_sends_one_link_by_both_channels(
    client, front_desk, clinic, sms_outbox, django_capture_on_commit_callbacks
):
    intake = make_draft(email="alex@example.org", phone="+44 7700 900123")
    client.force_login(front_desk)

    with django_capture_on_commit_callbacks(execute=True):
        send(client, intake, how="both")

    assert len(mail.outbox) == 1 and len(sms_outbox) == 1
    assert LINK.search(mail.outbox[0].body).group(0) == LINK.search(sms_outbox[0]["body"]).group(0)
    assert IntakeLink.objects.filter(intake=intake).count() == 1
    assert set(InvitationMessage.objects.values_list("channel", "status")) == {
        ("email", "sent"),
        ("sms", "sent"),
    }
    page = client.get(reverse("desk:intake", args=[intake.public_id])).content.decode()
    assert "Sent by e-mail and text message" in page


def test_each_send_replaces_the_earlier_link(
    client, front_desk, clinic, django_capture_on_commit_callbacks
):
    intake = make_draft(email="alex@example.org")
    client.force_login(front_desk)
    with django_capture_on_commit_callbacks(execute=True):
        send(client, intake)
        send(client, intake)

    first, second = (LINK.search(m.body).group(0) for m in mail.outbox)
    assert first != second
    assert Client().get(first.removeprefix("http://testserver")).status_code in (404, 410)
    assert Client().get(second.removeprefix("http://testserver")).status_code == 302


def test_sending_while_the_patient_is_answering_asks_first(
    client, front_desk, clinic, django_capture_on_commit_callbacks
):
    intake = make_draft(email="alex@example.org")
    Intake.objects.filter(pk=intake.pk).update(
        patient_active_at=timezone.now() - datetime.timedelta(minutes=4)
    )
    client.force_login(front_desk)

    warned = send(client, intake, email="alex.m@example.org")

    assert warned.status_code == 200
    page = warned.content.decode()
    assert "The patient may be answering right now" in page
    assert "active 4 min ago" in page
    assert not InvitationMessage.objects.exists() and not IntakeLink.objects.exists()
    intake.patient.refresh_from_db()
    assert intake.patient.email == "alex@example.org"  # not changed until confirmed

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = send(client, intake, email="alex.m@example.org", replace_in_use="1")

    assert confirmed.status_code == 302
    assert mail.outbox[0].to == ["alex.m@example.org"]
    assert AuditEvent.objects.get(action="invitation.send").detail["link_was_in_use"] is True


def test_a_patient_active_more_than_15_minutes_ago_is_not_asked_about(
    client, front_desk, clinic, django_capture_on_commit_callbacks
):
    intake = make_draft(email="alex@example.org")
    Intake.objects.filter(pk=intake.pk).update(
        patient_active_at=timezone.now() - datetime.timedelta(minutes=16)
    )
    client.force_login(front_desk)

    with django_capture_on_commit_callbacks(execute=True):
        assert send(client, intake).status_code == 302

    assert len(mail.outbox) == 1


def test_nothing_to_send_once_the_answers_were_sent(client, front_desk, clinic):
    intake = make_draft(email="alex@example.org")
    Intake.objects.filter(pk=intake.pk).update(
        status=Intake.Status.SUBMITTED, submitted_at=timezone.now()
    )
    client.force_login(front_desk)

    response = send(client, intake)

    assert response.status_code == 400
    assert "no longer waiting for the patient" in response.content.decode()
    assert not InvitationMessage.objects.exists() and mail.outbox == []


def test_the_practitioner_and_the_admin_may_send_too(
    client, practitioner, clinic_admin, clinic, django_capture_on_commit_callbacks
):
    intake = make_draft(email="alex@example.org")
    for user in (practitioner, clinic_admin):
        client.force_login(user)
        with django_capture_on_commit_callbacks(execute=True):
            assert send(client, intake).status_code == 302
    assert len(mail.outbox) == 2


def test_anonymous_is_sent_to_sign_in_and_nothing_is_sent(client, clinic):
    intake = make_draft(email="alex@example.org")

    response = send(client, intake)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not InvitationMessage.objects.exists() and mail.outbox == []


def test_a_patients_own_session_cannot_send(client, front_desk, clinic):
    intake = make_draft(email="alex@example.org")
    open_as_patient(client, intake)
    links_before = IntakeLink.objects.count()

    response = send(client, intake)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert IntakeLink.objects.count() == links_before
    assert not InvitationMessage.objects.exists() and mail.outbox == []


def test_sending_is_post_only_and_an_unknown_intake_is_404(client, front_desk):
    client.force_login(front_desk)
    intake = make_draft()

    assert client.get(reverse("desk:send", args=[intake.public_id])).status_code == 405
    missing = "00000000-0000-0000-0000-000000000000"
    response = client.post(reverse("desk:send", args=[missing]), {"send": "email"})
    assert response.status_code == 404


def test_the_send_card_lists_the_contact_details_and_the_messages(
    client, front_desk, clinic, django_capture_on_commit_callbacks
):
    intake = make_draft(email="alex@example.org", phone="07700 900123")
    client.force_login(front_desk)
    with django_capture_on_commit_callbacks(execute=True):
        send(client, intake)

    page = client.get(reverse("desk:intake", args=[intake.public_id])).content.decode()

    assert 'value="alex@example.org"' in page and 'value="07700 900123"' in page
    assert "Send by e-mail" in page and "Send by text message" in page
    assert "Invitation by e-mail" in page and "sent" in page


def test_without_a_text_message_service_the_desk_is_told_and_offered_e_mail_only(
    client, front_desk, clinic, settings
):
    settings.SMS_BACKEND = "screening.sms.DisabledBackend"
    intake = make_draft(email="alex@example.org")
    client.force_login(front_desk)

    page = client.get(reverse("desk:intake", args=[intake.public_id])).content.decode()

    assert "Send by text message" not in page
    assert "Text messages are not set up for this clinic" in page


def test_board_reads_its_rows_in_a_fixed_number_of_queries(client, front_desk, clinic):
    client.force_login(front_desk)
    day = tomorrow_at(9).date().isoformat()

    def board_queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("desk:board") + f"?day={day}").status_code == 200
        return len(captured)

    for n in range(3):
        make_intake(make_patient(full_name=f"Pat {n}"), appointment_at=tomorrow_at(9 + n))
    board_queries()  # the first request of a session does more (the session row, …)
    few = board_queries()
    for n in range(3, 9):
        intake = make_intake(make_patient(full_name=f"Pat {n}"), appointment_at=tomorrow_at(9 + n))
        InvitationMessage.objects.create(
            intake=intake, kind="invitation", channel="email", appointment_at=intake.appointment_at
        )
    assert board_queries() == few
