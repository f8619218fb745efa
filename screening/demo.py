"""Demo data for ``make run``: one account per role and intakes at every stage.

Idempotent: accounts are created once (their demo password is reset each run so that the
printed credentials always work), and demo intakes are added only when none exist yet.
"""

from __future__ import annotations

import datetime
import random
import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from screening import selectors, services
from screening.engine import questionnaire, rules, synthetic
from screening.engine.synthetic import negative_answers
from screening.models import ClinicSettings, Intake, Patient, ScreeningResult, User
from screening.roles import Role
from screening.services.screenings import flag_summary

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
    course_patient: str = ""


DEMO_CLINIC = {
    "name": "Riverside Physiotherapy (demo)",
    "address": "12 Mill Lane\nRiverside RV1 2AB",
    "phone": "01234 567 890",
    "registration_details": "Demo clinic: not a real registration",
}


@transaction.atomic
def seed() -> SeedSummary:
    summary = SeedSummary()
    clinic = ClinicSettings.load()
    blanks = _blank_clinic_details(clinic)
    if blanks:
        # Demo details so the documents print complete; never over a detail an admin typed.
        services.clinic_settings_update(actor=None, changes=blanks, expected_version=clinic.version)
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
    _seed_treatment()
    summary.course_patient = _seed_course()
    return summary


COURSE_PATIENT = ("Tom Whitfield", datetime.date(1979, 6, 2))


def _answer_sections(intake: Intake, answers: dict, section_ids) -> None:
    for section_id in section_ids:
        section = questionnaire.SECTIONS_BY_ID[section_id]
        for number, page_items in enumerate(section.pages, start=1):
            services.intake_save_step(
                intake=intake,
                section_id=section_id,
                page=number,
                values={i: answers[i] for i in page_items if i in answers},
            )


def _seed_course() -> str:
    """A course of care (issue 17), once: a returning patient seen earlier today (cleared, the
    consent signed on paper) whose next visit, tomorrow, was checked in with one change: he has
    started warfarin. That visit shows what changed and that a new consent is needed.
    Returns the patient's name, or "" when the course was seeded before."""
    name, born = COURSE_PATIENT
    if Patient.objects.filter(full_name=name, date_of_birth=born).exists():
        return ""
    practitioner = User.objects.get(username="practitioner")
    desk = User.objects.get(username="desk")
    now = timezone.now().replace(second=0, microsecond=0)
    thresholds = selectors.clinic_thresholds()
    first = services.intake_create(
        actor=desk,
        full_name=name,
        date_of_birth=born,
        appointment_at=now - datetime.timedelta(hours=2),
        practitioner=practitioner,
    )
    answers = questionnaire.derive(
        negative_answers(), thresholds=thresholds, age_years=selectors.intake_age(first)
    )
    services.intake_save_step(intake=first, section_id="welcome", values={}, completed_by="self")
    _answer_sections(first, answers, [s.id for s in questionnaire.SECTIONS if s.items])
    first, _ = services.intake_submit(intake=first)
    services.review_set_plan(
        actor=practitioner,
        intake=first,
        techniques=["manual_static"],
        regions=["lumbar"],
        clinician={},
        expected_version=first.version,
    )
    first.refresh_from_db()
    services.review_decide(
        actor=practitioner,
        intake=first,
        decision=Intake.Decision.CLEARED,
        note="Demo: first visit of a course.",
        expected_version=first.version,
    )
    services.consent_record_paper(
        actor=desk, intake=first, form_token=uuid.uuid4(), signer_name=name
    )
    # The next visit, within a day, so that its "today" answers count. A check-in: every part
    # still true except bleeding and medicines.
    second = services.intake_create(
        actor=desk,
        full_name=name,
        date_of_birth=born,
        appointment_at=now + datetime.timedelta(hours=20),
        practitioner=practitioner,
    )
    parts = [section.id for section in services.checkin_sections()]
    services.intake_checkin(
        intake=second,
        still_true=[p for p in parts if p != "bleeding"],
        changed=["bleeding"],
        completed_by="self",
    )
    changed = {
        **answers,
        "blood_thinner_use": {
            "answer": True,
            "agents": ["warfarin"],
            "latest_inr": 2.6,
            "inr_days_ago": 3,
        },
    }
    _answer_sections(second, changed, ["bleeding", selectors.TODAY_SECTION])
    services.intake_submit(intake=second)
    return name


def _seed_treatment() -> None:
    """After the needles (issue 18): the demo patient seen earlier today has a treatment record
    with a fainting in the chair, and their 48-hour aftercare check is shown as due now (as it
    would be two days later). Only once, and only for the demo patient."""
    from screening.models import AftercareCheck, TreatmentRecord

    practitioner = User.objects.filter(username="practitioner").first()
    intake = (
        Intake.objects.filter(
            patient__full_name="Ruth Adams",
            status=Intake.Status.SIGNED,
            appointment_at__lt=timezone.now(),
        )
        .order_by("-appointment_at")
        .first()
    )
    if practitioner is None or intake is None or TreatmentRecord.objects.filter(intake=intake):
        return
    services.treatment_record(
        actor=practitioner,
        intake=intake,
        techniques=intake.plan_techniques,
        regions_treated=intake.plan_regions,
        duration_minutes=20,
        needle_count=6,
        treated_at=intake.appointment_at,
        note="Demo treatment: two trigger points.",
    )
    services.adverse_event_record(
        actor=practitioner,
        intake=intake,
        type="fainting",
        severity="moderate",
        onset="during",
        duration="2 minutes",
        action_taken="Laid flat with legs raised; rested 15 minutes, had a snack, then left.",
    )
    AftercareCheck.objects.filter(intake=intake).update(due_at=timezone.now())


def _blank_clinic_details(clinic: ClinicSettings) -> dict:
    """The demo clinic details for the fields still blank (or the name still the default)."""
    default_name = ClinicSettings._meta.get_field("name").default
    blanks = {}
    for name, value in DEMO_CLINIC.items():
        current = getattr(clinic, name).strip()
        if not current or (name == "name" and current == default_name):
            blanks[name] = value
    return blanks


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
    # Seen earlier today: cleared, and the consent signed on paper at the desk.
    (
        "Ruth Adams",
        datetime.date(1968, 10, 5),
        -30,
        {},
        "signed",
        (["manual_static"], ["neck_posterior"]),
    ),
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
            thresholds=selectors.clinic_thresholds(),
            age_years=selectors.intake_age(intake),
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
        for flag in selectors.flags_of(screening):
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
            if selectors.flags_of(screening)
            else Intake.Decision.CLEARED,
            note="Demo decision.",
            expected_version=intake.version,
        )
        if stage == "signed":
            services.consent_record_paper(
                actor=desk, intake=intake, form_token=uuid.uuid4(), signer_name=name
            )
    return created


# ---------------------------------------------------------------------------------------------
# Synthetic volume, for benchmarks: many realistic intakes written in bulk.

FIRST_NAMES = (
    "Ava",
    "Ben",
    "Chloe",
    "Daniel",
    "Emma",
    "Felix",
    "Grace",
    "Hugo",
    "Isla",
    "Jack",
    "Kate",
    "Liam",
    "Maya",
    "Noah",
    "Olivia",
    "Priya",
    "Quinn",
    "Ruth",
    "Sam",
    "Tara",
)
LAST_NAMES = (
    "Adams",
    "Brown",
    "Clarke",
    "Davies",
    "Evans",
    "Fischer",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lopez",
    "Murphy",
    "Nowak",
    "Okafor",
    "Patel",
    "Reid",
    "Singh",
    "Taylor",
    "Walsh",
)


def generate_intakes(
    count: int,
    *,
    practitioners: list[User],
    focus_day: datetime.date,
    per_focus_day: int = 40,
    spread_days: int = 365,
    seed: int = 1,
    batch: int = 2_000,
) -> int:
    """Bulk-create ``count`` screened intakes: ``per_focus_day`` of them on ``focus_day``, the
    rest spread over the year around it, in realistic states (drafts ahead, signed behind).

    Answers are synthetic but complete, and every submitted intake is screened by the real
    engine, so outcomes and flag counts are those the app would store. Synthetic data skips the
    audit trail: it never describes anything that happened.
    """
    rng = random.Random(seed)
    thresholds = selectors.clinic_thresholds()
    zone = timezone.get_current_timezone()
    made = 0
    while made < count:
        size = min(batch, count - made)
        patients, intakes, results = [], [], []
        for n in range(size):
            index = made + n
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {index}"
            patients.append(
                Patient(
                    full_name=name,
                    name_key=Patient.make_name_key(name),
                    date_of_birth=datetime.date(
                        rng.randint(1940, 2012), rng.randint(1, 12), rng.randint(1, 28)
                    ),
                )
            )
        Patient.objects.bulk_create(patients)
        for n, patient in enumerate(patients):
            index = made + n
            if index < per_focus_day:
                day = focus_day
            else:
                day = focus_day + datetime.timedelta(
                    days=rng.randint(-spread_days // 2, spread_days // 2) or 1
                )
            at = datetime.datetime.combine(
                day, datetime.time(rng.randint(8, 17), rng.choice((0, 15, 30, 45))), zone
            )
            past = day < focus_day
            status = (
                rng.choice(("signed", "signed", "reviewed", "submitted"))
                if past
                else (rng.choice(("draft", "submitted", "submitted", "reviewed")))
            )
            answers = synthetic.random_answers(rng) if status != "draft" else {}
            plan = synthetic.random_plan(rng) if status in ("reviewed", "signed") else None
            intake = Intake(
                patient=patient,
                appointment_at=at,
                practitioner=rng.choice(practitioners),
                status=status,
                decision="cleared" if plan else "",
                answers=answers,
                completed_steps=[s.id for s in questionnaire.SECTIONS] if answers else [],
                questionnaire_version=questionnaire.VERSION,
                plan_techniques=sorted(plan.techniques) if plan else [],
                plan_regions=sorted(plan.regions) if plan else [],
                submitted_at=at - datetime.timedelta(days=1) if answers else None,
            )
            if answers:
                result = rules.evaluate(answers, plan, thresholds)
                intake.latest_outcome = result.outcome
                intake.latest_flag_count = len(result.flags)
                intake.latest_flags = flag_summary(result.flags)
                results.append((intake, result, plan))
            intakes.append(intake)
        Intake.objects.bulk_create(intakes)
        ScreeningResult.objects.bulk_create(
            ScreeningResult(
                intake=intake,
                trigger="plan" if plan else "submit",
                outcome=result.outcome,
                findings=[finding.as_dict() for finding in result.findings],
                answers=intake.answers,
                plan=plan.as_dict() if plan else None,
                thresholds=thresholds.as_dict(),
                ruleset_version=rules.RULESET_VERSION,
                questionnaire_version=questionnaire.VERSION,
            )
            for intake, result, plan in results
        )
        made += size
    return made


# How a synthetic adverse event is graded: (severity, onset, referred) by type.
_SYNTHETIC_EVENT_SHAPE = {
    "fainting": ("moderate", "during", False),
    "pneumothorax": ("significant", "within_24h", True),
    "nerve_injury": ("significant", "later", True),
    "infection": ("moderate", "later", True),
    "retained_needle": ("significant", "during", False),
    "other_significant": ("significant", "within_24h", True),
    "bruising": ("mild", "during", False),
    "bleeding": ("mild", "during", False),
    "pain_during": ("mild", "during", False),
}


def generate_treatments(
    *,
    seed: int = 1,
    until: datetime.datetime | None = None,
    batch: int = 2_000,
) -> tuple[int, int]:
    """Bulk-create a treatment record for every cleared intake whose appointment is before
    ``until`` (default now) and has none yet, with adverse events drawn at the published rates
    of clinical reference §6 (``safety_stats.SYNTHETIC_PROBABILITY``). Deterministic for a
    seed and a database. Returns (treatments, events) made; like the intakes, no audit."""
    from django.db.models import Q

    from screening.models import AdverseEvent, TreatmentRecord
    from screening.safety_stats import SYNTHETIC_PROBABILITY

    rng = random.Random(seed)
    until = until or timezone.now()
    pending = (
        Intake.objects.filter(
            decision__in=(Intake.Decision.CLEARED, Intake.Decision.CLEARED_WITH_MODIFICATIONS),
            appointment_at__lt=until,
            practitioner__isnull=False,
            treatment__isnull=True,
        )
        # In time order, as a clinic records them after each session (rows then lie on disk
        # roughly in the order of their treatment date, as they would in a real clinic).
        .order_by("appointment_at", "pk")
        .values_list("pk", "practitioner_id", "appointment_at", "plan_techniques", "plan_regions")
    )
    treatments_made = events_made = 0
    after = Q()
    while True:
        rows = list(pending.filter(after)[:batch])
        if not rows:
            return treatments_made, events_made
        last_pk, _, last_at, *_ = rows[-1]
        after = Q(appointment_at__gt=last_at) | Q(appointment_at=last_at, pk__gt=last_pk)
        records = [
            TreatmentRecord(
                intake_id=pk,
                practitioner_id=practitioner_id,
                recorded_by_id=practitioner_id,
                treated_at=at + datetime.timedelta(minutes=rng.choice((0, 5, 10))),
                techniques=techniques,
                regions=regions,
                needle_count=rng.randint(2, 12),
                duration_minutes=rng.choice((15, 20, 30)),
            )
            for pk, practitioner_id, at, techniques, regions in rows
        ]
        TreatmentRecord.objects.bulk_create(records)
        if records and records[0].pk is None:
            # A backend that does not return primary keys from a bulk insert.
            records = list(
                TreatmentRecord.objects.filter(intake_id__in=[r.intake_id for r in records])
            )
        events = []
        for record in records:
            for kind, probability in SYNTHETIC_PROBABILITY.items():
                if rng.random() >= probability:
                    continue
                severity, onset, referred = _SYNTHETIC_EVENT_SHAPE.get(
                    kind, ("mild", "within_24h", False)
                )
                events.append(
                    AdverseEvent(
                        intake_id=record.intake_id,
                        treatment=record,
                        type=kind,
                        severity=severity,
                        onset=onset,
                        referred=referred,
                        recorded_by_id=record.practitioner_id,
                        recorded_at=record.treated_at + datetime.timedelta(minutes=45),
                    )
                )
        AdverseEvent.objects.bulk_create(events)
        treatments_made += len(records)
        events_made += len(events)
