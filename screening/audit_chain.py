"""The audit trail's hash chain: pure functions, no database.

Each audit row stores ``prev_hash`` (the previous row's ``row_hash``, or ``GENESIS`` for the
first row) and ``row_hash``, a SHA-256 over its own contents and ``prev_hash``. Changing,
removing or reordering any row breaks the chain from that row on, which ``manage.py
audit_verify`` finds. The serialisation below is a stored format: rows written years ago are
checked with it, so it never changes; a new format gets a new ``CHAIN_FORMAT`` and both are
kept.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

CHAIN_FORMAT = 1
GENESIS = "0" * 64

# The stored fields that the hash covers, in the order the payload lists them (the JSON is
# key-sorted anyway). The primary key is not covered: it is assigned by the database after the
# hash is made; the chain itself fixes each row's place.
HASHED_FIELDS = (
    "at",
    "actor_id",
    "actor_label",
    "actor_role",
    "action",
    "intake_id",
    "object_type",
    "object_id",
    "request_id",
    "upstream_request_id",
    "client_address",
    "detail",
)


def normalise_detail(detail: Mapping | None) -> dict:
    """The detail as it reads back from the database's JSON column (string keys, lists)."""
    return json.loads(json.dumps(detail or {}))


def _instant(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def row_hash(fields: Mapping, prev_hash: str) -> str:
    """SHA-256 of one row's hashed fields and the hash of the row before it."""
    payload = {name: fields.get(name) for name in HASHED_FIELDS}
    payload["at"] = _instant(fields["at"])
    payload["client_address"] = fields.get("client_address") or ""
    payload["detail"] = normalise_detail(fields.get("detail"))
    payload["format"] = CHAIN_FORMAT
    payload["prev"] = prev_hash
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_pk: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_broken_pk is None


def verify(rows: Iterable[Mapping]) -> ChainReport:
    """Walk rows in primary-key order (each a mapping with ``pk``, the hashed fields,
    ``prev_hash`` and ``row_hash``) and stop at the first that breaks the chain."""
    expected_prev = GENESIS
    checked = 0
    for row in rows:
        if row["prev_hash"] != expected_prev:
            return ChainReport(
                checked,
                row["pk"],
                "the row before it is missing or was changed (its link does not match)",
            )
        if row_hash(row, row["prev_hash"]) != row["row_hash"]:
            return ChainReport(checked, row["pk"], "its contents were changed after it was written")
        expected_prev = row["row_hash"]
        checked += 1
    return ChainReport(checked)
