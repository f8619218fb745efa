"""Issue 18: the 48-hour aftercare check: sending it once (``manage.py send_aftercare_checks``),
the desk's list of calls, the patient's one-use link, red-flag routing and the practitioner's
call."""

from __future__ import annotations

import datetime
import io
import re
import uuid

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from screening import selectors, services, sms
from screening.models import AdverseEvent, AftercareCheck, AuditEvent, Patient
from screening.services import treatment as treatment_service
from tests.test_treatment import make_signed_intake, record

pytestmark = pytest.mark.django_db

H = datetime.timedelta(hours=1)
LINK = re.compile(r"https://clinic\.example\.org(/a/[A-Za-z0-9_\-]+/)")


@pytest.fixture(autouse=True)
def _messaging(settings):
    settings.SITE_URL = "https://clinic.example.org"
    settings.SMS_BACKEND = "screening.sms.LocmemBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def treated(practitioner, *, email="kim@example.org", phone="07700 900123", regions=("lumbar",)):
    """A treated intake (the treatment 48 hours ago, so its check is due now)."""
    intake = make_signed_intake(practitioner, regions=regions)
    Patient.objects.filter(pk=intake.patient_id).update(email=email, phone=phone)
    record(
        intake,
        practitioner,
        regions_treated=list(regions),
        treated_at=timezone.now() - 48 * H - datetime.timedelta(minutes=1),
    )
    return intake


def run(now=None) -> str:
    out = io.StringIO()
    args = ["--now", now.isoformat()] if now else []
    call_command("send_aftercare_checks", *args, stdout=out)
    return out.getvalue().strip()


def sent_link() -> str:
    return LINK.search(mail.outbox[-1].body).group(1)


# ---------------------------------------------------------------------------------------------
# Sending


def test_a_due_check_is_sent_once_by_email_and_text(practitioner):
    intake = treated(practitioner)

    assert run() == (
        "Aftercare checks: 1 sent, 0 failed, 0 without usable contact details (on the desk's "
        "list to phone)."
    )
    assert run().startswith("Aftercare checks: 0 sent")

    assert len(mail.outbox) == 1 and len(sms.outbox) == 1
    assert "/a/" in sms.outbox[0]["body"]
    check = AftercareCheck.objects.get(intake=intake)
    assert check.delivered and check.sent_channels == ["email", "sms"]
    assert check.token_hash and check.token_hash not in mail.outbox[0].body
    actions = list(
        AuditEvent.objects.filter(intake=intake, action__startswith="aftercare.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["aftercare.send", "aftercare.delivered"]


def test_a_check_not_due_yet_is_not_sent(practitioner):
    intake = treated(practitioner)
    check = AftercareCheck.objects.get(intake=intake)

    assert run(check.due_at - H).startswith("Aftercare checks: 0 sent")
    assert run(check.due_at + H).startswith("Aftercare checks: 1 sent")
    assert len(mail.outbox) == 1


def test_the_command_needs_the_site_url(settings):
    settings.SITE_URL = ""

    with pytest.raises(CommandError, match="DJANGO_SITE_URL"):
        call_command("send_aftercare_checks")


def test_no_contact_puts_the_check_on_the_desk_list_once(practitioner):
    intake = treated(practitioner, email="", phone="")
    check = AftercareCheck.objects.get(intake=intake)

    assert [c.pk for c in selectors.aftercare_calls_for_desk()] == [check.pk]
    assert "1 without usable contact details" in run()
    assert "0 without usable contact details" in run()

    assert not mail.outbox and not sms.outbox
    assert [c.pk for c in selectors.aftercare_calls_for_desk()] == [check.pk]


def test_a_failed_message_puts_the_check_on_the_desk_list(practitioner, monkeypatch):
    intake = treated(practitioner, phone="")

    def refuse(*args, **kwargs):
        raise treatment_service.DeliveryError("The mail server refused the address.")

    monkeypatch.setattr(treatment_service, "_send_email", refuse)

    assert "0 sent, 1 failed" in run()
    check = AftercareCheck.objects.get(intake=intake)
    assert not check.delivered and check.send_error == "The mail server refused the address."
    assert [c.pk for c in selectors.aftercare_calls_for_desk()] == [check.pk]


def test_a_sent_check_not_answered_in_a_day_joins_the_desk_list(practitioner):
    intake = treated(practitioner)
    run()
    check = AftercareCheck.objects.get(intake=intake)

    assert list(selectors.aftercare_calls_for_desk()) == []
    later = timezone.now() + 25 * H
    assert [c.pk for c in selectors.aftercare_calls_for_desk(later)] == [check.pk]


def test_a_check_not_sent_a_day_after_it_was_due_joins_the_desk_list(practitioner):
    intake = treated(practitioner)  # contact details, but the command never ran
    check = AftercareCheck.objects.get(intake=intake)

    assert list(selectors.aftercare_calls_for_desk()) == []
    later = check.due_at + 25 * H
    assert [c.pk for c in selectors.aftercare_calls_for_desk(later)] == [check.pk]


def test_the_desk_lists_and_records_its_calls(client, practitioner, front_desk):
    intake = treated(practitioner, email="", phone="")
    client.force_login(front_desk)

    page = client.get(reverse("desk:aftercare_calls"))
    assert page.status_code == 200
    assert intake.patient.full_name in page.content.decode()
    url = reverse("desk:aftercare_call", args=[intake.public_id])
    check = AftercareCheck.objects.get(intake=intake)
    prefix = f"c{check.pk}"

    refused = client.post(url, {f"{prefix}-outcome": "problem", f"{prefix}-note": ""})
    assert refused.status_code == 400
    assert "Please note what the patient said" in refused.content.decode()
    done = client.post(url, {f"{prefix}-outcome": "problem", f"{prefix}-note": "Fever since."})
    assert done.status_code == 302

    check.refresh_from_db()
    assert check.desk_outcome == "problem" and check.call_waiting
    assert list(selectors.aftercare_calls_for_desk()) == []
    assert [c.pk for c in selectors.aftercare_calls_for_practitioners()] == [check.pk]
    assert AuditEvent.objects.filter(action="aftercare.desk_call", intake=intake).exists()
    assert AuditEvent.objects.filter(action="aftercare.calls_view").exists()


def test_the_admin_does_not_see_the_aftercare_calls(client, clinic_admin):
    client.force_login(clinic_admin)

    assert client.get(reverse("desk:aftercare_calls")).status_code == 403


# ---------------------------------------------------------------------------------------------
# The patient's link


ANSWERS = {"soreness": "3", "bruising": "no", "symptoms": ["none"], "other_symptoms": ""}


def _open(client, practitioner, **kwargs):
    intake = treated(practitioner, **kwargs)
    run()
    response = client.get(sent_link())
    assert response.status_code == 302 and response["Location"] == reverse("patient:aftercare")
    return intake


def test_the_link_works_once(client, practitioner):
    intake = _open(client, practitioner)
    link = sent_link()
    form = client.get(reverse("patient:aftercare"))
    assert form.status_code == 200
    assert "How sore are the treated areas today?" in form.content.decode()

    response = client.post(reverse("patient:aftercare"), ANSWERS)
    assert response.status_code == 302
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200 and "Thank you" in thanks.content.decode()

    again = client.get(link)
    assert again.status_code == 410
    assert "This link has been used" in again.content.decode()
    # Another browser, with the session of the first visit gone, cannot post again either.
    client.cookies.clear()
    assert client.post(reverse("patient:aftercare"), ANSWERS).status_code == 404
    check = AftercareCheck.objects.get(intake=intake)
    assert (check.soreness, check.bruising, check.symptoms) == (3, False, [])
    assert not check.call_waiting
    assert not AdverseEvent.objects.filter(intake=intake).exists()
    actions = set(AuditEvent.objects.filter(intake=intake).values_list("action", flat=True))
    assert {"aftercare.open", "aftercare.answer"} <= actions


def test_an_unknown_link_is_404_and_an_old_one_410(client, practitioner):
    assert client.get(reverse("patient:aftercare_open", args=["nope" * 10])).status_code == 404
    intake = treated(practitioner)
    run()
    AftercareCheck.objects.filter(intake=intake).update(sent_at=timezone.now() - 8 * 24 * H)

    response = client.get(sent_link())

    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()


def test_the_form_without_a_session_is_404(client):
    assert client.get(reverse("patient:aftercare")).status_code == 404
    assert client.get(reverse("patient:aftercare_done")).status_code == 404


@pytest.mark.parametrize(
    "answers, message",
    [
        ({"soreness": "11"}, "Enter a number from 0 to 10."),
        ({"soreness": "x"}, "Enter a number from 0 to 10."),
        ({"bruising": ""}, "Choose yes or no."),
        ({"symptoms": []}, "Choose any that apply"),
        ({"symptoms": ["none", "fever"]}, "choose one or the other"),
        ({"symptoms": ["not-a-symptom"]}, "Select a valid choice"),
    ],
)
def test_bad_answers_get_a_message_and_change_nothing(client, practitioner, answers, message):
    intake = _open(client, practitioner)

    response = client.post(reverse("patient:aftercare"), {**ANSWERS, **answers})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert AftercareCheck.objects.get(intake=intake).answered_at is None


# ---------------------------------------------------------------------------------------------
# Red flags


def _answer(intake, **answers):
    check = AftercareCheck.objects.get(intake=intake)
    AftercareCheck.objects.filter(pk=check.pk).update(sent_at=timezone.now())
    check.refresh_from_db()
    values = {"soreness": 2, "bruising": False, "symptoms": []}
    values.update(answers)
    return services.aftercare_check_answer(check=check, **values)


@pytest.mark.parametrize("red_flag", ["short_of_breath", "spreading_redness", "fever", "numbness"])
def test_each_red_flag_flags_the_intake_for_a_call(practitioner, red_flag):
    intake = treated(practitioner)

    check = _answer(intake, symptoms=[red_flag])

    assert check.call_waiting and check.red_flags == [red_flag]
    assert [c.pk for c in selectors.aftercare_calls_for_practitioners()] == [check.pk]
    event = AdverseEvent.objects.get(intake=intake)
    assert event.source == "aftercare_check" and event.is_significant


def test_soreness_alone_does_not_flag(practitioner):
    intake = treated(practitioner)

    check = _answer(intake, soreness=10, symptoms=["headache", "tiredness"])

    assert not check.call_waiting
    assert list(selectors.aftercare_calls_for_practitioners()) == []
    types = set(AdverseEvent.objects.filter(intake=intake).values_list("type", flat=True))
    assert types == {"pain_after", "headache", "fatigue"}


def test_bruising_is_recorded_as_a_mild_event_within_24_hours(practitioner):
    intake = treated(practitioner)

    _answer(intake, bruising=True)

    event = AdverseEvent.objects.get(intake=intake)
    assert (event.type, event.severity, event.onset, event.source) == (
        "bruising",
        "mild",
        "within_24h",
        "aftercare_check",
    )


def test_short_of_breath_after_chest_wall_treatment_is_a_suspected_pneumothorax(practitioner):
    intake = treated(practitioner, regions=("upper_back_thoracic",))

    _answer(intake, symptoms=["short_of_breath"])

    assert AdverseEvent.objects.get(intake=intake).type == "pneumothorax"


def test_short_of_breath_away_from_the_chest_is_an_other_significant_event(practitioner):
    intake = treated(practitioner)

    _answer(intake, symptoms=["short_of_breath"])

    assert AdverseEvent.objects.get(intake=intake).type == "other_significant"


def test_the_patient_sees_the_emergency_advice_and_the_practitioner_records_the_call(
    client, practitioner
):
    intake = _open(client, practitioner, regions=("upper_back_thoracic",))
    response = client.post(
        reverse("patient:aftercare"), {**ANSWERS, "symptoms": ["short_of_breath"]}
    )
    done = client.get(response["Location"]).content.decode()
    assert 'id="emergency-advice"' in done
    assert "Call 999 now" in done
    assert "collapsed lung" in done

    client.force_login(practitioner)
    queue = client.get(reverse("review:queue")).content.decode()
    assert 'id="aftercare-calls"' in queue and intake.patient.full_name in queue
    review = client.get(reverse("review:intake", args=[intake.public_id])).content.decode()
    assert 'id="aftercare-call-flag"' in review
    page = client.get(reverse("review:treatment", args=[intake.public_id])).content.decode()
    assert "Suspected pneumothorax" in page
    assert "Short of breath, or pain in your chest" in page

    empty = client.post(reverse("review:aftercare_call", args=[intake.public_id]), {"note": ""})
    assert empty.status_code == 400
    called = client.post(
        reverse("review:aftercare_call", args=[intake.public_id]),
        {"note": "Sent to the emergency department."},
    )
    assert called.status_code == 302
    assert not AftercareCheck.objects.get(intake=intake).call_waiting
    review = client.get(reverse("review:intake", args=[intake.public_id])).content.decode()
    assert 'id="aftercare-call-flag"' not in review
    assert AuditEvent.objects.filter(action="aftercare.call", intake=intake).exists()


def test_a_second_answer_changes_nothing(practitioner):
    intake = treated(practitioner)
    check = _answer(intake)

    with pytest.raises(services.AftercareLinkProblem):
        services.aftercare_check_answer(check=check, soreness=9, bruising=True, symptoms=["fever"])

    check.refresh_from_db()
    assert (check.soreness, check.bruising, check.red_flags) == (2, False, [])
    assert not AdverseEvent.objects.filter(intake=intake).exists()


def test_a_missing_intake_answers_404_for_the_desk_call(client, front_desk):
    client.force_login(front_desk)

    response = client.post(reverse("desk:aftercare_call", args=[uuid.uuid4()]), {})

    assert response.status_code == 404


def test_the_aftercare_link_is_redacted_in_logs():
    from screening.logredact import redact_path

    assert redact_path("/a/abcDEF123_-xyz/") == "/a/<redacted>/"
