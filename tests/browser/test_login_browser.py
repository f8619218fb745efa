"""A real browser signs in as each role and lands on that role's home page."""

import pytest
from playwright.sync_api import expect

from screening.permissions import Role
from tests.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANDING = {
    Role.FRONT_DESK: ("/desk/", "Appointments on"),
    Role.PRACTITIONER: ("/review/", "Review queue"),
    Role.CLINIC_ADMIN: ("/manage/settings/", "Clinic settings"),
}


@pytest.mark.parametrize("role", list(LANDING), ids=str)
def test_each_role_signs_in_and_lands_on_its_home(live_server, page_factory, role):
    make_user(role, f"{role}-person")
    page = page_factory(360, 740)

    page.goto(live_server.url + "/")
    page.get_by_label("Username").fill(f"{role}-person")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    path, heading = LANDING[role]
    page.wait_for_url(live_server.url + path)
    assert heading in page.get_by_role("heading", level=1).inner_text()


def test_wrong_password_shows_an_error_and_stays_on_sign_in(live_server, page_factory):
    make_user(Role.FRONT_DESK, "desk-person")
    page = page_factory()

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("desk-person")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_be_visible()
    assert "/accounts/login/" in page.url
