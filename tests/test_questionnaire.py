"""The questionnaire as data: structure, enable conditions, prune, validate_item, derive."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.engine import questionnaire as q
from screening.engine.questionnaire import (
    ITEM_LIST,
    ITEMS,
    SECTIONS,
    Answers,
    UnknownField,
    UnknownItem,
    derive,
    enabled_fields,
    patient_fields,
    prune,
    render_text,
    revisits,
    validate_item,
)
from screening.engine.regions import ALIASES, REGIONS
from screening.engine.rules import Thresholds

DEFAULTS = Thresholds()

SECTION_3_ORDER = [
    "minor_patient",
    "cognitive_impairment",
    "interpreter_needed",
    "declines_needling",
    "needle_phobia",
    "anxiety_mental_health",
    "acute_illness_today",
    "unstable_medical_condition",
    "not_eaten_recently",
    "alcohol_or_drugs_recent",
    "fainting_history",
    "previous_needling_reaction",
    "bleeding_disorder",
    "blood_thinner_use",
    "pregnancy",
    "skin_lesion_or_local_infection",
    "immunocompromised",
    "diabetes",
    "bloodborne_virus",
    "lymphoedema",
    "lymph_nodes_removed",
    "cancer",
    "vascular_disease",
    "heart_condition",
    "heart_valve_or_endocarditis",
    "implanted_electrical_device",
    "joint_replacement_or_metal_hardware",
    "breast_or_cosmetic_implant",
    "recent_surgery",
    "epilepsy",
    "reduced_sensation",
    "severe_touch_sensitivity",
    "metal_allergy",
    "latex_allergy",
    "skin_prep_or_adhesive_allergy",
    "lung_disease_or_previous_pneumothorax",
    "low_body_weight",
    "chest_wall_deformity",
    "acute_injury_at_site",
    "frailty",
]


# ---------------------------------------------------------------------------------------------
# Structure


def test_items_are_the_40_of_section_3_in_order_with_refs():
    assert [item.id for item in ITEM_LIST] == SECTION_3_ORDER
    assert [item.ref for item in ITEM_LIST] == [f"3.{n}" for n in range(1, 41)]


def test_sections_follow_section_8_and_place_every_item_once():
    placed = [item_id for section in SECTIONS for item_id in section.items]

    assert sorted(placed) == sorted(SECTION_3_ORDER)
    assert SECTIONS[0].id == "welcome" and not SECTIONS[0].items
    assert SECTIONS[-1].id == "review" and not SECTIONS[-1].items
    assert "body_map" not in [section.id for section in SECTIONS]
    assert all(section.title and section.intro for section in SECTIONS)


def test_every_item_has_title_question_and_unique_follow_up_ids():
    for item in ITEM_LIST:
        ids = [follow_up.id for follow_up in item.follow_ups]
        assert item.title and item.question
        assert len(ids) == len(set(ids)), item.id
        assert "answer" not in ids


def test_enable_conditions_name_fields_of_their_own_item():
    for item in ITEM_LIST:
        for follow_up in item.follow_ups:
            for condition in follow_up.enable_when:
                assert item.defines(condition.field), (item.id, follow_up.id)
                assert condition.op in ("eq", "in", "any_of", "answered")


def test_follow_up_kinds_carry_what_they_need():
    for item in ITEM_LIST:
        for follow_up in item.follow_ups:
            assert follow_up.kind in q.FOLLOW_UP_KINDS
            if follow_up.kind in (q.CHOICE, q.MULTI_CHOICE):
                assert follow_up.choices, follow_up.id
            if follow_up.kind in q.NUMBER_KINDS:
                assert follow_up.min is not None and follow_up.max is not None
                assert follow_up.min < follow_up.max


def test_only_the_capacity_and_interpreter_checks_are_clinician_only():
    clinician_only = {
        (item.id, f.id) for item in ITEM_LIST for f in item.follow_ups if f.clinician_only
    }

    assert clinician_only == {
        ("cognitive_impairment", "able_to_understand_and_decide"),
        ("interpreter_needed", "qualified_interpreter_available"),
    }


@pytest.mark.parametrize(
    ("item_id", "field_id", "low", "high"),
    [
        ("blood_thinner_use", "latest_inr", 0.5, 10),
        ("pregnancy", "weeks", 1, 42),
        ("low_body_weight", "height_cm", 50, 250),
        ("low_body_weight", "weight_kg", 2, 400),
        ("not_eaten_recently", "hours_since_meal", 0, 168),
        ("alcohol_or_drugs_recent", "hours_ago", 0, 168),
        ("bleeding_disorder", "platelet_count_x10e9_per_l", 0, 2000),
        ("joint_replacement_or_metal_hardware", "months_since_surgery", 0, 1200),
    ],
)
def test_numeric_ranges_are_clinically_sane(item_id, field_id, low, high):
    follow_up = ITEMS[item_id].follow_up(field_id)

    assert (follow_up.min, follow_up.max) == (low, high)


@pytest.mark.parametrize(
    ("item_id", "field_id", "values"),
    [
        ("needle_phobia", "fear_level", {"mild", "strong"}),
        ("previous_needling_reaction", "previous_experience", {"never", "no_problems", "problems"}),
        (
            "bleeding_disorder",
            "diagnosis",
            {
                "haemophilia",
                "von_willebrand",
                "low_platelets",
                "easy_bruising_undiagnosed",
                "other",
            },
        ),
        ("bleeding_disorder", "severity", {"mild", "moderate", "severe"}),
        (
            "cancer",
            "status",
            {"active_or_under_treatment", "remission_under_5y", "remission_over_5y"},
        ),
        (
            "cancer",
            "current_treatment",
            {"chemotherapy", "immunotherapy", "hormonal", "radiotherapy", "surgery", "other"},
        ),
        (
            "vascular_disease",
            "types",
            {
                "varicose_veins",
                "dvt_or_thrombophlebitis_recent",
                "aneurysm",
                "peripheral_arterial_disease",
            },
        ),
        (
            "blood_thinner_use",
            "agents",
            {
                "warfarin",
                "acenocoumarol",
                "phenprocoumon",
                "phenindione",
                "fluindione",
                "apixaban",
                "rivaroxaban",
                "dabigatran",
                "edoxaban",
                "heparin",
                "aspirin",
                "clopidogrel",
                "ticagrelor",
                "prasugrel",
                "other",
            },
        ),
    ],
)
def test_enumerations_match_the_reference(item_id, field_id, values):
    assert set(ITEMS[item_id].follow_up(field_id).choice_values) == values


def test_pregnancy_answer_is_a_four_way_choice():
    pregnancy = ITEMS["pregnancy"]

    assert [c.value for c in pregnancy.answer_choices] == ["yes", "no", "unsure", "not_applicable"]
    assert pregnancy.positive_answers == ("yes", "unsure")


def test_bloodborne_virus_is_optional_and_says_it_never_stops_treatment():
    item = ITEMS["bloodborne_virus"]

    assert item.optional
    assert "never stops your treatment" in item.help


def test_derived_items_declare_their_derivation():
    derived = {item.id for item in ITEM_LIST if item.answer_kind == q.ANSWER_DERIVED}

    assert derived == {
        "minor_patient",
        "not_eaten_recently",
        "previous_needling_reaction",
        "low_body_weight",
    }
    assert all(ITEMS[item_id].derivation for item_id in derived)


def test_every_patient_text_renders_without_placeholders_left():
    texts = [item.question_text(DEFAULTS) for item in ITEM_LIST] + [
        follow_up.label_text(DEFAULTS) for item in ITEM_LIST for follow_up in item.follow_ups
    ]

    assert not [text for text in texts if re.search(r"[{}]", text)]


def test_threshold_placeholders_follow_clinic_settings():
    # Arrange
    alcohol = ITEMS["alcohol_or_drugs_recent"]

    # Act
    default = alcohol.question_text(DEFAULTS)
    changed = render_text(alcohol.question, Thresholds(alcohol_lookback_hours=24))

    # Assert
    assert default.startswith("In the last 12 hours")
    assert changed.startswith("In the last 24 hours")


# ---------------------------------------------------------------------------------------------
# Enable conditions and prune


def _ids(follow_ups):
    return [follow_up.id for follow_up in follow_ups]


@pytest.mark.parametrize(
    ("item_id", "values", "expected"),
    [
        ("blood_thinner_use", {"answer": False}, []),
        (
            "blood_thinner_use",
            {"answer": True, "agents": ["apixaban"]},
            ["agents", "bleeding_after_blood_test", "missed_or_extra_doses"],
        ),
        (
            "blood_thinner_use",
            {"answer": True, "agents": ["warfarin"]},
            [
                "agents",
                "latest_inr",
                "inr_target_range",
                "bleeding_after_blood_test",
                "missed_or_extra_doses",
            ],
        ),
        (
            "blood_thinner_use",
            {"answer": True, "agents": ["aspirin", "phenprocoumon"], "latest_inr": 2.1},
            [
                "agents",
                "latest_inr",
                "inr_days_ago",
                "inr_target_range",
                "bleeding_after_blood_test",
                "missed_or_extra_doses",
            ],
        ),
        ("pregnancy", {"answer": "yes"}, ["weeks", "complications"]),
        ("pregnancy", {"answer": "unsure"}, ["last_period_weeks_ago"]),
        ("pregnancy", {"answer": "not_applicable"}, []),
        (
            "bleeding_disorder",
            {"answer": True, "diagnosis": "low_platelets"},
            ["diagnosis", "platelet_count_x10e9_per_l", "recent_major_bleed"],
        ),
        ("needle_phobia", {}, []),
        ("needle_phobia", {"answer": False}, []),
        ("needle_phobia", {"answer": True}, ["fear_level"]),
        ("minor_patient", {"answer": True}, ["age_years", "guardian_consent", "patient_assent"]),
    ],
)
def test_enabled_fields_follow_the_conditions(item_id, values, expected):
    assert _ids(enabled_fields(item_id, values)) == expected


def test_patient_fields_hide_derived_and_clinician_fields():
    assert _ids(patient_fields("cognitive_impairment", {"answer": True})) == [
        "condition",
        "substitute_decision_maker_present",
    ]
    assert _ids(patient_fields("low_body_weight", {})) == ["height_cm", "weight_kg"]


def test_prune_drops_follow_ups_whose_condition_no_longer_holds_recursively():
    # Arrange: the patient first said warfarin with an INR, then changed to apixaban.
    answers = {
        "blood_thinner_use": {
            "answer": True,
            "agents": ["apixaban"],
            "latest_inr": 2.5,
            "inr_days_ago": 3,
        }
    }

    # Act
    pruned = prune(answers)

    # Assert
    assert pruned == {"blood_thinner_use": {"answer": True, "agents": ["apixaban"]}}


def test_prune_drops_follow_ups_of_a_no_and_unanswered_values_and_empty_items():
    answers = {
        "lymphoedema": {"answer": False, "regions": ["knee_left"]},
        "diabetes": {"answer": True, "type": "", "neuropathy_regions": [], "foot_ulcers": None},
        "frailty": {},
        "cancer": {"answer": None},
        "epilepsy": {"answer": True, "not_a_question": 1},
    }

    assert prune(answers) == {
        "lymphoedema": {"answer": False},
        "diabetes": {"answer": True},
        "epilepsy": {"answer": True},
    }


def test_prune_raises_unknown_item_for_an_undefined_item():
    with pytest.raises(UnknownItem):
        prune({"diabetis": {"answer": True}})


_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 50),
    st.sampled_from(["yes", "unsure", "warfarin", "mild", "problems", ""]),
    st.lists(st.sampled_from(["warfarin", "aspirin", "lumbar", "apixaban"]), max_size=3),
)


@st.composite
def _answers(draw):
    chosen = draw(st.lists(st.sampled_from(SECTION_3_ORDER), unique=True, max_size=8))
    answers = {}
    for item_id in chosen:
        keys = ["answer", *ITEMS[item_id].fields, "stray"]
        fields = draw(st.lists(st.sampled_from(keys), unique=True, max_size=5))
        answers[item_id] = {key: draw(_value) for key in fields}
    return answers


@settings(max_examples=200, deadline=None)
@given(_answers())
def test_prune_is_stable_and_keeps_only_enabled_answered_fields(answers):
    # Act
    pruned = prune(answers)

    # Assert
    assert prune(pruned) == pruned
    for item_id, values in pruned.items():
        assert values
        enabled = set(_ids(enabled_fields(item_id, values))) | {"answer"}
        assert set(values) <= enabled
        assert all(value not in (None, "", []) for value in values.values())


# ---------------------------------------------------------------------------------------------
# validate_item


@pytest.mark.parametrize(
    ("item_id", "values", "expected"),
    [
        ("frailty", {"answer": True}, {}),
        ("frailty", {}, {"answer": "Please choose an answer"}),
        ("frailty", {"answer": "yes"}, {"answer": "Please choose yes or no"}),
        ("bloodborne_virus", {}, {}),
        (
            "pregnancy",
            {"answer": "yes"},
            {
                "weeks": "Please enter a number between 1 and 42",
                "complications": "Please choose an answer",
            },
        ),
        (
            "pregnancy",
            {"answer": "yes", "weeks": 50, "complications": False},
            {"weeks": "Please enter a number between 1 and 42"},
        ),
        (
            "pregnancy",
            {"answer": "yes", "weeks": 20.5, "complications": False},
            {"weeks": "Please enter a whole number between 1 and 42"},
        ),
        ("pregnancy", {"answer": "maybe"}, {"answer": "Please choose one of the answers"}),
        ("pregnancy", {"answer": "no", "weeks": 99}, {}),
        (
            "blood_thinner_use",
            {"answer": True, "agents": ["warfarin"], "latest_inr": 12},
            {"latest_inr": "Please enter a number between 0.5 and 10"},
        ),
        (
            "blood_thinner_use",
            {"answer": True},
            {"agents": "Please choose at least one answer"},
        ),
        ("needle_phobia", {}, {"answer": "Please choose an answer"}),
        ("needle_phobia", {"answer": True}, {"fear_level": "Please choose an answer"}),
        (
            "needle_phobia",
            {"answer": True, "fear_level": "terrified"},
            {"fear_level": "Please choose one of the answers"},
        ),
        ("needle_phobia", {"answer": False, "fear_level": "terrified"}, {}),
        ("cognitive_impairment", {"answer": True}, {}),
        (
            "minor_patient",
            {"answer": True, "age_years": 15},
            {
                "guardian_consent": "Please choose an answer",
                "patient_assent": "Please choose an answer",
            },
        ),
        ("minor_patient", {}, {}),
        (
            "lymphoedema",
            {"answer": True, "regions": ["knee_middle"]},
            {"regions": "Please choose areas from the body map"},
        ),
        (
            "low_body_weight",
            {"height_cm": 20},
            {
                "height_cm": "Please enter a number between 50 and 250",
                "weight_kg": "Please enter a number between 2 and 400",
            },
        ),
        (
            "heart_condition",
            {"answer": True, "type": 3},
            {"type": "Please type your answer as text"},
        ),
    ],
)
def test_validate_item_gives_patient_facing_messages(item_id, values, expected):
    assert validate_item(item_id, values) == expected


# ---------------------------------------------------------------------------------------------
# derive


@pytest.mark.parametrize(
    ("answers", "kwargs", "item_id", "expected"),
    [
        ({}, {"age_years": 17}, "minor_patient", {"age_years": 17, "answer": True}),
        ({}, {"age_years": 18}, "minor_patient", {"age_years": 18, "answer": False}),
        (
            {"minor_patient": {"answer": False, "age_years": 30}},
            {"age_years": 16},
            "minor_patient",
            {"age_years": 16, "answer": True},
        ),
        (
            {"minor_patient": {"age_years": 17}},
            {"thresholds": Thresholds(age_of_majority=16)},
            "minor_patient",
            {"age_years": 17, "answer": False},
        ),
        # A yes/no item like any other since §13.9: derive leaves it as answered.
        (
            {"needle_phobia": {"answer": False, "fear_level": "strong"}},
            {},
            "needle_phobia",
            {"answer": False, "fear_level": "strong"},
        ),
        (
            {"not_eaten_recently": {"hours_since_meal": 4}},
            {},
            "not_eaten_recently",
            {"hours_since_meal": 4, "answer": False},
        ),
        (
            {"not_eaten_recently": {"answer": False, "hours_since_meal": 5}},
            {},
            "not_eaten_recently",
            {"hours_since_meal": 5, "answer": True},
        ),
        (
            {"previous_needling_reaction": {"previous_experience": "never"}},
            {},
            "previous_needling_reaction",
            {"previous_experience": "never", "answer": False},
        ),
        (
            {"previous_needling_reaction": {"previous_experience": "problems"}},
            {},
            "previous_needling_reaction",
            {"previous_experience": "problems", "answer": True},
        ),
        (
            {"low_body_weight": {"height_cm": 165, "weight_kg": 48.5}},
            {},
            "low_body_weight",
            {"height_cm": 165, "weight_kg": 48.5, "bmi": 48.5 / 1.65**2, "answer": True},
        ),
        (
            {"low_body_weight": {"answer": True, "bmi": 18.5}},
            {},
            "low_body_weight",
            {"bmi": 18.5, "answer": False},
        ),
        ({"low_body_weight": {"answer": True}}, {}, "low_body_weight", {"answer": True}),
    ],
)
def test_derive_fills_derived_answers(answers, kwargs, item_id, expected):
    # Arrange
    kwargs.setdefault("thresholds", DEFAULTS)

    # Act
    derived = derive(answers, **kwargs)

    # Assert
    assert derived[item_id] == expected


def test_derive_leaves_its_input_unchanged():
    answers = {"not_eaten_recently": {"hours_since_meal": 9}}

    derive(answers, thresholds=DEFAULTS)

    assert answers == {"not_eaten_recently": {"hours_since_meal": 9}}


# ---------------------------------------------------------------------------------------------
# Answers mapping and revisits


def test_answers_raise_unknown_item_not_key_error_for_a_typo():
    answers = Answers({})

    with pytest.raises(UnknownItem) as caught:
        answers["blood_thiner_use"]

    assert not isinstance(caught.value, KeyError)
    assert "blood_thiner_use" not in answers


def test_answers_read_an_absent_defined_item_as_negative():
    answers = Answers({})

    assert not answers["frailty"].positive
    assert answers["cancer"].regions("tumour_regions") == frozenset()
    assert len(answers) == 40
    assert list(answers) == SECTION_3_ORDER


def test_item_answers_raise_unknown_field_for_a_typo():
    answers = Answers({"pregnancy": {"answer": "yes", "weeks": 20}})

    with pytest.raises(UnknownField):
        answers["pregnancy"].number("week")


def test_item_answers_expand_region_aliases():
    answers = Answers({"lymphoedema": {"answer": True, "regions": ["upper_limb_left"]}})

    assert answers["lymphoedema"].regions("regions") == {"arm_elbow_left", "forearm_hand_left"}


def test_answers_reject_an_unknown_item_on_construction():
    with pytest.raises(UnknownItem):
        Answers({"smoker": {"answer": True}})


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (
            {"heart_condition": {"answer": True, "controlled": False}},
            ["unstable_medical_condition"],
        ),
        (
            {
                "heart_condition": {"answer": True, "controlled": False},
                "unstable_medical_condition": {"answer": True},
            },
            [],
        ),
        ({"heart_condition": {"answer": True, "controlled": True}}, []),
    ],
)
def test_revisits_ask_about_unstable_condition_when_heart_not_controlled(answers, expected):
    assert [prompt.item for prompt in revisits(answers)] == expected


def test_region_kinds_accept_every_region_and_alias():
    follow_up = ITEMS["lymphoedema"].follow_up("regions")

    assert q.field_error(follow_up, [*REGIONS, *ALIASES]) is None


def _prune_by_repeating(definition, values):
    """The plain definition of pruning: drop disabled follow-ups until nothing changes."""
    kept = {k: v for k, v in values.items() if definition.defines(k) and v not in (None, "", [])}
    while True:
        disabled = [k for k in kept if k != "answer" and not definition.fields[k].enabled(kept)]
        if not disabled:
            return kept
        for key in disabled:
            del kept[key]


def test_one_pass_pruning_keeps_what_pruning_until_stable_keeps():
    import random

    from screening.engine import synthetic

    rng = random.Random(3)
    values_pool = [True, False, None, "", [], "yes", "no", 0, 5, 3.4, ["warfarin"], ["lumbar"]]
    checked = 0
    for definition in ITEM_LIST:
        templates = [synthetic.POSITIVE.get(definition.id, {}), {"answer": True}]
        for _ in range(60):
            values = dict(rng.choice(templates))
            fields = sorted(definition.field_ids)
            for field_id in rng.sample(fields, k=min(2, len(fields))):
                values[field_id] = rng.choice(values_pool)
            expected = _prune_by_repeating(definition, values)

            assert prune({definition.id: values}).get(definition.id, {}) == expected, values
            checked += 1
    assert checked == 60 * len(ITEM_LIST)
