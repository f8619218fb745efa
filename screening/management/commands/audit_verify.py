"""Check the audit trail's hash chain from its first row to its last."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from screening.models import AuditEvent
from screening.services.audit import verify_chain


class Command(BaseCommand):
    help = (
        "Check that no audit event was changed, removed or reordered since it was written. "
        "Exits 1 and names the first broken row if one was."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="The database to check (default: the app's own).",
        )

    def handle(self, *args, database, **options):
        report = verify_chain(using=database)
        if report.ok:
            self.stdout.write(
                f"Audit trail intact: {report.checked} events checked, chain unbroken."
            )
            return
        row = AuditEvent.objects.using(database).filter(pk=report.first_broken_pk).first()
        where = f"audit event #{report.first_broken_pk}"
        if row is not None:
            where += f" ({row.action}, {row.at:%Y-%m-%d %H:%M:%S %Z})"
        raise CommandError(
            f"Audit trail broken at {where}: {report.reason}. "
            f"{report.checked} events before it are intact."
        )
