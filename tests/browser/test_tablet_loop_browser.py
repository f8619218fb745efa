"""In a browser: the tablet signing ends with *Staff: sign in* back to the documents page; the
pages of links that no longer work, at phone width; the desk's new pages, all through axe-core.

Set TABLET_LOOP_SHOTS_DIR to keep a screenshot of each page."""

import datetime
import os
import uuid
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from screening import codes, services
from screening.models import ClinicSettings, Intake
from tests.browser.axe import assert_no_violations
from tests.conftest import PASSWORD, make_intake, make_user
from tests.factories import complete_answers, fill_all_steps, make_submitted_intake, set_plan
from tests.test_consent_signing import _png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = (
    Path(os.environ["TABLET_LOOP_SHOTS_DIR"]) if os.environ.get("TABLET_LOOP_SHOTS_DIR") else None
)


def _shot(page, name: str) -> None:
    if SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _login(page, base, username):
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _sign_on(page):
    canvas = page.locator("canvas[data-signature]").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 60)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 30 + step * 25, box["y"] + 60 + (step % 3) * 20)
    page.mouse.up()


def _clinic_phone(actor) -> None:
    clinic = ClinicSettings.load()
    services.clinic_settings_update(
        actor=actor,
        changes={"name": "Riverside Physio", "phone": "01632 960 123"},
        expected_version=clinic.version,
    )


def _cleared(practitioner) -> Intake:
    intake = make_submitted_intake(practitioner=practitioner)
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake.refresh_from_db()
    services.review_decide(
        actor=practitioner, intake=intake, decision="cleared", expected_version=intake.version
    )
    intake.refresh_from_db()
    return intake


def test_tablet_signing_ends_with_staff_sign_in_back_to_the_documents(live_server, page_factory):
    desk = make_user("front_desk", "desk-loop")
    practitioner = make_user("practitioner", "prac-loop", first_name="Priya", last_name="Shah")
    intake = _cleared(practitioner)
    base = live_server.url
    tablet = page_factory(1024, 768)
    documents = f"{base}/desk/intakes/{intake.public_id}/documents/"

    _login(tablet, base, desk.username)
    tablet.goto(documents)
    tablet.get_by_role("button", name="Hand this tablet to the patient to sign").click()
    dob = intake.patient.date_of_birth
    tablet.get_by_label("Day").fill(str(dob.day))
    tablet.get_by_label("Month").fill(str(dob.month))
    tablet.get_by_label("Year").fill(str(dob.year))
    tablet.get_by_role("button", name="Continue").click()
    tablet.get_by_label("The patient", exact=True).check()
    tablet.get_by_label("Full name of the person signing").fill("Jamie Example")
    _sign_on(tablet)
    tablet.get_by_role("button", name="I agree and sign").click()
    tablet.get_by_text("Please return this tablet to reception").wait_for()
    _shot(tablet, "tablet-signed-1024")
    assert_no_violations(tablet, "signed, return the tablet")

    # Keyboard only, as a desk with a tablet keyboard or a switch would.
    staff_button = tablet.get_by_role("button", name="Staff: sign in")
    staff_button.focus()
    tablet.keyboard.press("Enter")
    tablet.get_by_label("Username").wait_for()
    assert "/accounts/login/" in tablet.url
    tablet.get_by_label("Username").fill(desk.username)
    tablet.get_by_label("Password").fill(PASSWORD)
    tablet.get_by_role("button", name="Sign in").click()
    tablet.wait_for_url(documents)
    tablet.get_by_text("the practitioner's co-signature is still needed").wait_for()
    assert_no_violations(tablet, "documents page after the tablet loop")
    # The patient's session is gone: the sign page no longer opens on this tablet.
    response = tablet.request.get(f"{base}/p/{intake.public_id}/sign/")
    assert response.status == 404


def test_pages_of_links_that_no_longer_work_at_phone_width(live_server, page_factory):
    desk = make_user("front_desk", "desk-gone")
    _clinic_phone(desk)
    base = live_server.url
    phone = page_factory(360, 740, has_touch=True, is_mobile=True)

    replaced = make_intake()
    old = services.link_issue(actor=desk, intake=replaced)
    services.link_issue(actor=desk, intake=replaced)

    cancelled = make_intake()
    cancelled_link = services.link_issue(actor=desk, intake=cancelled)
    services.intake_cancel(
        actor=desk, intake=cancelled, reason="Patient called", expected_version=cancelled.version
    )

    sent = make_intake()
    sent_link = services.link_issue(actor=desk, intake=sent)
    fill_all_steps(sent, complete_answers(sent))
    services.intake_submit(intake=sent)

    pages = [
        ("link-replaced-360", f"/i/{old.token}/", "This link was replaced"),
        ("link-cancelled-360", f"/i/{cancelled_link.token}/", "This appointment was cancelled"),
        ("link-thank-you-360", f"/i/{sent_link.token}/", "Thank you, your answers were sent"),
    ]
    for name, path, heading in pages:
        phone.goto(base + path)
        phone.get_by_role("heading", name=heading).wait_for()
        _fit_and_pass(phone, name)

    Intake.objects.filter(pk=sent.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(hours=25)
    )
    phone.goto(base + f"/i/{sent_link.token}/")
    phone.get_by_role("heading", name="This link has expired").wait_for()
    assert "01632 960 123" in phone.content()
    _fit_and_pass(phone, "link-expired-after-submit-360")

    phone.goto(base + f"/p/{uuid.uuid4()}/done/")
    phone.get_by_role("heading", name="Page not found").wait_for()
    assert phone.get_by_role("link", name="Sign in").count() == 0
    _fit_and_pass(phone, "patient-404-360")


def test_typed_code_page_at_phone_width(live_server, page_factory):
    desk = make_user("front_desk", "desk-code")
    _clinic_phone(desk)
    intake = make_intake()
    issued = services.link_issue(actor=desk, intake=intake)
    phone = page_factory(360, 740, has_touch=True, is_mobile=True)

    phone.goto(live_server.url + "/start/")
    phone.get_by_role("button", name="Continue").click()
    phone.locator("#error-summary").wait_for()
    _fit_and_pass(phone, "start-empty-360")
    phone.get_by_label("Type the code from your letter").fill("KQ7M-4TX0")
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_text("never contains the letters I, L or O").first.wait_for()
    _fit_and_pass(phone, "start-confusable-360")
    phone.get_by_label("Type the code from your letter").fill(
        codes.printed(issued.code).lower().replace("-", " ")
    )
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_role("heading", name="Before we start").wait_for()
    assert f"/p/{intake.public_id}/verify/" in phone.url


def test_desk_pages_for_links_edits_and_cosignatures_pass_axe(live_server, page_factory):
    desk = make_user("front_desk", "desk-pages")
    practitioner = make_user("practitioner", "prac-pages", first_name="Priya", last_name="Shah")
    _clinic_phone(desk)
    intake = make_intake(practitioner=practitioner)
    services.link_issue(actor=desk, intake=intake)
    Intake.objects.filter(pk=intake.pk).update(
        patient_active_at=timezone.now() - datetime.timedelta(minutes=3)
    )
    waiting = _cleared(practitioner)
    services.consent_patient_sign(
        intake=waiting,
        form_token=uuid.uuid4(),
        signer_name="Jamie Example",
        signer_role="patient",
        signature=_png(),
    )
    base = live_server.url
    page = page_factory(1024, 768)
    _login(page, base, desk.username)

    page.goto(base + reverse("desk:intake", args=[intake.public_id]))
    page.get_by_role("button", name="Create a new link").click()
    page.get_by_text("is answering right now (active 3 minutes ago)").wait_for()
    _shot(page, "link-confirm-1024")
    assert_no_violations(page, "new link: confirm")
    page.get_by_role("button", name="Create a new link anyway").click()
    page.get_by_text("Code for typing").wait_for()
    assert_no_violations(page, "link page with the code")
    page.emulate_media(media="print")
    _shot(page, "handout-print")
    if SHOTS:
        page.pdf(path=str(SHOTS / "handout.pdf"), format="A4")
    page.emulate_media(media="screen")

    page.goto(base + reverse("desk:intake_edit", args=[intake.public_id]))
    page.get_by_label("Appointment time").fill("")
    page.get_by_role("button", name="Save changes").click()
    page.locator("#error-summary").wait_for()
    _shot(page, "intake-edit-error-1024")
    assert_no_violations(page, "intake edit with an error")
    page.get_by_label("Appointment time").fill("16:45")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text("Saved: the appointment and practitioner are updated.").wait_for()

    page.goto(base + reverse("desk:intake_cancel", args=[intake.public_id]))
    page.get_by_role("button", name="Cancel the appointment").click()
    page.locator("#error-summary").wait_for()
    _shot(page, "intake-cancel-error-1024")
    assert_no_violations(page, "cancel with an error")
    page.get_by_label("Why is the appointment cancelled?").fill("Patient called: moving away")
    page.get_by_role("button", name="Cancel the appointment").click()
    page.locator("#intake-cancelled").wait_for()
    _shot(page, "intake-cancelled-1024")
    assert_no_violations(page, "cancelled intake")

    page = page_factory(1024, 768)
    _login(page, base, practitioner.username)
    page.goto(base + reverse("review:queue"))
    page.locator("#cosign-waiting").wait_for()
    _shot(page, "queue-cosign-1024")
    assert_no_violations(page, "queue with co-signatures waiting")
    page.get_by_role("link", name="Co-sign the consent of Jamie Example").click()
    page.get_by_role("button", name="Co-sign and freeze the consent").wait_for()
    assert f"/review/intakes/{waiting.public_id}/cosign/" in page.url


def _fit_and_pass(page, name: str) -> None:
    _shot(page, name)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, (name, width)
    assert page.get_by_role("button", name="Staff: sign in").count() == 0, name
    assert_no_violations(page, name)
