"""Staff second factor: enrolment with a real TOTP code, verification, backup codes, replay,
reset by a clinic admin, the admin site, and the production setting."""

import base64
import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from screening.models import AuditEvent
from screening.services.second_factor import ENROL_SESSION_KEY
from tests.test_settings import GOOD_SECRET, run_manage

pytestmark = [pytest.mark.django_db, pytest.mark.two_factor]

TWO_FACTOR = reverse("accounts:two_factor")


def current_code(device: TOTPDevice, offset: int = 0) -> str:
    """The six digits an authenticator app shows now (offset in 30-second steps), as the server
    reckons its clock: a code accepted one step late (the step turned on its way) leaves the
    device a drift of -1, and the server then looks for codes one step earlier."""
    drift = device.drift + offset
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, drift=drift):06d}"


def enrol(client: Client, user) -> tuple[TOTPDevice, list[str]]:
    """Sign in with the password, enrol the app with a real code, read the backup codes."""
    client.force_login(user)
    client.get(TWO_FACTOR)
    device = TOTPDevice.objects.get(pk=client.session[ENROL_SESSION_KEY], confirmed=False)
    code = current_code(device)
    response = client.post(TWO_FACTOR, {"code": code, "next": "/review/"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", page)
    device.refresh_from_db()
    device.enrolment_code = code  # the code used, kept: a 30-second step may turn meanwhile
    return device, codes


def test_password_alone_reaches_only_the_second_factor_page(client, practitioner):
    client.force_login(practitioner)

    response = client.get(reverse("review:queue"))

    assert response.status_code == 302
    assert response["Location"] == f"{TWO_FACTOR}?next=%2Freview%2F"


def test_enrolment_shows_a_qr_code_and_the_secret_and_keeps_them_on_reload(client, practitioner):
    client.force_login(practitioner)

    first = client.get(TWO_FACTOR).content.decode()
    again = client.get(TWO_FACTOR).content.decode()

    device = TOTPDevice.objects.get(user=practitioner)
    assert not device.confirmed
    assert "<svg" in first
    secret = re.search(r'id="secret-key">([A-Z2-7 ]+)<', first).group(1)
    assert secret.replace(" ", "") and secret in again
    assert TOTPDevice.objects.filter(user=practitioner).count() == 1


def test_enrolment_with_a_real_code_verifies_the_session_and_shows_ten_backup_codes_once(
    client, practitioner
):
    device, codes = enrol(client, practitioner)

    assert device.confirmed
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(reverse("review:queue")).status_code == 200
    # The codes page works once only.
    assert client.get(reverse("accounts:backup_codes")).status_code == 302
    assert AuditEvent.objects.filter(action="staff.2fa_enrol", actor=practitioner).count() == 1


def test_a_wrong_enrolment_code_is_refused_with_a_message(client, practitioner):
    client.force_login(practitioner)
    client.get(TWO_FACTOR)

    response = client.post(TWO_FACTOR, {"code": "000000x"})

    assert response.status_code == 200
    assert "That code did not work" in response.content.decode()
    assert not TOTPDevice.objects.get(user=practitioner).confirmed
    assert client.get(reverse("review:queue")).status_code == 302


def test_a_later_sign_in_asks_for_a_code_and_refuses_a_replayed_one(practitioner):
    device, _codes = enrol(Client(), practitioner)
    later = Client()
    later.force_login(practitioner)
    replayed = device.enrolment_code

    refused = later.post(TWO_FACTOR, {"code": replayed, "next": "/review/"})
    # django-otp asks for a pause (one second after one failure, doubling) before the next try;
    # the test lifts it rather than sleeping.
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    device.throttle_reset()
    # Each code is computed once and reused: computing it again could cross into the next
    # 30-second step and give a new, valid code.
    next_code = current_code(device, offset=1)
    accepted = later.post(TWO_FACTOR, {"code": next_code, "next": "/review/"})

    assert refused.status_code == 200
    assert "That code did not work" in refused.content.decode()
    assert accepted.status_code == 302 and accepted["Location"] == "/review/"
    assert later.get(reverse("review:queue")).status_code == 200
    third = Client()
    third.force_login(practitioner)
    again = third.post(TWO_FACTOR, {"code": next_code})
    assert again.status_code == 200  # the same code twice: refused
    assert AuditEvent.objects.filter(action="staff.2fa_failed", actor=practitioner).count() == 2


def test_a_backup_code_works_once(practitioner):
    _device, codes = enrol(Client(), practitioner)
    first, second = Client(), Client()
    first.force_login(practitioner)
    second.force_login(practitioner)

    used = first.post(TWO_FACTOR, {"code": codes[0].upper()[:4] + " " + codes[0][4:]})
    replayed = second.post(TWO_FACTOR, {"code": codes[0]})

    assert used.status_code == 302
    assert first.get(reverse("review:queue")).status_code == 200
    assert replayed.status_code == 200
    assert StaticToken.objects.filter(device__user=practitioner).count() == 9
    verify = AuditEvent.objects.get(action="staff.2fa_verify", actor=practitioner)
    assert verify.detail == {"method": "backup_code", "backup_codes_left": 9}


def test_clinic_admin_resets_a_second_factor_and_the_user_enrols_again(
    client, practitioner, clinic_admin
):
    enrol(client, practitioner)
    admin_client = Client()
    enrol(admin_client, clinic_admin)

    response = admin_client.post(reverse("manage:staff_reset_2fa", args=[practitioner.pk]))

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=practitioner).exists()
    event = AuditEvent.objects.get(action="staff.2fa_reset")
    assert (event.actor, event.object_id) == (clinic_admin, str(practitioner.pk))
    # The practitioner's session has ended; at the next sign-in they enrol again.
    assert client.get(reverse("review:queue"))["Location"].startswith(reverse("accounts:login"))
    practitioner.refresh_from_db()
    client.force_login(practitioner)
    assert "scan this QR code" in client.get(TWO_FACTOR).content.decode()


def test_staff_page_shows_who_has_two_step_sign_in(clinic_admin, practitioner):
    admin_client = Client()
    enrol(admin_client, clinic_admin)

    listing = admin_client.get(reverse("manage:staff")).content.decode()
    own = admin_client.get(reverse("manage:staff_edit", args=[clinic_admin.pk])).content.decode()
    other = admin_client.get(reverse("manage:staff_edit", args=[practitioner.pk])).content.decode()

    assert listing.count("Not set up yet") == 1 and listing.count(">Set up<") == 1
    assert f"Reset two-step sign-in for {clinic_admin.username}" in own
    assert "Reset two-step sign-in" not in other
    assert "two-step sign-in not set up yet" in other


def test_only_a_clinic_admin_may_reset_a_second_factor(client, practitioner, front_desk):
    enrol(client, practitioner)

    response = client.post(reverse("manage:staff_reset_2fa", args=[front_desk.pk]))

    assert response.status_code == 403


def test_admin_site_needs_the_second_factor(django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x-very-long-pass")
    client = Client()
    client.force_login(root)

    before = client.get("/admin/")
    enrol(client, root)
    after = client.get("/admin/")

    assert before.status_code == 302 and "/admin/login/" in before["Location"]
    assert after.status_code == 200


def test_next_never_leaves_the_site(client, practitioner):
    device, _ = enrol(Client(), practitioner)
    client.force_login(practitioner)

    response = client.post(
        TWO_FACTOR, {"code": current_code(device, offset=1), "next": "https://evil.example/"}
    )

    assert response["Location"] == "/"


@pytest.mark.parametrize("debug", ["0"])
def test_second_factor_can_be_turned_off_only_in_development(debug):
    production = run_manage(
        "check",
        DJANGO_DEBUG=debug,
        DJANGO_SECRET_KEY=GOOD_SECRET,
        DJANGO_ALLOWED_HOSTS="clinic.example.org",
        DJANGO_STAFF_2FA="0",
    )
    development = run_manage("check", DJANGO_DEBUG="1", DJANGO_STAFF_2FA="0")

    assert production.returncode != 0
    assert "DJANGO_STAFF_2FA=0 is allowed only with DJANGO_DEBUG=1" in production.stderr
    assert development.returncode == 0, development.stderr


def test_another_session_with_the_password_never_sees_the_key_being_enrolled(practitioner):
    intruder, owner = Client(), Client()
    intruder.force_login(practitioner)
    owner.force_login(practitioner)
    seen_by_intruder = re.search(
        r'id="secret-key">([A-Z2-7 ]+)<', intruder.get(TWO_FACTOR).content.decode()
    )
    device, _codes = enrol(owner, practitioner)

    assert seen_by_intruder.group(1).replace(" ", "") != base64.b32encode(
        device.bin_key
    ).decode().rstrip("=")
    # The key the intruder saw belongs to a pending device that the owner's confirmation
    # dropped: its codes open nothing.
    seen = seen_by_intruder.group(1).replace(" ", "")
    seen_key = base64.b32decode(seen + "=" * (-len(seen) % 8))
    refused = intruder.post(TWO_FACTOR, {"code": f"{totp(seen_key):06d}"})
    assert refused.status_code == 200
    assert intruder.get(reverse("review:queue")).status_code == 302


def test_a_reset_second_factor_ends_every_session_of_the_user(client, practitioner, clinic_admin):
    enrol(client, practitioner)
    admin_client = Client()
    enrol(admin_client, clinic_admin)

    admin_client.post(reverse("manage:staff_reset_2fa", args=[practitioner.pk]))

    # Signed out, not merely unverified: enrolling again needs the password.
    response = client.get(TWO_FACTOR)
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login")
    )
