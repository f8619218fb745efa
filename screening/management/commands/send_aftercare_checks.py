"""Send the 48-hour aftercare checks that are due: run by cron every 15 minutes."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from screening import services
from screening.management.commands.send_reminders import _moment


class Command(BaseCommand):
    help = (
        "Send each aftercare check once, 48 hours after the treatment, by e-mail and text "
        "message where the patient has them; a check that cannot be sent goes on the desk's "
        "list of aftercare calls. Run it every 15 minutes."
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
                "Set DJANGO_SITE_URL (for example https://clinic.example.org): aftercare checks "
                "carry a link to the app."
            )
        run = services.aftercare_checks_send(now=now or timezone.now(), base_url=settings.SITE_URL)
        self.stdout.write(run.summary())
