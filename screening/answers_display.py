"""Answers as people read them: by section, every question, "Not answered" where empty.

Used by the patient's review page, the practitioner's detail page and the documents, so that
an answer reads the same everywhere. Unanswered is never shown as "No".
"""

from __future__ import annotations

from typing import Any

from screening.engine import questionnaire, regions

NOT_ANSWERED = "Not answered"


def _choice_label(choices, value) -> str:
    for choice in choices:
        if choice.value == value:
            return choice.label
    return str(value)


def format_value(spec, value: Any) -> str:
    """One stored value in words."""
    kind = spec.kind
    if value is None or value == "" or value == []:
        return NOT_ANSWERED
    if kind == questionnaire.YES_NO:
        return "Yes" if value is True else "No" if value is False else str(value)
    if kind == questionnaire.CHOICE:
        return _choice_label(spec.choices, value)
    if kind == questionnaire.MULTI_CHOICE:
        return ", ".join(_choice_label(spec.choices, v) for v in value)
    if kind == questionnaire.REGIONS:
        return ", ".join(regions.label(v) for v in value)
    if kind in questionnaire.NUMBER_KINDS:
        return f"{questionnaire.number_text(value)} {spec.unit}".strip()
    return str(value)


def item_summary(item, values: dict, *, thresholds, patient: bool) -> dict:
    """The item's question, main answer and the follow-ups that apply, in words."""
    answer_text = None
    if item.answer_kind == questionnaire.ANSWER_YES_NO:
        answer = values.get("answer")
        answer_text = {True: "Yes", False: "No"}.get(answer, NOT_ANSWERED)
    elif item.answer_kind == questionnaire.ANSWER_CHOICE:
        answer = values.get("answer")
        answer_text = (
            _choice_label(item.answer_choices, answer) if answer is not None else NOT_ANSWERED
        )
    details = []
    enabled = {f.id for f in questionnaire.enabled_fields(item.id, values)}
    for follow_up in item.follow_ups:
        if patient and follow_up.clinician_only:
            continue
        if follow_up.id not in enabled:
            continue
        if answer_text is None and questionnaire.asked_by(item) is follow_up:
            # The item is asked through this follow-up (dry needling before?): its answer is
            # the item's answer, under the item's question.
            value = values.get(follow_up.id)
            answer_text = format_value(follow_up, value)
            continue
        value = values.get(follow_up.id)
        primary = not follow_up.enable_when and item.answer_kind == questionnaire.ANSWER_DERIVED
        if value is None and not primary and follow_up.derived:
            continue
        details.append(
            {
                "label": follow_up.label_text(thresholds),
                "value": format_value(follow_up, value),
                "answered": value not in (None, "", []),
            }
        )
    if answer_text is None and not any(d["answered"] for d in details):
        answer_text = NOT_ANSWERED
    return {
        "item": item,
        "question": item.question_text(thresholds),
        "answer": answer_text,
        "answered": answer_text != NOT_ANSWERED,
        "details": details,
    }


def section_summaries(answers: dict, *, thresholds, patient: bool) -> list[dict]:
    """Every question section with its items in words."""
    summaries = []
    for section in questionnaire.SECTIONS:
        if not section.items:
            continue
        items = [
            item_summary(
                questionnaire.item(item_id),
                answers.get(item_id, {}),
                thresholds=thresholds,
                patient=patient,
            )
            for item_id in section.items
        ]
        summaries.append({"section": section, "items": items})
    return summaries
