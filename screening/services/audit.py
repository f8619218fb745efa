"""The audit trail's one writer."""

from __future__ import annotations

from screening.middleware import current_request_id
from screening.models import AuditEvent, Intake, User

PATIENT_ACTOR = "patient"


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
