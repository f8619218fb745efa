"""Screening an intake and storing the snapshot that every later page and document reads."""

from __future__ import annotations

from screening import selectors
from screening.engine import questionnaire, rules
from screening.models import Intake, ScreeningResult, User
from screening.services.audit import PATIENT_ACTOR, audit_record


def flag_summary(flags) -> list[dict]:
    """Item and level of each flag (a finding or its stored dict), absolute first."""
    order = {rules.ABSOLUTE: 0, rules.RELATIVE: 1}
    pairs = [(f["item"], f["level"]) if isinstance(f, dict) else (f.item, f.level) for f in flags]
    pairs = [pair for pair in pairs if pair[1] in order]
    return [
        {"item": item, "level": level}
        for item, level in sorted(pairs, key=lambda pair: order[pair[1]])
    ]


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
    flags = flag_summary(result.flags)
    Intake.objects.filter(pk=intake.pk).update(
        latest_outcome=result.outcome, latest_flag_count=len(result.flags), latest_flags=flags
    )
    intake.latest_outcome = result.outcome
    intake.latest_flag_count = len(result.flags)
    intake.latest_flags = flags
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
