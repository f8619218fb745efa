"""``manage.py generate_intakes N``: realistic synthetic intakes in bulk, for benchmarks, with
treatment records and adverse events (at the published rates) for cleared past appointments."""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from screening import demo
from screening.models import User
from screening.roles import Role


class Command(BaseCommand):
    help = "Bulk-create N screened synthetic intakes (never on a real clinic's database)."

    def add_arguments(self, parser):
        parser.add_argument("count", type=int)
        parser.add_argument("--focus-day", help="YYYY-MM-DD (default today)")
        parser.add_argument("--per-focus-day", type=int, default=40)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--no-treatments",
            action="store_true",
            help="skip the treatment records and adverse events of cleared past appointments",
        )
        parser.add_argument("--allow-production", action="store_true")

    def handle(self, *args, **opts):
        if not settings.DEBUG and not opts["allow_production"]:
            raise CommandError("refusing to add synthetic data with DJANGO_DEBUG off", returncode=2)
        if not 1 <= opts["count"] <= 1_000_000:
            raise CommandError("count must be between 1 and 1,000,000", returncode=2)
        try:
            focus = (
                datetime.date.fromisoformat(opts["focus_day"])
                if opts["focus_day"]
                else timezone.localdate()
            )
        except ValueError:
            raise CommandError("--focus-day must be YYYY-MM-DD", returncode=2) from None
        practitioners = list(User.objects.filter(role=Role.PRACTITIONER, is_active=True))
        if not practitioners:
            raise CommandError(
                "create a practitioner first (seed_demo or create_staff)", returncode=2
            )
        made = demo.generate_intakes(
            opts["count"],
            practitioners=practitioners,
            focus_day=focus,
            per_focus_day=opts["per_focus_day"],
            seed=opts["seed"],
        )
        self.stdout.write(f"Created {made:,} synthetic intakes.")
        if not opts["no_treatments"]:
            treatments, events = demo.generate_treatments(seed=opts["seed"])
            self.stdout.write(
                f"Created {treatments:,} treatment records with {events:,} adverse events."
            )
