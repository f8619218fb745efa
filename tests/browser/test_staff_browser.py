"""The clinic admin's Staff pages and the password page, as a person uses them: readable at
1280 and 360 px, and free of axe-core violations."""

import re

import pytest
from playwright.sync_api import expect

from screening.permissions import Role
from tests.browser.axe import assert_no_violations
from tests.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def log_out(page) -> None:
    """Log out from the menu; on a narrow screen, open the menu first and let it finish
    opening (a click while Bootstrap's collapse is still animating can land on nothing)."""
    menu = page.locator("#main-nav")
    if not menu.is_visible():
        page.get_by_role("button", name="Toggle navigation").click()
        expect(menu).to_have_class(re.compile(r"\bshow\b"))
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")


@pytest.mark.parametrize("width", [1280, 360])
def test_admin_gives_a_one_time_password_and_the_user_must_choose_a_new_one(
    live_server, page_factory, width
):
    make_user(Role.CLINIC_ADMIN, "boss", first_name="Alex", last_name="Morgan")
    make_user(Role.FRONT_DESK, "dana", first_name="Dana", last_name="Reyes")
    page = page_factory(width, 800)
    sign_in(page, live_server.url, "boss")
    page.goto(live_server.url + "/manage/staff/")
    assert_no_violations(page, f"staff list at {width}px")

    page.get_by_role("link", name="Dana Reyes").click()
    assert_no_violations(page, f"staff member at {width}px")
    page.get_by_role("button", name="Give dana a one-time password").click()
    one_time = page.locator("#one-time-password").inner_text()
    assert_no_violations(page, f"one-time password shown at {width}px")
    log_out(page)

    page.get_by_label("Username").fill("dana")
    page.get_by_label("Password").fill(one_time)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/password/**")
    assert_no_violations(page, f"password change at {width}px")
    page.get_by_label("Current password").fill(one_time)
    page.locator("#id_new").fill("dana-chose-this-one-7")
    page.get_by_label("New password again").fill("dana-chose-this-one-7")
    page.get_by_role("button", name="Change password").click()

    page.wait_for_url(live_server.url + "/desk/")
    assert "Your password is changed" in page.get_by_role("status").inner_text()
