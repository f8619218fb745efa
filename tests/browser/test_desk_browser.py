"""The front desk makes an invitation link in a real browser, and a reload cannot replace it."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from screening.models import IntakeLink
from screening.permissions import Role
from tests.conftest import PASSWORD, make_intake, make_patient, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_desk_makes_a_link_reloads_the_page_and_the_link_still_works(live_server, page_factory):
    make_user(Role.FRONT_DESK, "desk-person")
    patient = make_patient(full_name="Maria Nowak", date_of_birth=datetime.date(1980, 3, 4))
    intake = make_intake(patient=patient, appointment_at=timezone.now())
    desk = page_factory(1024, 768)
    desk.goto(live_server.url + "/accounts/login/")
    desk.get_by_label("Username").fill("desk-person")
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Sign in").click()
    desk.goto(f"{live_server.url}/desk/intakes/{intake.public_id}/")

    desk.get_by_role("button", name="Create invitation link").click()
    expect(desk.get_by_role("heading", name="Invitation link")).to_be_visible()
    url = desk.get_by_label("Link for Maria Nowak").input_value()
    assert "/i/" not in desk.url  # the token is on the page, never in the address bar
    desk.reload()

    expect(desk.get_by_text("a link is shown only once")).to_be_visible()
    assert url not in desk.content()
    assert IntakeLink.objects.filter(intake=intake).count() == 1
    phone = page_factory(360, 740)
    phone.goto(url)
    expect(phone.get_by_label("Day")).to_be_visible()  # the date-of-birth check


def test_board_and_queue_fit_a_phone_with_every_action_in_reach(live_server, page_factory):
    """At 360 px nothing scrolls sideways and each row's buttons are on screen."""
    make_user(Role.PRACTITIONER, "prac-person")
    at = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)
    for n, (name, status) in enumerate(
        [
            ("Alexandra Featherstonehaugh-Whitmore", "draft"),
            ("Bo Li", "submitted"),
            ("Carmen Rodríguez", "reviewed"),
        ]
    ):
        make_intake(
            patient=make_patient(full_name=name),
            appointment_at=at + datetime.timedelta(minutes=30 * n),
            status=status,
            latest_outcome="precaution",
            latest_flag_count=2,
        )
    page = page_factory(360, 740)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("prac-person")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    for path in (f"/desk/?day={at:%Y-%m-%d}", f"/review/?day={at:%Y-%m-%d}&status="):
        page.goto(live_server.url + path)
        assert page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        ), path
        for link in page.locator("table a:visible").all():
            box = link.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, (path, box)
