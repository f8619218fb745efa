"""No tablet page is a dead end: every "return this tablet" page has *Staff: sign in*, which ends
the patient's session and leads, after the sign-in, to that intake's documents page. The
practitioner's queue lists the consents waiting for their co-signature, each with *Co-sign*."""

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from screening import services
from screening.models import Consent
from screening.permissions import PATIENT_SESSION_KEY, Role
from screening.views.patient import TABLET_RETURN_KEY
from tests.conftest import PASSWORD, complete_steps, dob_data, make_intake, make_user
from tests.factories import make_submitted_intake, set_plan
from tests.test_consent_signing import _data_url, _png

pytestmark = pytest.mark.django_db

STAFF_SIGN_IN = reverse("patient:staff_sign_in")


def _documents(intake) -> str:
    return reverse("desk:documents", args=[intake.public_id])


def _hand_over(client, front_desk, intake, view="desk:handover"):
    client.force_login(front_desk)
    client.post(reverse(view, args=[intake.public_id]))
    return client.post(
        reverse("patient:verify", args=[intake.public_id]), dob_data(intake.patient.date_of_birth)
    )


def _staff_sign_in_leads_to_documents(client, intake, staff) -> None:
    """Press *Staff: sign in*, sign in, land on the documents page."""
    pressed = client.post(STAFF_SIGN_IN)
    login_url = pressed["Location"]
    signed_in = client.post(login_url, {"username": staff.username, "password": PASSWORD})
    documents = client.get(signed_in["Location"])

    assert pressed.status_code == 302
    assert login_url.startswith(reverse("accounts:login"))
    assert PATIENT_SESSION_KEY not in client.session
    assert TABLET_RETURN_KEY not in client.session
    assert signed_in["Location"] == _documents(intake)
    assert documents.status_code == 200
    assert intake.patient.full_name in documents.content.decode()


def _has_the_button(page: str) -> None:
    assert "Staff: sign in" in page
    assert f'action="{STAFF_SIGN_IN}"' in page


def _cleared(practitioner, assigned=True):
    intake = make_submitted_intake(practitioner=practitioner if assigned else None)
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake.refresh_from_db()
    services.review_decide(
        actor=practitioner, intake=intake, decision="cleared", expected_version=intake.version
    )
    intake.refresh_from_db()
    return intake


def test_questionnaire_finished_on_the_tablet_staff_sign_in_to_documents(client, front_desk):
    intake = make_intake()
    _hand_over(client, front_desk, intake)
    complete_steps(client, intake)
    done = client.post(
        reverse("patient:review", args=[intake.public_id]), {"declaration": "on"}, follow=True
    )

    page = done.content.decode()
    assert "Please return this tablet to reception" in page
    _has_the_button(page)
    _staff_sign_in_leads_to_documents(client, intake, front_desk)


def test_consent_signed_on_the_tablet_staff_sign_in_to_documents(client, front_desk, practitioner):
    intake = _cleared(practitioner)
    _hand_over(client, front_desk, intake, "desk:consent_handover")
    form = client.get(reverse("patient:sign", args=[intake.public_id])).context["form"]
    signed = client.post(
        reverse("patient:sign", args=[intake.public_id]),
        {
            "form_token": form["form_token"].value(),
            "signer_role": "patient",
            "signer_name": "Jamie Example",
            "signature": _data_url(),
        },
        follow=True,
    )

    page = signed.content.decode()
    assert "Thank you for signing. Please return this tablet to reception." in page
    _has_the_button(page)
    _staff_sign_in_leads_to_documents(client, intake, front_desk)
    assert Consent.objects.get(intake=intake).status == Consent.Status.AWAITING_PRACTITIONER


def test_finish_later_on_the_tablet_staff_sign_in_to_documents(client, front_desk):
    intake = make_intake()
    _hand_over(client, front_desk, intake)
    complete_steps(client, intake, ["welcome"])

    left = client.post(reverse("patient:leave", args=[intake.public_id]), follow=True)

    page = left.content.decode()
    assert "Please return this tablet to reception" in page
    assert client.session.get(PATIENT_SESSION_KEY) is None  # the patient's session has ended
    _has_the_button(page)
    assert str(intake.public_id) not in page
    _staff_sign_in_leads_to_documents(client, intake, front_desk)


def test_wrong_dates_of_birth_on_the_tablet_staff_sign_in_to_documents(client, front_desk):
    intake = make_intake()
    client.force_login(front_desk)
    client.post(reverse("desk:handover", args=[intake.public_id]))
    wrong = {"day": 1, "month": 1, "year": 1990}

    for _ in range(services.IDENTITY_CHECK_LIMIT):
        last = client.post(reverse("patient:verify", args=[intake.public_id]), wrong)

    page = last.content.decode()
    assert last.status_code == 403
    assert "The date of birth did not match" in page
    _has_the_button(page)
    _staff_sign_in_leads_to_documents(client, intake, front_desk)


def test_staff_sign_in_from_a_phone_session_just_ends_it(client):
    from tests.conftest import open_as_patient

    intake = make_intake()
    open_as_patient(client, intake)
    complete_steps(client, intake)
    done = client.post(
        reverse("patient:review", args=[intake.public_id]), {"declaration": "on"}, follow=True
    )

    pressed = client.post(STAFF_SIGN_IN)

    assert "Staff: sign in" not in done.content.decode()  # not a tablet: no button
    assert pressed["Location"] == reverse("accounts:login")
    assert PATIENT_SESSION_KEY not in client.session


def test_staff_sign_in_is_post_only_and_a_bad_return_id_goes_to_plain_sign_in(client):
    session = client.session
    session[TABLET_RETURN_KEY] = "not-an-id"
    session.save()

    get = client.get(STAFF_SIGN_IN)
    post = client.post(STAFF_SIGN_IN)

    assert get.status_code == 405
    assert post["Location"] == reverse("accounts:login")


def test_staff_sign_in_after_the_identity_check_failed_without_the_tablet_return(client):
    response = client.post(STAFF_SIGN_IN)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")


# ---------------------------------------------------------------------------------------------
# The practitioner's co-signatures


def test_queue_lists_consents_waiting_for_my_cosignature_with_a_cosign_action(client, practitioner):
    mine = _cleared(practitioner)
    waiting = services.consent_patient_sign(
        intake=mine,
        form_token=uuid.uuid4(),
        signer_name="Jamie Example",
        signer_role="patient",
        signature=_png(),
    )
    other_practitioner = make_user(Role.PRACTITIONER, "prac2", first_name="Sam", last_name="Lee")
    client.force_login(practitioner)

    response = client.get(reverse("review:queue"))
    other = Client()
    other.force_login(other_practitioner)
    theirs = other.get(reverse("review:queue"))
    unassigned = _cleared(practitioner, assigned=False)
    services.consent_patient_sign(
        intake=unassigned,
        form_token=uuid.uuid4(),
        signer_name="Alex Other",
        signer_role="patient",
        signature=_png(),
    )
    anyone = other.get(reverse("review:queue"))

    page = response.content.decode()
    cosign_url = reverse("review:cosign", args=[mine.public_id])
    assert response.context["waiting"]["cosign"] == 1
    assert [c.pk for c in response.context["waiting"]["cosign_list"]] == [waiting.pk]
    assert f'href="{cosign_url}"' in page
    assert "1 consent waits for your co-signature" in page
    assert "signed by Jamie Example" in page
    assert client.get(cosign_url).status_code == 200
    assert theirs.context["waiting"]["cosign_list"] == []
    assert f'href="{cosign_url}"' not in theirs.content.decode()
    assert [c.intake for c in anyone.context["waiting"]["cosign_list"]] == [unassigned]


def test_queue_lists_no_cosignature_for_a_cancelled_appointment(client, practitioner, front_desk):
    intake = _cleared(practitioner)
    services.consent_patient_sign(
        intake=intake,
        form_token=uuid.uuid4(),
        signer_name="Jamie Example",
        signer_role="patient",
        signature=_png(),
    )
    intake.refresh_from_db()
    services.intake_cancel(
        actor=front_desk, intake=intake, reason="Patient left", expected_version=intake.version
    )
    client.force_login(practitioner)

    response = client.get(reverse("review:queue"))

    assert response.context["waiting"]["cosign"] == 0
