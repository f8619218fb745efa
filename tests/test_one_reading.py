"""Clinical reference §13.9: the same answers screen the same through every path.

Each case is screened twice: by ``manage.py screen`` (the command path), and through the
services as the web app does it (wizard steps saved, submitted, then the practitioner's plan
and clinician-set fields with re-screening). Outcomes and every finding (item, level, rule,
message) must be identical, for the public vignettes, for every bullet of §13.9, and for a few
hundred generated cases built to hit the edges (stray follow-ups after a "no", aliases, empty
plans, numbers at their thresholds).
"""

from __future__ import annotations

import datetime
import io
import itertools
import json
import random
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from screening import selectors, services
from screening.engine import questionnaire, synthetic
from screening.engine.regions import ALIASES, REGIONS, TECHNIQUES
from screening.engine.rules import Thresholds
from screening.forms import StepForm
from screening.models import ScreeningResult
from screening.services.retention import years_before
from tests.conftest import make_intake, make_patient
from tests.factories import fill_all_steps

VIGNETTES = json.loads((Path(__file__).parent / "data" / "vignettes-public.json").read_text())
CLINICIAN_FIELDS = {
    item.id: {f.id for f in item.follow_ups if f.clinician_only} for item in questionnaire.ITEM_LIST
}
ADULT_AGE = 42
_NUMBERS = itertools.count(1)
DEFAULTS = Thresholds()


# ---------------------------------------------------------------------------------------------
# The two paths


def run_command(cases: list[dict]) -> tuple[int, list[dict], str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("screen", "-", stdin=io.StringIO(json.dumps(cases)), stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, [], err.getvalue()
    return 0, json.loads(out.getvalue()), err.getvalue()


def command_results(cases: list[dict]) -> list[tuple]:
    status, results, err = run_command(cases)
    assert status == 0, err
    return [
        (
            result["outcome"],
            sorted((f["item"], f["level"], f["code"], f["message"]) for f in result["flags"]),
        )
        for result in results
    ]


def _snapshot_result(snapshot: ScreeningResult) -> tuple:
    return (
        snapshot.outcome,
        sorted((f["item"], f["level"], f["code"], f["message"]) for f in snapshot.findings),
    )


def _birth_date_for(age: int) -> datetime.date:
    appointment = timezone.localdate() + datetime.timedelta(days=1)
    return years_before(appointment, age) - datetime.timedelta(days=40)


def service_results(case: dict, practitioner) -> tuple[tuple, tuple]:
    """(screened at submit, screened after the plan) through the services, as the web app."""
    answers = case["answers"]
    patient_answers = patient_part(answers)
    clinician = {
        item_id: {k: v for k, v in values.items() if k in CLINICIAN_FIELDS[item_id]}
        for item_id, values in answers.items()
        if CLINICIAN_FIELDS[item_id] & values.keys()
    }
    age = answers.get("minor_patient", {}).get("age_years", ADULT_AGE)
    intake = make_intake(
        patient=make_patient(
            full_name=f"Case {next(_NUMBERS)}", date_of_birth=_birth_date_for(age)
        ),
        appointment_at=timezone.now() + datetime.timedelta(days=1),
        practitioner=practitioner,
    )
    fill_all_steps(intake, patient_answers)
    intake, _ = services.intake_submit(intake=intake)
    at_submit = _snapshot_result(selectors.latest_screening(intake))
    intake.refresh_from_db()
    after_plan, _changes = services.review_set_plan(
        actor=practitioner,
        intake=intake,
        techniques=case.get("planned_techniques") or [],
        regions=case.get("planned_regions") or [],
        clinician=clinician,
        expected_version=intake.version,
    )
    return at_submit, _snapshot_result(after_plan)


def complete(answers: dict) -> dict:
    """A whole questionnaire: the case's items over a calm baseline (the wizard asks all)."""
    return {**synthetic.negative_answers(), **answers}


def wizard_complete(answers: dict) -> dict:
    """The answers with every required yes/no follow-up that is still open answered "no".

    The wizard cannot send an open required question, while the engine reads an open yes/no
    follow-up that §13.4 does not list as deciding as "not reported": the same as "no". The
    callers check that this filling changes nothing on the command path.
    """
    filled = {}
    for item_id, values in answers.items():
        values = dict(values)
        derived = questionnaire.derive({item_id: values}, thresholds=DEFAULTS)[item_id]
        for follow_up in questionnaire.patient_fields(item_id, derived):
            if follow_up.required and follow_up.kind == questionnaire.YES_NO:
                values.setdefault(follow_up.id, False)
        filled[item_id] = values
    return filled


def patient_part(answers: dict) -> dict:
    """The answers without the clinician-set fields, which come with the plan."""
    return {
        item_id: {k: v for k, v in values.items() if k not in CLINICIAN_FIELDS[item_id]}
        for item_id, values in answers.items()
    }


def assert_same_through_both_paths(cases: list[dict], practitioner) -> None:
    # At submit there is no plan yet, and no clinician-set field.
    submitted = [{"answers": patient_part(case["answers"])} for case in cases]
    by_command_at_submit = command_results(submitted)
    by_command_planned = command_results(cases)
    for index, case in enumerate(cases):
        at_submit, after_plan = service_results(case, practitioner)
        label = case.get("id", index)
        assert at_submit == by_command_at_submit[index], label
        assert after_plan == by_command_planned[index], label


# ---------------------------------------------------------------------------------------------
# The public vignettes


def test_public_vignettes_screen_the_same_through_the_command_and_the_services(db, practitioner):
    cases = [
        {
            "id": vignette["id"],
            "answers": complete(vignette["answers"]),
            "planned_techniques": vignette.get("planned_techniques"),
            "planned_regions": vignette.get("planned_regions"),
        }
        for vignette in VIGNETTES
    ]
    as_the_wizard_sends = [{**case, "answers": wizard_complete(case["answers"])} for case in cases]

    assert command_results(as_the_wizard_sends) == command_results(cases)
    assert_same_through_both_paths(as_the_wizard_sends, practitioner)
    for vignette, (outcome, findings) in zip(VIGNETTES, command_results(cases), strict=True):
        flags = [item for item, level, _, _ in findings if level in ("absolute", "relative")]
        assert outcome == vignette["expected_outcome"], vignette["id"]
        assert sorted(flags) == sorted(vignette["expected_flags"]), vignette["id"]


# ---------------------------------------------------------------------------------------------
# Every bullet of §13.9, through both paths

LESION_RIGHT_FOREARM = {
    "skin_lesion_or_local_infection": {"answer": True, "regions": ["forearm_hand_right"]}
}
PREGNANT_24_WEEKS = {"pregnancy": {"answer": "yes", "weeks": 24, "complications": False}}
THORACIC = {"planned_techniques": ["manual_static"], "planned_regions": ["upper_back_thoracic"]}
SECTION_13_9 = [
    # (id, answers, plan keys, expected outcome, expected (item, level) findings)
    (
        "phobia-no-with-a-stray-strong-level-is-a-plain-no",
        {"needle_phobia": {"answer": False, "fear_level": "strong"}},
        {"planned_techniques": ["manual_static"], "planned_regions": ["lumbar"]},
        "clear",
        [],
    ),
    (
        "phobia-yes-strong",
        {"needle_phobia": {"answer": True, "fear_level": "strong"}},
        {"planned_techniques": ["manual_static"], "planned_regions": ["lumbar"]},
        "contraindicated",
        [("needle_phobia", "absolute")],
    ),
    (
        "diabetes-no-keeps-no-neuropathy-regions",
        {"diabetes": {"answer": False, "neuropathy_regions": ["knee_left"]}},
        {"planned_techniques": ["manual_static"], "planned_regions": ["knee_left"]},
        "clear",
        [],
    ),
    (
        "diabetes-yes-neuropathy-at-the-plan-feeds-reduced-sensation",
        {"diabetes": {"answer": True, "neuropathy_regions": ["knee_left"]}},
        {"planned_techniques": ["manual_static"], "planned_regions": ["knee_left"]},
        "precaution",
        [("diabetes", "relative"), ("reduced_sensation", "relative")],
    ),
    (
        "previous-experience-is-kept-whatever-the-answer",
        {"previous_needling_reaction": {"answer": False, "previous_experience": "never"}},
        {"planned_techniques": ["manual_static"], "planned_regions": ["lumbar"]},
        "clear",
        [("previous_needling_reaction", "info")],
    ),
    (
        "plan-keys-absent-is-no-plan",
        LESION_RIGHT_FOREARM,
        {},
        "contraindicated",
        [("skin_lesion_or_local_infection", "absolute")],
    ),
    (
        "empty-plan-lists-are-no-plan",
        LESION_RIGHT_FOREARM,
        {"planned_techniques": [], "planned_regions": []},
        "contraindicated",
        [("skin_lesion_or_local_infection", "absolute")],
    ),
    (
        "techniques-without-regions-are-no-plan",
        LESION_RIGHT_FOREARM,
        {"planned_techniques": ["manual_static"], "planned_regions": []},
        "contraindicated",
        [("skin_lesion_or_local_infection", "absolute")],
    ),
    (
        "a-planned-region-away-from-the-lesion-is-a-plan",
        LESION_RIGHT_FOREARM,
        {"planned_techniques": ["manual_static"], "planned_regions": ["lumbar"]},
        "clear",
        [("skin_lesion_or_local_infection", "info")],
    ),
    (
        "no-plan-pregnancy-trunk-rule-is-info-pending-global-level-decided",
        PREGNANT_24_WEEKS,
        {"planned_techniques": ["estim"], "planned_regions": []},
        "precaution",
        [("pregnancy", "relative")],
    ),
    (
        "plan-on-the-trunk-escalates-pregnancy",
        PREGNANT_24_WEEKS,
        {"planned_techniques": ["manual_static"], "planned_regions": ["lumbar"]},
        "contraindicated",
        [("pregnancy", "absolute")],
    ),
    (
        "no-plan-lung-risk-item-is-info-pending",
        {"lung_disease_or_previous_pneumothorax": {"answer": True, "type": "COPD"}},
        {"planned_techniques": ["manual_static"]},
        "clear",
        [("lung_disease_or_previous_pneumothorax", "info")],
    ),
    (
        "derived-item-without-answer-but-with-its-number",
        {
            "not_eaten_recently": {"hours_since_meal": 6},
            "low_body_weight": {"height_cm": 150, "weight_kg": 41.62},
        },
        THORACIC,
        "precaution",
        [("not_eaten_recently", "relative"), ("low_body_weight", "relative")],
    ),
    # Low BMI is a lung-risk item (3.37): it counts once a lung-risk region is planned.
    (
        "bmi-18.498-is-below-18.5-unrounded",
        {"low_body_weight": {"answer": False, "height_cm": 150, "weight_kg": 41.62}},
        THORACIC,
        "precaution",
        [("low_body_weight", "relative")],
    ),
    (
        "bmi-18.502-is-not-below-18.5",
        {"low_body_weight": {"answer": True, "height_cm": 150, "weight_kg": 41.63}},
        THORACIC,
        "clear",
        [],
    ),
]


@pytest.mark.parametrize(
    ("answers", "plan", "outcome", "expected"),
    [case[1:] for case in SECTION_13_9],
    ids=[case[0] for case in SECTION_13_9],
)
def test_section_13_9_case_screens_the_same_through_the_command_and_the_services(
    db, practitioner, answers, plan, outcome, expected
):
    case = {"answers": complete(answers), **plan}

    assert_same_through_both_paths([case], practitioner)
    ((result_outcome, findings),) = command_results([case])
    assert result_outcome == outcome
    assert sorted((item, level) for item, level, _, _ in findings) == sorted(expected)


def test_bmi_just_below_the_threshold_reads_below_it_in_the_message():
    case = {
        "answers": {"low_body_weight": {"answer": False, "height_cm": 150, "weight_kg": 41.62}},
        **THORACIC,
    }

    ((outcome, findings),) = command_results([case])

    assert outcome == "precaution"
    assert "BMI 18.49 (< 18.5)" in findings[0][3]


# A missing answer and an open enumeration are refused by the command (exit 2, naming the case
# and the key); the web path cannot store them: the wizard's own check refuses them too.
REFUSED = [
    (
        "answer-key-missing",
        {"blood_thinner_use": {"agents": ["warfarin"], "latest_inr": 3.4}},
        "answers.blood_thinner_use.answer",
        ("blood_thinner_use", "answer"),
    ),
    (
        "answer-null",
        {"epilepsy": {"answer": None, "controlled": False}},
        "answers.epilepsy.answer",
        ("epilepsy", "answer"),
    ),
    (
        "fear-level-none-is-not-a-value",
        {"needle_phobia": {"answer": True, "fear_level": "none"}},
        "answers.needle_phobia.fear_level",
        ("needle_phobia", "fear_level"),
    ),
    (
        "derived-item-with-neither-answer-nor-number",
        {"not_eaten_recently": {}},
        "answers.not_eaten_recently.answer",
        None,
    ),
]


@pytest.mark.parametrize(
    ("answers", "key", "wizard_error"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
def test_section_13_9_refused_input_exits_2_naming_the_key_and_the_wizard_refuses_it(
    answers, key, wizard_error
):
    status, _, err = run_command([{"id": "R1", "answers": answers}])

    assert status == 2
    assert err.startswith(f"screen: case 1 (R1): {key}:")
    if wizard_error is not None:
        item_id, field_id = wizard_error
        assert field_id in questionnaire.validate_item(item_id, answers[item_id])


def test_wizard_offers_no_fear_level_but_mild_and_strong():
    form = StepForm(
        questionnaire.SECTIONS_BY_ID["wishes"],
        thresholds=DEFAULTS,
        age_years=40,
        stored={},
        data={
            "declines_needling__answer": "no",
            "anxiety_mental_health__answer": "no",
            "needle_phobia__answer": "yes",
            "needle_phobia__fear_level": "none",
        },
    )

    assert not form.is_valid()
    assert "needle_phobia__fear_level" in form.errors


def test_submit_refuses_an_item_stored_without_its_answer(db):
    intake = make_intake()
    answers = complete({"blood_thinner_use": {"agents": ["warfarin"], "latest_inr": 3.4}})
    fill_all_steps(intake, answers)

    with pytest.raises(services.ServiceError):
        services.intake_submit(intake=intake)

    assert "bleeding" in selectors.missing_steps(intake)


# ---------------------------------------------------------------------------------------------
# A few hundred generated cases aimed at the edges

NUMBER_EDGES = {
    ("blood_thinner_use", "latest_inr"): (2.4, 3.0, 3.1, None),
    ("blood_thinner_use", "inr_days_ago"): (3, 7, 8, None),
    ("not_eaten_recently", "hours_since_meal"): (4, 4.5, 6),
    ("low_body_weight", "weight_kg"): (41.62, 41.63, 60),
    ("pregnancy", "weeks"): (13, 14, 27, 28),
    ("epilepsy", "last_seizure_months_ago"): (12, 13, None),
    ("joint_replacement_or_metal_hardware", "months_since_surgery"): (11, 12, 27),
    ("recent_surgery", "weeks_since"): (11, 12, 20),
    ("alcohol_or_drugs_recent", "hours_ago"): (5, 12, 13, None),
    ("bleeding_disorder", "platelet_count_x10e9_per_l"): (49, 50, None),
}
AGES = (16, 17, 18, ADULT_AGE)


def _positive(item_id: str, rng: random.Random) -> dict:
    values = dict(synthetic.POSITIVE.get(item_id, {"answer": True}))
    if item_id == "pregnancy":
        values = {"answer": rng.choice(("yes", "unsure")), "weeks": 20}
    if item_id == "low_body_weight":
        values = {"answer": True, "height_cm": 150, "weight_kg": 50}
    for (edge_item, field_id), options in NUMBER_EDGES.items():
        if edge_item == item_id:
            value = rng.choice(options)
            if value is None:
                values.pop(field_id, None)
            else:
                values[field_id] = value
    for field_id in list(values):
        spec = questionnaire.ITEMS[item_id].fields.get(field_id)
        if spec is not None and spec.kind == questionnaire.REGIONS and rng.random() < 0.5:
            values[field_id] = rng.sample([*REGIONS, *ALIASES], rng.randint(1, 2))
    for field_id in CLINICIAN_FIELDS[item_id]:
        choice = rng.choice((True, False, None))
        if choice is not None:
            values[field_id] = choice
    return values


def _stray_no(item_id: str) -> dict | None:
    """A "no" that still carries the follow-ups of a yes (§13.9: they must not count)."""
    item = questionnaire.ITEMS[item_id]
    if item.answer_kind != questionnaire.ANSWER_YES_NO or item_id not in synthetic.POSITIVE:
        return None
    return {**synthetic.POSITIVE[item_id], "answer": False}


def generated_case(rng: random.Random) -> dict:
    answers = synthetic.negative_answers()
    age = rng.choice(AGES)
    answers["minor_patient"] = {**answers["minor_patient"], "age_years": age}
    if age < 18:
        answers["minor_patient"] = {**synthetic.POSITIVE["minor_patient"], "age_years": age}
        answers["minor_patient"]["guardian_consent"] = rng.choice((True, False))
    for item in questionnaire.ITEM_LIST:
        if item.id == "minor_patient":
            continue
        draw = rng.random()
        if draw < 0.12:
            answers[item.id] = _positive(item.id, rng)
        elif draw < 0.22:
            answers[item.id] = _stray_no(item.id) or answers[item.id]
    plan_shape = rng.choice(("absent", "empty", "techniques only", "plan", "plan", "plan"))
    case: dict = {"answers": wizard_complete(answers)}
    techniques = rng.sample(list(TECHNIQUES), rng.randint(1, 2))
    regions = rng.sample([*REGIONS, *ALIASES], rng.randint(1, 3))
    if plan_shape == "empty":
        case.update(planned_techniques=[], planned_regions=[])
    elif plan_shape == "techniques only":
        case.update(planned_techniques=techniques)
    elif plan_shape == "plan":
        case.update(planned_techniques=techniques, planned_regions=regions)
    return case


GENERATED_CASES = 300


def test_generated_cases_screen_the_same_through_the_command_and_the_services(db, practitioner):
    rng = random.Random(20261202)
    cases = [generated_case(rng) for _ in range(GENERATED_CASES)]
    for index, case in enumerate(cases):
        case["id"] = f"G{index}"

    for case in cases:
        derived = questionnaire.derive(case["answers"], thresholds=DEFAULTS)
        errors = {i: questionnaire.validate_item(i, v) for i, v in derived.items()}
        assert not any(errors.values()), (case["id"], errors)
    assert_same_through_both_paths(cases, practitioner)
    # The generator reaches every outcome and both plan states, so the comparison means
    # something on each side.
    outcomes = {outcome for outcome, _ in command_results(cases)}
    assert outcomes == {"clear", "precaution", "contraindicated"}
