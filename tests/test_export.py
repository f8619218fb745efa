"""The clinic's CSV export of intakes for a date range (clinic admin; streamed; audited)."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from screening.models import AuditEvent
from screening.wording import item_title
from tests.conftest import make_intake, make_patient
from tests.factories import make_submitted_intake, resolve_and_clear, set_plan

URL = reverse("manage:export")


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def intakes(practitioner):
    reviewed = make_submitted_intake(
        {"frailty": {"answer": True}},
        patient=make_patient(full_name="Jamie Example"),
        practitioner=practitioner,
        appointment_at=_at(datetime.date(2026, 3, 2), 9),
    )
    set_plan(reviewed, practitioner, ["manual_static"], ["lumbar"])
    resolve_and_clear(reviewed, practitioner)
    make_intake(
        make_patient(full_name='=HYPERLINK("http://evil.example")'),
        appointment_at=_at(datetime.date(2026, 3, 4), 15),
    )
    make_intake(
        make_patient(full_name="Outside Range"), appointment_at=_at(datetime.date(2026, 3, 5))
    )
    return reviewed


def test_export_page_shows_the_form(client, clinic_admin):
    client.force_login(clinic_admin)

    response = client.get(URL)

    assert response.status_code == 200
    assert b"Appointments from" in response.content
    assert not AuditEvent.objects.filter(action="intakes.export").exists()


def test_export_streams_intakes_in_words_for_the_range(client, clinic_admin, intakes):
    client.force_login(clinic_admin)

    response = client.post(URL, {"date_from": "2026-03-02", "date_to": "2026-03-04"})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "intakes-2026-03-02-to-2026-03-04.csv" in response["Content-Disposition"]
    header, first, second = _rows(response)
    assert header[:3] == ["Appointment (clinic time)", "Patient", "Practitioner"]
    assert first[0] == "2026-03-02 09:00"
    assert first[5] == f"Precaution: {item_title('frailty')}"
    assert first[1:5] == ["Jamie Example", "Priya Shah", "Reviewed", "Precaution"]
    assert first[6] == "Cleared with modifications"
    assert "frailty" not in first[5]  # the item's title, never its id
    # A cell that a spreadsheet would run as a formula is shown as text.
    assert second[1] == '\'=HYPERLINK("http://evil.example")'
    assert second[3] == "In progress" and second[4:] == ["", "", ""]


def test_export_is_audited_with_the_range_never_names(client, clinic_admin, intakes):
    client.force_login(clinic_admin)

    response = client.post(URL, {"date_from": "2026-03-01", "date_to": "2026-03-31"})
    b"".join(response.streaming_content)

    event = AuditEvent.objects.get(action="intakes.export")
    assert event.actor == clinic_admin
    assert event.detail == {"date_from": "2026-03-01", "date_to": "2026-03-31", "rows": 3}
    assert "Jamie" not in str(event.detail)


def test_reversed_range_is_explained_and_changes_nothing(client, clinic_admin, intakes):
    client.force_login(clinic_admin)
    events = AuditEvent.objects.count()

    response = client.post(URL, {"date_from": "2026-03-31", "date_to": "2026-03-01"})

    assert response.status_code == 400
    assert b"The end date is before the start date" in response.content
    assert b"error-summary" in response.content
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("data", [{}, {"date_from": "2026-02-30", "date_to": "x"}])
def test_missing_or_bad_dates_are_explained(client, clinic_admin, data):
    client.force_login(clinic_admin)

    response = client.post(URL, data)

    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action="intakes.export").exists()


@pytest.mark.parametrize("role", ["front_desk", "practitioner"])
def test_export_is_for_the_clinic_admin_only(client, request, role):
    client.force_login(request.getfixturevalue(role))

    response = client.post(URL, {"date_from": "2026-03-01", "date_to": "2026-03-31"})

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="intakes.export").exists()


def test_export_needs_a_sign_in(client, db):
    response = client.post(URL, {"date_from": "2026-03-01", "date_to": "2026-03-31"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
