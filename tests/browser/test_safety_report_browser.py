"""The clinic safety report as the admin reads it: one page load at 1280 px and one at 390 px,
with the chart, the significant events and the tables, free of axe-core violations."""

import datetime

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from screening.models import AdverseEvent, TreatmentRecord
from screening.permissions import Role
from tests.browser.axe import assert_no_violations
from tests.conftest import make_intake, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _clinic():
    alex = make_user(Role.PRACTITIONER, "alex", first_name="Alex", last_name="Able")
    now = timezone.now()
    for days, techniques, kinds in (
        (70, ["manual_static"], ["bruising"]),
        (40, ["manual_static", "estim"], []),
        (12, ["pistoning"], ["fainting", "pain_after"]),
        (3, ["manual_static"], []),
    ):
        at = now - datetime.timedelta(days=days)
        intake = make_intake(appointment_at=at, practitioner=alex)
        treatment = TreatmentRecord.objects.create(
            intake=intake,
            practitioner=alex,
            recorded_by=alex,
            treated_at=at,
            techniques=techniques,
            regions=["lumbar"],
        )
        for kind in kinds:
            AdverseEvent.objects.create(
                intake=intake,
                treatment=treatment,
                type=kind,
                severity="moderate",
                onset="during",
                referred=kind == "fainting",
                recorded_by=alex,
            )


def _signed_in_page(page_factory, live_server, width):
    admin = make_user(Role.CLINIC_ADMIN, "boss", first_name="Alex", last_name="Morgan")
    client = Client()
    client.force_login(admin)
    page = page_factory(width, 900)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return page


@pytest.mark.parametrize("width", [1280, 390])
def test_safety_report_reads_well_and_passes_axe(live_server, page_factory, width):
    _clinic()
    page = _signed_in_page(page_factory, live_server, width)

    page.goto(live_server.url + "/manage/safety/")

    assert page.get_by_role("heading", name="Clinic safety report").is_visible()
    chart = page.get_by_role("img", name="Treatments with an adverse event, per 100 treatments")
    assert chart.is_visible()
    significant = page.locator("#significant-events")
    assert "Fainting or near-fainting (vasovagal)" in significant.inner_text()
    assert "Your clinic: 50.0 per 100 treatments" in page.locator("#overall").inner_text()
    assert page.get_by_label("From").input_value()  # the period shown is filled in
    page.get_by_text("The monthly figures as a table").click()
    assert page.locator("#monthly-table").is_visible()
    assert_no_violations(page, f"safety report at {width}px")
    # Nothing wider than the screen but the tables' own scrolling regions.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
