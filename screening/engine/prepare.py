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


def _expand_regions(item_id: str, values: Mapping[str, Any]) -> Mapping[str, Any]:
    """The item's values with every region list given as member ids in body order (§13.2)."""
    expanded = None
    for field_id in _REGION_FIELDS[item_id]:
        value = values.get(field_id)
        if isinstance(value, list | tuple) and value:
            expanded = expanded if expanded is not None else dict(values)
            expanded[field_id] = list(region_data.ordered(region_data.expand(value)))
    return values if expanded is None else expanded


def prepare(
    answers: Mapping[str, Mapping[str, Any]],
    *,
    thresholds: questionnaire.DerivationThresholds,
    age_years: int | None = None,
    clinician: Mapping[str, Mapping[str, Any]] | None = None,
) -> Answers:
    """Stored or submitted answers exactly as the rules read them.

    In order: item ids are checked (`questionnaire.UnknownItem`); the clinician-set fields are
    added to the items the patient answered; aliases in region lists are expanded; the derived
    items are recomputed with the clinic's thresholds and the age from the date of birth
    (§13.5); then follow-ups whose enable condition does not hold, unanswered values and empty
    items are dropped (§13.9). ``prepare(prepare(a)) == prepare(a)``.
    """
    merged: dict[str, Mapping[str, Any]] = dict(answers)
    for item_id, values in (clinician or {}).items():
        if item_id in merged and values:
            merged[item_id] = {**merged[item_id], **values}
    derived = questionnaire.derive(merged, thresholds=thresholds, age_years=age_years)
    expanded = {item_id: _expand_regions(item_id, values) for item_id, values in derived.items()}
    return questionnaire.prune(expanded)
