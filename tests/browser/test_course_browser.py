"""A course of care in a real browser: a returning patient checks in on a phone (the earlier
answers confirmed part by part, one part changed), then the practitioner's review page and the
desk's documents page say what changed since the last visit and that a new consent is needed.
"""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from screening import services
from screening.engine import questionnaire
from screening.models import Intake
from screening.permissions import Role
from tests.browser.axe import violations
from tests.browser.test_patient_phone_browser import TOUCH, path_of, tap_choice
from tests.browser.test_wizard_browser import PHONE, confirm_dob, page_path
from tests.conftest import PASSWORD, make_link, make_patient, make_step_data, make_user
from tests.factories import make_submitted_intake, resolve_and_clear, set_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = "Morgan Course"
DOB = datetime.date(1979, 6, 14)
CHANGED_PART = "bleeding"


def no_sideways_scroll(page) -> bool:
    return page.evaluate(f"document.documentElement.scrollWidth <= {PHONE[0]}")


def tap_label(page, input_id: str) -> None:
    """Tap the visible row of a visually replaced radio; the radio is then chosen."""
    page.locator(f'label[for="{input_id}"]').tap()
    expect(page.locator(f"#{input_id}")).to_be_checked()


def press_and_land(page, button: str, expected_path: str) -> None:
    """Press a submit button and require that the browser lands on ``expected_path``."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).tap()
    assert path_of(page).endswith(expected_path), (path_of(page), expected_path)


def answer_calm(page, section_id: str, part: int) -> None:
    """Give the calm answers of one wizard page with taps (and typing for numbers)."""
    items = questionnaire.SECTIONS_BY_ID[section_id].pages[part - 1]
    calm = make_step_data(section_id)
    calm.pop("action")
    for name, value in calm.items():
        if name.split("__")[0] not in items:
            continue
        if page.locator(f'input[name="{name}"][value="{value}"]').count():
            tap_choice(page, name, value)
        else:
            page.locator(f'[name="{name}"]').fill(value)


def sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def first_visit(desk, practitioner) -> Intake:
    """A visit two weeks ago: answers sent with nothing to report, a plan, cleared, and the
    consent signed on paper."""
    two_weeks_ago = timezone.now() - datetime.timedelta(days=14)
    intake = make_submitted_intake(
        patient=make_patient(full_name=NAME, date_of_birth=DOB), appointment_at=two_weeks_ago
    )
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake = resolve_and_clear(intake, practitioner)
    services.consent_record_paper(
        actor=desk, intake=intake, form_token=uuid.uuid4(), signer_name=NAME
    )
    intake.refresh_from_db()
    assert intake.status == Intake.Status.SIGNED
    return intake


def test_a_returning_patient_checks_in_and_staff_see_what_changed(live_server, page_factory):
    desk = make_user(Role.FRONT_DESK, "desk-course")
    practitioner = make_user(Role.PRACTITIONER, "prac-course", first_name="Priya", last_name="Shah")
    earlier = first_visit(desk, practitioner)

    # The second visit, later today: a check-in against the first visit's answers.
    intake = services.intake_create(
        actor=desk,
        full_name=NAME,
        date_of_birth=DOB,
        appointment_at=timezone.now() + datetime.timedelta(hours=3),
        practitioner=practitioner,
        start="auto",
    )
    assert intake.kind == Intake.Kind.CHECKIN
    assert intake.previous_id == earlier.pk
    assert intake.patient_id == earlier.patient_id
    today_items = set(questionnaire.SECTIONS_BY_ID["today"].items)
    assert intake.answers["blood_thinner_use"] == earlier.answers["blood_thinner_use"]
    assert not today_items & set(intake.answers)
    base = live_server.url
    link_url = base + reverse("patient:open", args=[make_link(intake).token])
    parts = [section.id for section in services.checkin_sections()]
    assert CHANGED_PART in parts

    # ---- The patient, on a phone --------------------------------------------------------
    page = page_factory(*PHONE, **TOUCH)
    page.goto(link_url)
    confirm_dob(page, DOB)
    page.wait_for_url("**" + page_path("welcome"))
    expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
    for part in parts:
        title = questionnaire.SECTIONS_BY_ID[part].title
        expect(page.get_by_role("group", name=f"{title}: is this still true?")).to_be_visible()
    assert no_sideways_scroll(page)
    assert violations(page) == []

    # Continue with nothing chosen: the same page, with the problems listed at the top.
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").tap()
    assert path_of(page).endswith(page_path("welcome"))
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Tell us who is filling in this form.")
    expect(summary.locator("li")).to_have_count(1 + len(parts))
    assert no_sideways_scroll(page)
    assert violations(page) == []

    tap_label(page, "completed_by_self")
    assert page.locator('label[for="completed_by_self"]').inner_text() == "I am the patient"
    for part in parts:
        choice = "changed" if part == CHANGED_PART else "same"
        tap_label(page, f"part_{part}_{choice}")
    assert page.locator(f'label[for="part_{CHANGED_PART}_changed"]').inner_text() == (
        "No, something has changed"
    )
    assert no_sideways_scroll(page)
    # Continue walks the pages still open in wizard order: "How you are today" (asked afresh;
    # it comes before "Bleeding and medicines" in the questionnaire), then only the changed
    # part, filled in with the earlier answers, then "Check and send".
    press_and_land(page, "Continue", page_path("today", 1))
    today_pages = len(questionnaire.SECTIONS_BY_ID["today"].pages)
    assert today_pages == 3
    for part in range(1, today_pages + 1):
        answer_calm(page, "today", part)
        following = page_path("today", part + 1) if part < today_pages else page_path(CHANGED_PART)
        press_and_land(page, "Next", following)

    expect(page.locator('input[name="bleeding_disorder__answer"][value="no"]')).to_be_checked()
    press_and_land(page, "Next", page_path(CHANGED_PART, 2))
    expect(page.locator('input[name="blood_thinner_use__answer"][value="no"]')).to_be_checked()
    tap_choice(page, "blood_thinner_use__answer", "yes")
    tap_choice(page, "blood_thinner_use__agents", "warfarin")
    inr = page.locator('[name="blood_thinner_use__latest_inr"]')
    expect(inr).to_be_visible()
    inr.fill("2.6")
    page.locator('[name="blood_thinner_use__inr_days_ago"]').fill("3")
    press_and_land(page, "Next", reverse("patient:review", args=[intake.public_id]))
    assert no_sideways_scroll(page)
    page.get_by_label("I confirm that my answers are true").tap()
    press_and_land(page, "Send my answers", reverse("patient:done", args=[intake.public_id]))

    intake.refresh_from_db()
    assert intake.status == Intake.Status.SUBMITTED
    assert intake.completed_by == "self"
    assert intake.answers["blood_thinner_use"] == {
        "answer": True,
        "agents": ["warfarin"],
        "latest_inr": 2.6,
        "inr_days_ago": 3,
    }
    for item_id, answer in earlier.answers.items():
        if item_id != "blood_thinner_use" and item_id not in today_items:
            assert intake.answers.get(item_id) == answer, item_id

    # ---- The practitioner, at a desk --------------------------------------------------------
    review = page_factory(1280, 900)
    sign_in(review, base, "prac-course")
    review.goto(base + reverse("review:intake", args=[intake.public_id]))
    heading = review.locator("#since-heading")
    last_day = timezone.localtime(earlier.appointment_at)
    expect(heading).to_contain_text(f"Since the last visit ({last_day.day} {last_day:%b %Y})")
    expect(heading).to_contain_text("Check-in")
    since = review.locator("section.since-last")
    expect(since).to_be_visible()
    flag = since.locator("li").filter(has_text="Blood-thinning medicine").first
    expect(flag).to_contain_text("Blood-thinning medicine: New: precaution")
    expect(since).to_contain_text("New consent needed")
    expect(since).to_contain_text(
        "A new risk since the consent: Blood-thinning medicine (precaution)."
    )
    changed = since.locator("dl.answer-list")
    expect(changed).to_contain_text("Blood-thinning medicine")
    assert violations(review) == []

    # ---- The desk ---------------------------------------------------------------------------
    documents = page_factory(1280, 900)
    sign_in(documents, base, "desk-course")
    documents.goto(base + reverse("desk:documents", args=[intake.public_id]))
    course_consent = documents.locator("#course-consent")
    expect(course_consent).to_be_visible()
    expect(course_consent).to_contain_text("New consent needed")
    expect(course_consent).to_contain_text("Blood-thinning medicine")
