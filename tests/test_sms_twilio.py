"""Text messages: Twilio's Messages API played by a local HTTP server (its answers and its
errors), the console backend, mobile numbers and message lengths."""

import base64
import datetime
import io
import logging

import pytest
from django.urls import reverse
from django.utils import timezone

from screening import sms
from screening.models import ClinicSettings, InvitationMessage
from tests.conftest import make_intake, make_patient

pytestmark = pytest.mark.django_db

NUMBER = "+447700900123"


def make_draft(phone="07700 900123"):
    day = timezone.localdate() + datetime.timedelta(days=1)
    at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 15)))
    return make_intake(make_patient(full_name="Sam Lee", phone=phone), appointment_at=at)


def send_sms(client, intake):
    return client.post(
        reverse("desk:send", args=[intake.public_id]),
        {"email": "", "mobile": intake.patient.phone, "send": "sms"},
    )


def test_a_text_message_goes_to_twilios_messages_resource(
    client, front_desk, fake_twilio, django_capture_on_commit_callbacks
):
    ClinicSettings.objects.update_or_create(pk=1, defaults={"name": "Riverside Physio"})
    intake = make_draft()
    client.force_login(front_desk)

    with django_capture_on_commit_callbacks(execute=True):
        send_sms(client, intake)

    [request] = fake_twilio.requests
    assert (
        request["path"] == "/2010-04-01/Accounts/ACtest0000000000000000000000000000/Messages.json"
    )
    user, password = base64.b64decode(request["auth"].removeprefix("Basic ")).decode().split(":")
    assert (user, password) == ("ACtest0000000000000000000000000000", "test-auth-token")
    fields = request["fields"]
    assert fields["To"] == NUMBER and fields["From"] == "+447700900000"
    assert fields["Body"].startswith("Riverside Physio: please fill in your health form for ")
    assert "10:15" in fields["Body"] and "/i/" in fields["Body"]
    message = InvitationMessage.objects.get()
    assert message.status == "sent" and message.provider_id.startswith("SM")


def test_a_messaging_service_is_used_instead_of_a_number_when_set(fake_twilio, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG0000000000000000000000000000000a"

    sms.TwilioBackend().send(NUMBER, "Hello")

    fields = fake_twilio.requests[0]["fields"]
    assert fields["MessagingServiceSid"] == "MG0000000000000000000000000000000a"
    assert "From" not in fields


ERRORS = [
    (
        (
            400,
            {
                "code": 21211,
                "message": "The 'To' number +447700900123 is not a valid phone number.",
                "more_info": "https://www.twilio.com/docs/errors/21211",
                "status": 400,
            },
        ),
        "The mobile number is not a valid phone number.",
    ),
    (
        (
            400,
            {"code": 21614, "message": "'To' number is not a valid mobile number", "status": 400},
        ),
        "The number is not a mobile number that can receive text messages.",
    ),
    (
        (
            400,
            {"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400},
        ),
        "The patient has stopped text messages from the clinic (they replied STOP).",
    ),
    (
        (401, {"code": 20003, "message": "Authenticate", "status": 401}),
        "The text message service refused the clinic's credentials (ask the clinic admin to "
        "check the Twilio settings).",
    ),
    (
        (429, {"code": 20429, "message": "Too Many Requests", "status": 429}),
        "The text message service is busy; try again in a minute.",
    ),
    (
        (500, b"<html>Internal Server Error</html>"),
        "The text message service had a problem; try again in a few minutes.",
    ),
    (
        (400, {"code": 99999, "message": "Something new", "status": 400}),
        "The text message service refused the message (error 99999).",
    ),
    (
        (201, {"sid": "SMx", "status": "failed", "error_code": 30006}),
        "The text message service refused the message (error 30006).",
    ),
    (
        (201, b"not json"),
        "The text message service gave an answer the app does not understand.",
    ),
    ("hang", "The text message service did not answer in time; try again."),
]


@pytest.mark.parametrize(("answer", "words"), ERRORS)
def test_twilios_errors_become_plain_words_for_the_desk(fake_twilio, settings, answer, words):
    fake_twilio.answers[NUMBER] = answer
    if answer == "hang":
        settings.SMS_TIMEOUT = 1

    with pytest.raises(sms.SmsError) as raised:
        sms.TwilioBackend().send(NUMBER, "Hello")

    assert str(raised.value) == words
    assert NUMBER not in str(raised.value)


def test_a_service_that_cannot_be_reached_is_a_plain_failure(fake_twilio, settings):
    from tests.fake_servers import free_port

    settings.TWILIO_API_BASE = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(sms.SmsError, match="could not be reached"):
        sms.TwilioBackend().send(NUMBER, "Hello")


def test_a_provider_error_is_recorded_and_shown_on_the_board(
    client, front_desk, fake_twilio, django_capture_on_commit_callbacks
):
    fake_twilio.answers[NUMBER] = (
        400,
        {"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400},
    )
    intake = make_draft()
    client.force_login(front_desk)

    with django_capture_on_commit_callbacks(execute=True):
        send_sms(client, intake)

    message = InvitationMessage.objects.get()
    assert message.status == "failed"
    assert message.error == "The mobile number is not a valid phone number."
    day = timezone.localtime(intake.appointment_at).date().isoformat()
    board = client.get(reverse("desk:board") + f"?day={day}").content.decode()
    assert "Sending failed: Text message: The mobile number is not a valid phone number." in board
    assert "tone-danger" in board


def test_a_text_message_time_out_is_recorded(
    client, front_desk, fake_twilio, settings, django_capture_on_commit_callbacks
):
    fake_twilio.answers[NUMBER] = "hang"
    settings.SMS_TIMEOUT = 1
    intake = make_draft()
    client.force_login(front_desk)

    with django_capture_on_commit_callbacks(execute=True):
        send_sms(client, intake)

    assert InvitationMessage.objects.get().error == (
        "The text message service did not answer in time; try again."
    )


def test_the_console_backend_writes_to_standard_output_never_to_the_log(caplog):
    out = io.StringIO()
    with caplog.at_level(logging.DEBUG):
        message_id = sms.ConsoleBackend(stream=out).send(NUMBER, "Your link: https://x/i/abc/")

    assert "https://x/i/abc/" in out.getvalue() and message_id in out.getvalue()
    assert "/i/abc/" not in caplog.text


def test_the_disabled_backend_says_text_messages_are_not_set_up():
    assert not sms.DisabledBackend.configured
    with pytest.raises(sms.SmsError, match="not set up"):
        sms.DisabledBackend().send(NUMBER, "Hello")


@pytest.mark.parametrize(
    ("typed", "international"),
    [
        ("07700 900123", "+447700900123"),
        ("07700-900-123", "+447700900123"),
        ("(07700) 900123", "+447700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("0044 7700 900123", "+447700900123"),
        ("+1 415 555 0100", "+14155550100"),
    ],
)
def test_mobile_numbers_are_written_in_the_international_format(typed, international):
    assert sms.normalise_mobile(typed, country_code=44) == international


@pytest.mark.parametrize("typed", ["", "12", "7700 900123", "+44 12", "+0 7700900123", "phone me"])
def test_numbers_that_cannot_take_a_text_are_refused(typed):
    with pytest.raises(sms.InvalidNumber):
        sms.normalise_mobile(typed, country_code=44)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, (160, 1, "GSM")),
        ("a" * 161, (161, 2, "GSM")),
        ("a" * 306, (306, 2, "GSM")),
        ("a" * 307, (307, 3, "GSM")),
        ("€" * 80, (160, 1, "GSM")),  # the euro sign costs two
        ("ł" * 70, (70, 1, "Unicode")),
        ("ł" * 71, (71, 2, "Unicode")),
    ],
)
def test_message_length_counts_as_the_network_does(text, expected):
    assert sms.segments(text) == expected


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SMS_BACKEND": "screening.sms.ConsoleBackend"}, "SMS_BACKEND"),
        (
            {"DJANGO_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
            "DJANGO_EMAIL_BACKEND",
        ),
        ({"SMS_BACKEND": "screening.sms.TwilioBackend"}, "TWILIO_ACCOUNT_SID"),
        ({"DJANGO_EMAIL_USE_TLS": "1", "DJANGO_EMAIL_USE_SSL": "1"}, "DJANGO_EMAIL_USE_SSL"),
        ({"DJANGO_SITE_URL": "clinic.example.org"}, "DJANGO_SITE_URL"),
    ],
)
def test_production_refuses_message_settings_that_would_leak_or_fail(env, named):
    from tests.test_settings import GOOD_SECRET, run_manage

    result = run_manage(
        "check",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=GOOD_SECRET,
        DJANGO_ALLOWED_HOSTS="clinic.example.org",
        **env,
    )

    assert result.returncode != 0
    assert named in result.stderr
