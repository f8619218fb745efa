"""A patient answers the questionnaire in a real browser: on a phone, and on the clinic tablet.

Set WIZARD_SHOTS_DIR (for example /tmp/wizard-shots) to keep a phone-size screenshot of every
page of the wizard.
"""

import datetime
import os
from pathlib import Path

import pytest
from django.urls import reverse

from screening.engine import questionnaire, rules
from screening.models import Intake, ScreeningResult
from screening.permissions import Role
from tests.conftest import (
    PASSWORD,
    later_today,
    make_intake,
    make_link,
    make_patient,
    make_step_data,
    make_user,
    question_pages,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = (360, 740)
TABLET = (1024, 768)
DOB = datetime.date(1991, 8, 23)
SHOTS_DIR = os.environ.get("WIZARD_SHOTS_DIR", "")

# The pregnant patient on warfarin, in the order a patient fills the fields in.
PREGNANT = {
    "pregnancy__answer": "yes",
    "pregnancy__weeks": "20",
    "pregnancy__complications": "no",
}
ON_WARFARIN = {
    "blood_thinner_use__answer": "yes",
    "blood_thinner_use__agents": ["warfarin"],
    "blood_thinner_use__latest_inr": "2.5",
    "blood_thinner_use__inr_days_ago": "3",
}


def shot(page, name: str) -> None:
    if SHOTS_DIR:
        Path(SHOTS_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS_DIR) / f"{name}.png"), full_page=True)


def fits_the_screen(page) -> bool:
    """No sideways scrolling: nothing is wider than the viewport."""
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def confirm_dob(page, date_of_birth: datetime.date) -> None:
    page.get_by_label("Day").fill(str(date_of_birth.day))
    page.get_by_label("Month").fill(str(date_of_birth.month))
    page.get_by_label("Year").fill(str(date_of_birth.year))
    page.get_by_role("button", name="Continue").click()


def set_field(page, name: str, value) -> None:
    """Answer one field the way a person does: tick the choices, or type."""
    if isinstance(value, list):
        for choice in value:
            page.locator(f'input[name="{name}"][value="{choice}"]').check()
        return
    choice = page.locator(f'input[name="{name}"][value="{value}"]')
    if choice.count():
        choice.check()
    else:
        page.locator(f'[name="{name}"]').fill(value)


def page_path(section_id: str, number: int = 1) -> str:
    """The end of a wizard page's address: ``/step/<section>/`` or ``/step/<section>/<n>/``."""
    return f"/step/{section_id}/" if number == 1 else f"/step/{section_id}/{number}/"


def following_path(section_id: str, number: int = 1) -> str:
    """Where Next leads from this page: the next page, or "Check and send" after the last."""
    pages = question_pages()
    index = pages.index((section_id, number))
    return page_path(*pages[index + 1]) if index + 1 < len(pages) else "/review/"


def answer_page(page, section_id: str, number: int = 1, answers: dict | None = None) -> None:
    """Fill the calm answers of one page of a step, then ``answers`` (those on this page) in
    order."""
    items = questionnaire.SECTIONS_BY_ID[section_id].pages[number - 1]
    calm = make_step_data(section_id)
    calm.pop("action")
    for name, value in {**calm, **(answers or {})}.items():
        if name.split("__")[0] in items:
            set_field(page, name, value)


def press(page, button: str, url_part: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_url(f"**{url_part}")


def start_welcome(page) -> None:
    page.get_by_label("I am the patient", exact=True).check()
    press(page, "Start", "/step/about_you/")


def send_answers(page, public_id) -> None:
    page.get_by_label("I confirm that my answers are true").check()
    press(page, "Send my answers", reverse("patient:done", args=[public_id]))


def test_wizard_on_a_phone_resumes_after_closing_and_screens_the_answers(live_server, page_factory):
    intake = make_intake(make_patient(full_name="Alex Morgan", date_of_birth=DOB))
    link_url = live_server.url + reverse("patient:open", args=[make_link(intake).token])
    pages = question_pages()
    bleeding = pages.index(("bleeding", 1))
    page = page_factory(*PHONE)

    # The link is exchanged for a session and the token leaves the address bar.
    page.goto(link_url)
    assert "/i/" not in page.url
    shot(page, "00-verify")
    confirm_dob(page, DOB)
    page.wait_for_url("**/step/welcome/")
    shot(page, "01-welcome")
    assert fits_the_screen(page)
    start_welcome(page)
    for number, (section_id, part) in enumerate(pages[:bleeding], start=2):
        answer_page(page, section_id, part, PREGNANT)
        shot(page, f"{number:02d}-{section_id}-{part}")
        assert fits_the_screen(page), (section_id, part)
        press(page, "Next", following_path(section_id, part))

    # Half-way: the browser is closed, and the link opened again in a fresh one.
    page.context.close()
    page = page_factory(*PHONE)
    page.goto(link_url)
    confirm_dob(page, DOB)
    page.wait_for_url("**/step/bleeding/")
    assert "Welcome back. You were on “Bleeding and medicines”." in page.content()
    press(page, "Back", "/step/pregnancy/")
    assert page.locator('input[name="pregnancy__answer"][value="yes"]').is_checked()
    assert page.locator('[name="pregnancy__weeks"]').input_value() == "20"
    press(page, "Next", "/step/bleeding/")
    answer_page(page, "bleeding", 1)
    shot(page, f"{bleeding + 2:02d}-bleeding-1")
    press(page, "Next", "/step/bleeding/2/")

    # Follow-ups appear as the patient answers, and go away again with a "no".
    inr = page.locator('[name="blood_thinner_use__latest_inr"]')
    assert inr.is_hidden()
    answer_page(page, "bleeding", 2, ON_WARFARIN)
    assert inr.is_visible()
    set_field(page, "blood_thinner_use__answer", "no")
    assert inr.is_hidden()
    assert page.locator('[name="blood_thinner_use__agents"]').first.is_hidden()
    answer_page(page, "bleeding", 2, ON_WARFARIN)
    shot(page, f"{bleeding + 3:02d}-bleeding-2")
    assert fits_the_screen(page)
    press(page, "Next", following_path("bleeding", 2))
    for number, (section_id, part) in enumerate(pages[bleeding + 2 :], start=bleeding + 4):
        answer_page(page, section_id, part)
        shot(page, f"{number:02d}-{section_id}-{part}")
        assert fits_the_screen(page), (section_id, part)
        press(page, "Next", following_path(section_id, part))
    shot(page, f"{len(pages) + 2:02d}-review")
    assert fits_the_screen(page)
    assert "Some pages are not finished yet" not in page.content()
    send_answers(page, intake.public_id)
    shot(page, f"{len(pages) + 3:02d}-done")
    assert "Your answers have been sent" in page.content()

    intake.refresh_from_db()
    result = ScreeningResult.objects.get(intake=intake)
    assert intake.status == Intake.Status.SUBMITTED
    assert intake.answers["pregnancy"] == {"answer": "yes", "weeks": 20, "complications": False}
    assert intake.answers["blood_thinner_use"] == {
        "answer": True,
        "agents": ["warfarin"],
        "latest_inr": 2.5,
        "inr_days_ago": 3,
    }
    assert result.plan is None
    assert result.outcome == rules.PRECAUTION
    flags = {
        finding["item"]: finding
        for finding in result.findings
        if finding["level"] in (rules.ABSOLUTE, rules.RELATIVE)
    }
    assert set(flags) == {"pregnancy", "blood_thinner_use"}
    # Pregnancy is relative in the 2nd trimester; e-stim and the trunk regions would make it
    # absolute, which the engine reports as pending until a plan exists.
    assert flags["pregnancy"]["level"] == rules.RELATIVE
    assert flags["pregnancy"]["codes"] == ["DN-PREG", "DN-PREG-ESTIM", "DN-PREG-TRUNK"]
    assert flags["pregnancy"]["pending_plan"] is True
    assert flags["pregnancy"]["note"] == rules.PENDING_PLAN
    assert flags["blood_thinner_use"]["level"] == rules.RELATIVE
    assert flags["blood_thinner_use"]["codes"] == ["DN-BLEED-VKA"]
    assert flags["blood_thinner_use"]["pending_plan"] is False


def test_tablet_hand_over_from_front_desk_to_patient_and_back(live_server, page_factory):
    make_user(Role.FRONT_DESK, "desk-tablet")
    # Later today: on the tablet at the clinic the "How you are today" questions are asked, as
    # they are within a day before the appointment.
    appointment = later_today()
    page = page_factory(*TABLET)

    page.goto(live_server.url + reverse("accounts:login"))
    page.get_by_label("Username").fill("desk-tablet")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + reverse("desk:board"))
    page.goto(live_server.url + reverse("desk:intake_new"))
    page.get_by_label("Patient's full name").fill("Sam Tablet")
    page.get_by_label("Date of birth").fill(DOB.isoformat())
    page.get_by_label("Appointment date").fill(appointment.date().isoformat())
    page.get_by_label("Appointment time").fill(f"{appointment:%H:%M}")
    page.get_by_role("button", name="Create intake").click()
    page.wait_for_url("**/desk/intakes/*/")
    intake = Intake.objects.get(patient__full_name="Sam Tablet")

    page.get_by_role("button", name="Hand this tablet to the patient").click()
    page.wait_for_url("**/verify/")
    confirm_dob(page, DOB)
    page.wait_for_url("**/step/welcome/")
    start_welcome(page)
    for section_id, part in question_pages():
        answer_page(page, section_id, part)
        press(page, "Next", following_path(section_id, part))
    send_answers(page, intake.public_id)

    assert "Please return this tablet to reception" in page.content()
    page.goto(live_server.url + reverse("desk:board"))
    assert reverse("accounts:login") in page.url
    intake.refresh_from_db()
    assert intake.status == Intake.Status.SUBMITTED
    assert ScreeningResult.objects.filter(intake=intake).count() == 1
