"""The audit trail's one writer, and the check of its hash chain."""

from __future__ import annotations

from django.db import connections, router, transaction
from django.utils import timezone

from screening import audit_chain
from screening.middleware import current_request_id
from screening.models import AuditEvent, Intake, User

PATIENT_ACTOR = "patient"

# Any constant: the key of the PostgreSQL advisory lock that orders writers of the chain.
_CHAIN_LOCK_KEY = 0x0A0D17


def _chain_head(using: str) -> str:
    """The latest row's hash (GENESIS for none), with the chain's head held until this
    transaction ends, so two writers never link to the same previous row.

    PostgreSQL: one statement, ``screening_audit_chain_head`` (migration 0023), which takes a
    transaction-level advisory lock and then reads the head in a statement of its own, whose
    snapshot sees the previous holder's row. SQLite: transactions begin IMMEDIATE
    (clinic.settings), which already serialises every writer; the head is read after."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT screening_audit_chain_head(%s)", [_CHAIN_LOCK_KEY])
            head = cursor.fetchone()[0]
    else:
        head = (
            AuditEvent.objects.using(using)
            .order_by("-pk")
            .values_list("row_hash", flat=True)
            .first()
        )
    return head or audit_chain.GENESIS


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
    """Append one audit event, linked into the hash chain. ``detail`` holds metadata only,
    never answer values.

    Call it last in a transaction: the chain stays locked from here until the commit."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    role = actor_role if actor_role is not None else (getattr(actor, "role", "") or "")
    if actor is not None and not role and actor.is_superuser:
        role = "superuser"
    event = AuditEvent(
        at=timezone.now(),
        actor=actor,
        actor_label=actor.username if actor is not None else "",
        actor_role=role,
        action=action,
        intake=intake,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        request_id=getattr(request, "request_id", "") or current_request_id(),
        upstream_request_id=getattr(request, "upstream_request_id", "") or "",
        client_address=getattr(request, "client_address", "") or None,
        detail=audit_chain.normalise_detail(detail),
    )
    using = router.db_for_write(AuditEvent)
    # No savepoint: inside a caller's transaction the event stands or falls with its change.
    with transaction.atomic(using=using, savepoint=False):
        event.prev_hash = _chain_head(using)
        event.row_hash = audit_chain.row_hash(_fields(event), event.prev_hash)
        event.save(using=using)
    return event


def _fields(event: AuditEvent) -> dict:
    return {name: getattr(event, name) for name in audit_chain.HASHED_FIELDS}


_ROW_VALUES = ("pk", "prev_hash", "row_hash", *audit_chain.HASHED_FIELDS)


def verify_chain(using: str = "default") -> audit_chain.ChainReport:
    """Check the whole audit trail of database ``using`` in order; stop at the first break."""
    rows = (
        AuditEvent.objects.using(using)
        .order_by("pk")
        .values(*_ROW_VALUES)
        .iterator(chunk_size=2000)
    )
    return audit_chain.verify(rows)
