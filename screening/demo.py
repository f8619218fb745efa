"""Demo data for ``make run``: one account per role and intakes at every stage.

Idempotent: accounts are created once (their demo password is reset each run so that the
printed credentials always work), and demo intakes are added only when none exist yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from screening import services
from screening.models import ClinicSettings, User
from screening.permissions import Role

DEMO_ACCOUNTS = (
    # username, role, password, first name, last name, profession, registration
    ("desk", Role.FRONT_DESK, "desk-demo-2026", "Dana", "Reception", "", ""),
    (
        "practitioner",
        Role.PRACTITIONER,
        "needle-demo-2026",
        "Priya",
        "Shah",
        "Physiotherapist",
        "HCPC PH123456",
    ),
    ("admin", Role.CLINIC_ADMIN, "admin-demo-2026", "Alex", "Morgan", "", ""),
)


@dataclass
class SeedSummary:
    accounts: list[tuple[str, str, str]] = field(default_factory=list)
    intakes_created: int = 0


@transaction.atomic
def seed() -> SeedSummary:
    summary = SeedSummary()
    ClinicSettings.load()
    for username, role, password, first, last, profession, registration in DEMO_ACCOUNTS:
        user = User.objects.filter(username=username).first()
        if user is None:
            services.staff_create(
                username=username,
                role=role,
                password=password,
                first_name=first,
                last_name=last,
                profession=profession,
                registration_number=registration,
                validate=False,
            )
        else:
            services.staff_set_password(user=user, password=password, actor=None)
        summary.accounts.append((username, str(role.label), password))
    return summary
