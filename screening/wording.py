"""Plain words for people: the labels of regions, techniques and questionnaire items in place of
their ids, in any text a person reads (finding messages stored with a screening, history lines,
messages). Stored findings keep the engine's wording; this is applied when they are shown."""

from __future__ import annotations

import re
from functools import cache

from screening.engine import questionnaire, regions


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


@cache
def _labels() -> tuple[dict[str, str], re.Pattern, re.Pattern]:
    # Only ids with an underscore: the others ("lumbar", "abdomen", "pregnancy", "diabetes")
    # are ordinary words that also occur in the engine's own wording ("abdominal, lumbar or
    # sacral-pelvic region") and read correctly as they are.
    region_labels = {
        region_id: _lower_first(regions.label(region_id))
        for region_id in (*regions.REGIONS, *regions.ALIASES)
        if "_" in region_id
    }
    labels = dict(region_labels)
    labels.update({tid: t.label for tid, t in regions.TECHNIQUES.items() if "_" in tid})
    labels.update(
        {item_id: item.title for item_id, item in questionnaire.ITEMS.items() if "_" in item_id}
    )

    # Longest first, so that "upper_limb_left" wins over a shorter id inside it.
    def alternation(ids):
        return "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))

    every_region = {
        region_id: _lower_first(regions.label(region_id))
        for region_id in (*regions.REGIONS, *regions.ALIASES)
    }
    region = alternation(every_region)
    # A list of regions ("arm_elbow_left, forearm_hand_left"): labels hold commas, so the
    # list is joined with semicolons instead.
    region_list = re.compile(rf"\b(?:{region})(?:, (?:{region}))+\b")
    single = re.compile(rf"\b(?:{alternation(labels)})\b")
    return {**every_region, **labels}, region_list, single


def plain_words(text: str) -> str:
    """``text`` with every region, technique and item id replaced by its label."""
    if not text:
        return text
    labels, region_list, single = _labels()
    # Within a list of two or more regions every id is a region, single words included.
    text = region_list.sub(
        lambda match: "; ".join(labels[part] for part in match.group(0).split(", ")), str(text)
    )
    return single.sub(lambda match: labels[match.group(0)], text)


def item_title(item_id: str) -> str:
    """An item's display title, or the id itself for an item this questionnaire lacks."""
    try:
        return questionnaire.item(item_id).title
    except questionnaire.UnknownItem:
        return item_id
