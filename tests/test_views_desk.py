"""Front-desk pages: creating an intake, issuing a link, handing the tablet to the patient."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from screening.models import AuditEvent, Intake, IntakeLink, Patient
from screening.permissions import PATIENT_SESSION_KEY
from tests.conftest import (
    complete_steps,
    dob_data,
    make_intake,
    make_patient,
    make_step_data,
    make_user,
    step_url,
)

pytestmark = pytest.mark.django_db

NEW_URL = reverse("desk:intake_new")


def make_intake_data(**overrides) -> dict:
    """A valid "new intake" form for an appointment tomorrow."""
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    data = {
        "full_name": "Robin Example",
        "date_of_birth": "1979-06-30",
        "email": "robin@example.org",
        "phone": "",
        "appointment_date": tomorrow.isoformat(),
        "appointment_time": "14:30",
        "practitioner": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def handover(client, intake):
    return client.post(reverse("desk:handover", args=[intake.public_id]))


def confirm_dob(client, intake):
    return client.post(
        reverse("patient:verify", args=[intake.public_id]), dob_data(intake.patient.date_of_birth)
    )


# ---------------------------------------------------------------------------------------------
# A new intake


def test_intake_new_get_shows_the_form(client, front_desk):
    client.force_login(front_desk)

    response = client.get(NEW_URL)

    assert response.status_code == 200
    assert "Patient&#x27;s full name" in response.content.decode()


def test_intake_new_creates_a_draft_intake_for_a_new_patient(client, front_desk, practitioner):
    client.force_login(front_desk)

    response = client.post(NEW_URL, make_intake_data(practitioner=str(practitioner.pk)))

    intake = Intake.objects.get()
    assert response["Location"] == reverse("desk:intake", args=[intake.public_id])
    assert intake.status == Intake.Status.DRAFT
    assert intake.patient.full_name == "Robin Example"
    assert intake.patient.date_of_birth == datetime.date(1979, 6, 30)
    assert intake.practitioner == practitioner
    assert timezone.localtime(intake.appointment_at).time() == datetime.time(14, 30)
    event = AuditEvent.objects.get(action="intake.create")
    assert event.actor == front_desk
    assert event.detail == {"patient_matched": False, "kind": "full", "from_previous": False}


def _future(days: int):
    """A date ``days`` from today, worked out when the test runs (not when it is collected: a
    run that passes midnight would make "tomorrow" today)."""
    return lambda: (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"date_of_birth": _future(1)}, "date_of_birth", "cannot be in the future"),
        ({"date_of_birth": "1850-01-01"}, "date_of_birth", "Please check the year of birth"),
        ({"date_of_birth": "30/02/1980"}, "date_of_birth", "Enter a valid date"),
        ({"full_name": None}, "full_name", "This field is required"),
        ({"full_name": "   "}, "full_name", "This field is required"),
        ({"full_name": " J "}, "full_name", "Please enter the patient's full name"),
        ({"appointment_time": "25:61"}, "appointment_time", "Enter a valid time"),
        ({"appointment_time": "half past two"}, "appointment_time", "Enter a valid time"),
        ({"appointment_time": None}, "appointment_time", "This field is required"),
        ({"appointment_date": "1999-01-01"}, "appointment_date", "in the past"),
        ({"appointment_date": _future(800)}, "appointment_date", "more than two years away"),
        ({"email": "not-an-email"}, "email", "Enter a valid email address"),
        ({"practitioner": "999999"}, "practitioner", "Select a valid choice"),
    ],
    ids=[
        "future-dob",
        "dob-1850",
        "impossible-dob",
        "missing-name",
        "blank-name",
        "one-letter-name",
        "bad-time",
        "words-for-time",
        "missing-time",
        "past-appointment",
        "appointment-years-ahead",
        "bad-email",
        "unknown-practitioner",
    ],
)
def test_intake_new_invalid_input_shows_a_clear_error_and_creates_nothing(
    client, front_desk, overrides, field, message
):
    client.force_login(front_desk)
    overrides = {k: v() if callable(v) else v for k, v in overrides.items()}

    response = client.post(NEW_URL, make_intake_data(**overrides))

    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert "Please correct the following" in response.content.decode()
    assert not Intake.objects.exists()
    assert not Patient.objects.exists()


def test_intake_new_empty_post_lists_every_required_field(client, front_desk):
    client.force_login(front_desk)

    response = client.post(NEW_URL, {})

    errors = response.context["form"].errors
    assert set(errors) == {"full_name", "date_of_birth", "appointment_date", "appointment_time"}
    assert not Intake.objects.exists()


def test_intake_new_matches_a_returning_patient_despite_case_and_spaces(client, front_desk):
    returning = make_patient(full_name="Jamie Example", date_of_birth=datetime.date(1985, 4, 12))
    client.force_login(front_desk)

    client.post(
        NEW_URL, make_intake_data(full_name="  jamie   EXAMPLE ", date_of_birth="1985-04-12")
    )

    assert Patient.objects.get() == returning
    assert Intake.objects.get().patient == returning
    # Matched, but with nothing sent before: the full questionnaire, empty.
    assert AuditEvent.objects.get(action="intake.create").detail == {
        "patient_matched": True,
        "kind": "full",
        "from_previous": False,
    }


def test_intake_new_same_name_other_birth_date_is_a_new_patient(client, front_desk):
    make_patient(full_name="Jamie Example", date_of_birth=datetime.date(1985, 4, 12))
    client.force_login(front_desk)

    client.post(NEW_URL, make_intake_data(full_name="Jamie Example", date_of_birth="1985-04-13"))

    assert Patient.objects.count() == 2


def test_intake_new_same_patient_same_day_asks_first_and_links_the_existing_intake(
    client, front_desk
):
    client.force_login(front_desk)
    client.post(NEW_URL, make_intake_data())  # 14:30 tomorrow
    existing = Intake.objects.get()

    again = client.post(NEW_URL, make_intake_data(appointment_time="16:00"))

    page = again.content.decode()
    assert again.status_code == 200
    assert "already has an intake for an appointment that day, at 14:30" in page
    assert reverse("desk:intake", args=[existing.public_id]) in page
    assert 'name="allow_same_day"' in page
    assert Intake.objects.count() == 1


def test_intake_new_second_same_day_intake_when_the_desk_confirms(client, front_desk):
    client.force_login(front_desk)
    client.post(NEW_URL, make_intake_data())

    response = client.post(NEW_URL, make_intake_data(allow_same_day="on"))

    assert response.status_code == 302
    assert Intake.objects.count() == 2


def test_intake_new_other_day_or_cancelled_intake_needs_no_confirmation(client, front_desk):
    client.force_login(front_desk)
    client.post(NEW_URL, make_intake_data())
    later = timezone.localdate() + datetime.timedelta(days=2)

    other_day = client.post(NEW_URL, make_intake_data(appointment_date=later.isoformat()))
    Intake.objects.update(status=Intake.Status.CANCELLED)
    after_cancel = client.post(NEW_URL, make_intake_data())

    assert other_day.status_code == 302 and after_cancel.status_code == 302
    assert Intake.objects.count() == 3


def test_intake_new_an_appointment_at_midnight_belongs_to_the_next_day(client, front_desk):
    client.force_login(front_desk)
    day_after = timezone.localdate() + datetime.timedelta(days=2)
    client.post(
        NEW_URL, make_intake_data(appointment_date=day_after.isoformat(), appointment_time="00:00")
    )

    late = client.post(NEW_URL, make_intake_data(appointment_time="23:30"))  # tomorrow
    same = client.post(
        NEW_URL, make_intake_data(appointment_date=day_after.isoformat(), appointment_time="09:00")
    )

    assert late.status_code == 302
    assert same.status_code == 200 and "at 00:00" in same.content.decode()
    assert Intake.objects.count() == 2


def test_intake_new_form_is_not_shown_the_same_day_box_until_needed(client, front_desk):
    client.force_login(front_desk)

    assert 'name="allow_same_day"' not in client.get(NEW_URL).content.decode()


def test_intake_new_anonymous_is_sent_to_sign_in_and_creates_nothing(client):
    response = client.post(NEW_URL, make_intake_data())

    assert response["Location"].startswith(reverse("accounts:login"))
    assert not Intake.objects.exists()


def test_intake_detail_shows_the_patient_and_is_audited(client, front_desk):
    intake = make_intake()
    client.force_login(front_desk)

    response = client.get(reverse("desk:intake", args=[intake.public_id]))

    assert response.status_code == 200
    assert intake.patient.full_name in response.content.decode()
    assert AuditEvent.objects.filter(action="intake.view_desk", intake=intake).count() == 1


# ---------------------------------------------------------------------------------------------
# Invitation links


def _issue(client, intake):
    response = client.post(reverse("desk:link_issue", args=[intake.public_id]), follow=True)
    url = response.context["url"]
    return response, url.rsplit("/i/", 1)[1].strip("/")


def test_link_issue_shows_the_url_once_with_a_qr_handout(client, front_desk):
    intake = make_intake()
    client.force_login(front_desk)

    response, token = _issue(client, intake)
    detail = client.get(reverse("desk:intake", args=[intake.public_id]))

    page = response.content.decode()
    assert response.status_code == 200
    assert f"/i/{token}/" in page
    assert "data:image/svg+xml" in page
    assert "This link is shown only now" in page
    assert token not in detail.content.decode()
    assert "not opened yet" in detail.content.decode()


def test_link_issue_redirects_and_the_token_never_appears_in_a_url(client, front_desk):
    intake = make_intake()
    client.force_login(front_desk)

    response = client.post(reverse("desk:link_issue", args=[intake.public_id]))

    show_url = reverse("desk:link_show", args=[intake.public_id])
    assert response.status_code == 302
    assert response["Location"] == show_url
    cookie = response.cookies["dn_new_link"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == show_url
    assert int(cookie["max-age"]) <= 120


def test_refreshing_the_link_page_does_not_make_a_new_link(client, front_desk):
    """A refresh used to re-send the POST: a new link, and the one already sent stopped."""
    intake = make_intake()
    client.force_login(front_desk)
    _, token = _issue(client, intake)

    again = client.get(reverse("desk:link_show", args=[intake.public_id]), follow=True)

    page = again.content.decode()
    assert again.redirect_chain[-1][0] == reverse("desk:intake", args=[intake.public_id])
    assert "a link is shown only once" in page
    assert token not in page
    assert IntakeLink.objects.filter(intake=intake).count() == 1
    assert Client().get(reverse("patient:open", args=[token])).status_code == 302


def test_link_page_refuses_a_cookie_made_for_another_intake_or_user(client, front_desk):
    first, second = make_intake(), make_intake()
    client.force_login(front_desk)
    client.post(reverse("desk:link_issue", args=[first.public_id]))
    value = client.cookies["dn_new_link"].value

    def show(intake):
        client.cookies["dn_new_link"] = value  # as if the browser sent it to this page
        return client.get(reverse("desk:link_show", args=[intake.public_id]))

    other_intake = show(second)
    client.force_login(make_user("practitioner", "p-other"))
    other_user = show(first)
    client.force_login(front_desk)
    own = show(first)  # the same cookie is good where it was made for

    assert other_intake.status_code == 302
    assert other_intake["Location"] == reverse("desk:intake", args=[second.public_id])
    assert other_user.status_code == 302
    assert other_user["Location"] == reverse("desk:intake", args=[first.public_id])
    assert own.status_code == 200 and "/i/" in own.content.decode()


def test_link_page_ignores_a_tampered_cookie(client, front_desk):
    intake = make_intake()
    client.force_login(front_desk)
    client.cookies["dn_new_link"] = "not-a-signed-value"

    response = client.get(reverse("desk:link_show", args=[intake.public_id]))

    assert response.status_code == 302
    assert not IntakeLink.objects.exists()


def test_link_issue_revokes_older_links(client, front_desk):
    intake = make_intake()
    client.force_login(front_desk)
    _, first = _issue(client, intake)

    _, second = _issue(client, intake)

    links = IntakeLink.objects.filter(intake=intake).order_by("pk")
    assert [link.revoked_at is not None for link in links] == [True, False]
    patient = Client()
    assert patient.get(reverse("patient:open", args=[first])).status_code == 410  # replaced
    assert patient.get(reverse("patient:open", args=[second])).status_code == 302


def test_link_issue_is_refused_for_a_submitted_intake(client, front_desk):
    intake = make_intake(status=Intake.Status.SUBMITTED)
    client.force_login(front_desk)

    response = client.post(reverse("desk:link_issue", args=[intake.public_id]), follow=True)

    assert "already been sent" in response.content.decode()
    assert not IntakeLink.objects.exists()


def test_link_issue_anonymous_is_sent_to_sign_in(client):
    intake = make_intake()

    response = client.post(reverse("desk:link_issue", args=[intake.public_id]))

    assert response["Location"].startswith(reverse("accounts:login"))
    assert not IntakeLink.objects.exists()


# ---------------------------------------------------------------------------------------------
# Tablet hand-over


def test_handover_signs_staff_out_and_opens_the_patients_check(client, front_desk):
    intake = make_intake()
    client.force_login(front_desk)

    response = handover(client, intake)

    assert response["Location"] == reverse("patient:verify", args=[intake.public_id])
    assert "_auth_user_id" not in client.session
    assert client.session[PATIENT_SESSION_KEY]["kiosk"] is True
    assert AuditEvent.objects.filter(action="intake.handover", actor=front_desk).count() == 1


def test_handover_tablet_reaches_only_that_intake(client, front_desk):
    intake = make_intake()
    other = make_intake(patient=make_patient(full_name="Someone Else"))
    client.force_login(front_desk)
    handover(client, intake)

    confirm_dob(client, intake)
    mine = client.get(step_url(intake, "welcome"))
    staff_pages = [
        client.get(reverse("desk:board")),
        client.get(reverse("desk:intake", args=[intake.public_id])),
        client.get(NEW_URL),
    ]
    other_step = client.get(step_url(other, "welcome"))

    assert mine.status_code == 200
    for page in staff_pages:
        assert page["Location"].startswith(reverse("accounts:login"))
    assert other_step.status_code == 404


def test_handover_after_submit_asks_to_return_the_tablet(client, front_desk):
    intake = make_intake()
    client.force_login(front_desk)
    handover(client, intake)
    confirm_dob(client, intake)
    complete_steps(client, intake)

    response = client.post(
        reverse("patient:review", args=[intake.public_id]), {"declaration": "on"}, follow=True
    )

    intake.refresh_from_db()
    assert intake.status == Intake.Status.SUBMITTED
    assert "Please return this tablet to reception" in response.content.decode()


def test_handover_finish_later_returns_the_tablet_and_ends_the_session(client, front_desk):
    intake = make_intake()
    client.force_login(front_desk)
    handover(client, intake)
    confirm_dob(client, intake)
    saved = client.post(
        step_url(intake, "welcome"), make_step_data("welcome", action="later"), follow=True
    )

    left = client.post(reverse("patient:leave", args=[intake.public_id]), follow=True)

    assert "Finish later and return the tablet" in saved.content.decode()
    assert "Please return this tablet to reception" in left.content.decode()
    assert PATIENT_SESSION_KEY not in client.session
    assert client.get(step_url(intake, "about_you")).status_code == 404


def test_handover_is_refused_for_a_submitted_intake(client, front_desk):
    intake = make_intake(status=Intake.Status.SUBMITTED)
    client.force_login(front_desk)

    response = handover(client, intake)

    assert response["Location"] == reverse("desk:intake", args=[intake.public_id])
    assert "_auth_user_id" in client.session
    assert PATIENT_SESSION_KEY not in client.session


def test_handover_anonymous_is_sent_to_sign_in(client):
    intake = make_intake()

    response = handover(client, intake)

    assert response["Location"].startswith(reverse("accounts:login"))
    assert PATIENT_SESSION_KEY not in client.session


@pytest.mark.django_db
def test_tablet_identity_check_ends_the_session_after_five_wrong_dates(client, front_desk):
    from screening.permissions import PATIENT_SESSION_KEY
    from tests.conftest import make_intake

    intake = make_intake()
    client.force_login(front_desk)
    client.post(reverse("desk:handover", args=[intake.public_id]))
    url = reverse("patient:verify", args=[intake.public_id])
    wrong = {"day": "1", "month": "1", "year": "1950"}

    responses = [client.post(url, wrong) for _ in range(5)]

    assert [r.status_code for r in responses[:4]] == [200] * 4
    assert responses[4].status_code == 403
    assert "return this tablet" in responses[4].content.decode()
    assert PATIENT_SESSION_KEY not in client.session
    assert client.get(url).status_code == 404


# ---------------------------------------------------------------------------------------------
# Printed documents: downloaded under the patient's name and the appointment's date


def _cleared_intake_for(practitioner, full_name: str, appointment_at) -> Intake:
    from screening import services
    from tests.factories import make_submitted_intake, set_plan

    intake = make_submitted_intake(
        {},
        practitioner=practitioner,
        patient=make_patient(full_name=full_name),
        appointment_at=appointment_at,
    )
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake.refresh_from_db()
    services.review_decide(
        actor=practitioner,
        intake=intake,
        decision=Intake.Decision.CLEARED,
        expected_version=intake.version,
    )
    intake.refresh_from_db()
    return intake


# 23:30 UTC on 1 July is 00:30 on 2 July in London: the file carries the clinic's local date.
LATE_EVENING_UTC = datetime.datetime(2027, 7, 1, 23, 30, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("url_name", "filename"),
    [
        ("desk:consent_pdf", "consent-lukasiewicz-novakova-2027-07-02.pdf"),
        ("desk:aftercare_pdf", "aftercare-lukasiewicz-novakova-2027-07-02.pdf"),
    ],
)
def test_documents_download_as_attachments_named_for_the_patient_and_the_visit(
    client, front_desk, practitioner, settings, url_name, filename
):
    settings.TIME_ZONE = "Europe/London"
    intake = _cleared_intake_for(practitioner, "Zoë Łukasiewicz-Nováková", LATE_EVENING_UTC)
    client.force_login(front_desk)

    response = client.get(reverse(url_name, args=[intake.public_id]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("full_name", "surname"),
    [
        ("Harold  Kemp ", "kemp"),
        ("Anne-Marie O'Brien", "obrien"),
        ("Åsa Ødegård", "odegard"),
        ("Иван Петров", "patient"),  # nothing left in ASCII
        ("李", "patient"),
    ],
)
def test_document_file_names_use_the_last_word_of_the_name_in_ascii(
    practitioner, settings, full_name, surname
):
    from screening.documents import pdf_filename

    settings.TIME_ZONE = "Europe/London"
    intake = make_intake(patient=make_patient(full_name=full_name), appointment_at=LATE_EVENING_UTC)

    assert pdf_filename("consent", intake) == f"consent-{surname}-2027-07-02.pdf"
    assert pdf_filename("aftercare", intake) == f"aftercare-{surname}-2027-07-02.pdf"
