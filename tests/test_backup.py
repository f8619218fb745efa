"""Backups that restore: `backup` writes one private file from one snapshot, and `restore_check`
restores it into a scratch database and verifies counts, consent hashes and the audit chain.

Every test runs on the database the suite runs on (SQLite, or PostgreSQL with DATABASE_URL);
they commit their data (transactional tests) because pg_dump reads it from another process."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import stat
import struct
import subprocess
import sys
import tarfile
import threading
import uuid
import zlib
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from screening import backup, demo, services
from screening.models import AuditEvent, Consent, Intake, User
from tests.conftest import own_sqlite_database

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db(transaction=True)

postgres_only = pytest.mark.skipif(
    "postgresql" not in os.environ.get("DATABASE_URL", ""),
    reason="needs PostgreSQL (pg_dump, a scratch database, concurrent writers)",
)
sqlite_only = pytest.mark.skipif(
    "postgresql" in os.environ.get("DATABASE_URL", ""),
    reason="edits the SQLite file inside the backup",
)


def _png(width=40, height=12) -> bytes:
    """A small real PNG, as signature_pad sends."""
    raw = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))


@pytest.fixture
def demo_data() -> list[Consent]:
    """The demo data of `seed_demo` (which holds two consents recorded on paper), plus one
    signed on the tablet (patient, then the practitioner's co-signature)."""
    demo.seed()
    practitioner = User.objects.get(username="practitioner")
    adult = Intake.objects.get(patient__full_name="Tom Reid")
    pending = services.consent_patient_sign(
        intake=adult,
        form_token=uuid.uuid4(),
        signer_name="Tom Reid",
        signer_role="patient",
        signature=_png(),
    )
    tablet = services.consent_cosign(
        actor=practitioner, intake=adult, consent_id=pending.pk, signature=_png()
    )
    paper = Consent.objects.filter(method=Consent.Method.PAPER).order_by("pk").first()
    return [tablet, paper]


def _backup(tmp_path: Path, name: str = "clinic.tar") -> Path:
    dest = tmp_path / name
    call_command("backup", str(dest), stdout=io.StringIO(), stderr=io.StringIO())
    return dest


def _scratch_databases() -> list[str]:
    """Scratch databases of this test database still on the server (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return []
    prefix = f"{connection.settings_dict['NAME']}_restorecheck_"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE left(datname, %s) = %s", [len(prefix), prefix]
        )
        return [row[0] for row in cursor.fetchall()]


def _check(path: Path) -> str:
    out = io.StringIO()
    call_command("restore_check", str(path), stdout=out)
    assert _scratch_databases() == []
    return out.getvalue()


def _check_fails(path: Path) -> tuple[str, str]:
    """restore_check's report and its one-line failure (the command exits 1)."""
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("restore_check", str(path), stdout=out)
    assert _scratch_databases() == []
    return out.getvalue(), str(caught.value)


def _rewrite(path: Path, *, manifest=None, database=None, fix_checksum: bool = True) -> None:
    """Edit a backup file's members: ``manifest(dict)`` changes the manifest in place,
    ``database(Path)`` edits the database member as a file. With ``fix_checksum`` the manifest
    then records the edited member, as if it had been written that way."""
    with tarfile.open(path) as tar:
        recorded = json.load(tar.extractfile("manifest.json"))
        name = recorded["data"]["member"]
        blob = tar.extractfile(name).read()
    if database is not None:
        scratch = path.with_name("edit-" + name)
        scratch.write_bytes(blob)
        database(scratch)
        blob = scratch.read_bytes()
        scratch.unlink()
    if manifest is not None:
        manifest(recorded)
    if fix_checksum:
        recorded["data"].update(size=len(blob), sha256=hashlib.sha256(blob).hexdigest())
    _write_tar(path, {"manifest.json": json.dumps(recorded).encode(), name: blob})


def _write_tar(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w") as tar:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))


def _manifest(path: Path) -> dict:
    with tarfile.open(path) as tar:
        return json.load(tar.extractfile("manifest.json"))


# --- the round trip --------------------------------------------------------------------------


def test_backup_then_restore_check_round_trips_demo_data_with_every_hash_verified(
    demo_data, tmp_path
):
    dest = _backup(tmp_path)

    report = _check(dest)

    manifest = _manifest(dest)
    assert manifest["consents"]["signed"] == 3
    assert manifest["audit"]["checked"] == AuditEvent.objects.count()
    assert manifest["audit"]["ok"] is True
    assert manifest["tables"]["screening_consent"] == 3
    assert manifest["migrations"]["screening"]
    tables = len(manifest["tables"])
    rows = sum(manifest["tables"].values())
    assert f"OK: {tables} tables, {rows:,} rows match" in report
    assert "OK: 3 of 3 hashes verified" in report
    assert f"OK: {AuditEvent.objects.count()} events, unbroken" in report
    assert "Schema:           OK (migrate --check: nothing to apply" in report
    assert "File checksum:    OK" in report
    assert report.rstrip().endswith("Backup restores and verifies.")
    assert len(report.splitlines()) <= 24  # one screen


def test_backup_file_is_private_and_leaves_no_working_files(practitioner, tmp_path):
    dest = _backup(tmp_path)

    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clinic.tar"]
    with tarfile.open(dest) as tar:
        assert tar.getnames() == ["manifest.json", _manifest(dest)["data"]["member"]]
        assert all(stat.S_IMODE(member.mode) == 0o600 for member in tar.getmembers())


def test_backup_refuses_an_existing_file_unless_forced(practitioner, tmp_path):
    dest = tmp_path / "clinic.tar"
    dest.write_text("last night's backup")

    with pytest.raises(CommandError, match="already exists.*--force"):
        call_command("backup", str(dest), stdout=io.StringIO())
    assert dest.read_text() == "last night's backup"

    call_command("backup", str(dest), "--force", stdout=io.StringIO())
    assert _manifest(dest)["kind"] == backup.KIND
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600


def test_backup_refuses_a_directory_that_does_not_exist(practitioner, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("backup", str(tmp_path / "nowhere" / "clinic.tar"), stdout=io.StringIO())


# --- mismatches are named, and exit 1 ---------------------------------------------------------


def test_restore_check_names_a_consent_whose_pdf_no_longer_matches_its_hash(demo_data, tmp_path):
    damaged, intact = demo_data
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE screening_consent SET pdf = %s WHERE id = %s",
            [bytes(Consent.objects.get(pk=damaged.pk).pdf)[:-10], damaged.pk],
        )
    dest = _backup(tmp_path)

    report, failure = _check_fails(dest)

    assert "MISMATCH: 1 of 3 do not match their SHA-256" in report
    assert f"consent #{damaged.pk} (intake #{damaged.intake_id}): the PDF hashes to" in report
    assert f"consent #{intact.pk} " not in report
    assert failure.startswith("Backup FAILED verification:")
    assert f"consent #{damaged.pk} does not match its SHA-256" in failure


@sqlite_only
def test_restore_check_names_a_consent_changed_inside_the_backup_file(demo_data, tmp_path):
    damaged = demo_data[0]
    dest = _backup(tmp_path)

    def change_pdf(path):
        with sqlite3.connect(path) as db:
            db.execute(
                "UPDATE screening_consent SET pdf = x'255044462d' WHERE id = ?", [damaged.pk]
            )
        db.close()

    _rewrite(dest, database=change_pdf, fix_checksum=False)
    report, failure = _check_fails(dest)

    assert "File checksum:    MISMATCH" in report
    assert f"consent #{damaged.pk} (intake #{damaged.intake_id}): the PDF hashes to" in report
    assert "the file's checksum does not match" in failure
    assert f"consent #{damaged.pk} does not match its SHA-256" in failure


def test_restore_check_names_a_table_whose_row_count_differs(demo_data, tmp_path):
    dest = _backup(tmp_path)

    def one_more_consent(manifest):
        manifest["tables"]["screening_consent"] += 1

    _rewrite(dest, manifest=one_more_consent)
    report, failure = _check_fails(dest)

    assert "screening_consent: 4 rows in the manifest, 3 rows restored" in report
    assert "row counts differ in screening_consent" in failure
    assert "OK: 3 of 3 hashes verified" in report  # the rest is still checked and reported


def test_restore_check_finds_an_audit_chain_broken_before_the_backup(practitioner, tmp_path):
    events = [services.audit_record(actor=practitioner, action="intake.view") for _ in range(4)]
    edited = events[2]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE screening_auditevent DISABLE TRIGGER audit_append_only")
        try:
            cursor.execute(
                "UPDATE screening_auditevent SET action = 'intake.print' WHERE id = %s",
                [edited.pk],
            )
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("ALTER TABLE screening_auditevent ENABLE TRIGGER audit_append_only")
    err = io.StringIO()
    dest = tmp_path / "clinic.tar"
    call_command("backup", str(dest), stdout=io.StringIO(), stderr=err)
    assert f"audit chain is broken at audit event #{edited.pk}" in err.getvalue()

    report, failure = _check_fails(dest)

    assert f"BROKEN at audit event #{edited.pk} (intake.print" in report
    assert "it was already broken in the live database" in report
    assert f"audit chain broken at event #{edited.pk}" in failure


def test_restore_check_finds_an_audit_chain_that_differs_from_the_manifest(practitioner, tmp_path):
    services.audit_record(actor=practitioner, action="intake.view")
    dest = _backup(tmp_path)

    def one_event_more(manifest):
        manifest["audit"]["checked"] += 1

    _rewrite(dest, manifest=one_event_more)
    report, failure = _check_fails(dest)

    assert "Audit chain:      MISMATCH" in report
    assert "audit chain differs from the manifest" in failure


def test_restore_check_reports_a_backup_behind_this_codes_schema(practitioner, tmp_path):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, app, name, applied FROM django_migrations WHERE app = 'screening' "
            "ORDER BY id DESC LIMIT 1"
        )
        latest = cursor.fetchone()
        cursor.execute("DELETE FROM django_migrations WHERE id = %s", [latest[0]])
    try:
        dest = _backup(tmp_path)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO django_migrations (id, app, name, applied) VALUES (%s, %s, %s, %s)",
                list(latest),
            )

    report, failure = _check_fails(dest)

    assert "Schema:           MISMATCH: 1 migration(s) of this code not applied" in report
    assert f"screening.{latest[2]}" in report
    assert "schema behind this code" in failure


def test_restore_check_reports_a_damaged_database_member(practitioner, tmp_path):
    dest = _backup(tmp_path)

    def flip_bytes(path):
        body = bytearray(path.read_bytes())
        middle = len(body) // 2
        body[middle : middle + 64] = bytes(b ^ 0xFF for b in body[middle : middle + 64])
        path.write_bytes(bytes(body))

    _rewrite(dest, database=flip_bytes, fix_checksum=False)
    report, failure = _check_fails(dest)

    assert "File checksum:    MISMATCH" in report
    assert "the file's checksum does not match" in failure


# --- files that are not backups: a clear message, never a traceback -------------------------


def _text_file(path: Path) -> None:
    path.write_text("SELECT 1;\n")


def _empty_file(path: Path) -> None:
    path.write_bytes(b"")


def _tar_without_manifest(path: Path) -> None:
    _write_tar(path, {"database.sqlite3": b"SQLite format 3\x00"})


def _someone_elses_manifest(path: Path) -> None:
    _write_tar(path, {"manifest.json": json.dumps({"kind": "photos", "format": 1}).encode()})


def _broken_json(path: Path) -> None:
    _write_tar(path, {"manifest.json": b'{"kind": "dn-intake database backup", '})


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_text_file, "is not a backup made by manage.py backup"),
        (_empty_file, "is not a backup made by manage.py backup"),
        (_tar_without_manifest, "it holds no manifest.json"),
        (_someone_elses_manifest, "is not a backup made by manage.py backup"),
        (_broken_json, "its manifest.json is damaged"),
    ],
)
def test_restore_check_refuses_a_file_that_is_not_a_backup(tmp_path, make, message):
    path = tmp_path / "backup.tar"
    make(path)

    with pytest.raises(CommandError, match=message) as caught:
        call_command("restore_check", str(path), stdout=io.StringIO())

    assert str(caught.value).startswith("Backup FAILED verification:")


def test_restore_check_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("restore_check", str(tmp_path / "nothing.tar"), stdout=io.StringIO())


def test_restore_check_refuses_a_truncated_backup(practitioner, tmp_path):
    dest = _backup(tmp_path)
    body = dest.read_bytes()
    dest.write_bytes(body[: len(body) * 2 // 3])

    with pytest.raises(CommandError, match="truncated or damaged"):
        call_command("restore_check", str(dest), stdout=io.StringIO())


def test_restore_check_refuses_a_backup_from_a_newer_version(practitioner, tmp_path):
    dest = _backup(tmp_path)

    def newer(manifest):
        manifest["format"] = backup.FORMAT + 1

    _rewrite(dest, manifest=newer)

    with pytest.raises(CommandError, match="newer version of the app"):
        call_command("restore_check", str(dest), stdout=io.StringIO())


def test_restore_check_refuses_a_backup_of_the_other_kind_of_database(practitioner, tmp_path):
    dest = _backup(tmp_path)
    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    with tarfile.open(dest) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        blob = tar.extractfile(manifest["data"]["member"]).read()
    manifest["database"]["vendor"] = other
    manifest["data"]["member"] = backup.DATA_MEMBERS[other]
    _write_tar(
        dest, {"manifest.json": json.dumps(manifest).encode(), manifest["data"]["member"]: blob}
    )

    with pytest.raises(CommandError, match="restore_check restores into a scratch database"):
        call_command("restore_check", str(dest), stdout=io.StringIO())


# --- PostgreSQL: one snapshot, the tools, the password ---------------------------------------


@postgres_only
@pytest.mark.postgres_only
def test_backup_counts_the_snapshot_it_dumps_while_the_app_writes(practitioner, tmp_path):
    stop = threading.Event()
    started = threading.Event()
    errors: list[Exception] = []

    def keep_writing():
        from django.db import connection as thread_connection

        try:
            while not stop.is_set():
                services.audit_record(actor=practitioner, action="intake.view")
                started.set()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            started.set()
            thread_connection.close()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        started.wait(timeout=10)
        dest = _backup(tmp_path)
    finally:
        stop.set()
        writer.join(timeout=30)

    assert errors == []
    recorded = _manifest(dest)["audit"]["checked"]
    assert AuditEvent.objects.count() > recorded  # the app wrote during and after the backup
    report = _check(dest)
    assert f"OK: {recorded:,} events, unbroken" in report
    assert "Backup restores and verifies." in report


@postgres_only
@pytest.mark.postgres_only
def test_backup_without_pg_dump_says_what_to_install(practitioner, tmp_path, monkeypatch):
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)

    with pytest.raises(CommandError) as caught:
        call_command("backup", str(tmp_path / "clinic.tar"), stdout=io.StringIO())

    assert str(caught.value) == (
        "pg_dump not found: install postgresql-client of the server's major version or newer"
    )
    assert list(tmp_path.iterdir()) == []


@postgres_only
@pytest.mark.postgres_only
def test_pg_tools_get_the_password_from_the_environment_never_the_command_line(
    practitioner, tmp_path, monkeypatch
):
    password = "not-on-the-command-line"  # the server trusts local connections; any will do
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", password)
    calls = []
    real_popen = subprocess.Popen

    def popen(args, **kwargs):  # subprocess.run goes through Popen too
        calls.append((args, kwargs.get("env") or {}))
        return real_popen(args, **kwargs)

    monkeypatch.setattr(backup.subprocess, "Popen", popen)

    _check(_backup(tmp_path))

    tools = [(args, env) for args, env in calls if "--version" not in args]
    assert [Path(args[0]).name for args, _ in tools] == ["pg_dump", "pg_restore"]
    for args, env in tools:
        assert not any(password in str(arg) for arg in args)
        assert env["PGPASSWORD"] == password


# --- as an operator runs them ------------------------------------------------------------------


@own_sqlite_database
def test_backup_and_restore_check_commands_exit_0_then_1_on_a_damaged_backup(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'clinic.sqlite3'}",
        "DJANGO_DEBUG": "1",
    }

    def manage(*args, stdin=None):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )

    assert manage("migrate", "--no-input").returncode == 0
    assert manage("seed_demo").returncode == 0
    dest = tmp_path / "backups" / "clinic.tar"
    dest.parent.mkdir()

    written = manage("backup", str(dest))
    checked = manage("restore_check", str(dest))
    again = manage("backup", str(dest))

    assert written.returncode == 0, written.stderr
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "OK: 2 of 2 hashes verified" in checked.stdout  # the demo's paper-signed consents
    assert checked.stdout.rstrip().endswith("Backup restores and verifies.")
    assert again.returncode == 1
    assert "already exists" in again.stderr

    def lose_a_row(manifest):
        manifest["tables"]["screening_intake"] -= 1

    _rewrite(dest, manifest=lose_a_row)
    failed = manage("restore_check", str(dest))

    assert failed.returncode == 1
    assert "Backup FAILED verification: row counts differ in screening_intake" in failed.stderr
    assert "Traceback" not in failed.stderr
