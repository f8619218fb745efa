"""Erase the records whose retention period has passed (``--dry-run`` lists them first)."""

import argparse
import datetime

from django.core.management.base import BaseCommand, CommandError

from screening.models import ClinicSettings
from screening.services import retention

# Opaque ids per printed line.
PER_LINE = 10


def _day(raw: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a date like 2026-12-03 is needed, not {raw!r}") from None


class Command(BaseCommand):
    help = (
        "Erase every patient whose last appointment is older than the clinic's retention "
        "period (a minor's record not before their 25th birthday): answers, names, contact "
        "details, date of birth, signatures and PDFs. The audit trail is kept, pointing at an "
        "opaque id. With --dry-run, only list who is due (opaque ids, never names)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List who is due; change nothing."
        )
        parser.add_argument(
            "--today",
            type=_day,
            help="Act as if today were this date (the clinic's calendar); for tests.",
        )

    def handle(self, *args, dry_run=False, today=None, **options):
        if args:
            raise CommandError(f"apply_retention takes no arguments, not {' '.join(args)!r}.")
        years = ClinicSettings.load().retention_years
        if not years or years < 1:
            raise CommandError(
                "The clinic's retention period is not set to a number of years: set it on the "
                "Clinic settings page first. Nothing was changed."
            )
        report = retention.retention_apply(dry_run=dry_run, today=today)
        self.stdout.write(
            f"Retention period: {report.retention_years} years after the last appointment "
            f"(last appointment before {report.cutoff.isoformat()})."
        )
        if dry_run:
            ids = [due.opaque_id for due in report.due]
            self.stdout.write(f"Dry run: {len(ids)} patients due for erasure; nothing changed.")
        else:
            ids = [f"Patient #{pk}" for pk in report.erased]
            self.stdout.write(f"Erased {len(ids)} patients.")
        for start in range(0, len(ids), PER_LINE):
            self.stdout.write(f"  {', '.join(ids[start : start + PER_LINE])}")
        if report.kept_minors:
            self.stdout.write(
                f"{report.kept_minors} patients who were minors at their last appointment are "
                "kept until their 25th birthday."
            )
