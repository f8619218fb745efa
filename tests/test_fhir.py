"""The FHIR R4 resources: Questionnaire, CodeSystems, QuestionnaireResponse, RiskAssessment and
the decision's Provenance, validated against fhir.resources (its R4B models: the R4 and R4B
definitions of these resources are the same), and enableWhen against the wizard's own rules."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from fhir.resources.R4B.codesystem import CodeSystem
from fhir.resources.R4B.provenance import Provenance
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.riskassessment import RiskAssessment

from screening import fhir, selectors
from screening.engine import questionnaire as q
from screening.engine import regions, rules
from screening.engine.prepare import prepare
from screening.engine.synthetic import negative_answers, random_answers
from screening.models import Intake
from tests.conftest import make_patient
from tests.factories import make_submitted_intake, resolve_and_clear, set_plan

VIGNETTES = json.loads((Path(__file__).parent / "data" / "vignettes-public.json").read_text())
THRESHOLDS = rules.Thresholds()


def _questionnaire() -> dict:
    return fhir.questionnaire(THRESHOLDS)


def _walk(items, parent=None):
    """(item, parent linkId) for every item of a Questionnaire or response, depth first."""
    for item in items:
        yield item, parent
        yield from _walk(item.get("item", []), item["linkId"])
        for answer in item.get("answer", []):
            yield from _walk(answer.get("item", []), item["linkId"])


def _questionnaire_index() -> dict[str, tuple[dict, str | None]]:
    return {item["linkId"]: (item, parent) for item, parent in _walk(_questionnaire()["item"])}


def _response_for(answers: dict) -> dict:
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{fhir.questionnaire_url()}|{q.VERSION}",
        "status": "completed",
        "item": fhir.response_items(answers),
    }


# ---------------------------------------------------------------------------------------------
# The Questionnaire


def test_questionnaire_validates_as_fhir():
    resource = _questionnaire()

    Questionnaire.model_validate(resource)

    assert resource["version"] == q.VERSION
    assert resource["url"] == "http://localhost:8000/api/fhir/Questionnaire/dn-intake"


def test_questionnaire_url_follows_the_setting(settings):
    settings.FHIR_BASE_URL = "https://clinic.example.org/api/fhir"

    assert _questionnaire()["url"] == "https://clinic.example.org/api/fhir/Questionnaire/dn-intake"


def test_questionnaire_link_ids_are_unique():
    link_ids = [item["linkId"] for item, _ in _walk(_questionnaire()["item"])]

    assert len(link_ids) == len(set(link_ids))


def test_every_section_is_a_group_and_every_item_and_follow_up_is_typed():
    index = _questionnaire_index()
    expected_types = {
        q.YES_NO: "boolean",
        q.CHOICE: "choice",
        q.MULTI_CHOICE: "choice",
        q.REGIONS: "choice",
        q.INTEGER: "integer",
        q.DECIMAL: "decimal",
        q.TEXT: "string",
    }
    for section in q.SECTIONS:
        if section.items:
            assert index[f"section.{section.id}"][0]["type"] == "group"
    for definition in q.ITEM_LIST:
        node, parent = index[definition.id]
        assert parent == f"section.{q.SECTION_OF[definition.id]}"
        if definition.answer_kind == q.ANSWER_DERIVED:
            assert node["type"] == "group"
            assert index[f"{definition.id}.answer"][0]["readOnly"] is True
        else:
            assert node["type"] == (
                "choice" if definition.answer_kind == q.ANSWER_CHOICE else "boolean"
            )
            assert node["required"] is (not definition.optional)
        for follow_up in definition.follow_ups:
            child, child_parent = index[f"{definition.id}.{follow_up.id}"]
            assert child_parent == definition.id
            assert child["type"] == expected_types[follow_up.kind], follow_up.id
            assert child.get("repeats", False) is (follow_up.kind in (q.MULTI_CHOICE, q.REGIONS))
            patient_must = (
                follow_up.required and not follow_up.derived and not follow_up.clinician_only
            )
            assert child.get("required", False) is patient_must, follow_up.id


def test_questionnaire_texts_are_the_patient_questions_with_clinic_numbers():
    index = _questionnaire_index()

    alcohol = index["alcohol_or_drugs_recent"][0]["text"]
    choices = index["bleeding_disorder.diagnosis"][0]["answerOption"]

    assert alcohol == q.item("alcohol_or_drugs_recent").question_text(THRESHOLDS)
    assert "{" not in alcohol and str(THRESHOLDS.alcohol_lookback_hours) in alcohol
    assert {"code": "haemophilia", "display": "Haemophilia"} in [c["valueCoding"] for c in choices]


def test_regions_are_a_code_system_with_the_body_map_labels():
    code_system = fhir.regions_code_system()
    index = _questionnaire_index()

    CodeSystem.model_validate(code_system)
    options = index["skin_lesion_or_local_infection.regions"][0]["answerOption"]

    assert {c["code"]: c["display"] for c in code_system["concept"]} == dict(regions.REGIONS)
    assert {o["valueCoding"]["system"] for o in options} == {code_system["url"]}
    assert [o["valueCoding"]["display"] for o in options] == list(regions.REGIONS.values())


@pytest.mark.parametrize("name", sorted(fhir.CODE_SYSTEMS))
def test_every_code_system_validates(name):
    CodeSystem.model_validate(fhir.CODE_SYSTEMS[name]())


def test_several_enable_conditions_keep_only_what_fhir_can_say():
    index = _questionnaire_index()

    inr_days = index["blood_thinner_use.inr_days_ago"][0]
    inr = index["blood_thinner_use.latest_inr"][0]

    # "a vitamin K antagonist and an INR": the INR is asked only after such an agent.
    assert inr_days["enableWhen"] == [
        {"question": "blood_thinner_use.latest_inr", "operator": "exists", "answerBoolean": True}
    ]
    assert inr["enableBehavior"] == "any"
    assert {e["answerCoding"]["code"] for e in inr["enableWhen"]} == set(q.VKA_AGENTS)


# ---------------------------------------------------------------------------------------------
# Responses from answers


def _prepared(answers: dict, age: int = 40) -> dict:
    return prepare(answers, thresholds=THRESHOLDS, age_years=age)


def _check_response(response: dict) -> None:
    QuestionnaireResponse.model_validate(response)
    index = _questionnaire_index()
    for node, parent in _walk(response.get("item", [])):
        assert node["linkId"] in index, node["linkId"]
        # Nested exactly as the Questionnaire: the same parent in both.
        assert index[node["linkId"]][1] == parent, node["linkId"]


@pytest.mark.parametrize("vignette", VIGNETTES, ids=[v["id"] for v in VIGNETTES])
def test_every_public_vignette_becomes_a_valid_response(vignette):
    response = _response_for(_prepared(vignette["answers"]))

    _check_response(response)

    answered = {node["linkId"] for node, _ in _walk(response.get("item", []))}
    for item_id, values in _prepared(vignette["answers"]).items():
        for field_id in values:
            definition = q.item(item_id)
            assert fhir.field_link_id(definition, field_id) in answered, (item_id, field_id)


def test_a_full_negative_questionnaire_becomes_a_valid_response():
    response = _response_for(_prepared(negative_answers()))

    _check_response(response)
    assert len(response["item"]) == sum(1 for s in q.SECTIONS if s.items)


def test_regions_answers_are_coded_and_aliases_expanded():
    answers = _prepared({"lymphoedema": {"answer": True, "regions": ["upper_limb_left"]}})

    node = next(n for n, _ in _walk(fhir.response_items(answers)) if n["linkId"] == "lymphoedema")
    codings = [a["valueCoding"] for a in node["answer"][0]["item"][0]["answer"]]

    assert [c["code"] for c in codings] == ["arm_elbow_left", "forearm_hand_left"]
    assert codings[0]["display"] == "Left upper arm and elbow"


# ---------------------------------------------------------------------------------------------
# enableWhen against the wizard's enable conditions


def _answers_by_link(items) -> dict[str, list]:
    found: dict[str, list] = {}
    for node, _ in _walk(items):
        for answer in node.get("answer", []):
            value = next(v for k, v in answer.items() if k.startswith("value"))
            found.setdefault(node["linkId"], []).append(
                value["code"] if isinstance(value, dict) else value
            )
    return found


def _condition_holds(condition: dict, answers: dict[str, list]) -> bool:
    given = answers.get(condition["question"], [])
    if condition["operator"] == "exists":
        return bool(given) is condition["answerBoolean"]
    assert condition["operator"] == "="
    if "answerBoolean" in condition:
        return any(value is condition["answerBoolean"] for value in given)
    return condition["answerCoding"]["code"] in given


def _fhir_enabled(questionnaire_items, answers: dict[str, list]) -> set[str]:
    """linkIds FHIR enables: the item's enableWhen holds (all, or any with enableBehavior any)
    and its parent is enabled."""
    enabled: set[str] = set()

    def visit(items, parent_enabled):
        for item in items:
            conditions = item.get("enableWhen", [])
            if not conditions:
                on = parent_enabled
            else:
                results = [_condition_holds(c, answers) for c in conditions]
                combine = any if item.get("enableBehavior") == "any" else all
                on = parent_enabled and combine(results)
            if on:
                enabled.add(item["linkId"])
            visit(item.get("item", []), on)

    visit(questionnaire_items, True)
    return enabled


def _wizard_enabled(answers: dict) -> set[str]:
    return {
        f"{definition.id}.{follow_up.id}"
        for definition in q.ITEM_LIST
        for follow_up in q.enabled_fields(definition.id, answers.get(definition.id, {}))
    }


def _random_value(rng: random.Random, follow_up: q.FollowUp):
    kind = follow_up.kind
    if kind == q.YES_NO:
        return rng.choice([True, False])
    if kind == q.CHOICE:
        return rng.choice(follow_up.choice_values)
    if kind == q.MULTI_CHOICE:
        return rng.sample(follow_up.choice_values, rng.randint(1, 3))
    if kind == q.REGIONS:
        return rng.sample(sorted((*regions.REGIONS, *regions.ALIASES)), rng.randint(1, 3))
    if kind == q.INTEGER:
        return rng.randint(int(follow_up.min), int(follow_up.max))
    if kind == q.DECIMAL:
        return round(rng.uniform(follow_up.min, follow_up.max), 1)
    return "some words"


def _synthetic_answers(rng: random.Random) -> dict:
    """Every item answered at random, each follow-up given a value half of the time, enabled
    or not (prepare drops the disabled ones, as the wizard does)."""
    answers = random_answers(rng)
    for definition in q.ITEM_LIST:
        values = dict(answers.get(definition.id, {}))
        if definition.answer_kind == q.ANSWER_YES_NO and rng.random() < 0.5:
            values["answer"] = rng.random() < 0.5
        elif definition.answer_kind == q.ANSWER_CHOICE:
            values["answer"] = rng.choice([c.value for c in definition.answer_choices])
        for follow_up in definition.follow_ups:
            if rng.random() < 0.5:
                values[follow_up.id] = _random_value(rng, follow_up)
        answers[definition.id] = values
    return answers


def _answer_sets():
    rng = random.Random(19)
    sets = [(v["id"], v["answers"], 40) for v in VIGNETTES]
    sets += [
        (f"synthetic-{n}", _synthetic_answers(rng), rng.choice([9, 15, 17, 30, 70]))
        for n in range(300)
    ]
    return sets


def test_enable_when_matches_the_wizard_for_vignettes_and_synthetic_answers():
    questionnaire_items = _questionnaire()["item"]
    follow_up_links = {f"{d.id}.{f.id}" for d in q.ITEM_LIST for f in d.follow_ups}
    differing = []
    seen_enabled: set[str] = set()
    for name, raw, age in _answer_sets():
        answers = _prepared(raw, age)
        response = _response_for(answers)
        fhir_side = _fhir_enabled(questionnaire_items, _answers_by_link(response["item"]))
        wizard_side = _wizard_enabled(answers)
        seen_enabled |= wizard_side
        if fhir_side & follow_up_links != wizard_side:
            differing.append((name, sorted((fhir_side & follow_up_links) ^ wizard_side)))

    assert not differing, differing[:3]
    # The answer sets reach every follow-up, so every enableWhen was exercised.
    assert seen_enabled == follow_up_links


# ---------------------------------------------------------------------------------------------
# From the database: a submitted intake, its screening and the decision


@pytest.mark.django_db
def test_submitted_intake_becomes_a_valid_response_with_a_contained_patient():
    intake = make_submitted_intake(patient=make_patient(full_name="Ada Lovelace"))

    response = fhir.questionnaire_response(intake)

    _check_response(response)
    patient = response["contained"][0]
    assert response["subject"] == {"reference": "#patient"}
    assert patient["name"] == [{"text": "Ada Lovelace"}]
    assert patient["birthDate"] == "1985-04-12"
    assert patient["identifier"][0]["value"] == str(intake.patient.public_id)
    assert response["questionnaire"] == f"{fhir.questionnaire_url()}|{intake.questionnaire_version}"
    assert response["status"] == "completed"
    assert response["authored"].startswith(intake.submitted_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert response["id"] == str(intake.public_id)


@pytest.mark.django_db
def test_risk_assessment_has_one_prediction_per_flag_in_words(practitioner):
    intake = make_submitted_intake(
        {
            "blood_thinner_use": {
                "answer": True,
                "agents": ["warfarin"],
                "latest_inr": 3.4,
                "inr_days_ago": 2,
            },
            "skin_lesion_or_local_infection": {"answer": True, "regions": ["lumbar"]},
        }
    )
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    screening = selectors.latest_screening(intake)
    flags = selectors.flags_of(screening)

    resource = fhir.risk_assessment(intake)

    RiskAssessment.model_validate(resource)
    assert len(flags) >= 2
    assert len(resource["prediction"]) == len(flags)
    assert resource["subject"]["reference"] == f"Patient/{intake.patient.public_id}"
    assert resource["basis"] == [{"reference": f"QuestionnaireResponse/{intake.public_id}"}]
    for prediction, flag in zip(resource["prediction"], flags, strict=True):
        coding = prediction["outcome"]["coding"][0]
        assert coding["code"] == flag["code"]
        assert coding["version"] == screening.ruleset_version
        level = prediction["qualitativeRisk"]["coding"][0]["code"]
        assert level == {"absolute": "contraindication", "relative": "precaution"}[flag["level"]]
        text = prediction["outcome"]["text"]
        assert "_" not in text, text  # labels, never item or region ids
    assert resource["prediction"][0]["outcome"]["text"].startswith(
        "Anticoagulant or antiplatelet medicine: warfarin"
    )


@pytest.mark.django_db
def test_prediction_rule_codes_are_in_the_rules_code_system(practitioner):
    intake = make_submitted_intake({"frailty": {"answer": True}, "latex_allergy": {"answer": True}})
    rule_codes = {c["code"] for c in fhir.rules_code_system()["concept"]}

    resource = fhir.risk_assessment(intake)

    used = {c["code"] for p in resource["prediction"] for c in p["outcome"]["coding"]}
    assert used and used <= rule_codes
    assert resource["method"]["coding"][0]["code"] in rule_codes


@pytest.mark.django_db
def test_clear_screening_has_no_predictions():
    intake = make_submitted_intake()

    resource = fhir.risk_assessment(intake)

    RiskAssessment.model_validate(resource)
    assert "prediction" not in resource
    assert resource["extension"][0]["valueCoding"]["code"] == "clear"


@pytest.mark.django_db
def test_decision_is_a_provenance_of_the_risk_assessment(practitioner):
    intake = make_submitted_intake({"needle_phobia": {"answer": True, "fear_level": "strong"}})
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])

    before = fhir.decision_provenance(intake)
    intake = resolve_and_clear(
        intake, practitioner, justification="Discussed at length; the patient wishes to go on."
    )
    provenance = fhir.decision_provenance(intake)

    assert before is None
    Provenance.model_validate(provenance)
    risk = fhir.risk_assessment(intake)
    assert provenance["target"][0] == {"reference": f"RiskAssessment/{risk['id']}"}
    assert provenance["activity"]["coding"][0]["code"] == Intake.Decision.CLEARED_WITH_MODIFICATIONS
    assert provenance["agent"][0]["who"]["display"]
