"""``manage.py backup DEST``: a consistent backup of the database while the app runs."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from screening.backup import BackupError, backup_write


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the database to DEST while the app runs: one tar file "
        "(mode 0600) holding pg_dump -Fc output or a SQLite copy, and a manifest of row counts, "
        "signed consents and the audit chain taken from the same snapshot. It holds health "
        "data: encrypt it. Check it with restore_check."
    )

    def add_arguments(self, parser):
        parser.add_argument("dest", help="the backup file to write, e.g. /backups/clinic.tar")
        parser.add_argument("--force", action="store_true", help="replace DEST if it exists")

    def handle(self, *args, dest, force, **options):
        try:
            manifest = backup_write(dest=Path(dest), force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        tables = manifest["tables"]
        consents = manifest["consents"].get("signed", "?")
        audit = manifest["audit"]
        size = manifest["data"]["size"]
        self.stdout.write(
            f"Backup written: {Path(dest).absolute()} ({size / 1_000_000:,.1f} MB of data, "
            f"mode 0600), taken at {manifest['taken_at']}: {len(tables):,} tables, "
            f"{sum(tables.values()):,} rows, {consents} signed "
            f"consent{'' if consents == 1 else 's'}, "
            f"{audit.get('checked', '?')} audit events."
        )
        if audit.get("ok") is False:
            self.stderr.write(
                f"Warning: the live audit chain is broken at audit event "
                f"#{audit['first_broken_pk']} ({audit['reason']}); run manage.py audit_verify."
            )
        self.stdout.write(f"Check that it restores: manage.py restore_check {dest}")
