"""The redesigned review page in a real browser: a practitioner opens a patient with four
flags from the queue, plans on the body map, re-plans away from an infected cut (which then
is only "Also noted"), resolves the precautions one by one while the sticky summary counts
up, overrides the absolute flag behind a password, and clears with modifications; the consent
prints the practitioner's plain words and none of the clinical notes. axe-core on the queue,
the review page, the override confirmation and the desk's documents page."""

from __future__ import annotations

import datetime
import io
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from screening import selectors
from screening.engine import questionnaire, regions
from screening.models import Consent, FlagResolution, Intake
from screening.permissions import Role
from tests.browser.axe import assert_no_violations
from tests.conftest import PASSWORD, make_patient, make_user
from tests.factories import make_submitted_intake, resolve_and_clear, set_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Set REVIEW_SHOTS_DIR to keep a screenshot of each page.
SHOTS = Path(os.environ["REVIEW_SHOTS_DIR"]) if os.environ.get("REVIEW_SHOTS_DIR") else None

PHOBIA = {"needle_phobia": {"answer": True, "fear_level": "strong"}}
WARFARIN = {
    "blood_thinner_use": {
        "answer": True,
        "agents": ["warfarin"],
        "latest_inr": 2.5,
        "inr_days_ago": 3,
    }
}
ANSWERS = {
    **PHOBIA,
    **WARFARIN,
    "skin_lesion_or_local_infection": {
        "answer": True,
        "type": "infected cut",
        "regions": ["forearm_hand_right"],
    },
    "pregnancy": {"answer": "yes", "weeks": 20, "complications": False},
}

# Internal ids that must never reach a screen: every id with an underscore, plus technique
# ids that are jargon on their own.
INTERNAL_IDS = sorted(
    {
        name
        for name in (
            *questionnaire.ITEMS,
            *regions.REGIONS,
            *regions.ALIASES,
            *regions.TECHNIQUES,
        )
        if "_" in name
    },
    key=len,
    reverse=True,
)

# The clinician's notes, typed into "Mitigation applied": the consent must not print them.
MITIGATION_WARFARIN = (
    "Clinical note W: INR in range; no pistoning, spare the first web space, 60 s pressure."
)
MITIGATION_PREGNANCY = "Clinical note P: side-lying, upper trapezius with care, no estim."
PATIENT_WORDING = "We will use fewer needles and press on each spot afterwards."
JUSTIFICATION = (
    "Patient asked to go ahead after we talked it through: lying down, one needle first, "
    "stop at any sign of distress."
)


def sign_in(page, base: str, username: str) -> None:
    """Sign in with the password. Pages are opened with reduced motion, so that Bootstrap's
    smooth scrolling does not slow every click and anchor jump."""
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def assert_no_internal_ids(page, where: str) -> None:
    text = page.evaluate("() => document.body.innerText")
    found = [name for name in INTERNAL_IDS if name in text]
    assert found == [], f"internal ids visible on {where}: {found}"


def shot(page, name: str, full_page: bool = True) -> None:
    if SHOTS is None:
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def plan_shape(page, view: str, region: str):
    return page.locator(f'[data-body-map="regions"] [data-view="{view}"] [data-region="{region}"]')


def region_box(page, region: str):
    return page.locator(f'#plan input[name="regions"][value="{region}"]')


def summary_count(page) -> str:
    return page.locator(".review-summary").get_by_text(re.compile(r"\d+ of \d+ resolved"))


def chip(page, item: str):
    anchor = "flag-" + item.replace("_", "-")
    return page.locator(f'.review-summary a.flag-chip[href="#{anchor}"]')


def article(page, item: str):
    return page.locator(f"article#flag-{item.replace('_', '-')}")


def flag_map_classes(page, region: str) -> list[str]:
    return page.eval_on_selector_all(
        f'.flag-map [data-region="{region}"]', "els => els.map(e => e.getAttribute('class'))"
    )


def consent_text(intake: Intake) -> str:
    from pypdf import PdfReader

    from screening.pdf import render_consent

    reader = PdfReader(io.BytesIO(render_consent(intake)))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


@pytest.mark.parametrize("width,height", [(1280, 800), (1024, 768)], ids=["wide", "narrow"])
def test_replan_resolve_override_and_clear_with_modifications(
    live_server, page_factory, width, height
):
    practitioner = make_user(Role.PRACTITIONER, "prac-decide", first_name="Priya")
    intake = make_submitted_intake(
        ANSWERS,
        patient=make_patient(full_name="Robin Quayle"),
        appointment_at=timezone.now() + datetime.timedelta(minutes=30),
        practitioner=practitioner,
    )
    page = page_factory(width, height, reduced_motion="reduce")
    base = live_server.url
    tag = f"{width}"
    sign_in(page, base, "prac-decide")

    # The queue: the row shows the patient's flags as chips.
    day = timezone.localdate(intake.appointment_at)
    page.goto(f"{base}/review/?day={day:%Y-%m-%d}")
    row = page.locator("table.queue tbody tr", has=page.get_by_role("link", name="Robin Quayle"))
    # Before any plan, the site-specific flag on the cut is absolute too ("pending plan").
    row_chips = {text.split(" (")[0] for text in row.locator(".flag-chip").all_text_contents()}
    assert row_chips == {questionnaire.ANSWER_LABELS[item] for item in ANSWERS}, row_chips
    expect(page.locator(".waiting-for-you")).to_contain_text("1 of your patients to review")
    assert_no_internal_ids(page, "queue")
    shot(page, f"{tag}-01-queue")

    row.get_by_role("link", name="Robin Quayle").click()
    expect(page.get_by_role("heading", name="Robin Quayle", level=1)).to_be_visible()
    assert_no_internal_ids(page, "review page before the plan")

    # First plan: static needling on the right forearm, chosen by tapping the body map.
    page.get_by_label("Manual needling (static)").check()
    plan_shape(page, "front", "forearm_hand_right").click()
    expect(region_box(page, "forearm_hand_right")).to_be_checked()
    page.get_by_role("button", name="Save plan and re-screen").click()
    expect(page.get_by_text("Plan saved and screening re-run")).to_be_visible()
    expect(page.get_by_role("heading", name="Absolute contraindications (2)")).to_be_visible()
    expect(region_box(page, "forearm_hand_right")).to_be_checked()
    expect(chip(page, "skin_lesion_or_local_infection")).to_be_visible()
    assert_no_internal_ids(page, "review page, plan on the infected forearm")
    shot(page, f"{tag}-02-plan-on-forearm")

    # New plan away from the cut: untick the forearm on the map, tap the back of the neck.
    plan_shape(page, "front", "forearm_hand_right").click()
    expect(region_box(page, "forearm_hand_right")).not_to_be_checked()
    plan_shape(page, "back", "neck_posterior").click()
    expect(region_box(page, "neck_posterior")).to_be_checked()
    page.get_by_role("button", name="Save plan and re-screen").click()
    expect(page.get_by_text("Plan saved and screening re-run")).to_be_visible()
    expect(page.get_by_role("heading", name="Absolute contraindications (1)")).to_be_visible()
    expect(page.get_by_role("heading", name="Precautions (2)")).to_be_visible()
    expect(page.get_by_role("heading", name="Also noted (1)")).to_be_visible()
    cut = article(page, "skin_lesion_or_local_infection")
    expect(cut).to_have_class(re.compile(r"\bfinding-info\b"))
    expect(cut).to_contain_text("infected cut")
    expect(cut.locator("form")).to_have_count(0)  # nothing to resolve
    # "Also noted" comes after the flags to resolve, and its finding is in that section.
    also_noted_y = page.get_by_role("heading", name="Also noted (1)").bounding_box()["y"]
    assert cut.bounding_box()["y"] > also_noted_y
    for item in ("needle_phobia", "blood_thinner_use", "pregnancy"):
        assert article(page, item).bounding_box()["y"] < also_noted_y, item
    # The summary's chips are the three flags to resolve; the cut is not among them.
    chips = page.locator(".review-summary a.flag-chip")
    expect(chips).to_have_count(3)
    expect(chip(page, "skin_lesion_or_local_infection")).to_have_count(0)
    expect(chip(page, "needle_phobia")).to_have_class(re.compile(r"\bchip-absolute\b"))
    expect(summary_count(page)).to_have_text("0 of 3 resolved")
    expect(page.locator(".review-summary")).to_contain_text("Before clearing:")
    # The flag map: the forearm in the info colour, the neck outlined as planned.
    forearm = flag_map_classes(page, "forearm_hand_right")
    assert forearm and all("bm-level-info" in c for c in forearm), forearm
    assert not any("bm-planned" in c for c in forearm), forearm
    assert all("bm-planned" in c for c in flag_map_classes(page, "neck_posterior"))
    fill, stroke_dash = page.evaluate(
        """() => {
            const f = getComputedStyle(document.querySelector(
                '.flag-map [data-region="forearm_hand_right"]')).fill;
            const n = getComputedStyle(document.querySelector(
                '.flag-map [data-region="neck_posterior"]')).strokeDasharray;
            return [f, n];
        }"""
    )
    assert fill == "rgb(108, 117, 125)", fill  # the "noted" grey, not red or amber
    assert stroke_dash not in ("", "none"), stroke_dash
    words = page.locator(".flag-map-words")
    expect(words).to_contain_text("Right forearm, wrist and hand")
    expect(words).to_contain_text("Planned: Back of the neck")
    assert_no_internal_ids(page, "review page, plan away from the cut")
    shot(page, f"{tag}-03-replanned")

    if width >= 1200:
        # Two columns: the summary is to the right of the flags and stays on screen.
        summary_box = page.locator(".review-summary").bounding_box()
        assert summary_box["x"] > article(page, "needle_phobia").bounding_box()["x"]
        page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
        scrolled = page.evaluate("() => window.scrollY")
        # Not sticky, the summary would have scrolled out of sight above the viewport.
        assert scrolled > summary_box["y"] + summary_box["height"], (scrolled, summary_box)
        top = page.locator(".review-summary").bounding_box()["y"]
        assert 0 <= top < height, top
        shot(page, f"{tag}-03b-scrolled-to-the-bottom", full_page=False)
        # A chip is a link to its flag.
        chip(page, "pregnancy").click()
        expect(page).to_have_url(re.compile("#flag-pregnancy$"))
        expect(article(page, "pregnancy")).to_be_in_viewport()
    else:
        # One column: the summary comes first, above the flags.
        summary_y = page.locator(".review-summary").bounding_box()["y"]
        first_article_y = page.locator("article.finding").first.bounding_box()["y"]
        assert summary_y < first_article_y

    # The precautions, one by one: the count goes up and the chip turns resolved.
    for n, (item, mitigation, wording) in enumerate(
        [
            ("blood_thinner_use", MITIGATION_WARFARIN, PATIENT_WORDING),
            ("pregnancy", MITIGATION_PREGNANCY, ""),
        ],
        start=1,
    ):
        finding = article(page, item)
        finding.locator('textarea[name="mitigation"]').fill(mitigation)
        finding.locator('textarea[name="patient_wording"]').fill(wording)
        finding.get_by_role("button", name=re.compile("^Acknowledge with this mitigation")).click()
        expect(page.get_by_text("Resolution recorded")).to_be_visible()
        expect(summary_count(page)).to_have_text(f"{n} of 3 resolved")
        expect(chip(page, item)).to_have_class(re.compile(r"\bchip-resolved\b"))
        expect(chip(page, "needle_phobia")).not_to_have_class(re.compile(r"\bchip-resolved\b"))
    expect(article(page, "blood_thinner_use").locator(".consent-wording")).to_contain_text(
        PATIENT_WORDING
    )
    assert_no_internal_ids(page, "review page, precautions resolved")

    # The absolute flag: a justification, a confirmation page, then the password.
    phobia = article(page, "needle_phobia")
    phobia.locator('textarea[name="justification"]').fill(JUSTIFICATION)
    phobia.get_by_role("button", name=re.compile("^Override")).click()
    expect(
        page.get_by_role("heading", name="Override an absolute contraindication?")
    ).to_be_visible()
    confirm = page.locator(".override-confirm dl")
    expect(confirm).to_contain_text("Fear of needles")
    expect(confirm).to_contain_text(JUSTIFICATION)
    expect(confirm).to_contain_text("What the patient's consent will say")
    expect(confirm).to_contain_text("strong", ignore_case=True)  # the patient's answer
    assert_no_internal_ids(page, "override confirmation")
    shot(page, f"{tag}-04-override-confirm")

    page.get_by_label("Your password, to confirm it is you").fill("not-the-password")
    page.get_by_role("button", name="Override: Fear of needles").click()
    expect(page.get_by_role("alert")).to_contain_text("That password is not right")
    expect(page.get_by_label("Your password, to confirm it is you")).to_have_attribute(
        "aria-invalid", "true"
    )
    assert not FlagResolution.objects.filter(intake=intake, item="needle_phobia").exists()
    shot(page, f"{tag}-05-override-wrong-password")

    page.get_by_label("Your password, to confirm it is you").fill(PASSWORD)
    page.get_by_role("button", name="Override: Fear of needles").click()
    expect(page.get_by_text("Resolution recorded")).to_be_visible()
    expect(summary_count(page)).to_have_text("3 of 3 resolved")
    expect(chip(page, "needle_phobia")).to_have_class(re.compile(r"\bchip-resolved\b"))
    expect(page.locator(".alert-danger[role=note]")).to_contain_text(JUSTIFICATION)

    # Nothing blocks any more: only "Cleared with modifications" fits, and it is preselected.
    summary = page.locator(".review-summary")
    expect(summary.get_by_text("Before clearing:")).to_have_count(0)
    expect(summary.get_by_label("Cleared", exact=True)).to_be_disabled()
    expect(summary.get_by_label("Cleared with modifications")).to_be_enabled()
    expect(summary.get_by_label("Cleared with modifications")).to_be_checked()
    assert_no_internal_ids(page, "review page, all resolved")
    shot(page, f"{tag}-06-all-resolved")

    summary.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    assert_no_internal_ids(page, "review page, decided")
    intake.refresh_from_db()
    assert intake.status == Intake.Status.REVIEWED
    assert intake.decision == Intake.Decision.CLEARED_WITH_MODIFICATIONS
    assert intake.plan_regions == ["neck_posterior"]
    assert intake.plan_techniques == ["manual_static"]

    # The consent prints the practitioner's plain words, not their clinical notes or jargon.
    text = consent_text(intake)
    assert PATIENT_WORDING in text
    for clinical in (MITIGATION_WARFARIN, MITIGATION_PREGNANCY, JUSTIFICATION):
        assert clinical not in text, clinical
    for fragment in ("Clinical note", "INR in range", "60 s pressure"):
        assert fragment not in text, fragment
    lowered = text.lower()
    jargon = [word for word in ("pistoning", "web space", "trapezius") if word in lowered]
    assert jargon == [], f"jargon in the consent: {jargon}"
    ids = [name for name in INTERNAL_IDS if name in text]
    assert ids == [], f"internal ids in the consent: {ids}"


def _cleared_intake(practitioner) -> Intake:
    """An intake with a precaution, mitigated, and cleared with modifications."""
    intake = make_submitted_intake(
        WARFARIN,
        patient=make_patient(full_name="Sam Cleared"),
        practitioner=practitioner,
    )
    set_plan(intake, practitioner, ["manual_static"], ["neck_posterior"])
    intake.refresh_from_db()
    return resolve_and_clear(
        intake,
        practitioner,
        mitigation="Pressure after each needle.",
        wording={"blood_thinner_use": PATIENT_WORDING},
    )


def test_axe_on_queue_review_override_and_documents(live_server, page_factory):
    practitioner = make_user(Role.PRACTITIONER, "prac-axe", first_name="Priya")
    make_user(Role.FRONT_DESK, "desk-axe")
    flagged = make_submitted_intake(
        {**PHOBIA, **WARFARIN},
        patient=make_patient(full_name="Alex Flagged"),
        practitioner=practitioner,
    )
    set_plan(flagged, practitioner, ["manual_static"], ["neck_posterior"])
    waiting = make_submitted_intake(
        WARFARIN, patient=make_patient(full_name="Wren Waiting"), practitioner=practitioner
    )
    Consent.objects.create(
        intake=waiting,
        status=Consent.Status.AWAITING_PRACTITIONER,
        method=Consent.Method.TABLET,
        consent_text_version="test",
        screening=selectors.latest_screening(waiting),
        signer_name="Wren Waiting",
        signer_role=Consent.SignerRole.PATIENT,
        patient_signed_at=timezone.now(),
    )
    cleared = _cleared_intake(practitioner)
    base = live_server.url
    page = page_factory(1280, 800, reduced_motion="reduce")
    sign_in(page, base, "prac-axe")

    day = timezone.localdate(flagged.appointment_at)
    page.goto(f"{base}/review/?day={day:%Y-%m-%d}&status=all")
    expect(page.locator("table.queue .flag-chip").first).to_be_visible()
    expect(page.get_by_text("co-signature waiting")).to_be_visible()
    expect(page.locator(".waiting-for-you")).to_be_visible()
    assert_no_internal_ids(page, "queue")
    assert_no_violations(page, "queue with chips and a co-signature badge")
    shot(page, "axe-01-queue")

    page.get_by_role("link", name="Alex Flagged").click()
    phobia = article(page, "needle_phobia")
    expect(phobia.locator("details[open] textarea[name=justification]")).to_be_visible()
    expect(article(page, "blood_thinner_use").locator("textarea[name=mitigation]")).to_be_visible()
    assert_no_violations(page, "review page with the resolution forms open")

    phobia.locator("textarea[name=justification]").fill("Too short.")
    # The browser's own minlength check would stop a real click; the server must refuse too.
    phobia.locator("form").evaluate("form => form.noValidate = true")
    phobia.get_by_role("button", name=re.compile("^Override")).click()
    expect(article(page, "needle_phobia").get_by_role("alert")).to_contain_text(
        "written clinical justification"
    )
    # The error is tied to the field and focused (static/screening/js/app.js).
    expect(phobia.locator("textarea[name=justification]")).to_have_attribute("aria-invalid", "true")
    expect(phobia.locator("textarea[name=justification]")).to_have_attribute(
        "aria-describedby", "error-summary"
    )
    expect(page.locator("#error-summary")).to_be_focused()
    assert not FlagResolution.objects.filter(intake=flagged).exists()
    assert_no_internal_ids(page, "review page with an error")
    assert_no_violations(page, "review page with a justification error")
    shot(page, "axe-02-review-error")

    phobia = article(page, "needle_phobia")
    phobia.locator("textarea[name=justification]").fill(JUSTIFICATION)
    phobia.get_by_role("button", name=re.compile("^Override")).click()
    expect(
        page.get_by_role("heading", name="Override an absolute contraindication?")
    ).to_be_visible()
    assert_no_violations(page, "override confirmation")
    page.get_by_label("Your password, to confirm it is you").fill("wrong-password")
    page.get_by_role("button", name="Override: Fear of needles").click()
    expect(page.get_by_role("alert")).to_contain_text("That password is not right")
    assert_no_violations(page, "override confirmation with the wrong-password error")
    shot(page, "axe-03-override-wrong-password")

    desk = page_factory(1280, 800, reduced_motion="reduce")
    sign_in(desk, base, "desk-axe")
    desk.goto(f"{base}/desk/intakes/{cleared.public_id}/documents/")
    expect(desk.get_by_role("heading", level=1)).to_be_visible()
    assert_no_internal_ids(desk, "desk documents")
    assert_no_violations(desk, "desk documents page for a cleared intake")
    shot(desk, "axe-04-desk-documents")
