"""The clinic safety report: its figures on a fixed synthetic data set (by type, practitioner,
technique, month and at the period's edges), who may see it, the CSV and the audit trail."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from screening.models import AdverseEvent, AuditEvent, TreatmentRecord
from screening.permissions import Role
from screening.safety_stats import wilson_interval
from screening.services import safety
from tests.conftest import make_intake, make_user

pytestmark = pytest.mark.django_db

START, END = datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)


def _at(*args) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


def _treat(practitioner, at, techniques, *events):
    """A treatment at ``at`` with ``events``: (type, severity) or (type, severity, referred)."""
    intake = make_intake(appointment_at=at, practitioner=practitioner)
    treatment = TreatmentRecord.objects.create(
        intake=intake,
        practitioner=practitioner,
        recorded_by=practitioner,
        treated_at=at,
        techniques=techniques,
        regions=["lumbar"],
    )
    AdverseEvent.objects.bulk_create(
        AdverseEvent(
            intake=intake,
            treatment=treatment,
            type=event[0],
            severity=event[1],
            referred=event[2] if len(event) > 2 else False,
            onset="during",
            recorded_by=practitioner,
            recorded_at=at,
        )
        for event in events
    )
    return treatment


@pytest.fixture
def clinic():
    """Five treatments between 1 January and 31 March 2026, and one on each side of it.

    Alex: 10 Jan bruising + bleeding; 20 Jan two bruises (one treatment, two techniques);
    31 Mar 23:30 a headache graded significant. Blair: 5 Feb fainting (referred); 6 Feb nothing.
    Outside: 31 Dec 2025 23:59 bruising (Blair), 1 Apr 00:00 pneumothorax (Alex).
    """
    alex = make_user(Role.PRACTITIONER, "alex", first_name="Alex", last_name="Able")
    blair = make_user(Role.PRACTITIONER, "blair", first_name="Blair", last_name="Brown")
    _treat(
        alex, _at(2026, 1, 10, 10), ["manual_static"], ("bruising", "mild"), ("bleeding", "mild")
    )
    _treat(
        alex,
        _at(2026, 1, 20, 11),
        ["manual_static", "estim"],
        ("bruising", "mild"),
        ("bruising", "moderate"),
    )
    _treat(blair, _at(2026, 2, 5, 9), ["pistoning"], ("fainting", "moderate", True))
    _treat(blair, _at(2026, 2, 6, 9), ["manual_static"])
    _treat(alex, _at(2026, 3, 31, 23, 30), ["winding"], ("headache", "significant"))
    _treat(blair, _at(2025, 12, 31, 23, 59), ["manual_static"], ("bruising", "mild"))
    _treat(alex, _at(2026, 4, 1, 0, 0), ["manual_static"], ("pneumothorax", "significant"))
    return alex, blair


def _rows(rows):
    return {row.key: row for row in rows}


def test_report_counts_treatments_in_the_period_only(clinic):
    report = safety.safety_report(start=START, end=END)

    assert report.treatments == 5


def test_report_by_type_counts_treatments_with_the_event(clinic):
    report = safety.safety_report(start=START, end=END)
    mild, significant = _rows(report.mild_types), _rows(report.significant_types)

    # Three bruises on two treatments: the rate is 2 of 5 treatments.
    assert (mild["bruising"].events, mild["bruising"].rate.k, mild["bruising"].rate.n) == (3, 2, 5)
    assert mild["bruising"].rate.per_100 == 40
    low, high = wilson_interval(2, 5)
    assert (mild["bruising"].rate.low, mild["bruising"].rate.high) == (100 * low, 100 * high)
    assert (mild["bleeding"].events, mild["bleeding"].rate.k) == (1, 1)
    assert (mild["headache"].events, mild["headache"].rate.k) == (1, 1)
    assert mild["nausea"].rate.k == 0
    # Any mild event: 10 Jan, 20 Jan, 31 Mar; five mild events in all.
    assert (mild["any_mild"].rate.k, mild["any_mild"].events) == (3, 5)
    assert mild["any_mild"].published.per_100 == 19.18
    # The fainting, and the headache graded significant; the 1 April pneumothorax is outside.
    assert (significant["any_significant"].rate.k, significant["any_significant"].events) == (2, 2)
    assert significant["fainting"].rate.k == 1
    assert significant["pneumothorax"].rate.k == 0
    assert report.significant_count == 2


def test_report_by_practitioner_and_technique(clinic):
    report = safety.safety_report(start=START, end=END)
    people = {row.label: row for row in report.by_practitioner}
    techniques = {row.label: row for row in report.by_technique}

    assert [row.label for row in report.by_practitioner] == ["Alex Able", "Blair Brown"]
    assert (people["Alex Able"].rate.k, people["Alex Able"].rate.n) == (3, 3)
    assert people["Alex Able"].significant == 1
    assert (people["Blair Brown"].rate.k, people["Blair Brown"].rate.n) == (1, 2)
    assert people["Blair Brown"].significant == 1
    # The 20 January treatment used two techniques and counts under each.
    static = techniques["Manual needling (static)"]
    assert (static.rate.k, static.rate.n) == (2, 3)
    assert (techniques["Electrical stimulation (e-stim)"].rate.k,) == (1,)
    assert techniques["Electrical stimulation (e-stim)"].rate.n == 1
    assert (techniques["Pistoning"].rate.k, techniques["Pistoning"].significant) == (1, 1)
    assert (techniques["Winding"].rate.n, techniques["Winding"].significant) == (1, 1)


def test_report_by_month(clinic):
    report = safety.safety_report(start=START, end=END)

    assert [(row.month.month, row.rate.k, row.rate.n) for row in report.monthly] == [
        (1, 2, 2),
        (2, 1, 2),
        (3, 1, 1),
    ]


def test_report_period_edges_are_whole_local_days(clinic):
    # One day on each side: the 31 December and the 1 April treatments come in.
    report = safety.safety_report(start=datetime.date(2025, 12, 31), end=datetime.date(2026, 4, 1))

    assert report.treatments == 7
    assert _rows(report.significant_types)["pneumothorax"].rate.k == 1
    assert [row.rate.n for row in report.monthly] == [1, 2, 2, 1, 1]


def test_significant_events_listed_most_recent_first(clinic):
    report = safety.safety_report(start=START, end=END)

    listed = [
        (e.treated_on, e.type_label, e.practitioner, e.referred) for e in report.significant_events
    ]
    assert listed == [
        (datetime.date(2026, 3, 31), "Headache", "Alex Able", False),
        (datetime.date(2026, 2, 5), "Fainting or near-fainting (vasovagal)", "Blair Brown", True),
    ]


def test_the_pages_stored_list_matches_the_exports_query(clinic):
    """The page lists the significant events whose keys were stored with the counts; the CSV
    queries them anew. Both give the same events in the same order, stored or not."""
    for _ in range(2):  # counted now, then read from the stored counts
        page = safety.safety_report(start=START, end=END)
        export = safety.safety_report(
            start=START, end=END, significant_listed=safety.SIGNIFICANT_EXPORTED
        )
        assert page.significant_events == export.significant_events
        assert len(page.significant_events) == 2


def test_report_with_no_treatments_divides_by_nothing():
    report = safety.safety_report(start=START, end=END)

    assert report.treatments == 0
    assert report.any_event.per_100 is None
    assert report.by_practitioner == [] and report.by_technique == []


def _count_queries(queries) -> int:
    return sum(1 for q in queries.captured_queries if "COUNT(" in q["sql"].upper())


def test_report_uses_a_fixed_number_of_queries_and_later_views_read_the_stored_counts(clinic):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    start, end = datetime.date(2025, 1, 1), datetime.date(2026, 12, 31)
    with CaptureQueriesContext(connection) as first:
        cold = safety.safety_report(start=start, end=end)
    with CaptureQueriesContext(connection) as second:
        warm = safety.safety_report(start=start, end=end)

    # The data version (3), a miss, the four counts, the latest significant events' keys,
    # storing them, the names, the significant events: a fixed number whatever the number of
    # treatments.
    assert len(first.captured_queries) <= 19
    assert _count_queries(first) == 4
    # The data version (3), the stored counts, the names and the significant events.
    assert len(second.captured_queries) <= 6
    assert _count_queries(second) == 0
    assert warm == cold


def test_new_data_makes_the_stored_counts_stale(clinic):
    alex, _blair = clinic
    before = safety.safety_report(start=START, end=END)

    treatment = _treat(alex, _at(2026, 2, 10, 9), ["manual_static"])
    after_treatment = safety.safety_report(start=START, end=END)
    AdverseEvent.objects.create(
        intake=treatment.intake,
        treatment=treatment,
        type="bruising",
        severity="mild",
        onset="during",
        recorded_by=alex,
        recorded_at=_at(2026, 2, 10, 9),
    )
    after_event = safety.safety_report(start=START, end=END)
    treatment.techniques = ["pistoning"]
    treatment.save()
    after_correction = safety.safety_report(start=START, end=END)

    assert (before.treatments, after_treatment.treatments) == (5, 6)
    bruising = {r.key: r for r in after_event.mild_types}["bruising"]
    assert bruising.rate.k == {r.key: r for r in before.mild_types}["bruising"].rate.k + 1
    from screening.engine import regions

    treated = {row.label: row.rate.n for row in after_correction.by_technique}
    assert treated[regions.TECHNIQUES["pistoning"].label] == 2  # Blair's, and this one now


def test_default_period_is_the_last_twelve_months():
    assert safety.default_period(datetime.date(2026, 12, 2)) == (
        datetime.date(2026, 1, 1),
        datetime.date(2026, 12, 2),
    )
    assert safety.default_period(datetime.date(2026, 3, 15)) == (
        datetime.date(2025, 4, 1),
        datetime.date(2026, 3, 15),
    )


# The page


def _get(client, **params):
    return client.get(reverse("manage:safety"), params)


def test_admin_sees_the_report_in_plain_words_and_it_is_audited(client, clinic_admin, clinic):
    client.force_login(clinic_admin)

    response = _get(client, date_from="2026-01-01", date_to="2026-03-31")

    assert response.status_code == 200
    text = response.content.decode()
    assert "5 treatments recorded" in text
    low, high = (100 * v for v in wilson_interval(3, 5))
    assert (
        "Your clinic: 60.0 per 100 treatments were followed by at least one adverse event "
        f"(95 % range {low:.1f} to {high:.1f})"
    ) in text
    assert "the 95 % ranges are wide" in text  # five treatments
    assert "Brady 2014: 7.55 %" in text and "[R1]" in text
    assert "<strong>7.55</strong>" in text and "<strong>19.18</strong>" in text
    assert "about 0.85 per million treatments" in text and "[R5]" in text
    assert 'role="img"' in text and "<title" in text and "<desc" in text
    assert (
        reverse(
            "desk:intake",
            args=[TreatmentRecord.objects.get(treated_at=_at(2026, 2, 5, 9)).intake.public_id],
        )
        in text
    )
    # People read labels, never ids; and no patient's name is on the page.
    assert "manual_static" not in text and "pistoning" not in text.replace("Pistoning", "")
    assert "Jamie Example" not in text
    event = AuditEvent.objects.get(action="safety_report.view")
    assert event.actor == clinic_admin
    assert event.detail == {"from": "2026-01-01", "to": "2026-03-31"}


def test_reversed_period_is_explained_and_changes_nothing(client, clinic_admin, clinic):
    client.force_login(clinic_admin)

    response = _get(client, date_from="2026-03-31", date_to="2026-01-01")

    assert response.status_code == 200
    text = response.content.decode()
    assert "The end date is before the start date" in text
    start, end = safety.default_period(timezone.localdate())
    assert AuditEvent.objects.get(action="safety_report.view").detail == {
        "from": start.isoformat(),
        "to": end.isoformat(),
    }


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "2026-13-45"}, "Enter a valid date"),
        ({"date_from": "1899-01-01"}, "between 2000 and 2100"),
        ({"date_to": "9999-12-31"}, "between 2000 and 2100"),
        ({"date_from": "2000-01-01", "date_to": "2026-01-01"}, "at most 10 years"),
    ],
)
def test_bad_dates_get_a_clear_message_not_an_error(client, clinic_admin, params, message):
    client.force_login(clinic_admin)

    response = _get(client, **params)

    assert response.status_code == 200
    assert message in response.content.decode()


def test_bad_dates_never_download(client, clinic_admin):
    client.force_login(clinic_admin)

    response = _get(client, date_from="2026-03-31", date_to="2026-01-01", format="csv")

    assert response["Content-Type"].startswith("text/html")
    assert not AuditEvent.objects.filter(action="safety_report.export").exists()


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.PRACTITIONER])
def test_desk_and_practitioner_may_not_see_the_report(client, users_by_role, role):
    client.force_login(users_by_role[role])

    assert _get(client).status_code == 403
    assert _get(client, format="csv").status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="safety_report").exists()


def test_anonymous_is_sent_to_sign_in(client):
    response = _get(client)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_csv_holds_the_tables_neutralised_and_audited(client, clinic_admin, clinic):
    alex, _blair = clinic
    alex.first_name = "=HYPERLINK(1)"
    alex.save(update_fields=["first_name"])
    client.force_login(clinic_admin)

    response = _get(client, date_from="2026-01-01", date_to="2026-03-31", format="csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "safety-report-2026-01-01-to-2026-03-31.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    by_key = {(row[0], row[1]): row for row in rows if len(row) > 1}
    assert rows[0][:6] == [
        "Table",
        "Row",
        "Treatments",
        "Treatments with the event",
        "Events",
        "Per 100 treatments",
    ]
    bruising = by_key[("Mild events", "Bruising")]
    assert bruising[2:6] == ["5", "2", "3", "40.0000"]
    assert bruising[8:] == ["7.55", "Brady 2014: 7.55 %", "[R1]"]
    assert by_key[("By month", "2026-02")][2:4] == ["2", "1"]
    assert by_key[("By technique", "Manual needling (static)")][2:4] == ["3", "2"]
    # A name that a spreadsheet would run as a formula is text.
    assert ("By practitioner", "'=HYPERLINK(1) Able") in by_key
    assert not any(cell.startswith("=") for row in rows for cell in row)
    assert by_key[("Significant events", "2026-02-05")][2:] == [
        "Fainting or near-fainting (vasovagal)",
        "Blair Brown",
        "Moderate",
        "Yes",
    ]
    event = AuditEvent.objects.get(action="safety_report.export")
    assert event.detail == {"from": "2026-01-01", "to": "2026-03-31"}
    assert not AuditEvent.objects.filter(action="safety_report.view").exists()


def test_landing_page_counts_recent_significant_events(client, clinic_admin):
    practitioner = make_user(Role.PRACTITIONER, "casey")
    now = timezone.now()
    _treat(practitioner, now - datetime.timedelta(days=2), ["manual_static"], ("fainting", "mild"))
    _treat(practitioner, now - datetime.timedelta(days=3), ["manual_static"], ("bruising", "mild"))
    _treat(
        practitioner, now - datetime.timedelta(days=40), ["manual_static"], ("infection", "mild")
    )
    client.force_login(clinic_admin)

    response = client.get(reverse("manage:settings"))

    text = response.content.decode()
    assert "1 significant adverse event was recorded in the last 30 days" in text
    assert reverse("manage:safety") in text


def test_landing_page_is_quiet_without_recent_significant_events(client, clinic_admin):
    client.force_login(clinic_admin)

    response = client.get(reverse("manage:settings"))

    assert "recent-significant-events" not in response.content.decode()


def test_report_is_in_the_admins_navigation(client, clinic_admin):
    client.force_login(clinic_admin)

    response = client.get(reverse("manage:staff"))

    assert f'href="{reverse("manage:safety")}"' in response.content.decode()
