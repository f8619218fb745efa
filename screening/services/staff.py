"""Staff accounts: creation, details and role, deactivation, passwords, sign-in locks.

A clinic always keeps one active clinic admin: the last one can be neither deactivated nor
given another role. Changing a password (one's own, or a reset by an admin) ends the user's
other sessions, because Django checks each session against the password it was signed in with;
a deactivated user's sessions end at once, because an inactive user is never authenticated.
"""

from __future__ import annotations

import secrets

from axes.utils import reset as axes_reset
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from screening.models import User
from screening.roles import Role
from screening.services.audit import audit_record
from screening.services.base import ServiceError


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
    must_change_password: bool = False,
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
        must_change_password=must_change_password,
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


def staff_set_password(*, user: User, password: str, actor: User | None) -> None:
    """Set a staff member's password (demo reset, admin reset)."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(actor=actor, action="staff.set_password", obj=user)


EDITABLE_FIELDS = ("first_name", "last_name", "email", "role", "profession", "registration_number")
# No 0/O or 1/l/I: a one-time password is read off a screen and typed.
_ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _lock_admins() -> list[int]:
    """Lock the active clinic admins' rows, always in one order and before any other staff row,
    so that two admins acting on each other at once wait for each other instead of
    deadlocking; returns their ids."""
    return list(
        User.objects.select_for_update()
        .filter(role=Role.CLINIC_ADMIN, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _check_keeps_an_admin(user: User, admins: list[int], *, active: bool, role: str) -> None:
    """Refuse a change that would leave the clinic with no active clinic admin."""
    stays_admin = active and role == Role.CLINIC_ADMIN
    if stays_admin or user.pk not in admins:
        return
    if not [pk for pk in admins if pk != user.pk]:
        raise ServiceError(
            f"{user.username} is the clinic's only active clinic admin. Make another account "
            "a clinic admin first."
        )


def staff_update(*, actor: User, user: User, changes: dict, request=None) -> User:
    """Change a staff member's name, e-mail, role, profession or registration."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ServiceError(f"These details cannot be changed here: {', '.join(sorted(unknown))}.")
    if "role" in changes and changes["role"] not in Role.values:
        raise ServiceError("Please choose a role.")
    with transaction.atomic():
        admins = _lock_admins()
        locked = User.objects.select_for_update().get(pk=user.pk)
        changed = sorted(name for name, value in changes.items() if getattr(locked, name) != value)
        if not changed:
            return locked
        new_role = changes.get("role", locked.role)
        _check_keeps_an_admin(locked, admins, active=locked.is_active, role=new_role)
        for name in changed:
            setattr(locked, name, changes[name])
        locked.save(update_fields=changed)
        detail = {"fields": changed}
        if "role" in changed:
            detail["role"] = locked.role
        audit_record(actor=actor, action="staff.update", request=request, obj=locked, detail=detail)
    return locked


def staff_set_active(*, actor: User, user: User, active: bool, request=None) -> User:
    """Deactivate (a leaver: every session ends at once) or reactivate an account."""
    if not active and actor.pk == user.pk:
        raise ServiceError("You cannot deactivate your own account; ask another clinic admin.")
    with transaction.atomic():
        admins = _lock_admins()
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.is_active == active:
            return locked
        _check_keeps_an_admin(locked, admins, active=active, role=locked.role)
        locked.is_active = active
        fields = ["is_active"]
        if not active:
            locked.session_generation += 1  # its sessions end for good, even on reactivation
            fields.append("session_generation")
        locked.save(update_fields=fields)
        action = "staff.reactivate" if active else "staff.deactivate"
        audit_record(actor=actor, action=action, request=request, obj=locked)
    return locked


def staff_reset_password(*, actor: User, user: User, request=None) -> str:
    """A one-time password for the user, shown once to the admin; it must be changed at the
    next sign-in, and the user's sessions end."""
    password = "-".join(
        "".join(secrets.choice(_ONE_TIME_ALPHABET) for _ in range(4)) for _ in range(4)
    )
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.set_password(password)
        locked.must_change_password = True
        locked.save(update_fields=["password", "must_change_password"])
        audit_record(actor=actor, action="staff.reset_password", request=request, obj=locked)
    return password


def staff_change_own_password(*, request, current: str, new: str) -> None:
    """The signed-in user's new password; their other sessions end, this one goes on."""
    user = request.user
    if not user.check_password(current):
        raise ServiceError("Your current password is not right.")
    if current == new:
        raise ServiceError("Please choose a password different from the current one.")
    try:
        validate_password(new, user)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages)) from None
    with transaction.atomic():
        user.set_password(new)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        audit_record(actor=user, action="staff.change_password", request=request, obj=user)
    update_session_auth_hash(request, user)


def staff_unlock_address(*, actor: User, address: str, request=None) -> int:
    """Lift the lock on a client address (failures across usernames); returns how many
    attempt records were cleared."""
    with transaction.atomic():
        lifted = axes_reset(ip=address)
        audit_record(
            actor=actor,
            action="staff.unlock_address",
            request=request,
            detail={"address": address, "lifted": lifted},
        )
    return lifted


def staff_unlock(*, actor: User, user: User, request=None) -> int:
    """Lift the sign-in locks on this username (from every address); returns how many."""
    with transaction.atomic():
        lifted = axes_reset(username=user.username)
        audit_record(
            actor=actor, action="staff.unlock", request=request, obj=user, detail={"lifted": lifted}
        )
    return lifted
