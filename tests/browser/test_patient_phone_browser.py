"""The patient questionnaire on a phone, in a real browser: a whole journey answered with taps
(Enter in number fields always moves forward, a body-map tap, a Change from "Check and send",
a draft that survives closing the browser), axe-core on every kind of patient page, and one
page answered with the keyboard only.

Set WIZARD_SHOTS_DIR (for example /tmp/phone-shots) to keep a screenshot of the pages.
"""

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from screening.engine import questionnaire, regions
from screening.models import ClinicSettings, Intake
from tests.browser.axe import assert_no_violations
from tests.browser.test_wizard_browser import (
    PHONE,
    confirm_dob,
    fits_the_screen,
    following_path,
    page_path,
    shot,
)
from tests.conftest import (
    complete_steps,
    make_intake,
    make_link,
    make_patient,
    make_step_data,
    open_as_patient,
    question_pages,
    step_url,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOUCH = {"has_touch": True, "is_mobile": True}
NUMBER_MODES = ("numeric", "decimal")
WELCOME_BACK = "Welcome back. You were on “{}”. Everything you answered is saved."
BLOOD_THINNER_QUESTION = "Do you take a medicine that thins your blood?"


def born_years_ago(years: int) -> datetime.date:
    """A date of birth that makes the patient ``years`` old today (the birthday is 2 to 6
    weeks away, whatever today is)."""
    today = timezone.localdate()
    return datetime.date(today.year - years - 1, today.month, 1) + datetime.timedelta(days=45)


def phone(page_factory):
    return page_factory(*PHONE, **TOUCH)


def path_of(page) -> str:
    parts = urlsplit(page.url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def choice_label(page, name: str, value: str):
    """The full-width row of one option (the label is the tap target)."""
    return page.locator(f'input[name="{name}"][value="{value}"] + label.choice-label')


def tap_choice(page, name: str, value: str) -> None:
    choice_label(page, name, value).tap()
    assert page.locator(f'input[name="{name}"][value="{value}"]').is_checked(), (name, value)


def goes_to(page, expected: str, action) -> None:
    """Run ``action`` (a tap or a key press that submits) and require that the browser lands
    on ``expected``: forward, never back, and never the same page with a mistake."""
    before = path_of(page)
    with page.expect_navigation():
        action()
    assert path_of(page).endswith(expected), (before, path_of(page), expected)


def check_fits(page) -> None:
    """Nothing wider than the phone: the page never scrolls sideways."""
    assert fits_the_screen(page), path_of(page)


def answer_page(page, section_id: str, part: int, answers: dict) -> bool:
    """Answer one page with taps (calm answers, then ``answers``) and go on with Next, or with
    Enter in the last number field typed when the page shows one. True when Enter was used."""
    items = questionnaire.SECTIONS_BY_ID[section_id].pages[part - 1]
    calm = make_step_data(section_id)
    calm.pop("action")
    number_field = None
    for name, value in {**calm, **answers}.items():
        if name.split("__")[0] not in items:
            continue
        for one in value if isinstance(value, list) else [value]:
            if page.locator(f'input[name="{name}"][value="{one}"]').count():
                tap_choice(page, name, one)
                continue
            field = page.locator(f'[name="{name}"]')
            field.tap()
            field.fill(one)
            if field.get_attribute("inputmode") in NUMBER_MODES:
                number_field = field
    shown = page.locator(", ".join(f'input[inputmode="{m}"]:visible' for m in NUMBER_MODES))
    assert (number_field is not None) == (shown.count() > 0), (section_id, part)
    check_fits(page)
    shot(page, f"{section_id}-{part}")
    expected = following_path(section_id, part)
    if number_field is not None:
        goes_to(page, expected, lambda: number_field.press("Enter"))
    else:
        goes_to(page, expected, lambda: next_button(page).tap())
    check_fits(page)
    return number_field is not None


def next_button(page):
    return page.get_by_role("button", name="Next", exact=True)


# ---------------------------------------------------------------------------------------------
# The whole journey on a phone


ANSWERS = {
    ("wishes", 1): {"needle_phobia__answer": "yes", "needle_phobia__fear_level": "strong"},
    ("pregnancy", 1): {
        "pregnancy__answer": "yes",
        "pregnancy__weeks": "20",
        "pregnancy__complications": "no",
    },
    ("infection_skin", 4): {"bloodborne_virus__answer": "prefer_not"},
}


def test_a_phone_journey_with_taps_enter_a_change_and_a_closed_browser(live_server, page_factory):
    dob = born_years_ago(34)
    intake = make_intake(make_patient(full_name="Robin Phone", date_of_birth=dob))
    link_url = live_server.url + reverse("patient:open", args=[make_link(intake).token])
    pages = question_pages()
    entered = []  # the pages left with Enter in a number field
    page = phone(page_factory)

    def answer(section_id, part, answers=None):
        if answer_page(page, section_id, part, answers or ANSWERS.get((section_id, part), {})):
            entered.append((section_id, part))

    page.goto(link_url)
    check_fits(page)
    confirm_dob(page, dob)
    page.wait_for_url("**/step/welcome/")
    check_fits(page)
    tap_choice(page, "completed_by", "self")
    goes_to(page, "/step/about_you/", lambda: page.get_by_role("button", name="Start").tap())
    assert "Your age on the day of your appointment: 34" in page.inner_text("main")

    inr_page = pages.index(("bleeding", 2))
    for section_id, part in pages[:inr_page]:
        answer(section_id, part)

    # Blood thinners: the follow-ups open as the patient taps; the INR is typed and saved as
    # a draft while the patient is still on the page.
    assert page.get_by_text("Step 6 of 13 · part 2 of 2").is_visible()
    inr = page.locator('[name="blood_thinner_use__latest_inr"]')
    assert inr.is_hidden()
    tap_choice(page, "blood_thinner_use__answer", "yes")
    tap_choice(page, "blood_thinner_use__agents", "warfarin")
    expect(inr).to_be_visible()
    inr.tap()
    with page.expect_response(
        lambda r: "/draft/" in r.url and "2.5" in (r.request.post_data or "")
    ) as draft:
        inr.press_sequentially("2.5")
    assert draft.value.status == 200
    expect(page.locator("[data-draft-status]")).to_have_text("Your answers so far are saved.")
    check_fits(page)
    shot(page, "bleeding-2-draft-saved")

    # The phone's browser is closed; later the patient opens the link again.
    page.context.close()
    page = phone(page_factory)
    page.goto(link_url)
    confirm_dob(page, dob)
    page.wait_for_url("**" + page_path("bleeding", 2))
    welcome_back = page.locator(".messages .alert")
    expect(welcome_back).to_have_text(WELCOME_BACK.format("Bleeding and medicines"))
    # Shown as a message box: its colours made it into the patient pages' purged CSS.
    background = welcome_back.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"), background
    assert page.locator('[name="blood_thinner_use__latest_inr"]').input_value() == "2.5"
    assert page.locator('input[name="blood_thinner_use__agents"][value="warfarin"]').is_checked()
    shot(page, "bleeding-2-welcome-back")
    days = page.locator('[name="blood_thinner_use__inr_days_ago"]')
    days.tap()
    days.fill("3")
    goes_to(page, following_path("bleeding", 2), lambda: days.press("Enter"))

    # An infected cut on the right forearm, marked on the body map with a tap.
    skin_page = pages.index(("infection_skin", 1))
    for section_id, part in pages[inr_page + 1 : skin_page]:
        answer(section_id, part)
    tap_choice(page, "skin_lesion_or_local_infection__answer", "yes")
    body_map = page.locator("[data-body-map]")
    expect(body_map).to_be_visible()
    assert page.locator("[data-region-list]").get_attribute("open") is None
    body_map.locator('[data-view="front"] [data-region="forearm_hand_right"]').tap()
    box = page.locator(
        'input[name="skin_lesion_or_local_infection__regions"][value="forearm_hand_right"]'
    )
    assert box.is_checked()
    chosen = regions.label("forearm_hand_right")
    expect(page.locator("[data-body-map-chosen]")).to_have_text(f"Chosen: {chosen}")
    shot(page, "infection_skin-1-map")
    answer(
        "infection_skin",
        1,
        {
            "skin_lesion_or_local_infection__answer": "yes",
            "skin_lesion_or_local_infection__type": "Infected cut",
        },
    )
    for section_id, part in pages[skin_page + 1 :]:
        answer(section_id, part)
    # Every page that showed a number field was left with Enter in it (the INR page too).
    assert entered == [("about_you", 3), ("today", 2), ("pregnancy", 1)]

    # Check and send: every question with its answer; Change comes straight back here.
    assert path_of(page).endswith(reverse("patient:review", args=[intake.public_id]))
    assert "Some pages are not finished yet" not in page.content()
    optional = page.locator(".summary-row").filter(has_text="blood-borne")
    assert "Prefer not to say" in optional.inner_text()
    shot(page, "review")
    change = page.get_by_role("link", name=f"Change your answer to: {BLOOD_THINNER_QUESTION}")
    goes_to(page, page_path("bleeding", 2) + "?change=1", change.tap)
    primary = page.get_by_role("button", name="Save and go back to Check and send")
    assert page.locator("form.wizard-step button[type=submit]").first.inner_text() == (
        primary.inner_text()
    )
    inr = page.locator('[name="blood_thinner_use__latest_inr"]')
    assert inr.input_value() == "2.5"
    inr.fill("2.8")
    goes_to(page, reverse("patient:review", args=[intake.public_id]), primary.tap)
    row = page.locator(".summary-row").filter(has_text=BLOOD_THINNER_QUESTION)
    assert "2.8" in row.inner_text()
    assert "2.5" not in row.inner_text()
    check_fits(page)

    page.get_by_label("I confirm that my answers are true").tap()
    send = page.get_by_role("button", name="Send my answers")
    goes_to(page, reverse("patient:done", args=[intake.public_id]), send.tap)
    expect(page.get_by_role("heading", name="Your appointment")).to_be_visible()
    expect(page.get_by_role("heading", name="How to prepare")).to_be_visible()
    check_fits(page)
    shot(page, "done")

    intake.refresh_from_db()
    answers = intake.answers
    assert intake.status == Intake.Status.SUBMITTED
    assert answers["blood_thinner_use"] == {
        "answer": True,
        "agents": ["warfarin"],
        "latest_inr": 2.8,
        "inr_days_ago": 3,
    }
    assert answers["pregnancy"] == {"answer": "yes", "weeks": 20, "complications": False}
    assert answers["needle_phobia"] == {"answer": True, "fear_level": "strong"}
    assert answers["skin_lesion_or_local_infection"]["regions"] == ["forearm_hand_right"]
    assert answers["skin_lesion_or_local_infection"]["answer"] is True


# ---------------------------------------------------------------------------------------------
# axe-core on every kind of patient page, with the app's own CSP


def edge_contrast(page, selector: str) -> float:
    """The contrast of an element's border against the white page (axe does not check the
    3:1 that WCAG 2.2 asks of a control's edge)."""
    color = page.eval_on_selector(selector, "e => getComputedStyle(e).borderTopColor")
    red, green, blue = (int(v) for v in re.findall(r"\d+", color)[:3])

    def channel(value: int) -> float:
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)
    return 1.05 / (luminance + 0.05)


def test_every_patient_page_type_has_no_axe_violations_on_a_phone(live_server, page_factory):
    clinic = ClinicSettings.load()
    clinic.phone = "01234 567890"
    clinic.address = "1 High Street\nTown"
    clinic.save()
    dob = born_years_ago(34)
    intake = make_intake(make_patient(full_name="Ada Axe", date_of_birth=dob))
    base = live_server.url
    page = phone(page_factory)

    def page_at(section_id, part=1):
        page.goto(base + step_url(intake, section_id, part))

    def audit(label):
        shot(page, "axe-" + label.replace(" ", "-"))
        assert_no_violations(page, label)

    page.goto(base + reverse("patient:open", args=["not-a-real-token"]))
    expect(page.get_by_role("heading", name="This link is not valid")).to_be_visible()
    audit("link problem")

    page.goto(base + reverse("patient:open", args=[make_link(intake).token]))
    page.wait_for_url("**/verify/")
    audit("verify")
    confirm_dob(page, dob + datetime.timedelta(days=1))
    expect(page.locator("#error-summary")).to_be_visible()
    audit("verify with an error")
    confirm_dob(page, dob)
    page.wait_for_url("**/step/welcome/")
    audit("welcome")

    page_at("bleeding", 2)
    tap_choice(page, "blood_thinner_use__answer", "yes")
    tap_choice(page, "blood_thinner_use__agents", "warfarin")
    page.locator('[name="blood_thinner_use__latest_inr"]').fill("2.5")
    expect(page.locator('[name="blood_thinner_use__inr_days_ago"]')).to_be_visible()
    audit("follow-ups open")

    page_at("wishes", 1)
    goes_to(page, page_path("wishes", 1), lambda: next_button(page).tap())
    expect(page.locator("#error-summary")).to_be_focused()
    audit("error summary")

    page_at("infection_skin", 1)
    tap_choice(page, "skin_lesion_or_local_infection__answer", "yes")
    expect(page.locator("[data-body-map]")).to_be_visible()
    audit("body map")
    page.locator("[data-region-list] > summary").tap()
    expect(page.locator('input[value="forearm_hand_right"]')).to_be_visible()
    audit("body map with the list of areas open")
    # Where to type and what to tick stand out: a text field's and a check box's edge.
    assert edge_contrast(page, "#id_skin_lesion_or_local_infection__type") >= 3
    assert edge_contrast(page, 'input[value="forearm_hand_right"]') >= 3

    page_at("pregnancy")
    audit("one-question page")
    page_at("infection_skin", 4)
    expect(choice_label(page, "bloodborne_virus__answer", "prefer_not")).to_be_visible()
    audit("optional question")
    later = page.get_by_role("button", name="Save and finish later")
    goes_to(page, reverse("patient:saved", args=[intake.public_id]), later.tap)
    audit("saved")

    # Every page answered (in another browser), then the link opened again: Check and send.
    client = Client()
    open_as_patient(client, intake)
    complete_steps(client, intake)
    page.goto(base + reverse("patient:open", args=[make_link(intake).token]))
    confirm_dob(page, dob)
    page.wait_for_url("**/review/")
    change = page.get_by_role("link", name=f"Change your answer to: {BLOOD_THINNER_QUESTION}")
    expect(change).to_be_visible()
    audit("review")
    page.get_by_label("I confirm that my answers are true").tap()
    page.get_by_role("button", name="Send my answers").tap()
    page.wait_for_url("**/done/")
    expect(page.get_by_role("heading", name="Your appointment")).to_be_visible()
    audit("done")


# ---------------------------------------------------------------------------------------------
# The keyboard only


def focused(page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            return {tag: el.tagName, id: el.id, type: el.type || "", name: el.name || ""};
        }"""
    )


def ring(page, of_label: bool = False) -> dict:
    """The focus outline drawn for the focused element (for an option: on its label)."""
    return page.evaluate(
        """(ofLabel) => {
            const el = document.activeElement;
            const target = ofLabel ? el.nextElementSibling : el;
            const style = getComputedStyle(target);
            return {
                visible: el.matches(":focus-visible"),
                width: parseFloat(style.outlineWidth),
                style: style.outlineStyle,
                color: style.outlineColor,
            };
        }""",
        of_label,
    )


def assert_ring(page, of_label: bool = False) -> None:
    drawn = ring(page, of_label)
    assert drawn["visible"] and drawn["style"] != "none" and drawn["width"] >= 3, drawn


def test_a_page_answered_with_the_keyboard_only(live_server, page_factory):
    dob = born_years_ago(34)
    intake = make_intake(make_patient(full_name="Kim Keys", date_of_birth=dob))
    page = page_factory(*PHONE)
    page.goto(live_server.url + reverse("patient:open", args=[make_link(intake).token]))
    confirm_dob(page, dob)
    page.wait_for_url("**/step/welcome/")
    page.goto(live_server.url + step_url(intake, "pregnancy"))
    weeks = page.locator('[name="pregnancy__weeks"]')

    # Tab from the top of the page: the skip link, the clinic's header, then the first option.
    passed = []
    for _ in range(6):
        page.keyboard.press("Tab")
        passed.append(focused(page))
        if passed[-1]["name"] == "pregnancy__answer":
            break
    assert passed[-1]["id"] == "id_pregnancy__answer_0", passed
    assert all(not step["name"] for step in passed[:-1]), passed
    assert_ring(page, of_label=True)
    shot(page, "keyboard-first-option-focused")

    page.keyboard.press("Space")
    assert page.locator("#id_pregnancy__answer_0").is_checked()
    expect(weeks).to_be_visible()
    page.keyboard.press("ArrowDown")  # within the group: "No", and the follow-ups go
    assert focused(page)["id"] == "id_pregnancy__answer_1"
    assert page.locator("#id_pregnancy__answer_1").is_checked()
    expect(weeks).to_be_hidden()
    assert_ring(page, of_label=True)
    page.keyboard.press("ArrowUp")
    assert page.locator("#id_pregnancy__answer_0").is_checked()
    expect(weeks).to_be_visible()

    page.keyboard.press("Tab")
    assert focused(page)["name"] == "pregnancy__weeks"
    assert_ring(page)
    page.keyboard.type("20")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "id_pregnancy__complications_0"
    page.keyboard.press("ArrowRight")  # "No"
    assert page.locator("#id_pregnancy__complications_1").is_checked()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.value") == "next"
    assert_ring(page)
    shot(page, "keyboard-next-focused")

    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert focused(page)["name"] == "pregnancy__weeks"
    goes_to(page, page_path("bleeding"), lambda: page.keyboard.press("Enter"))
    intake.refresh_from_db()
    assert intake.answers["pregnancy"] == {"answer": "yes", "weeks": 20, "complications": False}
