"""Backups that restore: ``manage.py backup`` writes one, ``manage.py restore_check`` proves it.

A backup is one uncompressed tar file, mode 0600, with two members:

- ``manifest.json``: what the database held at the instant of the backup (rows per table, the
  signed consents, the audit chain's length and last hash, the latest applied migration per
  app), when, from which server, made with which tools, and the size and SHA-256 of the other
  member;
- ``database.pgdump`` (``pg_dump -Fc``) or ``database.sqlite3`` (a copy made with SQLite's
  online backup API).

One file, so that a manifest can never be separated from its dump or paired with another
night's; a plain tar, so that the dump comes out with standard tools (README, "Backups").

The manifest describes exactly the data in the file, taken while the app keeps writing:

- PostgreSQL: one REPEATABLE READ, READ ONLY transaction exports its snapshot
  (``pg_export_snapshot()``); ``pg_dump --snapshot`` dumps that snapshot while the same
  transaction counts the rows and walks the audit chain, and it stays open until pg_dump ends.
- SQLite: the online backup API copies the whole file in one step under one read lock (a
  consistent copy); the manifest is then read from the copy.

``restore_check`` restores the dump into a scratch database (PostgreSQL: a new database on the
same server, always dropped afterwards; SQLite: a private copy of the file), runs ``migrate
--check`` against it, compares the row counts with the manifest, recomputes every signed
consent's SHA-256 and walks the audit chain. The manifest detects damage, loss and a wrong or
partial restore; it is not signed, so it does not stop someone who can rewrite both members:
encrypting the file (``age``, ``gpg --symmetric``) is what makes tampering detectable.

Working files (the dump before it is packed, the extracted dump) live in a private directory
beside the backup file, never in /tmp: they hold the same health data and belong on the same
encrypted disk.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import hashlib
import io
import json
import os
import platform
import re
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import django
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.migrations.exceptions import InconsistentMigrationHistory
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Q
from django.db.utils import load_backend
from django.utils import timezone

from screening.models import AuditEvent, Consent
from screening.services.audit import verify_chain

KIND = "dn-intake database backup"
FORMAT = 1
MANIFEST = "manifest.json"
DATA_MEMBERS = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
VENDOR_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
MISSING_TOOL = "{tool} not found: install postgresql-client of the server's major version or newer"

_MANIFEST_LIMIT = 16 * 1024 * 1024
_CHUNK = 1024 * 1024
# A backup waits at most this long for a table lock (a running migration), then fails.
_LOCK_WAIT_MS = 60_000
# libpq reads these connection options from the environment as well as from a URL.
_LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}
_DETAIL_LINES = 8


class BackupError(Exception):
    """A backup could not be written or read; the message is for the operator, one line."""


class _RestoreFailed(Exception):
    """The dump did not restore; reported as a failed check, not as an error."""


# --- writing ---------------------------------------------------------------------------------


def backup_write(*, dest: Path, force: bool = False, using: str = DEFAULT_DB_ALIAS) -> dict:
    """Write a consistent backup of database ``using`` to ``dest``; return its manifest.

    Refuses an existing ``dest`` unless ``force``. The file appears complete or not at all: it
    is written under a temporary name in the same directory, then renamed."""
    dest = Path(dest).absolute()
    vendor = connections[using].vendor
    if vendor not in DATA_MEMBERS:
        raise BackupError(f"backups support PostgreSQL and SQLite, not {vendor}")
    if dest.is_dir():
        raise BackupError(f"{dest} is a directory: give the name of the backup file to write")
    if dest.exists() and not force:
        raise BackupError(f"{dest} already exists: choose another name, or pass --force")
    with _work_directory(dest) as work:
        data = work / DATA_MEMBERS[vendor]
        if vendor == "postgresql":
            facts = _dump_postgresql(using, data)
        else:
            facts = _copy_sqlite(using, data)
        size, digest = _file_digest(data)
        manifest = {
            "kind": KIND,
            "format": FORMAT,
            **facts,
            "data": {"member": data.name, "size": size, "sha256": digest},
        }
        archive = work / "backup.tar"
        _write_archive(archive, manifest, data)
        _publish(archive, dest, force=force)
    return manifest


@contextlib.contextmanager
def _work_directory(beside: Path) -> Iterator[Path]:
    """A private (0700) directory next to ``beside``, removed afterwards with what it holds."""
    try:
        path = Path(tempfile.mkdtemp(prefix=f".{beside.name}.", dir=beside.parent))
    except FileNotFoundError:
        raise BackupError(f"{beside.parent} does not exist") from None
    except OSError as exc:
        raise BackupError(f"cannot write in {beside.parent}: {exc.strerror}") from None
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _dump_postgresql(using: str, target: Path) -> dict:
    pg_dump = _tool("pg_dump")
    with _alias("backup_snapshot", using=using) as alias:
        connection = connections[alias]
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), now(), current_setting('server_version')")
            snapshot, taken_at, server_version = cursor.fetchone()
            server_version = server_version.split()[0]  # "15.20 (Debian 15.20-0+deb12u1)"
            with tempfile.TemporaryFile(dir=target.parent) as errors:
                process = subprocess.Popen(  # noqa: S603 - a fixed argument list, no shell
                    [
                        pg_dump,
                        "--format=custom",
                        f"--snapshot={snapshot}",
                        f"--lock-wait-timeout={_LOCK_WAIT_MS}",
                        "--no-password",
                        f"--file={target}",
                    ],
                    env=_libpq_env(connection.settings_dict),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=errors,
                )
                try:
                    # Counted in the exported snapshot while pg_dump reads the same one.
                    facts = _database_facts(alias)
                except BaseException:
                    process.kill()
                    process.wait()
                    raise
                if process.wait() != 0:
                    errors.seek(0)
                    raise BackupError(
                        f"pg_dump failed (exit {process.returncode}): "
                        f"{_tail(errors.read().decode(errors='replace'))}"
                    )
    return {
        "taken_at": taken_at.astimezone(datetime.UTC).isoformat(),
        "database": {
            "vendor": "postgresql",
            "name": connections[using].settings_dict["NAME"],
            "server_version": server_version,
        },
        "tools": {**_common_tools(), "pg_dump": _tool_version(pg_dump)},
        **facts,
    }


def _copy_sqlite(using: str, target: Path) -> dict:
    source = connections[using]
    source.ensure_connection()
    taken_at = timezone.now()
    copy_db = sqlite3.connect(target)
    try:
        # pages=-1: the whole file in one step under one read lock, so the copy is consistent.
        source.connection.backup(copy_db, pages=-1)
        # A self-contained file, whatever journal mode the live database uses.
        copy_db.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise BackupError(f"the SQLite backup failed: {exc}") from None
    finally:
        copy_db.close()
    with _alias("backup_copy", using=using, NAME=str(target)) as alias:
        facts = _database_facts(alias)
    return {
        "taken_at": taken_at.astimezone(datetime.UTC).isoformat(),
        "database": {
            "vendor": "sqlite",
            "name": str(source.settings_dict["NAME"]),
            "server_version": sqlite3.sqlite_version,
        },
        "tools": {**_common_tools(), "sqlite": sqlite3.sqlite_version},
        **facts,
    }


def _write_archive(archive: Path, manifest: dict, data: Path) -> None:
    body = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    now = int(timezone.now().timestamp())
    fd = os.open(archive, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            tar.addfile(_member(MANIFEST, len(body), now), io.BytesIO(body))
            with data.open("rb") as handle:
                tar.addfile(_member(data.name, data.stat().st_size, now), handle)
        raw.flush()
        os.fsync(raw.fileno())


def _member(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = 0o600
    return info


def _publish(archive: Path, dest: Path, *, force: bool) -> None:
    """Put the finished archive in place atomically; without ``force`` never over a file."""
    if force:
        os.replace(archive, dest)
    else:
        try:
            os.link(archive, dest)  # fails if dest exists, with no window between check and write
        except FileExistsError:
            raise BackupError(
                f"{dest} already exists: choose another name, or pass --force"
            ) from None
        except OSError:
            # A file system without hard links: check, then rename.
            if dest.exists():
                raise BackupError(
                    f"{dest} already exists: choose another name, or pass --force"
                ) from None
            os.replace(archive, dest)
    directory = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


# --- what the manifest records, and what a restored copy is compared on ---------------------


def _database_facts(alias: str) -> dict:
    """Row counts, latest migrations, signed consents and audit chain, read through ``alias``."""
    return {
        **_counts(alias),
        "consents": _guarded(alias, lambda: _consent_identity(alias)),
        "audit": _guarded(alias, lambda: _audit_facts(alias)),
    }


def _counts(alias: str) -> dict:
    """Rows per table and the latest applied migration per app: plain SQL, any schema."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    tables: dict[str, int] = {}
    migrations: dict[str, str] = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            # Table names come from the database's own catalogue, quoted.
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608
            tables[table] = cursor.fetchone()[0]
        if "django_migrations" in tables:
            cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
            for app, name in cursor.fetchall():
                migrations[app] = name
    return {"tables": tables, "migrations": migrations}


def _guarded(alias: str, read):
    """Run an ORM read that needs this code's schema. A database on another schema (a backup
    taken just before ``migrate``, the usual moment for one) gives ``{"error": ...}`` instead;
    the savepoint keeps PostgreSQL's snapshot transaction usable."""
    try:
        with transaction.atomic(using=alias):
            return read()
    except DatabaseError as exc:
        return {"error": _one_line(exc)}


def _signed_consents(alias: str):
    return Consent.objects.using(alias).exclude(sha256="").order_by("pk")


def _consent_identity(alias: str) -> dict:
    """How many signed consents there are, and a digest of their ids and stored hashes."""
    digest = hashlib.sha256()
    count = 0
    for pk, sha256 in _signed_consents(alias).values_list("pk", "sha256").iterator():
        digest.update(f"{pk}:{sha256}\n".encode())
        count += 1
    return {"signed": count, "digest": digest.hexdigest()}


def _audit_facts(alias: str) -> dict:
    chain = verify_chain(using=alias)
    last = AuditEvent.objects.using(alias).order_by("-pk").values_list("pk", "row_hash").first()
    return {
        "checked": chain.checked,
        "ok": chain.ok,
        "first_broken_pk": chain.first_broken_pk,
        "reason": chain.reason,
        "last_pk": last[0] if last else None,
        "last_hash": last[1] if last else "",
    }


# --- reading and checking --------------------------------------------------------------------


@dataclass
class CheckReport:
    """``restore_check``'s findings: report lines, and a short phrase per failure."""

    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def add(self, label: str, text: str, details=()) -> None:
        self.lines.append(f"{label + ':':<17} {text}")
        details = list(details)
        shown = details[:_DETAIL_LINES]
        self.lines.extend(f"{'':<20}{detail}" for detail in shown)
        if len(details) > len(shown):
            self.lines.append(f"{'':<20}... and {len(details) - len(shown)} more")

    def fail(self, label: str, text: str, summary: str, details=()) -> None:
        self.add(label, text, details)
        self.failures.append(summary)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def verdict(self) -> str:
        if self.ok:
            return "Backup restores and verifies."
        return f"Backup FAILED verification: {'; '.join(self.failures)}."


def backup_check(*, path: Path, using: str = DEFAULT_DB_ALIAS) -> CheckReport:
    """Restore the backup at ``path`` into a scratch database and compare it with its manifest.

    Raises BackupError for a file that is not a readable backup; a backup that reads but does
    not restore or verify comes back as a report with failures."""
    path = Path(path).absolute()
    report = CheckReport()
    with _opened_backup(path, vendor=connections[using].vendor) as (manifest, data, checksum_ok):
        vendor = manifest["database"]["vendor"]
        report.add("Backup file", str(path))
        report.add("Taken at", _when(manifest["taken_at"]))
        tools = manifest["tools"]
        tools = ", ".join(
            f"{label} {tools[key]}"
            for key, label in (("pg_dump", "pg_dump"), ("django", "Django"), ("python", "Python"))
            if key in tools
        )
        report.add(
            "Database",
            f"{VENDOR_NAMES[vendor]} {manifest['database'].get('server_version', '?')}, "
            f"{manifest['database'].get('name', '?')} ({tools})",
        )
        if checksum_ok:
            report.add("File checksum", "OK (the SHA-256 recorded when it was written)")
        else:
            report.fail(
                "File checksum",
                "MISMATCH: the database inside is not what was written (damaged or changed)",
                "the file's checksum does not match",
            )
        restore = _restore_postgresql if vendor == "postgresql" else _restore_sqlite
        try:
            with restore(data, report, using) as alias:
                try:
                    restored = _counts(alias)
                except DatabaseError as exc:
                    raise _RestoreFailed(f"its tables cannot be read: {_one_line(exc)}") from None
                _check_schema(alias, manifest, restored, report)
                _check_tables(manifest, restored, report)
                _check_consents(alias, manifest, report)
                _check_audit(alias, manifest, report)
        except _RestoreFailed as exc:
            report.fail("Restore", f"FAILED: {exc}", "it does not restore")
    return report


@contextlib.contextmanager
def _opened_backup(path: Path, *, vendor: str):
    """Yield (manifest, path of the extracted database member, checksum matches) of a backup
    of a ``vendor`` database."""
    if not path.exists():
        raise BackupError(f"{path}: no such file")
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    not_a_backup = f"{path} is not a backup made by manage.py backup"
    try:
        tar = tarfile.open(path, mode="r:")  # noqa: SIM115 - closed by the with block below
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{not_a_backup} (not a tar archive: {exc})") from None
    with tar:
        try:
            members = {member.name: member for member in tar.getmembers()}
        except (tarfile.TarError, OSError) as exc:
            raise BackupError(f"{path} is truncated or damaged ({exc})") from None
        member = members.get(MANIFEST)
        if member is None or not member.isfile():
            raise BackupError(f"{not_a_backup} (it holds no {MANIFEST})")
        if member.size > _MANIFEST_LIMIT:
            raise BackupError(f"{not_a_backup} (its {MANIFEST} is implausibly large)")
        try:
            manifest = json.loads(tar.extractfile(member).read().decode("utf-8"))
        except (tarfile.TarError, OSError, UnicodeDecodeError, ValueError) as exc:
            raise BackupError(f"{path}: its {MANIFEST} is damaged ({_one_line(exc)})") from None
        _validate_manifest(manifest, path)
        kind = manifest["database"]["vendor"]
        if kind != vendor:
            raise BackupError(
                f"{path} is a {VENDOR_NAMES[kind]} backup, but this app's database "
                f"(DATABASE_URL) is {VENDOR_NAMES.get(vendor, vendor)}: restore_check restores "
                "into a scratch database on the same kind of server"
            )
        name = manifest["data"]["member"]
        member = members.get(name)
        if member is None or not member.isfile():
            raise BackupError(f"{path} is incomplete: it holds no {name} (truncated?)")
        with _work_directory(path) as work:
            data = work / name
            digest = hashlib.sha256()
            size = 0
            try:
                source = tar.extractfile(member)
                with data.open("wb") as out:
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
            except (tarfile.TarError, OSError) as exc:
                raise BackupError(
                    f"{path} is truncated or damaged: {name} cannot be read whole ({exc})"
                ) from None
            expected = manifest["data"]
            checksum_ok = size == expected["size"] and digest.hexdigest() == expected["sha256"]
            yield manifest, data, checksum_ok


def _validate_manifest(manifest, path: Path) -> None:
    if not isinstance(manifest, dict) or manifest.get("kind") != KIND:
        raise BackupError(f"{path} is not a backup made by manage.py backup (unknown manifest)")
    version = manifest.get("format")
    if not isinstance(version, int):
        raise BackupError(f"{path}: its manifest is damaged (no format)")
    if version > FORMAT:
        raise BackupError(
            f"{path} was written by a newer version of the app (backup format {version}); "
            "check it with that version"
        )
    shape = {
        "taken_at": str,
        "database": dict,
        "tools": dict,
        "tables": dict,
        "migrations": dict,
        "consents": dict,
        "audit": dict,
        "data": dict,
    }
    for key, kind in shape.items():
        if not isinstance(manifest.get(key), kind):
            raise BackupError(f"{path}: its manifest is damaged ({key!r} missing or malformed)")
    vendor = manifest["database"].get("vendor")
    data = manifest["data"]
    if (
        vendor not in DATA_MEMBERS
        or data.get("member") != DATA_MEMBERS[vendor]
        or not isinstance(data.get("size"), int)
        or not isinstance(data.get("sha256"), str)
        or not all(isinstance(n, int) for n in manifest["tables"].values())
    ):
        raise BackupError(f"{path}: its manifest is damaged (database or data malformed)")
    try:
        datetime.datetime.fromisoformat(manifest["taken_at"])
    except ValueError:
        raise BackupError(f"{path}: its manifest is damaged (taken_at)") from None


@contextlib.contextmanager
def _restore_sqlite(data: Path, report: CheckReport, using: str):
    """Open the extracted copy (already private to this check) as a database alias."""
    try:
        db = sqlite3.connect(f"file:{data}?mode=ro", uri=True)
        try:
            problems = [row[0] for row in db.execute("PRAGMA integrity_check").fetchall()]
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise _RestoreFailed(f"the SQLite file cannot be opened: {exc}") from None
    if problems != ["ok"]:
        raise _RestoreFailed(f"SQLite integrity_check: {'; '.join(problems[:3])}")
    report.add("Restore", "OK: a private copy of the file opens; integrity_check ok")
    with _alias("restore_check", using=using, NAME=str(data)) as alias:
        yield alias


@contextlib.contextmanager
def _restore_postgresql(data: Path, report: CheckReport, using: str):
    """pg_restore into a new scratch database on the app's server; always dropped afterwards."""
    pg_restore = _tool("pg_restore")
    base = re.sub(r"\W", "_", str(connections[using].settings_dict["NAME"]), flags=re.ASCII)
    scratch = f"{base[:40]}_restorecheck_{secrets.token_hex(4)}"
    with _alias("maintenance", using=using, NAME="postgres") as maintenance:
        connection = connections[maintenance]
        quoted = connection.ops.quote_name(scratch)
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE {quoted} TEMPLATE template0")
        except DatabaseError as exc:
            raise BackupError(
                f"cannot create the scratch database {scratch}: {_one_line(exc)}. restore_check "
                "needs a PostgreSQL role that may create databases (CREATEDB): run it with "
                "DATABASE_URL naming such a role on the same server"
            ) from None
        try:
            # No owners, no GRANTs: only this check reads the copy, and the roles the dump
            # names may not exist on this server. (A real restore keeps the GRANTs; README.)
            result = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
                [
                    pg_restore,
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    "--no-password",
                    f"--dbname={scratch}",
                    str(data),
                ],
                env=_libpq_env(connection.settings_dict),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                errors="replace",
            )
            if result.returncode != 0:
                raise _RestoreFailed(
                    f"pg_restore exited {result.returncode}: {_tail(result.stderr)}"
                )
            report.add(
                "Restore", f"OK: pg_restore into scratch database {scratch} (dropped afterwards)"
            )
            with _alias("restore_check", using=using, NAME=scratch) as alias:
                yield alias
        finally:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
            except DatabaseError as exc:
                report.fail(
                    "Scratch database",
                    f"NOT DROPPED ({_one_line(exc)}): drop it by hand: DROP DATABASE {quoted}",
                    f"the scratch database {scratch} was not dropped",
                )


def _check_schema(alias: str, manifest: dict, restored: dict, report: CheckReport) -> None:
    """``migrate --check`` on the restored copy, and the migrations the backup says it had."""
    connection = connections[alias]
    try:
        call_command("migrate", database=alias, check_unapplied=True, verbosity=0)
        unapplied: list[str] = []
    except SystemExit as exit_:
        # migrate --check exits 1 when migrations are waiting: the backup is on an older schema.
        if not exit_.code:
            unapplied = []
        else:
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
            unapplied = [f"{m.app_label}.{m.name}" for m, _ in plan]
    except (CommandError, DatabaseError, InconsistentMigrationHistory) as exc:
        report.fail("Schema", f"MISMATCH: migrate --check: {_one_line(exc)}", "schema")
        return
    executor = MigrationExecutor(connection)
    loader = executor.loader
    squashed = {key for migration in loader.replacements.values() for key in migration.replaces}
    unknown = sorted(
        f"{app}.{name}"
        for app, name in loader.applied_migrations
        if (app, name) not in loader.disk_migrations and (app, name) not in squashed
    )
    latest = restored.get("migrations", {})
    if unapplied:
        report.fail(
            "Schema",
            f"MISMATCH: {len(unapplied)} migration(s) of this code not applied in the backup "
            "(an older backup: restore it, then run migrate)",
            "schema behind this code",
            unapplied,
        )
    elif unknown:
        report.fail(
            "Schema",
            f"MISMATCH: the backup has {len(unknown)} migration(s) this code does not know "
            "(a newer version of the app made it)",
            "schema ahead of this code",
            unknown,
        )
    else:
        where = f"; screening at {latest['screening']}" if "screening" in latest else ""
        report.add("Schema", f"OK (migrate --check: nothing to apply{where})")
    if latest != manifest["migrations"]:
        report.fail(
            "Migrations",
            "MISMATCH: the applied migrations differ from the manifest",
            "applied migrations differ",
            [
                f"{app}: {manifest['migrations'].get(app, 'none')} in the manifest, "
                f"{latest.get(app, 'none')} restored"
                for app in sorted(set(latest) | set(manifest["migrations"]))
                if latest.get(app) != manifest["migrations"].get(app)
            ],
        )


def _check_tables(manifest: dict, restored: dict, report: CheckReport) -> None:
    expected, actual = manifest["tables"], restored["tables"]
    names = sorted(set(expected) | set(actual))
    differ = [name for name in names if expected.get(name) != actual.get(name)]
    if not differ:
        rows = sum(actual.values())
        report.add("Tables", f"OK: {len(names):,} tables, {rows:,} rows match")
        return

    def rows(n):
        return "no table" if n is None else f"{n:,} rows"

    report.fail(
        "Tables",
        f"MISMATCH: {len(differ)} of {len(names)} tables differ from the manifest",
        f"row counts differ in {', '.join(differ[:5])}{' ...' if len(differ) > 5 else ''}",
        [
            f"{name}: {rows(expected.get(name))} in the manifest, {rows(actual.get(name))} restored"
            for name in differ
        ],
    )


def _check_consents(alias: str, manifest: dict, report: CheckReport) -> None:
    """Recompute the SHA-256 of every frozen consent PDF and compare it with the stored one."""
    label = "Signed consents"
    try:
        with transaction.atomic(using=alias):
            bad, checked = _verify_consents(alias)
            identity = _consent_identity(alias)
    except DatabaseError as exc:
        report.fail(label, f"NOT CHECKED: {_one_line(exc)}", "signed consents not checked")
        return
    if bad:
        pks = ", ".join(f"#{pk}" for pk, _ in bad[:5])
        report.fail(
            label,
            f"MISMATCH: {len(bad)} of {checked} do not match their SHA-256",
            f"consent {pks} does not match its SHA-256"
            if len(bad) == 1
            else f"consents {pks}{' ...' if len(bad) > 5 else ''} do not match their SHA-256",
            [f"consent #{pk} {why}" for pk, why in bad],
        )
    else:
        report.add(label, f"OK: {checked:,} of {checked:,} hashes verified")
    recorded = manifest["consents"]
    if "error" in recorded:
        report.add(label, f"(not recorded when the backup was taken: {recorded['error']})")
    elif recorded != identity:
        report.fail(
            label,
            f"MISMATCH: {recorded.get('signed')} signed consents in the manifest, "
            f"{identity['signed']} restored, or their ids or hashes differ",
            "signed consents differ from the manifest",
        )


def _verify_consents(alias: str) -> tuple[list[tuple[int, str]], int]:
    bad: list[tuple[int, str]] = []
    checked = 0
    rows = (
        Consent.objects.using(alias)
        .filter(Q(pdf__isnull=False) | ~Q(sha256=""))
        .order_by("pk")
        .values_list("pk", "intake_id", "pdf", "sha256")
        .iterator(chunk_size=50)
    )
    for pk, intake_id, pdf, stored in rows:
        if not stored:
            bad.append((pk, f"(intake #{intake_id}): frozen PDF bytes but no SHA-256 stored"))
            continue
        checked += 1
        if pdf is None:
            bad.append((pk, f"(intake #{intake_id}): a SHA-256 but no PDF bytes"))
            continue
        actual = hashlib.sha256(bytes(pdf)).hexdigest()
        if actual != stored:
            why = f"the PDF hashes to {actual[:12]}…, stored {stored[:12]}…"
            bad.append((pk, f"(intake #{intake_id}): {why}"))
    return bad, checked


def _check_audit(alias: str, manifest: dict, report: CheckReport) -> None:
    label = "Audit chain"
    try:
        with transaction.atomic(using=alias):
            facts = _audit_facts(alias)
            broken = None
            if not facts["ok"]:
                broken = (
                    AuditEvent.objects.using(alias)
                    .filter(pk=facts["first_broken_pk"])
                    .values_list("action", "at")
                    .first()
                )
    except DatabaseError as exc:
        report.fail(label, f"NOT CHECKED: {_one_line(exc)}", "audit chain not checked")
        return
    recorded = manifest["audit"]
    if not facts["ok"]:
        pk = facts["first_broken_pk"]
        where = f"audit event #{pk}"
        if broken is not None:
            where += f" ({broken[0]}, {timezone.localtime(broken[1]):%Y-%m-%d %H:%M:%S %Z})"
        already = recorded.get("first_broken_pk") == pk and recorded.get("ok") is False
        report.fail(
            label,
            f"BROKEN at {where}: {facts['reason']}",
            f"audit chain broken at event #{pk}",
            [
                f"{facts['checked']:,} events before it are intact"
                + ("; it was already broken in the live database" if already else "")
            ],
        )
        return
    if "error" in recorded:
        report.add(
            label, f"OK: {facts['checked']:,} events, unbroken (not recorded in the manifest)"
        )
        return
    same = (
        recorded.get("checked") == facts["checked"]
        and recorded.get("last_hash") == facts["last_hash"]
    )
    if not same:
        report.fail(
            label,
            f"MISMATCH: {facts['checked']:,} events restored, unbroken, but the manifest "
            f"recorded {recorded.get('checked')} ending in {str(recorded.get('last_hash'))[:12]}…",
            "audit chain differs from the manifest",
        )
        return
    last = f" (last hash {facts['last_hash'][:12]}…)" if facts["last_hash"] else ""
    report.add(label, f"OK: {facts['checked']:,} events, unbroken{last}")


# --- small helpers ---------------------------------------------------------------------------


@contextlib.contextmanager
def _alias(purpose: str, *, using: str, **changes) -> Iterator[str]:
    """A connection alias of its own for the block: ``using``'s settings with ``changes``.

    The connection is registered in this thread only (``connections[alias] = wrapper``) and not
    in ``settings.DATABASES``: nothing else sees it, Django's test isolation treats it as the
    dynamically created connection it is, and it is closed and removed afterwards."""
    alias = f"_{purpose}_{secrets.token_hex(4)}"
    settings_dict = copy.deepcopy(connections[using].settings_dict)
    settings_dict.update(ATOMIC_REQUESTS=False, CONN_MAX_AGE=0, CONN_HEALTH_CHECKS=False)
    settings_dict.update(changes)
    connections[alias] = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias)
    try:
        yield alias
    finally:
        try:
            connections[alias].close()
        finally:
            del connections[alias]


def _libpq_env(settings_dict: dict) -> dict:
    """The environment for pg_dump/pg_restore: the connection settings as libpq variables, so
    that the password never appears on a command line."""
    env = dict(os.environ)
    for key, variable in (
        ("NAME", "PGDATABASE"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
    ):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    for option, variable in _LIBPQ_OPTIONS.items():
        value = (settings_dict.get("OPTIONS") or {}).get(option)
        if value not in (None, ""):
            env[variable] = str(value)
    env["PGAPPNAME"] = "dn-intake-backup"
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(MISSING_TOOL.format(tool=name))
    return path


def _tool_version(path: str) -> str:
    """The version number a PostgreSQL tool reports, e.g. "15.20"."""
    result = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
        [path, "--version"], capture_output=True, text=True, timeout=30, check=False
    )
    found = re.search(r"\d+(?:\.\d+)*", result.stdout)
    return found.group(0) if found else "unknown"


def _common_tools() -> dict:
    return {"python": platform.python_version(), "django": django.get_version()}


def _file_digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _when(iso: str) -> str:
    moment = datetime.datetime.fromisoformat(iso)
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S %Z}"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _tail(text: str, lines: int = 4) -> str:
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()][-lines:]
    return " / ".join(kept) or "no message"
