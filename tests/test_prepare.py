"""`prepare`: the one reading of answers before any rule runs (clinical reference §13.9)."""

import random

import pytest

from screening.engine import synthetic
from screening.engine.prepare import prepare
from screening.engine.questionnaire import UnknownItem
from screening.engine.rules import Plan, Thresholds, plan_of

DEFAULTS = Thresholds()


def test_prepare_drops_the_follow_ups_of_a_no():
    answers = {"diabetes": {"answer": False, "neuropathy_regions": ["knee_left"]}}

    assert prepare(answers, thresholds=DEFAULTS) == {"diabetes": {"answer": False}}


def test_prepare_keeps_follow_ups_asked_whatever_the_answer():
    answers = {"previous_needling_reaction": {"answer": False, "previous_experience": "never"}}

    assert prepare(answers, thresholds=DEFAULTS) == answers


def test_prepare_derives_before_pruning_so_a_derived_yes_keeps_its_follow_ups():
    answers = {"minor_patient": {"age_years": 30, "guardian_consent": True}}

    prepared = prepare(answers, thresholds=DEFAULTS, age_years=16)

    assert prepared == {
        "minor_patient": {"age_years": 16, "answer": True, "guardian_consent": True}
    }


def test_prepare_expands_region_aliases_in_body_order():
    answers = {"lymphoedema": {"answer": True, "regions": ["upper_limb_left"]}}

    prepared = prepare(answers, thresholds=DEFAULTS)

    assert prepared["lymphoedema"]["regions"] == ["arm_elbow_left", "forearm_hand_left"]


def test_prepare_adds_clinician_fields_only_to_items_the_patient_answered():
    answers = {"cognitive_impairment": {"answer": True}}
    clinician = {
        "cognitive_impairment": {"able_to_understand_and_decide": False},
        "interpreter_needed": {"qualified_interpreter_available": False},
    }

    prepared = prepare(answers, thresholds=DEFAULTS, clinician=clinician)

    assert prepared == {
        "cognitive_impairment": {"answer": True, "able_to_understand_and_decide": False}
    }


def test_prepare_computes_bmi_without_rounding():
    answers = {"low_body_weight": {"height_cm": 150, "weight_kg": 41.62}}

    prepared = prepare(answers, thresholds=DEFAULTS)["low_body_weight"]

    assert prepared["bmi"] == pytest.approx(18.4978, abs=1e-4)
    assert prepared["answer"] is True


def test_prepare_refuses_an_unknown_item():
    with pytest.raises(UnknownItem):
        prepare({"diabetis": {"answer": True}}, thresholds=DEFAULTS)


def test_prepare_does_not_change_its_input():
    answers = {"diabetes": {"answer": False, "neuropathy_regions": ["upper_limb_left"]}}
    before = repr(answers)

    prepare(answers, thresholds=DEFAULTS)

    assert repr(answers) == before


def test_prepare_is_idempotent_on_generated_answers():
    rng = random.Random(7)
    for _ in range(200):
        answers = synthetic.random_answers(rng)
        once = prepare(answers, thresholds=DEFAULTS, age_years=rng.choice((15, 40)))

        assert prepare(once, thresholds=DEFAULTS) == once


@pytest.mark.parametrize(
    ("techniques", "regions", "expected"),
    [
        (None, None, None),
        ([], [], None),
        (["estim"], [], None),
        (["estim"], None, None),
        ([], ["lumbar"], Plan(frozenset(), frozenset({"lumbar"}))),
        (
            ["estim"],
            ["upper_limb_left"],
            Plan(frozenset({"estim"}), frozenset({"upper_limb_left"})),
        ),
    ],
)
def test_plan_of_needs_a_planned_region(techniques, regions, expected):
    assert plan_of(techniques, regions) == expected
