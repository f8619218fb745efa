"""The one reading of answers and plan that every path screens with (clinical reference §13.9).

The `screen` command, the wizard's submit, the practitioner's re-screening and the documents
all hand their answers to `prepare` (and their plan to `rules.plan_of`), and `rules.evaluate`
prepares whatever it is given again (preparing is idempotent), so the same answers cannot
screen differently depending on the way they came in. Pure Python: no Django, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from screening.engine import questionnaire
from screening.engine import regions as region_data

Answers = dict[str, dict[str, Any]]


# The region follow-ups of each item, found once: most items have none.
_REGION_FIELDS: dict[str, tuple[str, ...]] = {
    item.id: tuple(f.id for f in item.follow_ups if f.kind == questionnaire.REGIONS)
    for item in questionnaire.ITEM_LIST
}


def prepare(
    answers: Mapping[str, Mapping[str, Any]],
    *,
    thresholds: questionnaire.DerivationThresholds,
    age_years: int | None = None,
    clinician: Mapping[str, Mapping[str, Any]] | None = None,
) -> Answers:
    """Stored or submitted answers exactly as the rules read them.

    In order: item ids are checked (`questionnaire.UnknownItem`); the clinician-set fields are
    added to the items the patient answered; the derived items are recomputed with the clinic's
    thresholds and the age from the date of birth (§13.5); follow-ups whose enable condition
    does not hold, unanswered values and empty items are dropped (§13.9); aliases in the region
    lists left are expanded to member ids (a condition asks only whether one is answered). The
    result is new dicts throughout, and ``prepare(prepare(a)) == prepare(a)``.
    """
    merged: dict[str, Mapping[str, Any]] = dict(answers)
    for item_id, values in (clinician or {}).items():
        if item_id in merged and values:
            merged[item_id] = {**merged[item_id], **values}
    derived = questionnaire.derive(merged, thresholds=thresholds, age_years=age_years)
    prepared: Answers = {}
    items = questionnaire.ITEMS  # derive has checked every id
    for item_id, values in derived.items():
        if len(values) == 1 and values.get("answer") is False:
            prepared[item_id] = {"answer": False}  # most items: a plain "no", nothing to do
            continue
        kept = questionnaire.prune_values(items[item_id], values)  # a new dict: safe to change
        if not kept:
            continue
        for field_id in _REGION_FIELDS[item_id]:
            value = kept.get(field_id)
            if isinstance(value, list | tuple):
                kept[field_id] = list(region_data.ordered(region_data.expand(value)))
        prepared[item_id] = kept
    return prepared
