"""validate_case: the input contract of the screen command (PRODUCT.md §4, reference §13.8)."""

import json
from pathlib import Path

import pytest

from screening.engine.rules import Plan
from screening.engine.validation import CaseError, validate_case

VIGNETTES = json.loads((Path(__file__).parent / "data" / "vignettes-public.json").read_text())


def case(answers=None, **extra):
    return {"answers": answers or {}, **extra}


@pytest.mark.parametrize("vignette", VIGNETTES, ids=lambda v: v["id"])
def test_every_public_vignette_is_valid(vignette):
    validated = validate_case(vignette)

    assert validated.id == vignette["id"]
    assert validated.answers == vignette["answers"]
    assert validated.plan == Plan(
        frozenset(vignette["planned_techniques"]), frozenset(vignette["planned_regions"])
    )


@pytest.mark.parametrize(
    ("obj", "key", "message"),
    [
        (case({"diabetis": {"answer": True}}), "answers.diabetis", "unknown item id"),
        (
            case({"lymphoedema": {"answer": True, "regions": ["upper_limb_middle"]}}),
            "answers.lymphoedema.regions[0]",
            "unknown region 'upper_limb_middle'",
        ),
        (
            case({"lymphoedema": {"answer": True, "regions": "lumbar"}}),
            "answers.lymphoedema.regions",
            "expected a list of region ids",
        ),
        (
            case(planned_techniques=["manual_static"], planned_regions=["lumbar", "lumbr"]),
            "planned_regions[1]",
            "unknown region 'lumbr'",
        ),
        (
            case(planned_techniques=["cupping"], planned_regions=["lumbar"]),
            "planned_techniques[0]",
            "unknown technique 'cupping'",
        ),
        (
            case(planned_techniques="estim"),
            "planned_techniques",
            "expected a list of technique ids",
        ),
        (
            case({"pregnancy": {"answer": "maybe"}}),
            "answers.pregnancy.answer",
            "expected one of yes, no, unsure, not_applicable",
        ),
        (case({"pregnancy": {"answer": True}}), "answers.pregnancy.answer", "expected one of"),
        (
            case({"needle_phobia": {"answer": True, "fear_level": "extreme"}}),
            "answers.needle_phobia.fear_level",
            "expected one of mild, strong",
        ),
        (
            case({"previous_needling_reaction": {"previous_experience": "twice"}}),
            "answers.previous_needling_reaction.previous_experience",
            "expected one of never, no_problems, problems",
        ),
        (
            case({"bleeding_disorder": {"answer": True, "diagnosis": "scurvy"}}),
            "answers.bleeding_disorder.diagnosis",
            "expected one of",
        ),
        (
            case({"bleeding_disorder": {"answer": True, "severity": "extreme"}}),
            "answers.bleeding_disorder.severity",
            "expected one of mild, moderate, severe",
        ),
        (
            case({"cancer": {"answer": True, "status": "cured"}}),
            "answers.cancer.status",
            "expected one of",
        ),
        (
            case({"cancer": {"answer": True, "current_treatment": ["chemotherapy", "herbs"]}}),
            "answers.cancer.current_treatment[1]",
            "expected one of",
        ),
        (
            case({"vascular_disease": {"answer": True, "types": ["varices"]}}),
            "answers.vascular_disease.types[0]",
            "expected one of",
        ),
        (
            case({"blood_thinner_use": {"answer": True, "agents": "warfarin"}}),
            "answers.blood_thinner_use.agents",
            "expected a list",
        ),
        (
            case({"blood_thinner_use": {"answer": True, "agents": ["warfarine"]}}),
            "answers.blood_thinner_use.agents[0]",
            "expected one of warfarin",
        ),
        (
            case(
                {"blood_thinner_use": {"answer": True, "agents": ["warfarin"], "latest_inr": "3.1"}}
            ),
            "answers.blood_thinner_use.latest_inr",
            "expected a number between 0.5 and 10",
        ),
        (
            case({"blood_thinner_use": {"answer": True, "agents": ["warfarin"], "latest_inr": 11}}),
            "answers.blood_thinner_use.latest_inr",
            "expected a number between 0.5 and 10",
        ),
        (
            case(
                {"blood_thinner_use": {"answer": True, "agents": ["warfarin"], "latest_inr": True}}
            ),
            "answers.blood_thinner_use.latest_inr",
            "expected a number",
        ),
        (
            case({"pregnancy": {"answer": "yes", "weeks": 43}}),
            "answers.pregnancy.weeks",
            "expected a number between 1 and 42",
        ),
        (
            case({"not_eaten_recently": {"hours_since_meal": -1}}),
            "answers.not_eaten_recently.hours_since_meal",
            "expected a number between 0 and 168",
        ),
        (
            case({"not_eaten_recently": {"hours_since_meal": float("nan")}}),
            "answers.not_eaten_recently.hours_since_meal",
            "expected a number",
        ),
        (
            case({"low_body_weight": {"height_cm": 2000}}),
            "answers.low_body_weight.height_cm",
            "expected a number between 50 and 250",
        ),
        (case({"frailty": {"answer": "yes"}}), "answers.frailty.answer", "expected true or false"),
        (
            case({"recent_surgery": {"answer": True, "incision_healed": "no"}}),
            "answers.recent_surgery.incision_healed",
            "expected true or false",
        ),
        (
            case({"heart_condition": {"answer": True, "type": 7}}),
            "answers.heart_condition.type",
            "expected text or a list of texts",
        ),
        (
            case({"metal_allergy": {"answer": True, "metals": ["nickel", 3]}}),
            "answers.metal_allergy.metals",
            "expected text or a list of texts",
        ),
        (case({"frailty": True}), "answers.frailty", "expected an object"),
        ({"answers": ["frailty"]}, "answers", "expected an object keyed by item id"),
        (["not", "a", "case"], "", "expected a case object"),
    ],
)
def test_bad_input_raises_case_error_naming_the_key(obj, key, message):
    with pytest.raises(CaseError) as caught:
        validate_case(obj)

    assert caught.value.key == key
    assert message in caught.value.message


def test_unknown_follow_up_keys_and_nulls_are_dropped_not_errors():
    obj = case(
        {
            "heart_condition": {"answer": True, "controlled": None, "cardiologist": "Dr X"},
            "metal_allergy": {"answer": True, "metals": ["nickel", "chromium"]},
        },
        id="X1",
        description="ignored",
        expected_outcome="ignored",
    )

    validated = validate_case(obj)

    assert validated.id == "X1"
    assert validated.answers == {
        "heart_condition": {"answer": True},
        "metal_allergy": {"answer": True, "metals": ["nickel", "chromium"]},
    }


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, None),
        ({"planned_techniques": None, "planned_regions": None}, None),
        # §13.9: empty lists, or techniques without a region, are no plan yet.
        ({"planned_techniques": [], "planned_regions": []}, None),
        ({"planned_techniques": ["estim"]}, None),
        ({"planned_techniques": ["estim"], "planned_regions": []}, None),
        (
            {"planned_regions": ["upper_limb_right"]},
            Plan(regions=frozenset({"arm_elbow_right", "forearm_hand_right"})),
        ),
        (
            {"planned_techniques": ["estim"], "planned_regions": ["lumbar"]},
            Plan(frozenset({"estim"}), frozenset({"lumbar"})),
        ),
    ],
)
def test_plan_exists_only_once_a_region_is_planned(extra, expected):
    assert validate_case(case(**extra)).plan == expected


def test_missing_answers_mean_no_items():
    assert validate_case({}).answers == {}
