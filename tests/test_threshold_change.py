"""A screening threshold changes only on purpose: a confirmation step with the values before
and after and their effect on the last 12 months' intakes, and a written reason."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from screening import selectors, services
from screening.models import AuditEvent, ClinicSettings, Intake
from tests.factories import make_submitted_intake
from tests.test_views_manage import _settings_post

pytestmark = pytest.mark.django_db

HIGH_INR = {
    "blood_thinner_use": {
        "answer": True,
        "agents": ["warfarin"],
        "latest_inr": 3.4,
        "inr_days_ago": 1,
    }
}


def test_a_threshold_change_shows_its_values_and_saves_nothing_yet(client, clinic_admin):
    client.force_login(clinic_admin)

    response = _settings_post(client, inr_ceiling="2.5")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Check the threshold change" in page
    table = page[page.index('id="threshold-changes"') : page.index("</table>")]
    assert str(ClinicSettings._meta.get_field("inr_ceiling").verbose_name) in table
    assert ">3.0<" in table and ">2.5<" in table
    assert "inr_ceiling" not in table  # a label, never the field's name
    assert float(ClinicSettings.load().inr_ceiling) == 3.0
    assert not AuditEvent.objects.filter(action="clinic_settings.update").exists()


def test_confirming_without_a_reason_is_refused_and_changes_nothing(client, clinic_admin):
    client.force_login(clinic_admin)

    response = _settings_post(client, inr_ceiling="2.5", reason="  ")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Please correct the following" in page
    assert "Please give a reason for the change." in page
    assert float(ClinicSettings.load().inr_ceiling) == 3.0
    assert not AuditEvent.objects.filter(action="clinic_settings.update").exists()


def test_a_confirmed_change_with_its_reason_is_saved_and_audited(client, clinic_admin):
    client.force_login(clinic_admin)

    response = _settings_post(
        client, inr_ceiling="2.5", min_platelets="60", reason="Dr Shah's advice of 1 Dec 2026"
    )

    assert response.status_code == 302
    settings_row = ClinicSettings.load()
    assert float(settings_row.inr_ceiling) == 2.5
    assert settings_row.min_platelets == 60
    event = AuditEvent.objects.get(action="clinic_settings.update")
    assert event.detail["reason"] == "Dr Shah's advice of 1 Dec 2026"
    assert event.detail["changed"]["inr_ceiling"] == {"from": 3.0, "to": 2.5}
    assert event.detail["changed"]["min_platelets"]["to"] == 60


def test_go_back_and_edit_keeps_the_typed_values_and_saves_nothing(client, clinic_admin):
    client.force_login(clinic_admin)

    response = _settings_post(client, inr_ceiling="2.5", edit="1")

    page = response.content.decode()
    assert "Save settings" in page
    assert 'value="2.5"' in page
    assert float(ClinicSettings.load().inr_ceiling) == 3.0


def test_clinic_details_alone_save_at_once_without_a_reason(client, clinic_admin):
    client.force_login(clinic_admin)

    response = _settings_post(client, phone="01234 567890")

    assert response.status_code == 302
    assert ClinicSettings.load().phone == "01234 567890"
    assert "reason" not in AuditEvent.objects.get(action="clinic_settings.update").detail


def test_the_service_refuses_a_threshold_change_without_a_reason(clinic_admin):
    current = ClinicSettings.load()
    changes = {name: getattr(current, name) for name in ClinicSettings.THRESHOLD_FIELDS}
    changes["inr_ceiling"] = 2.5

    with pytest.raises(services.ServiceError, match="reason"):
        services.clinic_settings_update(
            actor=clinic_admin, changes=changes, expected_version=current.version
        )

    assert float(ClinicSettings.load().inr_ceiling) == 3.0


def test_the_impact_counts_the_last_12_months_intakes_whose_outcome_would_change():
    affected = make_submitted_intake(HIGH_INR)
    make_submitted_intake()  # nothing to report: clear either way
    old = make_submitted_intake(HIGH_INR)
    Intake.objects.filter(pk=old.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=400)
    )
    before = affected.latest_outcome

    impact = selectors.threshold_impact({"inr_ceiling": 3.5})

    assert impact.screened == 2
    assert impact.outcome_changed == 1
    ((change, count),) = impact.outcome_changes.items()
    assert change[0] == before and change[1] != before
    assert count == 1


def test_the_impact_of_a_change_that_touches_nobody_is_zero():
    make_submitted_intake(HIGH_INR)
    make_submitted_intake()

    impact = selectors.threshold_impact({"seizure_free_months": 24})

    assert impact.screened == 2
    assert impact.outcome_changes == {}
    assert impact.flags_changed == 0


def test_the_confirmation_page_shows_the_impact_in_words(client, clinic_admin):
    make_submitted_intake(HIGH_INR)
    make_submitted_intake()
    client.force_login(clinic_admin)

    page = _settings_post(client, inr_ceiling="3.5").content.decode()

    assert "The 2 questionnaires sent in the last 12 months" in page
    assert "1 would have a different outcome" in page
    assert "→" in page


def test_settings_page_has_a_label_with_unit_for_every_threshold(client, clinic_admin):
    client.force_login(clinic_admin)

    page = client.get(reverse("manage:settings")).content.decode()

    for name in ClinicSettings.THRESHOLD_FIELDS:
        label = str(ClinicSettings._meta.get_field(name).verbose_name)
        assert label in page
        assert label[0].isupper() and "Inr" not in label and "Min bmi" not in label


def test_an_unchanged_address_sent_with_browser_line_breaks_is_not_a_change(client, clinic_admin):
    settings_row = ClinicSettings.load()
    settings_row.address = "12 Mill Lane\nRiverside"
    settings_row.save()
    client.force_login(clinic_admin)

    _settings_post(client, address="12 Mill Lane\r\nRiverside", phone="01234 567890")

    event = AuditEvent.objects.get(action="clinic_settings.update")
    assert set(event.detail["changed"]) == {"phone"}
    assert ClinicSettings.load().address == "12 Mill Lane\nRiverside"
