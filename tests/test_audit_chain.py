"""The audit trail holds up: a hash chain that `audit_verify` checks, rows that PostgreSQL
refuses to change, and the client's address and a server-made request id on every row."""

from __future__ import annotations

import datetime
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from screening import audit_chain, services
from screening.models import AuditEvent
from screening.services.audit import verify_chain
from tests.conftest import own_sqlite_database

ROOT = Path(__file__).resolve().parent.parent


def _row(**changes) -> dict:
    row = {
        "pk": 1,
        "at": datetime.datetime(2026, 12, 2, 9, 30, tzinfo=datetime.UTC),
        "actor_id": 3,
        "actor_label": "prac1",
        "actor_role": "practitioner",
        "action": "review.decide",
        "intake_id": 7,
        "object_type": "ReviewDecision",
        "object_id": "11",
        "request_id": "a" * 32,
        "upstream_request_id": "",
        "client_address": "192.0.2.4",
        "detail": {"outcome": "cleared", "flags": 2},
        "prev_hash": audit_chain.GENESIS,
    }
    row.update(changes)
    row["row_hash"] = audit_chain.row_hash(row, row["prev_hash"])
    return row


def _chain(count: int) -> list[dict]:
    rows, prev = [], audit_chain.GENESIS
    for n in range(1, count + 1):
        row = _row(pk=n, prev_hash=prev, action=f"step.{n}")
        rows.append(row)
        prev = row["row_hash"]
    return rows


# --- the chain, without a database -------------------------------------------------------


def test_an_unbroken_chain_verifies():
    report = audit_chain.verify(_chain(5))

    assert report.ok
    assert report.checked == 5


@pytest.mark.parametrize(
    "field, value",
    [
        ("action", "review.view"),
        ("actor_label", "someone-else"),
        ("client_address", "198.51.100.9"),
        ("detail", {"outcome": "cleared", "flags": 3}),
        ("at", datetime.datetime(2026, 12, 2, 9, 31, tzinfo=datetime.UTC)),
        ("intake_id", 8),
    ],
)
def test_an_edited_row_is_named_as_the_first_break(field, value):
    rows = _chain(5)
    rows[2][field] = value

    report = audit_chain.verify(rows)

    assert not report.ok
    assert report.first_broken_pk == 3
    assert report.checked == 2
    assert "changed" in report.reason


def test_a_removed_row_breaks_the_chain_at_the_row_after_it():
    rows = _chain(5)
    del rows[1]

    report = audit_chain.verify(rows)

    assert report.first_broken_pk == 3
    assert "before it" in report.reason


def test_swapped_rows_break_the_chain():
    rows = _chain(4)
    rows[1], rows[2] = rows[2], rows[1]

    assert audit_chain.verify(rows).first_broken_pk == 3


def test_the_same_instant_in_another_time_zone_hashes_the_same():
    utc = _row()
    elsewhere = dict(utc, at=utc["at"].astimezone(datetime.timezone(datetime.timedelta(hours=5))))

    assert audit_chain.row_hash(utc, utc["prev_hash"]) == audit_chain.row_hash(
        elsewhere, elsewhere["prev_hash"]
    )


# --- the chain in the database -------------------------------------------------------------


@pytest.mark.django_db
def test_each_event_links_to_the_one_before(practitioner):
    first = services.audit_record(actor=practitioner, action="one", detail={"n": 1})
    second = services.audit_record(actor=practitioner, action="two", detail={"k": (1, 2)})

    assert second.prev_hash == first.row_hash
    before_first = AuditEvent.objects.filter(pk__lt=first.pk).order_by("-pk").first()
    assert first.prev_hash == (before_first.row_hash if before_first else audit_chain.GENESIS)
    # Stored as it reads back: a tuple becomes a list, and the hash is of that.
    assert AuditEvent.objects.get(pk=second.pk).detail == {"k": [1, 2]}
    assert verify_chain().ok


@pytest.mark.django_db
def test_audit_verify_reports_an_intact_trail(practitioner, capsys):
    for n in range(3):
        services.audit_record(actor=practitioner, action="intake.view", detail={"n": n})

    call_command("audit_verify")

    out = capsys.readouterr().out
    assert "intact" in out
    assert f"{AuditEvent.objects.count()} events checked" in out


def _lift_the_guard():
    """PostgreSQL refuses the edits below (tested further down); the table's owner can drop
    that guard, as anyone holding the owner's password could. The chain still finds them."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks before ALTER
            cursor.execute("ALTER TABLE screening_auditevent DISABLE TRIGGER audit_append_only")


@pytest.mark.django_db
def test_audit_verify_names_the_first_row_edited_behind_the_apps_back(practitioner):
    events = [
        services.audit_record(actor=practitioner, action="intake.view", detail={"n": n})
        for n in range(4)
    ]
    _lift_the_guard()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE screening_auditevent SET action = %s WHERE id = %s",
            ["intake.print", events[2].pk],
        )

    with pytest.raises(CommandError) as caught:
        call_command("audit_verify")

    message = str(caught.value)
    assert f"audit event #{events[2].pk}" in message
    assert "intake.print" in message
    assert "changed after it was written" in message


@pytest.mark.django_db
def test_audit_verify_finds_a_deleted_row(practitioner):
    events = [services.audit_record(actor=practitioner, action="intake.view") for _ in range(3)]
    _lift_the_guard()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM screening_auditevent WHERE id = %s", [events[1].pk])

    with pytest.raises(CommandError, match=f"audit event #{events[2].pk}"):
        call_command("audit_verify")


@own_sqlite_database
def test_audit_verify_passes_on_demo_data_and_exits_1_after_a_raw_edit(tmp_path):
    """The command as an operator runs it, on its own SQLite database."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DJANGO_DEBUG": "1",
    }

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    assert manage("migrate", "--no-input").returncode == 0
    assert manage("seed_demo").returncode == 0
    intact = manage("audit_verify")
    assert intact.returncode == 0, intact.stderr
    assert "intact" in intact.stdout

    with sqlite3.connect(tmp_path / "demo.sqlite3") as db:
        (pk,) = db.execute(
            "SELECT id FROM screening_auditevent ORDER BY id LIMIT 1 OFFSET 1"
        ).fetchone()
        db.execute("UPDATE screening_auditevent SET actor_label = 'nobody' WHERE id = ?", [pk])

    broken = manage("audit_verify")
    assert broken.returncode == 1
    assert f"audit event #{pk}" in broken.stderr


# --- PostgreSQL refuses changes to the audit table -------------------------------------------


postgres_only = pytest.mark.skipif(
    "postgresql" not in os.environ.get("DATABASE_URL", ""),
    reason="the append-only triggers exist on PostgreSQL only (SQLite keeps the ORM guard)",
)


@postgres_only
@pytest.mark.postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE screening_auditevent SET action = 'x'",
        "UPDATE screening_auditevent SET detail = '{}'::jsonb WHERE id = {pk}",
        "DELETE FROM screening_auditevent WHERE id = {pk}",
        "DELETE FROM screening_auditevent",
        "TRUNCATE screening_auditevent",
        "TRUNCATE screening_auditevent CASCADE",
    ],
)
def test_the_apps_own_database_role_cannot_change_or_remove_audit_rows(practitioner, statement):
    event = services.audit_record(actor=practitioner, action="intake.view")
    before = list(AuditEvent.objects.order_by("pk").values_list("pk", "action", "row_hash"))

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # Settle the test transaction's deferred checks, as a new transaction would be.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(statement.replace("{pk}", str(event.pk)))

    assert list(AuditEvent.objects.order_by("pk").values_list("pk", "action", "row_hash")) == before


@postgres_only
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_writers_in_many_threads_keep_one_unbroken_chain(practitioner):
    start = threading.Barrier(4)
    errors: list[Exception] = []

    def write(n):
        from django.db import connection as thread_connection

        try:
            start.wait(timeout=10)
            for i in range(15):
                with transaction.atomic():
                    services.audit_record(actor=practitioner, action=f"t{n}.{i}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    report = verify_chain()
    assert report.ok, report
    assert report.checked == AuditEvent.objects.count() >= 60


# --- who and from where ----------------------------------------------------------------------


@pytest.mark.django_db
def test_rows_carry_the_client_address_and_a_server_made_request_id(client, practitioner):
    client.force_login(practitioner)

    response = client.get(
        reverse("review:queue"), REMOTE_ADDR="203.0.113.7", HTTP_X_REQUEST_ID="client-chosen-id-1"
    )

    event = AuditEvent.objects.filter(action="review.queue_view").latest("pk")
    assert event.client_address == "203.0.113.7"
    assert event.request_id == response["X-Request-ID"]
    assert event.request_id != "client-chosen-id-1"
    assert event.upstream_request_id == ""  # not from the trusted proxy: ignored


@pytest.mark.django_db
def test_behind_the_proxy_its_address_header_and_request_id_are_kept_beside_ours(
    client, practitioner, settings
):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    client.force_login(practitioner)

    response = client.get(
        reverse("review:queue"),
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9",
        HTTP_X_REQUEST_ID="proxy-id-1234abcd",
    )

    event = AuditEvent.objects.filter(action="review.queue_view").latest("pk")
    assert event.client_address == "203.0.113.9"
    assert event.upstream_request_id == "proxy-id-1234abcd"
    assert event.request_id == response["X-Request-ID"] != "proxy-id-1234abcd"


@pytest.mark.django_db
def test_a_malformed_proxy_request_id_is_not_kept(client, practitioner, settings):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    client.force_login(practitioner)

    client.get(reverse("review:queue"), REMOTE_ADDR="10.0.0.2", HTTP_X_REQUEST_ID="bad id\n<x>")

    assert (
        AuditEvent.objects.filter(action="review.queue_view").latest("pk").upstream_request_id == ""
    )


@pytest.mark.django_db(transaction=True)
def test_the_migration_links_rows_written_before_the_chain_existed():
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("screening", "0010_threshold_labels")])
    old_apps = executor.loader.project_state([("screening", "0010_threshold_labels")]).apps
    OldEvent = old_apps.get_model("screening", "AuditEvent")
    for n in range(3):
        OldEvent.objects.create(action=f"old.{n}", detail={"n": n})

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert AuditEvent.objects.count() == 3
    assert verify_chain().ok
    services.audit_record(actor=None, action="new.after")
    assert verify_chain().checked == 4


@postgres_only
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_chain_is_written_under_read_committed_only(practitioner):
    """Under REPEATABLE READ the head would be read with the transaction's first snapshot,
    taken before the chain's lock: the function refuses rather than fork the chain, and the
    app's connections ask for READ COMMITTED whatever the database's default."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW transaction_isolation")
        assert cursor.fetchone()[0] == "read committed"
    before = AuditEvent.objects.count()

    with pytest.raises(DatabaseError, match="READ COMMITTED only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        services.audit_record(actor=practitioner, action="intake.view")

    assert AuditEvent.objects.count() == before
    services.audit_record(actor=practitioner, action="intake.view")
    assert verify_chain().ok
