"""Reads shared by views, services and documents: the intake's screening state, never a write."""

from __future__ import annotations

import datetime

from django.utils import timezone

from screening.engine import questionnaire, rules
from screening.engine.prepare import prepare
from screening.models import ClinicSettings, FlagResolution, Intake, ScreeningResult


def clinic_thresholds() -> rules.Thresholds:
    """The clinic's current thresholds as the engine takes them."""
    return rules.Thresholds.from_dict(ClinicSettings.load().threshold_values())


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The clinic-local day as an aware [start, end) range, so the appointment index is used
    (a ``__date`` lookup converts every row's time zone and cannot use it)."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, start + datetime.timedelta(days=1)


def intake_age(intake: Intake) -> int:
    """The patient's age on the day of the appointment."""
    day = timezone.localtime(intake.appointment_at).date()
    return intake.patient.age_on(day)


def screening_answers(intake: Intake, thresholds: rules.Thresholds | None = None) -> dict:
    """The answers the engine sees: the patient's, the clinician-set fields, and the age."""
    return prepare(
        intake.answers,
        thresholds=thresholds or clinic_thresholds(),
        age_years=intake_age(intake),
        clinician=intake.clinician_answers,
    )


def intake_plan(intake: Intake) -> rules.Plan | None:
    """The practitioner's plan, or None before one is set ("pending plan" semantics)."""
    return rules.plan_of(intake.plan_techniques, intake.plan_regions)


def latest_screening(intake: Intake) -> ScreeningResult | None:
    return intake.screenings.order_by("-created_at", "-pk").first()


def active_resolutions(intake: Intake) -> dict[tuple[str, str], FlagResolution]:
    """The standing resolution of each (item, level)."""
    found = {}
    for resolution in intake.resolutions.filter(superseded_at__isnull=True).select_related(
        "created_by"
    ):
        found[(resolution.item, resolution.level)] = resolution
    return found


def flags_of(screening: ScreeningResult | None) -> list[dict]:
    if screening is None:
        return []
    return [f for f in screening.findings if f["level"] in (rules.ABSOLUTE, rules.RELATIVE)]


def unresolved_flags(intake: Intake, screening: ScreeningResult | None) -> list[dict]:
    resolutions = active_resolutions(intake)
    return [f for f in flags_of(screening) if (f["item"], f["level"]) not in resolutions]


def flag_changes(before: ScreeningResult | None, after: ScreeningResult) -> dict[str, list]:
    """Which flags appeared, disappeared or changed level between two screenings."""
    old = {f["item"]: f["level"] for f in flags_of(before)}
    new = {f["item"]: f["level"] for f in flags_of(after)}
    return {
        "appeared": [item for item in new if item not in old],
        "disappeared": [item for item in old if item not in new],
        "changed": [
            (item, old[item], new[item]) for item in new if item in old and old[item] != new[item]
        ],
    }


def page_key(section_id: str, page: int) -> str:
    """How ``completed_steps`` names one page of a section split into several pages."""
    return f"{section_id}/{page}"


def page_done(intake: Intake, section, page: int) -> bool:
    """Has the patient pressed Next on this page (or on the whole section, before pages)?"""
    done = intake.completed_steps
    return section.id in done or page_key(section.id, page) in done


def missing_pages(intake: Intake) -> list[tuple[str, int]]:
    """(section id, page) of every question page not completed, or whose stored answers are no
    longer complete and valid, in wizard order (the server's check before anything is sent)."""
    missing = []
    for section in questionnaire.SECTIONS:
        for number, items in enumerate(section.pages, start=1):
            if not page_done(intake, section, number) or any(
                questionnaire.validate_item(item_id, intake.answers.get(item_id, {}))
                for item_id in items
            ):
                missing.append((section.id, number))
    return missing


def missing_steps(intake: Intake) -> list[str]:
    """Question sections with a page not completed or no longer valid, in wizard order."""
    return list(dict.fromkeys(section_id for section_id, _ in missing_pages(intake)))
