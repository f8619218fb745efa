"""Integration API tokens: creating one (the token is shown once and only its SHA-256 is kept),
revoking one, and finding the live token a request presents."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from screening.models import ApiToken, User
from screening.services.audit import audit_record
from screening.services.base import ServiceError

TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(*, name: str, created_by: User, request=None) -> tuple[ApiToken, str]:
    """A new read-only token for the integration ``name``; returns the row and the token, which
    exists nowhere else once this returns."""
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError("Give the integration a name, for example the system that will use it.")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        api_token = ApiToken.objects.create(
            name=name, token_hash=token_hash(token), created_by=created_by
        )
        audit_record(
            actor=created_by,
            action="api_token.create",
            request=request,
            obj=api_token,
            detail={"name": name, "scope": api_token.scope},
        )
    return api_token, token


def api_token_revoke(*, api_token_id: int, revoked_by: User, request=None) -> ApiToken:
    """Revoke a token at once; revoking a revoked token changes nothing."""
    with transaction.atomic():
        api_token = ApiToken.objects.select_for_update().filter(pk=api_token_id).first()
        if api_token is None:
            raise ServiceError("That token does not exist.")
        if api_token.revoked_at is not None:
            return api_token
        api_token.revoked_at = timezone.now()
        api_token.revoked_by = revoked_by
        api_token.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=revoked_by,
            action="api_token.revoke",
            request=request,
            obj=api_token,
            detail={"name": api_token.name},
        )
    return api_token


def api_token_find(token: str) -> ApiToken | None:
    """The token row with this value (revoked or not); None for an unknown value."""
    if not token or len(token) > 200:
        return None
    return ApiToken.objects.filter(token_hash=token_hash(token)).first()


def api_token_mark_used(api_token: ApiToken) -> None:
    """Note the token's last use (a bookkeeping field, not audited: the call itself is)."""
    now = timezone.now()
    ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
    api_token.last_used_at = now
