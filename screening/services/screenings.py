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


REACTION_ITEM = "previous_needling_reaction"
_OWN_ANSWER_WORDS = {
    "never": "never had dry needling or acupuncture",
    "no_problems": "had it before with no problems",
    "problems": "had a problem with it before",
}


def with_recorded_reaction(answers: dict, recorded: list[str]) -> dict:
    """The engine's input when the clinic recorded a fainting or a significant event after an
    earlier appointment (clinical reference §3.12): the item answered ``problems`` whatever
    the patient answered, with the record as what happened. A new dict: the patient's own
    answer stays untouched in ``Intake.answers``; the snapshot keeps what the engine saw. A
    patient who answered ``problems`` keeps their own words."""
    if (answers.get(REACTION_ITEM) or {}).get("previous_experience") == "problems":
        return answers
    return {
        **answers,
        REACTION_ITEM: {
            "answer": True,
            "previous_experience": "problems",
            "reaction_description": "; ".join(recorded),
        },
    }


def shown_answers(snapshot_answers: dict, own: dict) -> dict:
    """The answers a flag quotes: the snapshot's, except an item the clinic's record stood in
    for (``with_recorded_reaction``), which shows what the patient answered."""
    item = snapshot_answers.get(REACTION_ITEM) or {}
    described = str(item.get("reaction_description", ""))
    if not described.startswith(selectors.CLINIC_RECORD_PREFIX):
        return snapshot_answers
    return {**snapshot_answers, REACTION_ITEM: own.get(REACTION_ITEM) or {}}


def recorded_reaction_findings(findings: list[dict], recorded: list[str], own: dict) -> list:
    """The findings with the clinic's record (and the patient's own answer) added to the
    message of the ``previous_needling_reaction`` finding, so the review page says it."""
    experience = (own.get(REACTION_ITEM) or {}).get("previous_experience")
    own_words = _OWN_ANSWER_WORDS.get(experience, "did not answer")
    extra = f"{'. '.join(recorded)} (the patient’s own answer: {own_words})"
    return [
        {**finding, "message": f"{finding['message']}. {extra}"}
        if finding["item"] == REACTION_ITEM
        else finding
        for finding in findings
    ]


def screening_run(
    *, intake: Intake, trigger: str, actor: User | None = None, request=None
) -> ScreeningResult:
    """Screen the intake as it stands and store the snapshot. Call inside a transaction."""
    thresholds = selectors.clinic_thresholds()
    answers = selectors.screening_answers(intake, thresholds)
    recorded = selectors.recorded_reactions(intake)
    if recorded:
        answers = with_recorded_reaction(answers, recorded)
    plan = selectors.intake_plan(intake)
    result = rules.evaluate(answers, plan, thresholds)
    findings = [finding.as_dict() for finding in result.findings]
    if recorded:
        findings = recorded_reaction_findings(findings, recorded, intake.answers)
    snapshot = ScreeningResult.objects.create(
        intake=intake,
        created_by=actor,
        trigger=trigger,
        outcome=result.outcome,
        findings=findings,
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
