"""The clinic's settings: details for the documents and the screening thresholds."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from screening import tasks
from screening.models import ClinicSettings, User
from screening.services.audit import audit_record
from screening.services.base import ConflictError, ServiceError


def clinic_settings_update(
    *, actor: User, changes: dict, expected_version: int, reason: str = "", request=None
) -> ClinicSettings:
    """Apply validated changes to the clinic settings; refuses a stale form, and a change of
    any clinical threshold without a written reason. The audit row keeps every changed value
    before and after, and the reason."""
    reason = " ".join(reason.split())
    with transaction.atomic():
        ClinicSettings.load()
        settings_row = ClinicSettings.objects.select_for_update().get(pk=1)
        if settings_row.version != expected_version:
            raise ConflictError(
                "Someone else changed the clinic settings while you were editing. "
                "The page now shows their values; please make your change again."
            )
        changed = {}
        for name, value in changes.items():
            old = getattr(settings_row, name)
            if old != value:
                changed[name] = {"from": _jsonable(old), "to": _jsonable(value)}
                setattr(settings_row, name, value)
        if not changed:
            return settings_row
        if not reason and any(name in ClinicSettings.THRESHOLD_FIELDS for name in changed):
            raise ServiceError("Please give a reason for changing a screening threshold.")
        settings_row.version += 1
        settings_row.full_clean()
        settings_row.save()
        audit_record(
            actor=actor,
            action="clinic_settings.update",
            request=request,
            obj=settings_row,
            detail={"changed": changed, "reason": reason} if reason else {"changed": changed},
        )
        # The documents print the clinic's details and read its thresholds.
        tasks.prepare_upcoming_after_commit()
    return settings_row


def _jsonable(value):
    return float(value) if isinstance(value, Decimal) else value
