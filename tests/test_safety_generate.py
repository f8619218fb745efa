"""Synthetic treatments and adverse events for the safety report's benchmark: one treatment per
cleared past appointment, events at about the published rates, the same for the same seed."""

import datetime
import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.utils import timezone

from screening import demo
from screening.models import AdverseEvent, Intake, TreatmentRecord
from screening.permissions import Role
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _events_by_type() -> Counter:
    return Counter(AdverseEvent.objects.values_list("type", flat=True))


def test_generate_intakes_treats_cleared_past_appointments(settings):
    settings.DEBUG = True
    make_user(Role.PRACTITIONER, "priya")

    call_command("generate_intakes", "300", "--per-focus-day", "0", stdout=io.StringIO())

    now = timezone.now()
    cleared_past = Intake.objects.filter(decision="cleared", appointment_at__lt=now)
    assert TreatmentRecord.objects.count() == cleared_past.count() > 50
    assert not TreatmentRecord.objects.filter(intake__appointment_at__gte=now).exists()
    treatment = TreatmentRecord.objects.select_related("intake").first()
    assert treatment.techniques == treatment.intake.plan_techniques
    assert treatment.regions == treatment.intake.plan_regions
    assert treatment.practitioner_id == treatment.intake.practitioner_id


def test_generated_events_follow_the_published_rates_and_the_seed():
    practitioner = make_user(Role.PRACTITIONER, "priya")
    demo.generate_intakes(
        3_000,
        practitioners=[practitioner],
        focus_day=timezone.localdate() + datetime.timedelta(days=400),
        per_focus_day=0,
        spread_days=300,
    )
    # The appointments lie in the future; treating up to 'until' past them all treats every
    # cleared one (about half the intakes).
    until = timezone.now() + datetime.timedelta(days=800)

    treatments, events = demo.generate_treatments(seed=7, until=until)
    first = _events_by_type()

    assert treatments == TreatmentRecord.objects.count() > 1_000
    assert events == sum(first.values())
    # Bruising at 7.55 % of treatments: well inside 5 % to 10 % at this size.
    assert 0.05 < first["bruising"] / treatments < 0.10
    assert 0.03 < first["bleeding"] / treatments < 0.065
    assert first["pneumothorax"] == 0  # 0.85 per million

    AdverseEvent.objects.all().delete()
    TreatmentRecord.objects.all().delete()
    demo.generate_treatments(seed=7, until=until)

    assert _events_by_type() == first
