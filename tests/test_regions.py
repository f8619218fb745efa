"""Body regions, aliases, adjacency and techniques (clinical reference §1, §2, §13.2)."""

import pytest

from screening.engine import regions
from screening.engine.regions import (
    ADJACENCY,
    ALIAS_LABELS,
    ALIASES,
    LUNG_RISK_REGIONS,
    REGION_GROUPS,
    REGIONS,
    TECHNIQUES,
    UnknownRegion,
    UnknownTechnique,
    expand,
    near,
    near_matches,
)


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (["lumbar"], {"lumbar"}),
        (["upper_limb_left"], {"arm_elbow_left", "forearm_hand_left"}),
        (["lower_limb_right"], {"thigh_right", "knee_right", "leg_foot_right"}),
        (
            ["upper_quadrant_left"],
            {"shoulder_girdle_left", "chest_wall_left", "arm_elbow_left", "forearm_hand_left"},
        ),
        (
            ["upper_limb_right", "forearm_hand_right", "abdomen"],
            {"arm_elbow_right", "forearm_hand_right", "abdomen"},
        ),
        ([], set()),
        ("knee_left", {"knee_left"}),
    ],
)
def test_expand_aliases_to_region_ids(ids, expected):
    # Act
    expanded = expand(ids)

    # Assert
    assert expanded == frozenset(expected)


def test_expand_unknown_id_raises_unknown_region_naming_it():
    with pytest.raises(UnknownRegion) as caught:
        expand(["lumbar", "lumbr"])

    assert caught.value.region_id == "lumbr"
    assert isinstance(caught.value, ValueError)
    assert "lumbr" in str(caught.value)


def test_aliases_expand_only_to_known_regions_on_one_side():
    for alias, members in regions.ALIAS_MEMBERS.items():
        side = alias.rsplit("_", 1)[1]
        assert members <= REGIONS.keys()
        assert all(member.endswith(side) for member in members)


def test_every_region_and_alias_has_a_label():
    assert all(REGIONS.values())
    assert ALIAS_LABELS.keys() == ALIASES.keys()
    for region_id in [*REGIONS, *ALIASES]:
        assert regions.label(region_id)


def test_adjacency_is_symmetric():
    for region, neighbours in ADJACENCY.items():
        for neighbour in neighbours:
            assert region in ADJACENCY[neighbour], (region, neighbour)


def test_adjacency_never_crosses_left_and_right():
    for region, neighbours in ADJACENCY.items():
        for neighbour in neighbours:
            sides = {region.rsplit("_", 1)[-1], neighbour.rsplit("_", 1)[-1]}
            assert sides != {"left", "right"}, (region, neighbour)


def test_adjacency_covers_every_region_and_excludes_self():
    assert ADJACENCY.keys() == REGIONS.keys()
    assert all(region not in ADJACENCY[region] for region in REGIONS)


@pytest.mark.parametrize(
    ("region", "other", "adjacent"),
    [
        ("head_face", "neck_posterior", True),
        ("neck_posterior", "shoulder_girdle_right", True),
        ("neck_anterior_lateral", "chest_wall_left", True),
        ("shoulder_girdle_right", "arm_elbow_right", True),
        ("chest_wall_right", "abdomen", True),
        ("arm_elbow_left", "chest_wall_left", True),
        ("lumbar", "hip_gluteal_right", True),
        ("sacral_pelvic", "abdomen", True),
        ("knee_right", "leg_foot_right", True),
        # Mirrored rows: the table lists the left side only.
        ("forearm_hand_right", "arm_elbow_right", True),
        # One step only, never transitive.
        ("forearm_hand_left", "shoulder_girdle_left", False),
        ("head_face", "shoulder_girdle_left", False),
        ("thigh_left", "lumbar", False),
        # Never across the midline for sided regions.
        ("thigh_left", "thigh_right", False),
        ("chest_wall_left", "arm_elbow_right", False),
    ],
)
def test_adjacency_table_rows(region, other, adjacent):
    assert (other in ADJACENCY[region]) is adjacent


@pytest.mark.parametrize(
    ("affected", "planned", "expected"),
    [
        ({"lumbar"}, {"lumbar"}, True),
        ({"arm_elbow_left"}, {"forearm_hand_left"}, True),
        ({"leg_foot_left"}, {"lumbar"}, False),
        ({"knee_left"}, {"knee_right"}, False),
        (set(), {"lumbar"}, False),
        ({"lumbar"}, set(), False),
    ],
)
def test_near_is_equal_or_one_step_neighbour(affected, planned, expected):
    assert near(affected, planned) is expected
    assert bool(near_matches(affected, planned)) is expected


def test_near_matches_pairs_each_affected_region_with_a_planned_one_in_region_order():
    # Act
    pairs = near_matches(
        {"forearm_hand_left", "arm_elbow_left", "leg_foot_left"}, {"forearm_hand_left"}
    )

    # Assert
    assert pairs == (
        ("arm_elbow_left", "forearm_hand_left"),
        ("forearm_hand_left", "forearm_hand_left"),
    )


def test_lung_risk_regions_are_exactly_those_of_13_2():
    assert {
        "neck_anterior_lateral",
        "shoulder_girdle_left",
        "shoulder_girdle_right",
        "upper_back_thoracic",
        "chest_wall_left",
        "chest_wall_right",
    } == LUNG_RISK_REGIONS
    assert "lumbar" not in LUNG_RISK_REGIONS
    assert "neck_posterior" not in LUNG_RISK_REGIONS


def test_region_groups_hold_every_region_exactly_once():
    grouped = [region for group in REGION_GROUPS for region in group.regions]

    assert sorted(grouped) == sorted(REGIONS)
    assert [group.id for group in REGION_GROUPS] == [
        "head_neck",
        "trunk",
        "left_arm",
        "right_arm",
        "left_leg",
        "right_leg",
    ]


def test_region_group_shortcuts_are_aliases_inside_their_group_or_shoulder():
    for group in REGION_GROUPS:
        for alias in group.aliases:
            assert alias in ALIASES
            # An upper quadrant also covers the chest wall, which sits in the trunk group.
            assert expand([alias]) & set(group.regions)


def test_techniques_are_those_of_section_1_with_descriptions():
    assert list(TECHNIQUES) == ["manual_static", "pistoning", "winding", "estim"]
    assert all(t.label and t.description for t in TECHNIQUES.values())


def test_technique_set_rejects_unknown_technique():
    with pytest.raises(UnknownTechnique) as caught:
        regions.technique_set(["manual_static", "cupping"])

    assert caught.value.technique_id == "cupping"


# Spelled out, so that dropping a region or a shortcut from the body map's groups shows here.
GROUP_TABLE = [
    ("head_neck", ("head_face", "neck_posterior", "neck_anterior_lateral"), ()),
    (
        "trunk",
        (
            "upper_back_thoracic",
            "chest_wall_left",
            "chest_wall_right",
            "abdomen",
            "lumbar",
            "sacral_pelvic",
        ),
        (),
    ),
    (
        "left_arm",
        ("shoulder_girdle_left", "arm_elbow_left", "forearm_hand_left"),
        ("upper_limb_left", "upper_quadrant_left"),
    ),
    (
        "right_arm",
        ("shoulder_girdle_right", "arm_elbow_right", "forearm_hand_right"),
        ("upper_limb_right", "upper_quadrant_right"),
    ),
    (
        "left_leg",
        ("hip_gluteal_left", "thigh_left", "knee_left", "leg_foot_left"),
        ("lower_limb_left",),
    ),
    (
        "right_leg",
        ("hip_gluteal_right", "thigh_right", "knee_right", "leg_foot_right"),
        ("lower_limb_right",),
    ),
]


@pytest.mark.parametrize(
    ("group_id", "members", "shortcuts"), GROUP_TABLE, ids=[row[0] for row in GROUP_TABLE]
)
def test_region_group_holds_exactly_its_regions_and_shortcuts(group_id, members, shortcuts):
    group = {g.id: g for g in REGION_GROUPS}[group_id]

    assert group.regions == members
    assert group.aliases == shortcuts
