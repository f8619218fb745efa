"""Clinic admin pages: clinic details and thresholds (audited, used by screening), staff."""

import pytest
from django.urls import reverse

from screening import services
from screening.models import AuditEvent, ClinicSettings, User
from tests.factories import make_submitted_intake, set_plan

pytestmark = pytest.mark.django_db


def _settings_post(client, reason=None, **changes):
    """Post the settings form; ``reason`` confirms a threshold change with that reason."""
    current = ClinicSettings.load()
    data = {
        name: getattr(current, name)
        for name in (
            "name",
            "address",
            "phone",
            "emergency_number",
            "registration_details",
            "paper_size",
            "link_lifetime_days",
            "full_questionnaire_months",
            "consent_valid_months",
            "retention_years",
            *ClinicSettings.THRESHOLD_FIELDS,
        )
    }
    data["accept_representative_consent"] = "on" if current.accept_representative_consent else ""
    data["version"] = current.version
    data.update(changes)
    if reason is not None:
        data.update(confirm="1", reason=reason)
    return client.post(reverse("manage:settings"), data)


def test_admin_changes_a_threshold_and_it_is_audited(client, clinic_admin):
    client.force_login(clinic_admin)

    response = _settings_post(client, inr_ceiling="3.5", reason="Medical adviser, 1 Dec 2026")

    assert response.status_code == 302
    assert float(ClinicSettings.load().inr_ceiling) == 3.5
    event = AuditEvent.objects.get(action="clinic_settings.update")
    assert event.detail["changed"]["inr_ceiling"] == {"from": 3.0, "to": 3.5}
    assert event.detail["reason"] == "Medical adviser, 1 Dec 2026"


def test_settings_page_lists_the_clinic_details_the_documents_still_need(client, clinic_admin):
    client.force_login(clinic_admin)

    before = client.get(reverse("manage:settings")).content.decode()
    _settings_post(client, name="Riverside Physio", address="12 Mill Lane", phone="01234 567")
    after = client.get(reverse("manage:settings")).content.decode()

    assert 'id="clinic-details-missing"' in before and "phone number" in before
    assert 'id="clinic-details-missing"' not in after


def test_new_threshold_changes_screening_and_is_stored_with_the_result(
    client, clinic_admin, practitioner
):
    client.force_login(clinic_admin)
    _settings_post(client, inr_ceiling="3.5", reason="Medical adviser, 1 Dec 2026")
    intake = make_submitted_intake(
        {
            "blood_thinner_use": {
                "answer": True,
                "agents": ["warfarin"],
                "latest_inr": 3.4,
                "inr_days_ago": 1,
            }
        }
    )

    snapshot, _ = set_plan(intake, practitioner, ["manual_static"], ["lumbar"])

    assert snapshot.thresholds["inr_ceiling"] == 3.5
    assert snapshot.outcome == "precaution"  # 3.4 is under the clinic's 3.5 ceiling


@pytest.mark.parametrize(
    ("field", "value"),
    [("inr_ceiling", "abc"), ("age_of_majority", "3"), ("min_bmi", "-1"), ("paper_size", "A0")],
)
def test_bad_settings_values_are_refused_and_change_nothing(client, clinic_admin, field, value):
    client.force_login(clinic_admin)
    before = ClinicSettings.load().threshold_values()

    response = _settings_post(client, **{field: value})

    assert response.status_code == 200
    assert "Please correct the following" in response.content.decode()
    assert ClinicSettings.load().threshold_values() == before
    assert not AuditEvent.objects.filter(action="clinic_settings.update").exists()


def test_stale_settings_form_is_a_conflict(client, clinic_admin):
    client.force_login(clinic_admin)
    stale = ClinicSettings.load().version
    _settings_post(client, phone="01234 567890")

    response = _settings_post(client, phone="09999", version=stale)

    assert response.status_code == 302
    assert ClinicSettings.load().phone == "01234 567890"


def test_admin_creates_a_staff_account(client, clinic_admin):
    client.force_login(clinic_admin)

    response = client.post(
        reverse("manage:staff"),
        {"username": "newdesk", "role": "front_desk", "password": "a-long-enough-pass-1"},
    )

    assert response.status_code == 302
    assert User.objects.get(username="newdesk").role == "front_desk"


def test_admin_staff_form_refuses_duplicates_with_a_message(client, clinic_admin):
    client.force_login(clinic_admin)

    response = client.post(
        reverse("manage:staff"),
        {"username": "admin1", "role": "front_desk", "password": "a-long-enough-pass-1"},
    )

    assert response.status_code == 200
    assert "already taken" in response.content.decode()


def test_audit_page_lists_events(client, clinic_admin):
    services.audit_record(actor=clinic_admin, action="intake.view")
    client.force_login(clinic_admin)

    assert "intake.view" in client.get(reverse("manage:audit")).content.decode()


def test_every_clinical_threshold_has_a_plain_label_with_its_unit_and_help(client, clinic_admin):
    from screening.models import ClinicSettings

    client.force_login(clinic_admin)
    text = client.get(reverse("manage:settings")).content.decode()

    for name in ClinicSettings.THRESHOLD_FIELDS:
        field = ClinicSettings._meta.get_field(name)
        label = str(field.verbose_name)
        assert label[:1].isupper() and label != name.replace("_", " "), name
        assert str(field.help_text), name
        assert label in text.replace("&#x27;", "'"), name
    for machine_label in ("Inr ceiling", "Min bmi", "Min platelets"):
        assert machine_label not in text
