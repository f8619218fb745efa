"""The audit page: who did what to which patient, when and from where, in words; filters;
a CSV download that is itself audited."""

import csv
import datetime
import io
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from screening import services
from screening.audit_display import ACTION_LABELS, action_label
from screening.models import AuditEvent, ClinicSettings
from tests.conftest import make_intake, make_patient
from tests.test_views_manage import _settings_post

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def _events_for(patient_name: str, actor, action="intake.view"):
    intake = make_intake(make_patient(full_name=patient_name))
    services.audit_record(actor=actor, action=action, intake=intake)
    return intake


def test_every_action_the_code_records_has_a_label():
    source = "\n".join(p.read_text() for p in (ROOT / "screening").rglob("*.py"))
    recorded = set(re.findall(r'action\s*=\s*"([a-z_0-9]+\.[a-z_0-9]+)"', source))
    recorded |= set(re.findall(r'"([a-z_0-9]+\.[a-z_0-9]+)" if ', source))
    recorded |= set(re.findall(r'else "([a-z_0-9]+\.[a-z_0-9]+)"', source))
    recorded |= {f"document.print_{kind}" for kind in ("consent", "aftercare")}
    assert len(recorded) > 30  # the scan found the code's actions

    assert sorted(recorded - set(ACTION_LABELS)) == []


def test_an_unknown_action_still_reads_as_words():
    assert action_label("consent.something_new") == "Consent something new"


def test_the_page_shows_who_what_which_patient_when_and_from_where(
    client, clinic_admin, practitioner
):
    intake = make_intake(make_patient(full_name="Robin Audit-Sample"))
    client.force_login(practitioner)
    client.get(reverse("review:intake", args=[intake.public_id]), REMOTE_ADDR="192.0.2.44")
    client.force_login(clinic_admin)

    page = client.get(reverse("manage:audit")).content.decode()

    body = page[page.index("<tbody>") :]
    row = body[: body.index("</tr>", body.index("Viewed a patient&#x27;s review"))]
    row = row[row.rindex("<tr>") :]
    assert "Priya Shah" in row
    assert "Practitioner" in row
    assert "Robin Audit-Sample" in row
    assert "192.0.2.44" in row
    assert "intake.view" not in body  # a label, never the code


def test_a_settings_change_shows_before_after_and_the_reason(client, clinic_admin):
    client.force_login(clinic_admin)
    _settings_post(client, inr_ceiling="2.5", reason="Adviser's letter of 30 Nov")

    page = client.get(reverse("manage:audit")).content.decode()

    label = str(ClinicSettings._meta.get_field("inr_ceiling").verbose_name)
    assert f"{label}: 3.0 → 2.5" in page
    assert "Reason: Adviser&#x27;s letter of 30 Nov" in page


def test_filters_by_patient_user_action_and_date(client, clinic_admin, practitioner, front_desk):
    _events_for("Alex Filterone", practitioner)
    _events_for("Sam Filtertwo", front_desk, action="intake.view_desk")
    client.force_login(clinic_admin)
    url = reverse("manage:audit")

    by_patient = client.get(url, {"patient": "filterone"}).content.decode()
    by_user = client.get(url, {"user": front_desk.pk}).content.decode()
    by_action = client.get(url, {"action": "intake.view_desk"}).content.decode()
    today = timezone.localdate()
    by_date = client.get(
        url, {"date_from": today.isoformat(), "date_to": today.isoformat(), "patient": "alex"}
    ).content.decode()
    tomorrow = client.get(url, {"date_from": (today + datetime.timedelta(days=1)).isoformat()})

    assert "Alex Filterone" in by_patient and "Sam Filtertwo" not in by_patient
    assert "Sam Filtertwo" in by_user and "Alex Filterone" not in by_user
    assert "Sam Filtertwo" in by_action and "Alex Filterone" not in by_action
    assert "Alex Filterone" in by_date and "Sam Filtertwo" not in by_date
    assert "No events match these filters." in tomorrow.content.decode()


def test_a_bad_date_range_is_explained_and_filters_nothing(client, clinic_admin, practitioner):
    _events_for("Alex Filterone", practitioner)
    client.force_login(clinic_admin)

    response = client.get(
        reverse("manage:audit"), {"date_from": "2026-12-05", "date_to": "2026-12-01"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "The end date is before the start date." in page
    assert "Alex Filterone" in page


def test_csv_download_follows_the_filters_and_is_audited(client, clinic_admin, practitioner):
    _events_for("Alex Filterone", practitioner)
    _events_for('=HYPERLINK("http://x")', practitioner)
    client.force_login(clinic_admin)

    response = client.get(reverse("manage:audit"), {"format": "csv", "user": practitioner.pk})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    patients = {row["Patient"] for row in rows}
    assert "Alex Filterone" in patients
    assert '\'=HYPERLINK("http://x")' in patients  # a formula arrives as text
    assert {row["Who"] for row in rows} == {"Priya Shah"}
    export = AuditEvent.objects.filter(action="audit.export").latest("pk")
    assert export.actor == clinic_admin
    assert export.detail["user"] == str(practitioner.pk)
    assert "Filterone" not in str(export.detail)


def test_viewing_the_audit_page_is_recorded_without_the_name_searched(client, clinic_admin):
    client.force_login(clinic_admin)

    client.get(reverse("manage:audit"), {"patient": "Secretname"})

    event = AuditEvent.objects.filter(action="audit.view").latest("pk")
    assert event.detail["patient"] is True
    assert "Secretname" not in str(event.detail)


@pytest.mark.parametrize("role_fixture", ["front_desk", "practitioner"])
def test_only_the_clinic_admin_sees_the_audit_page(client, request, role_fixture):
    client.force_login(request.getfixturevalue(role_fixture))

    assert client.get(reverse("manage:audit")).status_code == 403
    assert client.get(reverse("manage:audit"), {"format": "csv"}).status_code == 403


def test_paging_keeps_the_filters(client, clinic_admin, practitioner):
    intake = make_intake(make_patient(full_name="Pat Pager"))
    for _ in range(55):
        services.audit_record(actor=practitioner, action="intake.view", intake=intake)
    client.force_login(clinic_admin)

    first = client.get(reverse("manage:audit"), {"patient": "pager"}).content.decode()
    second = client.get(reverse("manage:audit"), {"patient": "pager", "page": 2}).content.decode()

    assert "patient=pager&amp;page=2" in first
    assert second.count("Pat Pager") == 5


def test_plan_details_read_as_labels_never_ids(client, clinic_admin, practitioner):
    from screening.engine import regions

    intake = make_intake()
    services.audit_record(
        actor=practitioner,
        action="review.plan",
        intake=intake,
        detail={"techniques": ["manual_static"], "regions": ["lumbar", "forearm_hand_left"]},
    )
    client.force_login(clinic_admin)

    page = client.get(reverse("manage:audit")).content.decode()
    body = page[page.index("<tbody>") :]

    assert regions.TECHNIQUES["manual_static"].label in body
    assert regions.label("lumbar") in body and regions.label("forearm_hand_left") in body
    assert "manual_static" not in body and "forearm_hand_left" not in body
