"""Staff accounts."""

from __future__ import annotations

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


def staff_set_password(*, user: User, password: str, actor: User | None) -> None:
    """Set a staff member's password (demo reset, admin reset)."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(actor=actor, action="staff.set_password", obj=user)
