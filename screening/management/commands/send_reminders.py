"""Send the reminders that are due: run by cron every 15 minutes."""

import argparse
import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from screening import services


def _moment(raw: str) -> datetime.datetime:
    try:
        value = datetime.datetime.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a date and time like 2026-12-03T09:00 is needed, not {raw!r}"
        ) from None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


class Command(BaseCommand):
    help = (
        "Send one reminder, the clinic's chosen number of hours before the appointment, to "
        "patients who have not sent their questionnaire (never twice, never after the "
        "appointment, never while the patient is answering). Run it every 15 minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            type=_moment,
            help="Act as if it were this time (clinic time unless an offset is given); for tests.",
        )

    def handle(self, *args, now=None, **options):
        if not settings.SITE_URL:
            raise CommandError(
                "Set DJANGO_SITE_URL (for example https://clinic.example.org): reminders carry "
                "a link to the app."
            )
        run = services.reminders_send(now=now or timezone.now(), base_url=settings.SITE_URL)
        self.stdout.write(run.summary())
