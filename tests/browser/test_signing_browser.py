"""At tablet size: the desk hands over the tablet, the patient signs with a finger, the
practitioner co-signs, and the signed PDF downloads with the stored hash."""

import hashlib
import os
from pathlib import Path

import pytest

from screening import services
from screening.models import Consent
from tests.browser.axe import assert_no_violations
from tests.conftest import PASSWORD, make_user
from tests.factories import make_submitted_intake, set_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ["SIGNING_SHOTS_DIR"]) if os.environ.get("SIGNING_SHOTS_DIR") else None


def _sign_on(page, canvas_selector="canvas[data-signature]"):
    canvas = page.locator(canvas_selector).first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 60)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 30 + step * 25, box["y"] + 60 + (step % 3) * 20)
    page.mouse.up()


def _login(page, base, username):
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_tablet_signing_and_cosigning(live_server, page_factory):
    desk = make_user("front_desk", "desk-signing")
    practitioner = make_user("practitioner", "prac-signing", first_name="Priya", last_name="Shah")
    intake = make_submitted_intake()
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake.refresh_from_db()
    services.review_decide(
        actor=practitioner, intake=intake, decision="cleared", expected_version=intake.version
    )
    base = live_server.url
    tablet = page_factory(1024, 768)

    _login(tablet, base, desk.username)
    tablet.goto(f"{base}/desk/intakes/{intake.public_id}/documents/")
    tablet.get_by_role("button", name="Hand this tablet to the patient to sign").click()
    dob = intake.patient.date_of_birth
    tablet.get_by_label("Day").fill(str(dob.day))
    tablet.get_by_label("Month").fill(str(dob.month))
    tablet.get_by_label("Year").fill(str(dob.year))
    tablet.get_by_role("button", name="Continue").click()
    # The signing page is a patient page: the trimmed stylesheet still draws it, and it passes
    # axe-core like the questionnaire.
    tablet.get_by_label("The patient", exact=True).wait_for()
    tablet.screenshot(path=str(SHOTS / "patient-sign.png"), full_page=True) if SHOTS else None
    assert_no_violations(tablet, "patient signing page")
    tablet.get_by_label("The patient", exact=True).check()
    tablet.get_by_label("Full name of the person signing").fill("Jamie Example")
    _sign_on(tablet)
    tablet.get_by_role("button", name="I agree and sign").click()
    tablet.get_by_text("Please return this tablet to reception").wait_for()

    _login(tablet, base, practitioner.username)
    tablet.goto(f"{base}/review/intakes/{intake.public_id}/cosign/")
    _sign_on(tablet)
    tablet.get_by_role("button", name="Co-sign and freeze the consent").click()
    tablet.get_by_text("Consent signed").wait_for()

    consent = Consent.objects.get(status=Consent.Status.SIGNED)
    link = tablet.get_by_role("link", name="Download the signed PDF")
    response = tablet.request.get(base + link.get_attribute("href"))
    assert response.status == 200
    assert hashlib.sha256(response.body()).hexdigest() == consent.sha256
    assert consent.sha256 in tablet.content()
