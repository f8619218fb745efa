"""Intakes at later stages, built through the services exactly as the app builds them."""

from __future__ import annotations

import datetime
from contextlib import nullcontext
from unittest import mock

from screening import selectors, services
from screening.engine import questionnaire
from screening.engine.synthetic import negative_answers
from screening.models import Intake
from tests.conftest import make_intake


def complete_answers(intake: Intake, extra: dict | None = None) -> dict:
    """A full questionnaire with nothing to report, plus ``extra`` items, derived as the
    wizard derives them."""
    return questionnaire.derive(
        {**negative_answers(), **(extra or {})},
        thresholds=selectors.clinic_thresholds(),
        age_years=selectors.intake_age(intake),
    )


def fill_all_steps(intake: Intake, answers: dict) -> None:
    """Every page answered. For an appointment more than a day away, the "How you are today"
    answers are given on the day (the clock is moved to an hour before the appointment for
    them), as the questionnaire requires."""
    for section in questionnaire.SECTIONS:
        if section.id == "review":
            continue
        values = {item_id: answers[item_id] for item_id in section.items if item_id in answers}
        on_the_day = nullcontext()
        if section.id == selectors.TODAY_SECTION and not selectors.today_window_open(intake):
            on_the_day = mock.patch(
                "django.utils.timezone.now",
                return_value=intake.appointment_at - datetime.timedelta(hours=1),
            )
        with on_the_day:
            services.intake_save_step(intake=intake, section_id=section.id, values=values)


def make_submitted_intake(extra: dict | None = None, **intake_fields) -> Intake:
    intake = make_intake(**intake_fields)
    fill_all_steps(intake, complete_answers(intake, extra))
    intake, _ = services.intake_submit(intake=intake)
    return intake


def set_plan(intake: Intake, actor, techniques, regions, clinician=None):
    intake.refresh_from_db()
    return services.review_set_plan(
        actor=actor,
        intake=intake,
        techniques=techniques,
        regions=regions,
        clinician=clinician or {},
        expected_version=intake.version,
    )


def resolve_and_clear(
    intake: Intake,
    practitioner,
    *,
    mitigation: str = "Supine only.",
    justification: str = "",
    wording: dict | None = None,
) -> Intake:
    """Resolve every flag of the latest screening (a mitigation, or an override with
    ``justification`` for an absolute flag; ``wording`` maps an item to the patient wording),
    then clear with modifications."""
    from screening import selectors

    for flag in selectors.flags_of(selectors.latest_screening(intake)):
        intake.refresh_from_db()
        services.flag_resolve(
            actor=practitioner,
            intake=intake,
            item=flag["item"],
            mitigation=mitigation,
            justification=justification if flag["level"] == "absolute" else "",
            patient_wording=(wording or {}).get(flag["item"], ""),
            expected_version=intake.version,
        )
    intake.refresh_from_db()
    services.review_decide(
        actor=practitioner,
        intake=intake,
        decision=Intake.Decision.CLEARED_WITH_MODIFICATIONS,
        expected_version=intake.version,
    )
    intake.refresh_from_db()
    return intake
