"""Demo data for ``make run``: one account per role and intakes at every stage.

Idempotent: accounts are created once (their demo password is reset each run so that the
printed credentials always work), and demo intakes are added only when none exist yet.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from screening import questionnaire, services
from screening.models import ClinicSettings, Intake, User
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
    if not Intake.objects.exists():
        summary.intakes_created = _seed_intakes()
    return summary


def negative_answers() -> dict:
    """A complete questionnaire with nothing to report (each item answered, none positive)."""
    answers = {}
    for item in questionnaire.ITEM_LIST:
        if item.answer_kind == questionnaire.ANSWER_YES_NO and not item.optional:
            answers[item.id] = {"answer": False}
    answers["pregnancy"] = {"answer": "not_applicable"}
    answers["needle_phobia"] = {"fear_level": "none", "answer": False}
    answers["not_eaten_recently"] = {"hours_since_meal": 2, "answer": False}
    answers["previous_needling_reaction"] = {"previous_experience": "no_problems", "answer": False}
    answers["low_body_weight"] = {"height_cm": 172, "weight_kg": 70}
    return answers


# (name, date of birth, minutes from now, answers on top of the negatives, stage, plan)
DEMO_PATIENTS = (
    ("Olivia Bennett", datetime.date(1991, 5, 2), -60, {}, "not_started", None),
    ("Noah Fischer", datetime.date(1979, 11, 23), 30, {}, "in_progress", None),
    (
        "Harold Kemp",
        datetime.date(1956, 2, 14),
        60,
        {
            "blood_thinner_use": {
                "answer": True,
                "agents": ["warfarin"],
                "latest_inr": 3.4,
                "inr_days_ago": 2,
            }
        },
        "submitted",
        None,
    ),
    (
        "Grace Okafor",
        datetime.date(1995, 8, 9),
        90,
        {"pregnancy": {"answer": "yes", "weeks": 20, "complications": False}},
        "submitted",
        None,
    ),
    (
        "Samuel Price",
        datetime.date(1987, 1, 30),
        120,
        {
            "skin_lesion_or_local_infection": {
                "answer": True,
                "type": "eczema",
                "regions": ["forearm_hand_left"],
            }
        },
        "submitted",
        None,
    ),
    (
        "Ella Walsh",
        datetime.date(2010, 6, 18),
        150,
        {
            "minor_patient": {
                "guardian_consent": True,
                "guardian_relationship": "mother",
                "patient_assent": True,
            }
        },
        "cleared",
        (["manual_static"], ["thigh_left"]),
    ),
    ("Tom Reid", datetime.date(1983, 3, 3), 180, {}, "cleared", (["manual_static"], ["lumbar"])),
)


def _seed_intakes() -> int:
    practitioner = User.objects.get(username="practitioner")
    desk = User.objects.get(username="desk")
    now = timezone.now().replace(second=0, microsecond=0)
    created = 0
    for name, dob, minutes, extra, stage, plan in DEMO_PATIENTS:
        intake = services.intake_create(
            actor=desk,
            full_name=name,
            date_of_birth=dob,
            appointment_at=now + datetime.timedelta(minutes=minutes),
            practitioner=practitioner,
        )
        created += 1
        if stage == "not_started":
            services.link_issue(actor=desk, intake=intake)
            continue
        answers = questionnaire.derive(
            {**negative_answers(), **extra},
            thresholds=services.clinic_thresholds(),
            age_years=services.intake_age(intake),
        )
        sections = [s for s in questionnaire.SECTIONS if s.id != "review"]
        if stage == "in_progress":
            sections = sections[:5]
        for section in sections:
            values = {item_id: answers[item_id] for item_id in section.items if item_id in answers}
            services.intake_save_step(
                intake=intake, section_id=section.id, values=values, completed_by="self"
            )
        if stage == "in_progress":
            continue
        intake, _ = services.intake_submit(intake=intake)
        if plan is None:
            continue
        screening, _ = services.review_set_plan(
            actor=practitioner,
            intake=intake,
            techniques=plan[0],
            regions=plan[1],
            clinician={},
            expected_version=intake.version,
        )
        for flag in services.flags_of(screening):
            services.flag_resolve(
                actor=practitioner,
                intake=intake,
                item=flag["item"],
                mitigation=flag.get("modification") or "Discussed with the patient and guardian.",
                expected_version=intake.version,
            )
        services.review_decide(
            actor=practitioner,
            intake=intake,
            decision=Intake.Decision.CLEARED_WITH_MODIFICATIONS
            if services.flags_of(screening)
            else Intake.Decision.CLEARED,
            note="Demo decision.",
            expected_version=intake.version,
        )
    return created
