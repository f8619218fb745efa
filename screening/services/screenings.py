"""Screening an intake and storing the snapshot that every later page and document reads."""

from __future__ import annotations

from screening import selectors
from screening.engine import questionnaire, rules
from screening.models import Intake, ScreeningResult, User
from screening.services.audit import PATIENT_ACTOR, audit_record


def screening_run(
    *, intake: Intake, trigger: str, actor: User | None = None, request=None
) -> ScreeningResult:
    """Screen the intake as it stands and store the snapshot. Call inside a transaction."""
    thresholds = selectors.clinic_thresholds()
    answers = selectors.screening_answers(intake, thresholds)
    plan = selectors.intake_plan(intake)
    result = rules.evaluate(answers, plan, thresholds)
    snapshot = ScreeningResult.objects.create(
        intake=intake,
        created_by=actor,
        trigger=trigger,
        outcome=result.outcome,
        findings=[finding.as_dict() for finding in result.findings],
        answers=answers,
        plan=plan.as_dict() if plan is not None else None,
        thresholds=thresholds.as_dict(),
        ruleset_version=rules.RULESET_VERSION,
        questionnaire_version=questionnaire.VERSION,
    )
    Intake.objects.filter(pk=intake.pk).update(
        latest_outcome=result.outcome, latest_flag_count=len(result.flags)
    )
    intake.latest_outcome = result.outcome
    intake.latest_flag_count = len(result.flags)
    audit_record(
        actor=actor,
        actor_role=None if actor is not None else PATIENT_ACTOR,
        action="screening.run",
        request=request,
        intake=intake,
        obj=snapshot,
        detail={"trigger": trigger, "outcome": result.outcome},
    )
    return snapshot
