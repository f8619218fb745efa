"""The desk sends the link by e-mail (through a real SMTP server), the patient opens it from the
delivered message on a phone and answers, and the board follows: answering, step 3 of N, then
sent to the clinic. The send card and the admin's Messages page pass axe-core."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from screening.link_status import TOTAL_STEPS
from screening.models import InvitationMessage
from screening.permissions import Role
from tests.browser.axe import assert_no_violations
from tests.browser.test_wizard_browser import (
    answer_page,
    confirm_dob,
    following_path,
    press,
    send_answers,
    start_welcome,
)
from tests.conftest import PASSWORD, make_intake, make_patient, make_user, question_pages
from tests.fake_servers import body_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOB = datetime.date(1988, 2, 14)


def sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_desk_sends_an_email_and_the_board_follows_the_patient(
    live_server, page_factory, smtp_server
):
    make_user(Role.FRONT_DESK, "desk-person")
    appointment = timezone.localtime().replace(second=0, microsecond=0) + datetime.timedelta(
        hours=3
    )
    intake = make_intake(
        make_patient(full_name="Maria Nowak", date_of_birth=DOB), appointment_at=appointment
    )
    board_url = f"{live_server.url}{reverse('desk:board')}?day={appointment.date():%Y-%m-%d}"
    desk = page_factory(1024, 768)
    sign_in(desk, live_server.url, "desk-person")

    desk.goto(live_server.url + reverse("desk:intake", args=[intake.public_id]))
    expect(desk.locator("#link-state")).to_have_text("Not sent yet")
    assert_no_violations(desk, "intake page with the send card")
    desk.get_by_label("E-mail").fill("maria@example.org")
    desk.get_by_role("button", name="Send by e-mail").click()

    expect(desk.get_by_text("The link was sent by e-mail.")).to_be_visible()
    expect(desk.locator("#link-state")).to_contain_text("Sent by e-mail")
    assert_no_violations(desk, "intake page after sending")
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "maria@example.org"
    url = re.search(r"http://\S+/i/[\w\-]+/", body_text(message)).group(0)
    assert InvitationMessage.objects.get().status == "sent"

    phone = page_factory(390, 844, has_touch=True, is_mobile=True)
    phone.goto(url)
    confirm_dob(phone, DOB)
    phone.wait_for_url("**/step/welcome/")
    start_welcome(phone)
    for section_id, number in [p for p in question_pages() if p[0] == "about_you"]:
        answer_page(phone, section_id, number)
        press(phone, "Next", following_path(section_id, number))

    desk.goto(board_url)
    row = desk.get_by_role("row", name=re.compile("Maria Nowak"))
    expect(row).to_contain_text(f"Answering: step 3 of {TOTAL_STEPS}")
    expect(row).to_contain_text("active")
    assert_no_violations(desk, "board")
    # Sending again now would stop the link the patient is using: the desk is asked first.
    desk.goto(live_server.url + reverse("desk:intake", args=[intake.public_id]))
    desk.get_by_role("button", name="Send by e-mail").click()
    expect(desk.get_by_text("The patient may be answering right now")).to_be_visible()
    assert_no_violations(desk, "warning before replacing a link in use")
    desk.get_by_role("link", name="Don't send").click()
    assert InvitationMessage.objects.count() == 1

    for section_id, number in [p for p in question_pages() if p[0] != "about_you"]:
        answer_page(phone, section_id, number)
        press(phone, "Next", following_path(section_id, number))
    send_answers(phone, intake.public_id)

    desk.goto(board_url)
    expect(desk.get_by_role("row", name=re.compile("Maria Nowak"))).to_contain_text(
        "Sent to the clinic"
    )


def test_the_messages_page_previews_and_passes_axe(live_server, page_factory):
    make_user(Role.CLINIC_ADMIN, "admin-person")
    page = page_factory(1024, 768)
    sign_in(page, live_server.url, "admin-person")

    page.goto(live_server.url + reverse("manage:messages"))
    expect(page.get_by_role("heading", name="Messages to patients")).to_be_visible()
    assert_no_violations(page, "messages page")
    page.get_by_role("textbox", name=re.compile("^Invitation text message")).fill(
        "Hello {first_name}: {link}"
    )
    page.get_by_role("button", name="Preview").click()

    expect(page.locator("#error-summary")).to_contain_text("{first_name} is not a placeholder")
    assert_no_violations(page, "messages page with an error")
