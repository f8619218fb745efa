"""Body regions, aliases, adjacency, lung-risk regions and techniques (clinical reference §1, §2).

Pure data plus three small functions (`expand`, `near`, `near_matches`). The body map, the site
answers and the treatment plan all use these ids, so they are a contract: never rename one.

"Left" and "right" are always the patient's own left and right.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType


class UnknownRegion(ValueError):
    """A region or alias id that §2.1 does not define."""

    def __init__(self, region_id: object) -> None:
        super().__init__(f"unknown region {region_id!r}")
        self.region_id = region_id


class UnknownTechnique(ValueError):
    """A technique id that §1 does not define."""

    def __init__(self, technique_id: object) -> None:
        super().__init__(f"unknown technique {technique_id!r}")
        self.technique_id = technique_id


# §2.1 in reference order; the order is also the display and message order.
REGIONS: Mapping[str, str] = MappingProxyType(
    {
        "head_face": "Head and face",
        "neck_posterior": "Back of the neck",
        "neck_anterior_lateral": "Front and sides of the neck",
        "shoulder_girdle_left": "Left shoulder and top of shoulder blade",
        "shoulder_girdle_right": "Right shoulder and top of shoulder blade",
        "upper_back_thoracic": "Upper and middle back, between the shoulder blades",
        "chest_wall_left": "Left side of the chest, including the breast area",
        "chest_wall_right": "Right side of the chest, including the breast area",
        "arm_elbow_left": "Left upper arm and elbow",
        "arm_elbow_right": "Right upper arm and elbow",
        "forearm_hand_left": "Left forearm, wrist and hand",
        "forearm_hand_right": "Right forearm, wrist and hand",
        "abdomen": "Belly (abdomen)",
        "lumbar": "Lower back",
        "sacral_pelvic": "Base of the spine and pelvis",
        "hip_gluteal_left": "Left hip and buttock",
        "hip_gluteal_right": "Right hip and buttock",
        "thigh_left": "Left thigh",
        "thigh_right": "Right thigh",
        "knee_left": "Left knee",
        "knee_right": "Right knee",
        "leg_foot_left": "Left lower leg, ankle and foot",
        "leg_foot_right": "Right lower leg, ankle and foot",
    }
)

_ORDER = {region: index for index, region in enumerate(REGIONS)}

# Direct members; `upper_quadrant_X` names `upper_limb_X`, so expansion is recursive.
ALIASES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        f"{alias}_{side}": members
        for side in ("left", "right")
        for alias, members in (
            ("upper_limb", (f"arm_elbow_{side}", f"forearm_hand_{side}")),
            ("lower_limb", (f"thigh_{side}", f"knee_{side}", f"leg_foot_{side}")),
            (
                "upper_quadrant",
                (f"shoulder_girdle_{side}", f"chest_wall_{side}", f"upper_limb_{side}"),
            ),
        )
    }
)

ALIAS_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "upper_limb_left": "Whole left arm",
        "upper_limb_right": "Whole right arm",
        "lower_limb_left": "Whole left leg",
        "lower_limb_right": "Whole right leg",
        "upper_quadrant_left": "Left shoulder, left side of the chest and whole left arm",
        "upper_quadrant_right": "Right shoulder, right side of the chest and whole right arm",
    }
)


def _flatten(region_id: str) -> tuple[str, ...]:
    members = ALIASES.get(region_id)
    if members is None:
        return (region_id,)
    return tuple(leaf for member in members for leaf in _flatten(member))


ALIAS_MEMBERS: Mapping[str, frozenset[str]] = MappingProxyType(
    {alias: frozenset(_flatten(alias)) for alias in ALIASES}
)


def is_region_or_alias(region_id: object) -> bool:
    """True for any id a region list may hold (a region of §2.1 or an alias)."""
    return isinstance(region_id, str) and (region_id in REGIONS or region_id in ALIASES)


def label(region_id: str) -> str:
    """The patient-facing label of a region or alias id."""
    if region_id in REGIONS:
        return REGIONS[region_id]
    if region_id in ALIAS_LABELS:
        return ALIAS_LABELS[region_id]
    raise UnknownRegion(region_id)


def expand(ids: Iterable[str] | str) -> frozenset[str]:
    """Expand region ids and aliases into the set of §2.1 region ids; raise UnknownRegion."""
    if isinstance(ids, str):
        # A bare string is one id, not a sequence of one-letter ids.
        ids = (ids,)
    expanded: set[str] = set()
    for region_id in ids:
        if region_id in REGIONS:
            expanded.add(region_id)
        elif region_id in ALIAS_MEMBERS:
            expanded |= ALIAS_MEMBERS[region_id]
        else:
            raise UnknownRegion(region_id)
    return frozenset(expanded)


def ordered(region_ids: Iterable[str]) -> tuple[str, ...]:
    """Region ids in §2.1 order, for stable messages and displays."""
    return tuple(sorted(region_ids, key=_ORDER.__getitem__))


# §2.3, APP DEFAULT. "{side}" rows exist once per side with every "{side}" read as that side;
# "*" stands for both sides (the table's "L/R"). Symmetrised below, so a pair listed on only
# one row is still a neighbour both ways.
_ADJACENCY_TABLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("head_face", ("neck_posterior", "neck_anterior_lateral")),
    (
        "neck_posterior",
        ("head_face", "neck_anterior_lateral", "shoulder_girdle_*", "upper_back_thoracic"),
    ),
    (
        "neck_anterior_lateral",
        ("head_face", "neck_posterior", "shoulder_girdle_*", "chest_wall_*"),
    ),
    (
        "shoulder_girdle_{side}",
        (
            "neck_posterior",
            "neck_anterior_lateral",
            "upper_back_thoracic",
            "chest_wall_{side}",
            "arm_elbow_{side}",
        ),
    ),
    ("upper_back_thoracic", ("neck_posterior", "shoulder_girdle_*", "lumbar")),
    (
        "chest_wall_{side}",
        ("shoulder_girdle_{side}", "neck_anterior_lateral", "arm_elbow_{side}", "abdomen"),
    ),
    ("arm_elbow_{side}", ("shoulder_girdle_{side}", "chest_wall_{side}", "forearm_hand_{side}")),
    ("forearm_hand_{side}", ("arm_elbow_{side}",)),
    ("abdomen", ("chest_wall_*", "lumbar", "sacral_pelvic")),
    ("lumbar", ("upper_back_thoracic", "abdomen", "sacral_pelvic", "hip_gluteal_*")),
    ("sacral_pelvic", ("lumbar", "abdomen", "hip_gluteal_*")),
    ("hip_gluteal_{side}", ("lumbar", "sacral_pelvic", "thigh_{side}")),
    ("thigh_{side}", ("hip_gluteal_{side}", "knee_{side}")),
    ("knee_{side}", ("thigh_{side}", "leg_foot_{side}")),
    ("leg_foot_{side}", ("knee_{side}",)),
)


def _sided(name: str, side: str) -> tuple[str, ...]:
    if name.endswith("_*"):
        return (f"{name[:-2]}_left", f"{name[:-2]}_right")
    return (name.format(side=side),)


def _build_adjacency() -> Mapping[str, frozenset[str]]:
    pairs: set[tuple[str, str]] = set()
    for row, neighbours in _ADJACENCY_TABLE:
        sides = ("left", "right") if "{side}" in row else ("",)
        for side in sides:
            region = row.format(side=side)
            for neighbour_spec in neighbours:
                for neighbour in _sided(neighbour_spec, side):
                    pairs.add((region, neighbour))
                    pairs.add((neighbour, region))
    unknown = {region for pair in pairs for region in pair} - REGIONS.keys()
    if unknown:
        raise UnknownRegion(sorted(unknown)[0])
    return MappingProxyType(
        {region: frozenset(other for one, other in pairs if one == region) for region in REGIONS}
    )


ADJACENCY: Mapping[str, frozenset[str]] = _build_adjacency()


def near_matches(affected: Iterable[str], planned: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """(affected, planned) pairs that are equal or one-step neighbours, in §2.1 order.

    Both arguments must already be expanded region ids (see `expand`).
    """
    planned = ordered(set(planned))
    pairs = []
    for region in ordered(set(affected)):
        for target in planned:
            if region == target or region in ADJACENCY[target]:
                pairs.append((region, target))
                break
    return tuple(pairs)


def near(affected: Iterable[str], planned: Iterable[str]) -> bool:
    """True if any affected region is a planned region or one of its neighbours (§13.2)."""
    planned = frozenset(planned)
    return any(
        region in planned or not ADJACENCY[region].isdisjoint(planned) for region in affected
    )


# §13.2: exactly these; lumbar and neck_posterior are deliberately absent.
LUNG_RISK_REGIONS: frozenset[str] = frozenset(
    {
        "neck_anterior_lateral",
        "shoulder_girdle_left",
        "shoulder_girdle_right",
        "upper_back_thoracic",
        "chest_wall_left",
        "chest_wall_right",
    }
)

# §3.24 "trunk or neck": membership decides, not adjacency (§13.2).
TRUNK_AND_NECK_REGIONS: frozenset[str] = frozenset(
    {
        "neck_posterior",
        "neck_anterior_lateral",
        "shoulder_girdle_left",
        "shoulder_girdle_right",
        "upper_back_thoracic",
        "chest_wall_left",
        "chest_wall_right",
        "abdomen",
        "lumbar",
        "sacral_pelvic",
    }
)


@dataclass(frozen=True)
class RegionGroup:
    """A set of body-map checkboxes shown together, plus the whole-limb shortcuts for it."""

    id: str
    label: str
    regions: tuple[str, ...]
    aliases: tuple[str, ...] = ()


# Every region sits in exactly one group. Shoulders go with the arms and hips with the legs,
# because that is where patients look for them on a body map.
REGION_GROUPS: tuple[RegionGroup, ...] = (
    RegionGroup(
        "head_neck", "Head and neck", ("head_face", "neck_posterior", "neck_anterior_lateral")
    ),
    RegionGroup(
        "trunk",
        "Chest, back and belly",
        (
            "upper_back_thoracic",
            "chest_wall_left",
            "chest_wall_right",
            "abdomen",
            "lumbar",
            "sacral_pelvic",
        ),
    ),
    RegionGroup(
        "left_arm",
        "Left shoulder and arm",
        ("shoulder_girdle_left", "arm_elbow_left", "forearm_hand_left"),
        ("upper_limb_left", "upper_quadrant_left"),
    ),
    RegionGroup(
        "right_arm",
        "Right shoulder and arm",
        ("shoulder_girdle_right", "arm_elbow_right", "forearm_hand_right"),
        ("upper_limb_right", "upper_quadrant_right"),
    ),
    RegionGroup(
        "left_leg",
        "Left hip and leg",
        ("hip_gluteal_left", "thigh_left", "knee_left", "leg_foot_left"),
        ("lower_limb_left",),
    ),
    RegionGroup(
        "right_leg",
        "Right hip and leg",
        ("hip_gluteal_right", "thigh_right", "knee_right", "leg_foot_right"),
        ("lower_limb_right",),
    ),
)


@dataclass(frozen=True)
class Technique:
    """A needling technique of §1: id, staff label and a plain-language description."""

    id: str
    label: str
    description: str


TECHNIQUES: Mapping[str, Technique] = MappingProxyType(
    {
        technique.id: technique
        for technique in (
            Technique(
                "manual_static",
                "Manual needling (static)",
                "A thin needle is placed in a tight spot in the muscle and left there or moved "
                "gently.",
            ),
            Technique(
                "pistoning",
                "Pistoning",
                "The needle is moved quickly in and out of the tight spot to make the muscle "
                "twitch and relax.",
            ),
            Technique(
                "winding",
                "Winding",
                "The needle is turned so that the tissue around it gently winds onto it; used on "
                "tight connective tissue and scars.",
            ),
            Technique(
                "estim",
                "Electrical stimulation (e-stim)",
                "A small electrical current is passed between two needles, which feels like "
                "tapping or a muscle squeeze.",
            ),
        )
    }
)


def technique_set(ids: Iterable[str]) -> frozenset[str]:
    """Validate technique ids and return them as a set; raise UnknownTechnique."""
    if isinstance(ids, str):
        ids = (ids,)
    chosen = frozenset(ids)
    for technique_id in chosen:
        if technique_id not in TECHNIQUES:
            raise UnknownTechnique(technique_id)
    return chosen
