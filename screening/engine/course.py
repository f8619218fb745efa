"""A course of care across visits: does a signed consent still cover this visit, and what
changed since the last one. Pure functions over plain data (clinical reference §5: consent is
ongoing, confirmed before each session and at any change of technique or region).

The consent's scope is what it was signed for: the techniques and regions of its plan, the
flags of its screening with their levels, the consent text's version and the last day it
covers. A later visit is covered only while none of these is exceeded.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from screening.engine import questionnaire, regions, rules

EXPIRED = "expired"
TEXT_CHANGED = "text_changed"
TECHNIQUE_OUTSIDE = "technique_outside"
REGION_OUTSIDE = "region_outside"
NEW_FLAG = "new_flag"
HIGHER_LEVEL = "higher_level"

_LEVEL_RANK = {rules.INFO: 0, rules.RELATIVE: 1, rules.ABSOLUTE: 2}
LEVEL_WORDS = {
    rules.ABSOLUTE: "absolute contraindication",
    rules.RELATIVE: "precaution",
    rules.INFO: "noted",
}


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, or the month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def flag_levels(findings: Iterable[Mapping]) -> dict[str, str]:
    """{item: its highest flag level} over the findings that are flags (absolute, relative)."""
    levels: dict[str, str] = {}
    for finding in findings:
        level = finding["level"]
        if level not in (rules.ABSOLUTE, rules.RELATIVE):
            continue
        held = levels.get(finding["item"])
        if held is None or _LEVEL_RANK[level] > _LEVEL_RANK[held]:
            levels[finding["item"]] = level
    return levels


@dataclass(frozen=True)
class ConsentScope:
    """What one signed consent covers."""

    signed_on: datetime.date
    valid_until: datetime.date
    text_version: str
    techniques: frozenset[str]
    regions: frozenset[str]
    flags: Mapping[str, str]  # item -> level


@dataclass(frozen=True)
class Gap:
    """One reason a consent does not cover a visit, in words for the desk and practitioner."""

    kind: str
    words: str


def _label(item_id: str) -> str:
    """The short label of an item; a neutral phrase for one a later questionnaire dropped."""
    if item_id in questionnaire.ANSWER_LABELS:
        return questionnaire.ANSWER_LABELS[item_id]
    if item_id in questionnaire.ITEMS:
        return questionnaire.ITEMS[item_id].title
    return "A question no longer asked"


def _known_regions(region_ids: Iterable[str]) -> frozenset[str]:
    """The regions of ``region_ids`` this version knows (a stored plan may be older)."""
    return regions.expand([r for r in region_ids if regions.is_region_or_alias(r)])


def _day(value: datetime.date) -> str:
    return f"{value.day} {value:%b %Y}"


def consent_gaps(
    scope: ConsentScope,
    *,
    today: datetime.date,
    text_version: str,
    techniques: Iterable[str],
    region_ids: Iterable[str],
    flags: Mapping[str, str],
) -> list[Gap]:
    """Why ``scope`` does not cover a visit with this plan and these flags; [] when it does.

    A plan not yet set asks nothing of the scope (the practitioner has not chosen); its flags
    still count. Expiry is inclusive: the consent covers ``valid_until`` itself.
    """
    gaps: list[Gap] = []
    if today > scope.valid_until:
        gaps.append(Gap(EXPIRED, f"The consent ended on {_day(scope.valid_until)}."))
    if text_version != scope.text_version:
        gaps.append(Gap(TEXT_CHANGED, "The consent form's text has changed since it was signed."))
    for technique in sorted(set(techniques) - scope.techniques):
        if technique not in regions.TECHNIQUES:
            continue
        label = regions.TECHNIQUES[technique].label
        gaps.append(Gap(TECHNIQUE_OUTSIDE, f"A planned technique was not consented to: {label}."))
    for region in regions.ordered(_known_regions(region_ids) - _known_regions(scope.regions)):
        gaps.append(
            Gap(REGION_OUTSIDE, f"A planned area was not consented to: {regions.label(region)}.")
        )
    for item, level in sorted(flags.items(), key=lambda pair: -_LEVEL_RANK[pair[1]]):
        held = scope.flags.get(item)
        label = _label(item)
        if held is None:
            gaps.append(
                Gap(NEW_FLAG, f"A new risk since the consent: {label} ({LEVEL_WORDS[level]}).")
            )
        elif _LEVEL_RANK[level] > _LEVEL_RANK[held]:
            gaps.append(
                Gap(
                    HIGHER_LEVEL,
                    f"A risk is now higher than when consented: {label} "
                    f"({LEVEL_WORDS[held]} then, {LEVEL_WORDS[level]} now).",
                )
            )
    return gaps


@dataclass(frozen=True)
class FlagChange:
    item: str
    label: str
    before: str | None  # level, None when new
    after: str | None  # level, None when gone

    @property
    def words(self) -> str:
        if self.before is None:
            return f"New: {LEVEL_WORDS[self.after]}"
        if self.after is None:
            return f"Gone (was {LEVEL_WORDS[self.before]})"
        return f"{LEVEL_WORDS[self.before].capitalize()} → {LEVEL_WORDS[self.after]}"


def flag_differences(before: Mapping[str, str], after: Mapping[str, str]) -> list[FlagChange]:
    """Flags new, gone or at another level between two visits (item -> level maps), the
    highest level first."""
    changes = []
    for item in set(before) | set(after):
        old, new = before.get(item), after.get(item)
        if old != new:
            changes.append(FlagChange(item, _label(item), old, new))
    return sorted(
        changes,
        key=lambda c: (-max(_LEVEL_RANK.get(c.after, -1), _LEVEL_RANK.get(c.before, -1)), c.label),
    )
