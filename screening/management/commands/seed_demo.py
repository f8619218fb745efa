"""``manage.py seed_demo``: demo accounts (one per role) and demo intakes, idempotently."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from screening import demo


class Command(BaseCommand):
    help = "Load demo data: one account per role and demo intakes. Safe to run repeatedly."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="run even with DJANGO_DEBUG off (never on a real clinic's database)",
        )

    def handle(self, *args, **opts):
        if not settings.DEBUG and not opts["allow_production"]:
            raise CommandError(
                "refusing to load demo accounts with DJANGO_DEBUG off; "
                "pass --allow-production for a throw-away database",
                returncode=2,
            )
        summary = demo.seed()
        self.stdout.write("Demo accounts (development only):")
        for username, role, password in summary.accounts:
            self.stdout.write(f"  {role:<14} username: {username:<12} password: {password}")
        if settings.STAFF_2FA:
            self.stdout.write(
                "Two-step sign-in is on, as in production: at its first sign-in each account "
                "shows a QR code to scan with an authenticator app (Google Authenticator, "
                "FreeOTP, ...), or a key to type, then ten backup codes to keep. For a quicker "
                "local demo: DJANGO_STAFF_2FA=0 make run"
            )
        else:
            self.stdout.write("Two-step sign-in is off (DJANGO_STAFF_2FA=0, development only).")
        if summary.intakes_created:
            self.stdout.write(f"Created {summary.intakes_created} demo intakes.")
        else:
            self.stdout.write("Demo intakes already present; nothing added.")
        if summary.course_patient:
            self.stdout.write(
                f"Returning patient: {summary.course_patient}, seen today (consent signed) and "
                "checked in for tomorrow with a new blood thinner (see tomorrow's queue)."
            )
