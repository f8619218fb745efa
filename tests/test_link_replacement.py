"""Replacing a patient's link safely: the desk is warned while the patient is answering, the old
link and the session it opened say "replaced" (410), saved answers stay, and the new link
resumes where the patient stopped. Patient error pages lead nowhere near the staff sign-in."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from screening.models import AuditEvent, Intake, IntakeLink
from screening.permissions import PATIENT_SESSION_KEY
from screening.views import core
from tests.conftest import (
    complete_steps,
    dob_data,
    make_intake,
    make_step_data,
    open_as_patient,
    step_url,
)

pytestmark = pytest.mark.django_db


def _new_link_from_the_desk(desk_client, intake, *, confirm: bool):
    url = reverse("desk:link_issue", args=[intake.public_id])
    return desk_client.post(url, {"replace_in_use": "1"} if confirm else {})


def _token_shown(desk_client, intake) -> str:
    page = desk_client.get(reverse("desk:link_show", args=[intake.public_id]))
    return page.context["url"].rsplit("/i/", 1)[1].strip("/")


def _set_active(intake, minutes_ago: float) -> None:
    when = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    Intake.objects.filter(pk=intake.pk).update(patient_active_at=when)


# ---------------------------------------------------------------------------------------------
# The desk's warning


def test_new_link_asks_first_while_the_patient_is_answering(client, front_desk):
    intake = make_intake()
    open_as_patient(Client(), intake)
    _set_active(intake, 3.5)
    links_before = IntakeLink.objects.count()
    client.force_login(front_desk)

    response = _new_link_from_the_desk(client, intake, confirm=False)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Jamie Example is answering right now (active 3 minutes ago)." in page
    assert "A new link stops the one they are using; their saved answers stay." in page
    assert "Create a new link anyway" in page
    assert IntakeLink.objects.count() == links_before
    assert IntakeLink.objects.filter(intake=intake, revoked_at__isnull=True).count() == 1


def test_new_link_after_confirming_replaces_the_one_in_use(client, front_desk):
    intake = make_intake()
    open_as_patient(Client(), intake)
    client.force_login(front_desk)

    response = _new_link_from_the_desk(client, intake, confirm=True)

    assert response.status_code == 302
    assert response["Location"] == reverse("desk:link_show", args=[intake.public_id])
    live = IntakeLink.objects.filter(intake=intake, revoked_at__isnull=True)
    assert live.count() == 1 and IntakeLink.objects.filter(intake=intake).count() == 2


def test_new_link_needs_no_confirmation_when_the_patient_is_idle(client, front_desk):
    intake = make_intake()
    open_as_patient(Client(), intake)
    _set_active(intake, 20)
    client.force_login(front_desk)

    response = _new_link_from_the_desk(client, intake, confirm=False)

    assert response.status_code == 302
    assert IntakeLink.objects.filter(intake=intake).count() == 2


# ---------------------------------------------------------------------------------------------
# The patient whose link was replaced


def test_link_replaced_mid_questionnaire_old_session_410_answers_kept_new_link_resumes(
    client, front_desk
):
    intake = make_intake()
    old_token = open_as_patient(client, intake)
    complete_steps(client, intake, ["welcome", "about_you", "wishes"])
    intake.refresh_from_db()
    answers_before, steps_before = intake.answers, intake.completed_steps
    resume_before = client.get(reverse("patient:saved", args=[intake.public_id])).context["resume"]
    desk = Client()
    desk.force_login(front_desk)

    _new_link_from_the_desk(desk, intake, confirm=True)
    new_token = _token_shown(desk, intake)
    on_next_tap = client.get(resume_before)
    posted = client.post(resume_before, make_step_data("today"))
    draft = client.post(
        reverse("patient:draft", args=[intake.public_id, "today", 1]),
        {"version": intake.version},
    )
    old_link = Client().get(reverse("patient:open", args=[old_token]))

    intake.refresh_from_db()
    for response in (on_next_tap, posted, old_link):
        assert response.status_code == 410
        page = response.content.decode()
        assert "This link was replaced" in page
        assert "use the newest message from the clinic" in page.lower()
        assert "01632 960 000" in page or "call the clinic" in page
        assert reverse("accounts:login") not in page
    assert "The answers on the page you just sent were not saved" in posted.content.decode()
    assert draft.status_code == 410 and draft.json() == {"saved": False, "gone": "replaced"}
    assert intake.answers == answers_before
    assert intake.completed_steps == steps_before

    patient = Client()
    opened = patient.get(reverse("patient:open", args=[new_token]))
    verified = patient.post(opened["Location"], dob_data(intake.patient.date_of_birth))
    resumed = patient.get(verified["Location"])
    assert verified["Location"] == resume_before
    assert resumed.status_code == 200
    assert "Welcome back" in resumed.content.decode()


def test_replaced_page_names_the_clinic_phone(client, front_desk):
    from screening import services
    from screening.models import ClinicSettings

    clinic = ClinicSettings.load()
    services.clinic_settings_update(
        actor=front_desk, changes={"phone": "01632 960 000"}, expected_version=clinic.version
    )
    intake = make_intake()
    open_as_patient(client, intake)
    services.link_issue(actor=front_desk, intake=intake)

    response = client.get(step_url(intake, "welcome"))

    assert response.status_code == 410
    assert 'href="tel:01632 960 000"' in response.content.decode()


def test_verify_page_of_a_replaced_unverified_session_is_410(client, front_desk):
    from screening import services

    intake = make_intake()
    issued = services.link_issue(actor=front_desk, intake=intake)
    client.get(reverse("patient:open", args=[issued.token]))
    services.link_issue(actor=front_desk, intake=intake)

    response = client.post(
        reverse("patient:verify", args=[intake.public_id]), dob_data(intake.patient.date_of_birth)
    )

    assert response.status_code == 410
    assert client.session[PATIENT_SESSION_KEY]["verified"] is False


def test_opening_links_is_audited_and_a_replacement_records_link_issue(client, front_desk):
    intake = make_intake()
    open_as_patient(client, intake)
    desk = Client()
    desk.force_login(front_desk)

    _new_link_from_the_desk(desk, intake, confirm=True)

    assert AuditEvent.objects.filter(action="link.issue", intake=intake).count() == 2
    assert AuditEvent.objects.filter(action="link.open", intake=intake).count() == 1


# ---------------------------------------------------------------------------------------------
# Patient error pages: no way to the staff sign-in


def _no_staff_way_out(page: str) -> None:
    assert reverse("accounts:login") not in page
    assert "Go to the start page" not in page
    assert 'href="/"' not in page
    assert "Log out" not in page


def test_patient_404_has_no_staff_sign_in_button(client):
    intake = make_intake()
    open_as_patient(client, intake)

    on_patient_path = client.get(reverse("patient:done", args=[Intake().public_id]))
    unknown_path = client.get("/p/nothing-here/")
    elsewhere = client.get("/nothing-here/")  # a patient's browser, off the patient paths

    for response in (on_patient_path, unknown_path, elsewhere):
        assert response.status_code == 404
        page = response.content.decode()
        assert "Page not found" in page
        _no_staff_way_out(page)
        assert "patient.css" in page


def test_staff_404_keeps_its_start_page_button(client, front_desk):
    client.force_login(front_desk)

    response = client.get(reverse("desk:intake", args=[Intake().public_id]))

    assert response.status_code == 404
    assert "Go to the start page" in response.content.decode()


def test_patient_400_and_403_pages_have_no_staff_sign_in_button(client):
    bad_host = client.get(reverse("patient:start"), headers={"host": "evil.example"})
    request = RequestFactory().get("/p/left/")
    request.session = SessionStore()
    request.user = AnonymousUser()
    forbidden = core.permission_denied(request)

    assert bad_host.status_code == 400
    assert forbidden.status_code == 403
    for page in (bad_host.content.decode(), forbidden.content.decode()):
        _no_staff_way_out(page)
        assert "patient.css" in page


def test_cancelled_appointment_ends_the_patients_session_with_410(client, front_desk):
    from screening import services

    intake = make_intake()
    open_as_patient(client, intake)
    intake.refresh_from_db()
    services.intake_cancel(
        actor=front_desk, intake=intake, reason="Moved away", expected_version=intake.version
    )

    response = client.get(step_url(intake, "welcome"))

    assert response.status_code == 410
    assert "This appointment was cancelled" in response.content.decode()
    _no_staff_way_out(response.content.decode())
