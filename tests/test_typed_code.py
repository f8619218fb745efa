"""The short code printed on the handout, typed at /start/ instead of scanning the QR code."""

import datetime
import re
from unittest import mock

import pytest
from django.apps import apps
from django.core import serializers
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from screening import codes, services
from screening.models import AuditEvent, CodeEntryFailure, IntakeLink
from screening.permissions import PATIENT_SESSION_KEY
from screening.services.intakes import CODE_FAILURE_LIMIT
from tests.conftest import dob_data, make_intake, step_url

START = reverse("patient:start")
CONFUSABLE = set("Il1O0")


# ---------------------------------------------------------------------------------------------
# The code itself (no database)


def test_codes_use_an_alphabet_without_confusable_characters():
    made = [codes.generate() for _ in range(200)]

    assert not CONFUSABLE & set(codes.ALPHABET)
    assert all(len(code) == 8 and set(code) <= set(codes.ALPHABET) for code in made)
    assert len(set(made)) == 200


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("KQ7M-4TXP", "KQ7M4TXP"),
        ("kq7m 4txp", "KQ7M4TXP"),
        ("  Kq7M–4tXp ", "KQ7M4TXP"),  # an en dash, as phones put in
        ("KQ7M4TXP", "KQ7M4TXP"),
    ],
)
def test_normalise_ignores_case_spaces_and_dashes(typed, expected):
    assert codes.normalise(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the code"),
        ("KQ7M-4TX0", "never contains the letters I, L or O, or the numbers 1 or 0"),
        ("kq7m-4txl", "never contains"),
        ("KQ7M-4TX!", "only capital letters and the numbers 2 to 9"),
        ("KQ7M-4TX", "8 letters and numbers, like KQ7M-4TXP; you typed 7"),
    ],
)
def test_normalise_refuses_what_cannot_be_a_code_with_a_clear_message(typed, message):
    with pytest.raises(codes.CodeFormatError, match=re.escape(message)):
        codes.normalise(typed)


def test_printed_code_is_grouped_in_fours():
    assert codes.printed("KQ7M4TXP") == "KQ7M-4TXP"


# ---------------------------------------------------------------------------------------------
# Issuing and typing


@pytest.mark.django_db
def test_the_code_is_stored_only_as_its_hash(front_desk):
    intake = make_intake()

    issued = services.link_issue(actor=front_desk, intake=intake)

    link = IntakeLink.objects.get(pk=issued.link.pk)
    assert link.code_hash == codes.code_hash(issued.code)
    for model in apps.get_models():
        dump = serializers.serialize("json", model.objects.all())
        assert issued.code not in dump, model.__name__
        assert codes.printed(issued.code) not in dump, model.__name__


@pytest.mark.django_db
def test_typed_code_leads_to_the_same_date_of_birth_check_as_the_link(front_desk):
    intake = make_intake()
    issued = services.link_issue(actor=front_desk, intake=intake)
    patient = Client()
    typed = codes.printed(issued.code).lower().replace("-", " ")

    page = patient.get(START)
    response = patient.post(START, {"code": typed})
    verified = patient.post(response["Location"], dob_data(intake.patient.date_of_birth))

    assert page.status_code == 200
    assert "Type the code from your letter" in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == reverse("patient:verify", args=[intake.public_id])
    assert patient.session[PATIENT_SESSION_KEY]["link"] == issued.link.pk
    assert verified["Location"] == step_url(intake, "welcome")
    assert IntakeLink.objects.get(pk=issued.link.pk).first_used_at is not None


@pytest.mark.django_db
def test_a_code_that_cannot_be_one_is_a_form_error_not_a_try(client):
    response = client.post(START, {"code": "IO10-ABCD"})

    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="error-summary"' in page
    assert "never contains the letters I, L or O" in page
    assert not CodeEntryFailure.objects.exists()


@pytest.mark.django_db
def test_wrong_codes_are_refused_then_the_address_waits(front_desk):
    intake = make_intake()
    issued = services.link_issue(actor=front_desk, intake=intake)
    patient = Client(REMOTE_ADDR="203.0.113.7")
    wrong = "ABCD-EFGH" if issued.code != "ABCDEFGH" else "ABCD-EFGJ"

    tries = [patient.post(START, {"code": wrong}) for _ in range(CODE_FAILURE_LIMIT)]
    right_but_too_late = patient.post(START, {"code": issued.code})
    elsewhere = Client(REMOTE_ADDR="198.51.100.9").post(START, {"code": issued.code})
    with mock.patch(
        "django.utils.timezone.now", return_value=timezone.now() + datetime.timedelta(minutes=16)
    ):
        after_the_wait = Client(REMOTE_ADDR="203.0.113.7").get(START)

    assert [r.status_code for r in tries] == [400] * CODE_FAILURE_LIMIT
    assert "does not match a letter from us" in tries[0].content.decode()
    assert right_but_too_late.status_code == 429
    assert "Too many codes that did not match" in right_but_too_late.content.decode()
    assert PATIENT_SESSION_KEY not in patient.session
    assert elsewhere.status_code == 302  # another address is not held up
    assert after_the_wait.status_code == 200
    refused = AuditEvent.objects.filter(action="link.code_refused")
    assert refused.count() == CODE_FAILURE_LIMIT
    assert all(set(event.detail) == {"recent_failures"} for event in refused)


@pytest.mark.django_db
def test_wrong_tries_end_after_the_window(front_desk):
    intake = make_intake()
    issued = services.link_issue(actor=front_desk, intake=intake)
    for _ in range(CODE_FAILURE_LIMIT):
        Client().post(START, {"code": "ABCD-EFGH"})

    later = timezone.now() + datetime.timedelta(minutes=16)
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = Client().post(START, {"code": issued.code})

    assert response.status_code == 302


@pytest.mark.django_db
def test_code_of_a_replaced_link_says_replaced(front_desk):
    intake = make_intake()
    old = services.link_issue(actor=front_desk, intake=intake)
    services.link_issue(actor=front_desk, intake=intake)

    response = Client().post(START, {"code": old.code})

    assert response.status_code == 410
    assert "This link was replaced" in response.content.decode()
    assert not CodeEntryFailure.objects.exists()


@pytest.mark.django_db
def test_code_after_submit_shows_the_thank_you_page(front_desk):
    from tests.factories import complete_answers, fill_all_steps

    intake = make_intake()
    issued = services.link_issue(actor=front_desk, intake=intake)
    fill_all_steps(intake, complete_answers(intake))
    services.intake_submit(intake=intake)

    patient = Client()
    response = patient.post(START, {"code": issued.code})

    assert response.status_code == 200
    assert "Thank you, your answers were sent" in response.content.decode()
    assert PATIENT_SESSION_KEY not in patient.session


@pytest.mark.django_db
def test_the_handout_prints_the_code_and_a_short_address(client, front_desk):
    intake = make_intake()
    client.force_login(front_desk)

    response = client.post(reverse("desk:link_issue", args=[intake.public_id]), follow=True)

    page = response.content.decode()
    code = response.context["code"]
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert not CONFUSABLE & set(code)
    assert IntakeLink.objects.get(intake=intake).code_hash == codes.code_hash(code.replace("-", ""))
    handout = page[page.index('class="handout"') :]
    assert f'<p class="handout-code">{code}</p>' in handout
    assert "<code>testserver/start</code>" in handout
    assert "/i/" not in handout  # the long link is in the QR code only
    assert 'id="typed-code"' in page  # shown on screen too, to read out on the phone
