"""``manage.py restore_check BACKUP``: prove that a backup restores and verifies."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from screening.backup import BackupError, backup_check


class Command(BaseCommand):
    help = (
        "Restore a backup made by `backup` into a scratch database (PostgreSQL: a new database "
        "on the same server, dropped afterwards; SQLite: a private copy), run migrate --check, "
        "compare row counts with its manifest, verify every signed consent's SHA-256 and the "
        "audit chain, and print a one-screen report. Exits 1 on any mismatch."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="a backup file written by manage.py backup")

    def handle(self, *args, backup, **options):
        try:
            report = backup_check(path=Path(backup))
        except BackupError as exc:
            raise CommandError(f"Backup FAILED verification: {exc}") from None
        for line in report.lines:
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(report.verdict)
        self.stdout.write(report.verdict)
