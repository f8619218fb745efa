"""The staff and demo management commands."""

import io

import pytest
from django.core.management import CommandError, call_command

from screening.demo import DEMO_CLINIC
from screening.models import AuditEvent, ClinicSettings, User


@pytest.mark.django_db
def test_create_staff_creates_an_account_with_its_role():
    out = io.StringIO()

    call_command(
        "create_staff", "maria", role="practitioner", password="a-long-pass-123", stdout=out
    )

    user = User.objects.get(username="maria")
    assert user.role == "practitioner"
    assert user.check_password("a-long-pass-123")
    assert "Created maria" in out.getvalue()


@pytest.mark.django_db
def test_create_staff_refuses_unknown_role():
    with pytest.raises(CommandError, match="unknown role 'nurse'"):
        call_command("create_staff", "maria", role="nurse", password="a-long-pass-123")
    assert not User.objects.filter(username="maria").exists()


@pytest.mark.django_db
def test_create_staff_refuses_existing_username():
    call_command("create_staff", "maria", role="practitioner", password="a-long-pass-123")

    with pytest.raises(CommandError, match="already taken"):
        call_command("create_staff", "Maria", role="front_desk", password="a-long-pass-123")
    assert User.objects.get(username="maria").role == "practitioner"


@pytest.mark.django_db
def test_create_staff_refuses_weak_password():
    with pytest.raises(CommandError, match="too short"):
        call_command("create_staff", "maria", role="practitioner", password="short")


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_one_account_per_role(settings):
    settings.DEBUG = True
    first, second = io.StringIO(), io.StringIO()

    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=second)

    assert User.objects.filter(username__in=["desk", "practitioner", "admin"]).count() == 3
    for text in (first.getvalue(), second.getvalue()):
        assert "username: desk" in text and "password: desk-demo-2026" in text
        assert "username: practitioner" in text and "username: admin" in text
    assert User.objects.get(username="desk").check_password("desk-demo-2026")


@pytest.mark.django_db
def test_seed_demo_fills_blank_clinic_details_once_through_the_audited_service(settings):
    settings.DEBUG = True

    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())

    clinic = ClinicSettings.load()
    assert clinic.missing_document_details() == []
    assert "(demo)" in clinic.name and clinic.phone
    assert AuditEvent.objects.filter(action="clinic_settings.update").count() == 1


@pytest.mark.django_db
def test_seed_demo_keeps_each_clinic_detail_an_admin_typed_and_fills_only_the_blanks(settings):
    settings.DEBUG = True
    ClinicSettings.load()
    ClinicSettings.objects.filter(pk=1).update(name="Harbour Clinic", phone="020 7946 0000")

    call_command("seed_demo", stdout=io.StringIO())

    clinic = ClinicSettings.load()
    assert clinic.name == "Harbour Clinic" and clinic.phone == "020 7946 0000"
    assert clinic.address == DEMO_CLINIC["address"]
    assert clinic.registration_details == DEMO_CLINIC["registration_details"]
    changed = AuditEvent.objects.get(action="clinic_settings.update").detail["changed"]
    assert sorted(changed) == ["address", "registration_details"]


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_in_production_mode(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="refusing"):
        call_command("seed_demo")
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("on", "words"), [(True, "scan with an authenticator app"), (False, "off")]
)
def test_seed_demo_says_what_to_do_about_two_step_sign_in(settings, on, words):
    settings.DEBUG = True
    settings.STAFF_2FA = on
    out = io.StringIO()

    call_command("seed_demo", stdout=out)

    line = next(x for x in out.getvalue().splitlines() if x.startswith("Two-step sign-in"))
    assert words in line
