"""Validation of one screening case (PRODUCT.md §4, clinical reference §13.8). Pure Python.

A case is ``{"answers": {...}, "planned_techniques": [...], "planned_regions": [...]}`` plus
keys that are ignored (``id``, ``description``, ``expected_*``, ...). `validate_case` returns a
`Case` ready for `rules.evaluate`, or raises `CaseError` naming the offending key, such as
``answers.blood_thinner_use.latest_inr``.

What is checked: item ids; region ids and aliases in every region list and the plan;
technique ids; values of enumerated follow-ups (every ``choice`` and ``multi_choice`` of the
questionnaire, which are exactly those §13.8 names, plus the pregnancy answer); numbers the
rules read (type and range); the JSON type of everything else (``answer`` true/false for yes/no
items, true/false for yes/no follow-ups, text or a list of texts for free-text follow-ups).
An unknown follow-up key inside a known item is dropped, never an error; a ``null`` follow-up
reads as unanswered. An item without ``answer`` (or with ``answer: null``) is an error, except a
derived item of §13.5 whose number is given (§13.9). A plan exists once a region is planned:
absent keys, empty lists or techniques alone mean no plan yet (§13.3, §13.9). Validation only
checks and cleans; `rules.evaluate` reads the clean answers through `prepare`, as every path
does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from screening.engine import regions as region_data
from screening.engine.questionnaire import (
    ANSWER_CHOICE,
    CHOICE,
    ITEMS,
    MULTI_CHOICE,
    NUMBER_KINDS,
    REGIONS,
    YES_NO,
    FollowUp,
    Item,
    is_number,
)
from screening.engine.rules import Plan, plan_of


class CaseError(ValueError):
    """Bad input in a case: `key` locates it (dotted path), `message` says what was expected."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}" if key else message)
        self.key = key
        self.message = message


@dataclass(frozen=True)
class Case:
    """A validated case: its id (if any), clean answers, and the plan (None = no plan yet)."""

    id: str | None
    answers: dict[str, dict[str, Any]]
    plan: Plan | None


def _one_of(values: tuple[str, ...]) -> str:
    return "expected one of " + ", ".join(values)


def _check_regions(key: str, value: Any) -> None:
    if not isinstance(value, list):
        raise CaseError(key, "expected a list of region ids")
    for index, region_id in enumerate(value):
        if not region_data.is_region_or_alias(region_id):
            raise CaseError(f"{key}[{index}]", f"unknown region {region_id!r}")


def _check_follow_up(key: str, follow_up: FollowUp, value: Any) -> None:
    kind = follow_up.kind
    if kind == YES_NO:
        if not isinstance(value, bool):
            raise CaseError(key, "expected true or false")
    elif kind == CHOICE:
        if not isinstance(value, str) or value not in follow_up.choice_values:
            raise CaseError(key, _one_of(follow_up.choice_values))
    elif kind == MULTI_CHOICE:
        if not isinstance(value, list):
            raise CaseError(key, "expected a list: " + _one_of(follow_up.choice_values))
        for index, option in enumerate(value):
            if not isinstance(option, str) or option not in follow_up.choice_values:
                raise CaseError(f"{key}[{index}]", _one_of(follow_up.choice_values))
    elif kind in NUMBER_KINDS:
        if not is_number(value) or not follow_up.min <= value <= follow_up.max:
            raise CaseError(
                key, f"expected a number between {follow_up.min:g} and {follow_up.max:g}"
            )
    elif kind == REGIONS:
        _check_regions(key, value)
    else:
        # Free text: §13.8 allows text or a free list of texts.
        is_text_list = isinstance(value, list) and all(isinstance(v, str) for v in value)
        if not isinstance(value, str) and not is_text_list:
            raise CaseError(key, "expected text or a list of texts")


def _check_answer(key: str, item: Item, value: Any) -> None:
    if item.answer_kind == ANSWER_CHOICE:
        choices = tuple(choice.value for choice in item.answer_choices)
        if not isinstance(value, str) or value not in choices:
            raise CaseError(key, _one_of(choices))
    elif not isinstance(value, bool):
        raise CaseError(key, "expected true or false")


# §13.9: the items whose answer the engine computes from a number (§13.5), and that number.
NUMBER_DERIVED: dict[str, tuple[tuple[str, ...], ...]] = {
    "minor_patient": (("age_years",),),
    "not_eaten_recently": (("hours_since_meal",),),
    "low_body_weight": (("bmi",), ("height_cm", "weight_kg")),
}


def _answer_derivable(item_id: str, clean: Mapping[str, Any]) -> bool:
    return any(all(name in clean for name in inputs) for inputs in NUMBER_DERIVED.get(item_id, ()))


def _clean_item(key: str, item: Item, values: Any) -> dict[str, Any]:
    if not isinstance(values, Mapping):
        raise CaseError(key, "expected an object with an answer and follow-ups")
    clean: dict[str, Any] = {}
    for field_id, value in values.items():
        if value is None or not item.defines(field_id):
            continue
        field_key = f"{key}.{field_id}"
        if field_id == "answer":
            _check_answer(field_key, item, value)
        else:
            _check_follow_up(field_key, item.fields[field_id], value)
        clean[field_id] = value
    if "answer" not in clean and not _answer_derivable(item.id, clean):
        raise CaseError(f"{key}.answer", "missing: every item needs an answer")
    return clean


def _clean_answers(answers: Any) -> dict[str, dict[str, Any]]:
    if answers is None:
        return {}
    if not isinstance(answers, Mapping):
        raise CaseError("answers", "expected an object keyed by item id")
    clean = {}
    for item_id, values in answers.items():
        key = f"answers.{item_id}"
        if item_id not in ITEMS:
            raise CaseError(key, "unknown item id")
        clean[item_id] = _clean_item(key, ITEMS[item_id], values)
    return clean


def _plan(obj: Mapping[str, Any]) -> Plan | None:
    techniques = obj.get("planned_techniques")
    planned_regions = obj.get("planned_regions")
    techniques = [] if techniques is None else techniques
    if not isinstance(techniques, list):
        raise CaseError("planned_techniques", "expected a list of technique ids")
    for index, technique in enumerate(techniques):
        if not isinstance(technique, str) or technique not in region_data.TECHNIQUES:
            raise CaseError(f"planned_techniques[{index}]", f"unknown technique {technique!r}")
    planned_regions = [] if planned_regions is None else planned_regions
    _check_regions("planned_regions", planned_regions)
    return plan_of(techniques, planned_regions)


def case_id(obj: Any) -> str | None:
    """The case's own id for messages, if it has a usable one."""
    if isinstance(obj, Mapping) and isinstance(obj.get("id"), str | int):
        return str(obj["id"])
    return None


def validate_case(obj: Any) -> Case:
    """Check one case object and return it clean; raise CaseError naming the bad key."""
    if not isinstance(obj, Mapping):
        raise CaseError("", "expected a case object")
    return Case(id=case_id(obj), answers=_clean_answers(obj.get("answers")), plan=_plan(obj))
