"""The clinic admin's export and patient-record pages as a person uses them at 360 px: the
reversed range explained, the search, the one-click ZIP; axe-core finds no violation."""

import datetime
import io
import os
import zipfile

import pytest
from django.utils import timezone

from screening.permissions import Role
from tests.browser.axe import assert_no_violations
from tests.conftest import PASSWORD, make_intake, make_patient, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SCREENSHOT_DIR")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_export_and_patient_record_pages(live_server, page_factory):
    make_user(Role.CLINIC_ADMIN, "boss", first_name="Alex", last_name="Morgan")
    patient = make_patient(full_name="Jamie Example", date_of_birth=datetime.date(1985, 4, 12))
    make_intake(patient, appointment_at=timezone.now() - datetime.timedelta(days=3))
    page = page_factory(360, 800)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(live_server.url + "/manage/export/")
    page.get_by_label("Appointments from").fill("2026-03-31")
    page.get_by_label("Appointments to (included)").fill("2026-03-01")
    page.get_by_role("button", name="Download CSV").click()
    assert "The end date is before the start date" in page.locator("#error-summary").inner_text()
    assert_no_violations(page, "export with a reversed range")
    _shot(page, "export-reversed-360")

    page.get_by_role("link", name="A patient asked for their own record").click()
    page.get_by_label("Patient's name (or part of it)").fill("jamie")
    page.get_by_label("Date of birth").fill("1985-04-12")
    page.get_by_role("button", name="Find").click()
    # The name and date of birth went by POST: nothing in the URL.
    assert page.url.removeprefix(live_server.url) == "/manage/patient-record/"
    assert_no_violations(page, "patient record search results")
    _shot(page, "patient-record-found-360")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download the record of Jamie Example (ZIP)").click()
    with open(download.value.path(), "rb") as handle:
        names = zipfile.ZipFile(io.BytesIO(handle.read())).namelist()
    assert "index.html" in names and "manifest.json" in names
