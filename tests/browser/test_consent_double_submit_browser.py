"""A double click on "Record paper consent" and a double tap on "I agree and sign" in a real
browser store one consent. The buttons disable themselves after the first press (app.js,
``data-once``); the tests also take that away, so that both presses reach the server and the
server alone has to make them one."""

import pytest
from django.core.signals import request_started
from django.db import connection
from playwright.sync_api import expect

from screening.models import Consent
from tests.browser.test_signing_browser import _login, _sign_on
from tests.conftest import make_user
from tests.test_consent_signing import _cleared_intake

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before the page's own scripts: app.js then finds no button[data-once] to disable.
WITHOUT_DATA_ONCE = """
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-once]").forEach(function (button) {
    button.removeAttribute("data-once");
  });
});
"""


PRESSES = [
    pytest.param(True, id="with-data-once"),
    pytest.param(False, id="server-only", marks=pytest.mark.postgres_only),
]


@pytest.fixture(autouse=True)
def _both_presses_need_postgresql(request):
    # Both POSTs reach the live server at once. The in-memory SQLite test database shares one
    # cache between the server's threads and refuses the second writer ("database table is
    # locked") where a real database file waits for the lock (clinic.settings).
    if request.node.get_closest_marker("postgres_only") and connection.vendor != "postgresql":
        pytest.skip("two requests at once need PostgreSQL (run with DATABASE_URL=postgresql://...)")


@pytest.fixture
def arrived():
    """The paths of the POSTs the live server began to handle (it runs in this process)."""
    paths: list[str] = []

    def note(sender, environ, **kwargs):
        if environ.get("REQUEST_METHOD") == "POST":
            paths.append(environ.get("PATH_INFO", ""))

    request_started.connect(note)
    yield paths
    request_started.disconnect(note)


def _press_twice(page, button, path: str, *, touch: bool = False) -> list:
    """Press ``button`` twice as a quick double click (or tap) does: the second press lands
    once the first POST has left the browser, while its page is still on screen. Presses at
    the screen position, as a finger would, so a disabled button takes the second one without
    effect. Returns the POSTs to ``path`` that were sent."""
    sent: list = []
    page.on("request", lambda r: sent.append(r) if r.method == "POST" and path in r.url else None)
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    press = page.touchscreen.tap if touch else page.mouse.click
    with page.expect_request(lambda r: r.method == "POST" and path in r.url):
        press(x, y)
    press(x, y)
    return sent


@pytest.mark.parametrize("data_once", PRESSES)
def test_double_click_on_record_paper_consent_stores_one_consent(
    live_server, page_factory, arrived, data_once
):
    desk = make_user("front_desk", "desk-double")
    intake = _cleared_intake(make_user("practitioner", "prac-double"))
    page = page_factory(1024, 768)
    if not data_once:
        page.add_init_script(WITHOUT_DATA_ONCE)
    _login(page, live_server.url, desk.username)
    page.goto(f"{live_server.url}/desk/intakes/{intake.public_id}/documents/")
    page.get_by_label("Name of the person who signed the paper form").fill("Jamie Example")
    page.get_by_label("I have checked that the printed consent was signed").check()
    button = page.get_by_role("button", name="Record paper consent")

    path = f"/desk/intakes/{intake.public_id}/consent/paper/"

    sent = _press_twice(page, button, path)

    expect(page.get_by_text("Paper consent recorded.").first).to_be_visible()
    expect(page.locator("#consent-signed")).to_be_visible()
    assert len(sent) == arrived.count(path) == (1 if data_once else 2)
    assert Consent.objects.filter(intake=intake).count() == 1


@pytest.mark.parametrize("data_once", PRESSES)
def test_double_tap_on_the_tablet_sign_button_stores_one_consent(
    live_server, page_factory, arrived, data_once
):
    desk = make_user("front_desk", "desk-double")
    intake = _cleared_intake(make_user("practitioner", "prac-double"))
    tablet = page_factory(1024, 768, has_touch=True)
    if not data_once:
        tablet.add_init_script(WITHOUT_DATA_ONCE)
    _login(tablet, live_server.url, desk.username)
    tablet.goto(f"{live_server.url}/desk/intakes/{intake.public_id}/documents/")
    tablet.get_by_role("button", name="Hand this tablet to the patient to sign").click()
    dob = intake.patient.date_of_birth
    tablet.get_by_label("Day").fill(str(dob.day))
    tablet.get_by_label("Month").fill(str(dob.month))
    tablet.get_by_label("Year").fill(str(dob.year))
    tablet.get_by_role("button", name="Continue").click()
    tablet.get_by_label("The patient", exact=True).check()
    tablet.get_by_label("Full name of the person signing").fill("Jamie Example")
    _sign_on(tablet)
    button = tablet.get_by_role("button", name="I agree and sign")

    path = f"/p/{intake.public_id}/sign/"

    sent = _press_twice(tablet, button, path, touch=True)

    expect(tablet.get_by_text("Please return this tablet to reception")).to_be_visible()
    assert len(sent) == arrived.count(path) == (1 if data_once else 2)
    assert Consent.objects.filter(intake=intake).count() == 1
