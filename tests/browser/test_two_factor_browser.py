"""A new practitioner sets up two-step sign-in from the QR page's key, signs out, and signs in
again with a code from the app; every page on the way passes axe-core."""

import base64

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from screening.permissions import Role
from tests.browser.axe import assert_no_violations
from tests.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.two_factor, pytest.mark.django_db(transaction=True)]


def app_code(secret_text: str, offset: int = 0) -> str:
    """What an authenticator app shows for the key typed from the page."""
    key = secret_text.replace(" ", "")
    key += "=" * (-len(key) % 8)
    return f"{totp(base64.b32decode(key), drift=offset):06d}"


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_new_practitioner_enrols_signs_out_and_signs_in_with_a_code(live_server, page_factory):
    make_user(Role.PRACTITIONER, "new-prac")
    page = page_factory(1280, 800)

    sign_in(page, live_server.url, "new-prac")
    page.wait_for_url("**/accounts/two-factor/**")
    assert page.get_by_role("heading", level=1).inner_text() == "Set up two-step sign-in"
    assert_no_violations(page, "enrolment")
    secret = page.locator("#secret-key").inner_text()
    page.get_by_role("textbox", name="Code").fill(app_code(secret))
    page.get_by_role("button", name="Confirm and continue").click()

    page.wait_for_url("**/two-factor/backup-codes/**")
    assert page.locator(".backup-codes li").count() == 10
    assert_no_violations(page, "backup codes")
    page.get_by_role("link", name="I have kept them: continue").click()
    page.wait_for_url(live_server.url + "/review/")
    page.get_by_role("button", name="Log out").click()

    sign_in(page, live_server.url, "new-prac")
    page.wait_for_url("**/accounts/two-factor/**")
    assert page.get_by_role("heading", level=1).inner_text() == "Two-step sign-in"
    assert_no_violations(page, "verification")
    # The next step's code (the enrolment's is spent), as the server reckons the clock: a code
    # accepted a step late leaves the device a drift of -1.
    drift = TOTPDevice.objects.get(user__username="new-prac").drift
    page.get_by_role("textbox", name="Code").fill(app_code(secret, offset=drift + 1))
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(live_server.url + "/review/")
    assert "Review queue" in page.get_by_role("heading", level=1).inner_text()


def test_a_wrong_code_is_explained_on_the_page(live_server, page_factory):
    make_user(Role.FRONT_DESK, "desk-person")
    page = page_factory(360, 740)

    sign_in(page, live_server.url, "desk-person")
    page.get_by_role("textbox", name="Code").fill("123")
    page.get_by_role("button", name="Confirm and continue").click()

    assert "That code did not work" in page.get_by_role("alert").inner_text()
    assert_no_violations(page, "enrolment with an error, 360 px")
