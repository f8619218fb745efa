"""Staff second factor: enrolment of an authenticator app, verification, backup codes, reset.

django-otp does the cryptography and the bookkeeping: a TOTP device refuses a code at or before
the last one it accepted (no replay) and slows down repeated failures; a backup code is deleted
when used. These functions decide when each happens and record it in the audit trail.
"""

from __future__ import annotations

import base64

import django_otp
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from screening.models import User
from screening.services.audit import audit_record
from screening.services.base import ServiceError

APP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
WRONG_CODE = (
    "That code did not work. Codes change every 30 seconds: type the six digits your app shows "
    "now, or one of your backup codes."
)


def clean_code(raw: str) -> str:
    """A typed code without spaces or dashes, in lower case (backup codes are letters too)."""
    return "".join(ch for ch in (raw or "") if ch.isalnum()).lower()[:16]


def readable_secret(device: TOTPDevice) -> str:
    """The device's secret in base32, in groups of four, for typing into an app by hand."""
    text = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def has_second_factor(user) -> bool:
    """Has the user finished enrolment (a confirmed authenticator app)?"""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


ENROL_SESSION_KEY = "second_factor_enrol_device"


def second_factor_enrol_start(*, request) -> TOTPDevice:
    """The unconfirmed authenticator device this session is enrolling, made on first need.

    Each session gets its own device and key: a second session with the same password cannot
    read the key that the real user is about to confirm. Reloading the page keeps the key.
    """
    user = request.user
    device_id = request.session.get(ENROL_SESSION_KEY)
    device = TOTPDevice.objects.filter(pk=device_id, user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
        request.session[ENROL_SESSION_KEY] = device.pk
    return device


def second_factor_confirm(*, request, code: str) -> list[str]:
    """Confirm this session's enrolment with a code from the app; returns the backup codes,
    shown only once. The session counts as verified from here on."""
    user = request.user
    codes = None
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)  # one confirmation at a time
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(pk=request.session.get(ENROL_SESSION_KEY), user=user, confirmed=False)
            .first()
        )
        if device is None or TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise ServiceError("Start again: the set-up page shows a new code to scan.")
        # A wrong code returns normally, so django-otp's throttle count is committed.
        if device.verify_token(clean_code(code)):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            codes = _new_backup_codes(user)
            audit_record(actor=user, action="staff.2fa_enrol", request=request, obj=user)
    if codes is None:
        raise ServiceError(WRONG_CODE)
    request.session.pop(ENROL_SESSION_KEY, None)
    django_otp.login(request, device)
    return codes


def _new_backup_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def second_factor_verify(*, request, code: str) -> None:
    """Check a code from the app or a backup code, and mark the session verified."""
    user = request.user
    code = clean_code(code)
    accepted = None
    if code:
        with transaction.atomic():
            for device in django_otp.devices_for_user(user, confirmed=True, for_verify=True):
                if device.verify_token(code):
                    accepted = device
                    break
    if accepted is None:
        audit_record(actor=user, action="staff.2fa_failed", request=request, obj=user)
        raise ServiceError(WRONG_CODE)
    django_otp.login(request, accepted)
    method = "backup_code" if isinstance(accepted, StaticDevice) else "app"
    remaining = None
    if method == "backup_code":
        remaining = accepted.token_set.count()
    audit_record(
        actor=user,
        action="staff.2fa_verify",
        request=request,
        obj=user,
        detail={"method": method}
        if remaining is None
        else {"method": method, "backup_codes_left": remaining},
    )


def second_factor_reset(*, actor: User, user: User, request=None) -> None:
    """Remove a user's second factor; they enrol again at their next sign-in (or request)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        # Every session of the user ends: a session left open (a lost phone, a stolen cookie)
        # must not be able to enrol a new authenticator without the password.
        User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
        audit_record(actor=actor, action="staff.2fa_reset", request=request, obj=user)
