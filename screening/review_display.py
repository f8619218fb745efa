"""What the practitioner's review page shows at a glance: the flags as chips with what is left
to do, what blocks clearing, the decision that fits, and a body map of flags and plan.
Presentation only: the rules decide, the services refuse; this reads their results."""

from __future__ import annotations

from screening.engine import questionnaire, regions, rules

LEVEL_ORDER = {rules.ABSOLUTE: 0, rules.RELATIVE: 1, rules.INFO: 2}
LEVEL_WORDS = {
    rules.ABSOLUTE: "Absolute contraindication",
    rules.RELATIVE: "Precaution",
    rules.INFO: "Noted",
}


def flag_chips(findings: list[dict], resolutions: dict) -> list[dict]:
    """The flags to resolve (absolute, then relative), each with its short label and whether
    a standing resolution covers it."""
    chips = [
        {
            "item": f["item"],
            "anchor": f"flag-{f['item'].replace('_', '-')}",
            "label": questionnaire.ANSWER_LABELS.get(f["item"], f["item"]),
            "title": questionnaire.item(f["item"]).title,
            "level": f["level"],
            "level_words": LEVEL_WORDS[f["level"]],
            "resolved": (f["item"], f["level"]) in resolutions,
        }
        for f in findings
        if f["level"] in (rules.ABSOLUTE, rules.RELATIVE)
    ]
    return sorted(chips, key=lambda chip: LEVEL_ORDER[chip["level"]])


def decision_state(*, screening, chips: list[dict]) -> dict:
    """What blocks clearing, and which clearing decision is honest.

    Plain "Cleared" fits only a screening with no flag; once a flag is mitigated or overridden
    the decision is "Cleared with modifications" (the service refuses the other).
    """
    blockers = []
    if screening is None:
        blockers.append("The patient has not sent the questionnaire yet.")
    elif screening.plan is None:
        blockers.append("Set the treatment plan (techniques and regions).")
    open_chips = [chip for chip in chips if not chip["resolved"]]
    blockers.extend(f"Resolve the flag: {chip['title']}." for chip in open_chips)
    if chips:
        cleared_reason = "Flags were mitigated or overridden: choose “Cleared with modifications”."
    else:
        cleared_reason = ""
    return {
        "resolved": len(chips) - len(open_chips),
        "total": len(chips),
        "blockers": blockers,
        "can_clear": not blockers,
        "plain_cleared_reason": cleared_reason,
        "suggested": "cleared_with_modifications" if chips else "cleared",
    }


def _affected_regions(item_id: str, answers: dict) -> set[str]:
    """The regions the patient marked for an item (every region list of its answers)."""
    values = answers.get(item_id, {})
    found: set[str] = set()
    for follow_up in questionnaire.item(item_id).follow_ups:
        if follow_up.kind == questionnaire.REGIONS:
            marked = [r for r in values.get(follow_up.id) or () if regions.is_region_or_alias(r)]
            found |= regions.expand(marked)
    return found


def body_map_classes(findings: list[dict], answers: dict, plan_regions) -> dict[str, str]:
    """Per region, the classes the read-only body map draws: the highest flag level of the
    areas the patient marked, and an outline for the planned regions."""
    level_of: dict[str, str] = {}
    for finding in findings:
        for region_id in _affected_regions(finding["item"], answers):
            current = level_of.get(region_id)
            if current is None or LEVEL_ORDER[finding["level"]] < LEVEL_ORDER[current]:
                level_of[region_id] = finding["level"]
    planned = regions.expand([r for r in plan_regions if regions.is_region_or_alias(r)])
    classes = {}
    for region_id in regions.REGIONS:
        names = []
        if region_id in level_of:
            names.append(f"bm-level-{level_of[region_id]}")
        if region_id in planned:
            names.append("bm-planned")
        if names:
            classes[region_id] = " ".join(names)
    return classes


def body_map_words(findings: list[dict], answers: dict, plan_regions) -> dict:
    """The body map in words (the drawing is hidden from screen readers): flagged areas by
    flag, and the planned areas."""
    flagged = []
    for finding in sorted(findings, key=lambda f: LEVEL_ORDER[f["level"]]):
        marked = _affected_regions(finding["item"], answers)
        if marked:
            flagged.append(
                {
                    "label": questionnaire.ANSWER_LABELS.get(finding["item"], finding["item"]),
                    "level": finding["level"],
                    "level_words": LEVEL_WORDS[finding["level"]],
                    "regions": "; ".join(regions.label(r) for r in regions.ordered(marked)),
                }
            )
    planned = regions.ordered(
        regions.expand([r for r in plan_regions if regions.is_region_or_alias(r)])
    )
    return {"flagged": flagged, "planned": "; ".join(regions.label(r) for r in planned)}


# ---------------------------------------------------------------------------------------------
# A course of care: what changed since the previous visit (issue 17)


def _answer_words(summary: dict) -> str:
    """An item's answer and its answered follow-ups as one line of words."""
    parts = [summary["answer"]] if summary["answer"] else []
    parts += [f"{d['label']} {d['value']}" for d in summary["details"] if d["answered"]]
    return "; ".join(parts)


def answer_changes(before: dict, after: dict, *, thresholds) -> list[dict]:
    """The answers that differ between two visits, in words: label, before, after. Compared
    as people read them, so a change no one could see (a stored key order) is not listed."""
    from screening.answers_display import item_summary

    changes = []
    for section in questionnaire.SECTIONS:
        for item_id in section.items:
            item = questionnaire.item(item_id)
            old = item_summary(item, before.get(item_id, {}), thresholds=thresholds, patient=False)
            new = item_summary(item, after.get(item_id, {}), thresholds=thresholds, patient=False)
            old_words, new_words = _answer_words(old), _answer_words(new)
            if old_words != new_words:
                changes.append(
                    {
                        "item": item_id,
                        "label": questionnaire.ANSWER_LABELS.get(item_id, item.title),
                        "section": section.title,
                        "before": old_words,
                        "after": new_words,
                    }
                )
    return changes


def plan_changes(before: dict | None, techniques, region_ids) -> dict:
    """Techniques and regions added to or dropped from the plan since the previous visit."""
    before = before or {}
    old_t, new_t = set(before.get("techniques") or ()), set(techniques)
    old_r = regions.expand(
        [r for r in before.get("regions") or () if regions.is_region_or_alias(r)]
    )
    new_r = regions.expand([r for r in region_ids if regions.is_region_or_alias(r)])
    return {
        "techniques_added": [
            regions.TECHNIQUES[t].label for t in regions.TECHNIQUES if t in new_t - old_t
        ],
        "techniques_dropped": [
            regions.TECHNIQUES[t].label for t in regions.TECHNIQUES if t in old_t - new_t
        ],
        "regions_added": [regions.label(r) for r in regions.ordered(new_r - old_r)],
        "regions_dropped": [regions.label(r) for r in regions.ordered(old_r - new_r)],
    }
