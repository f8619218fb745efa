"""Every write to the domain: keyword-only functions named ``<entity>_<action>``.

Each runs in one transaction and records one audit event. Views and commands call these and
never ``.save()`` a domain model themselves.
"""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from screening.middleware import current_request_id
from screening.models import AuditEvent, ClinicSettings, Intake, User
from screening.permissions import Role

PATIENT_ACTOR = "patient"


class ServiceError(Exception):
    """A request that cannot be carried out; the message is fit to show to the user."""


class ConflictError(ServiceError):
    """Someone else saved the same record first."""


def audit_record(
    *,
    actor: User | None,
    action: str,
    request=None,
    intake: Intake | None = None,
    obj=None,
    detail: dict | None = None,
    actor_role: str | None = None,
) -> AuditEvent:
    """Append one audit event. ``detail`` holds metadata only, never answer values."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    role = actor_role if actor_role is not None else (getattr(actor, "role", "") or "")
    if actor is not None and not role and actor.is_superuser:
        role = "superuser"
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=actor.username if actor is not None else "",
        actor_role=role,
        action=action,
        intake=intake,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        request_id=getattr(request, "request_id", "") or current_request_id(),
        detail=detail or {},
    )


def staff_create(
    *,
    username: str,
    role: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    profession: str = "",
    registration_number: str = "",
    created_by: User | None = None,
    validate: bool = True,
) -> User:
    """Create a staff account with one role; refuses unknown roles and taken usernames."""
    if role not in Role.values:
        raise ServiceError(
            f"Unknown role {role!r}. Choose one of: {', '.join(sorted(Role.values))}."
        )
    username = username.strip()
    if not username:
        raise ServiceError("A username is required.")
    if User.objects.filter(username__iexact=username).exists():
        raise ServiceError(f"The username {username!r} is already taken.")
    user = User(
        username=username,
        role=role,
        first_name=first_name,
        last_name=last_name,
        email=email,
        profession=profession,
        registration_number=registration_number,
    )
    if validate:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ServiceError(" ".join(exc.messages)) from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            audit_record(
                actor=created_by,
                action="staff.create",
                obj=user,
                detail={"username": username, "role": role},
            )
    except IntegrityError:
        raise ServiceError(f"The username {username!r} is already taken.") from None
    return user


def clinic_settings_update(
    *, actor: User, changes: dict, expected_version: int, request=None
) -> ClinicSettings:
    """Apply validated changes to the clinic settings; refuses a stale form."""
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
        settings_row.version += 1
        settings_row.full_clean()
        settings_row.save()
        audit_record(
            actor=actor,
            action="clinic_settings.update",
            request=request,
            obj=settings_row,
            detail={"changed": changed},
        )
    return settings_row


def _jsonable(value):
    from decimal import Decimal

    return float(value) if isinstance(value, Decimal) else value


def staff_set_password(*, user: User, password: str, actor: User | None) -> None:
    """Set a staff member's password (demo reset, admin reset)."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(actor=actor, action="staff.set_password", obj=user)
