"""The clinic admin's Integrations page at phone width: make a token (shown once, selectable
to copy), revoke it after the confirmation page; axe-core finds no violations on any of them."""

import os

import pytest
from playwright.sync_api import expect

from screening.permissions import Role
from tests.browser.axe import assert_no_violations
from tests.browser.test_staff_browser import sign_in
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Set to a directory to keep screenshots of each state (for a look by eye).
SHOTS = os.environ.get("SCREENSHOT_DIR")


def _look(page, name: str) -> None:
    assert_no_violations(page, name)
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"integrations-{name}.png"), full_page=True)


def test_admin_makes_and_revokes_a_token(live_server, page_factory):
    make_user(Role.CLINIC_ADMIN, "boss", first_name="Alex", last_name="Morgan")
    page = page_factory(360, 800)
    sign_in(page, live_server.url, "boss")
    page.goto(live_server.url + "/manage/integrations/")
    page.get_by_role("button", name="Make a read-only token").click()
    expect(page.locator("#error-summary")).to_be_visible()
    _look(page, "error")

    page.get_by_label("Name of the integration").fill("Practice EHR")
    page.get_by_role("button", name="Make a read-only token").click()
    token = page.get_by_label("Token", exact=True).input_value()
    assert len(token) >= 43
    _look(page, "token-shown")

    page.get_by_role("link", name="Revoke the token of Practice EHR").click()
    _look(page, "revoke-confirm")
    page.get_by_role("button", name="Yes, revoke the token").click()
    page.wait_for_url(live_server.url + "/manage/integrations/")
    assert "Revoked" in page.get_by_role("table").inner_text()
    assert token not in page.content()
    _look(page, "revoked")
