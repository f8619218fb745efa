"""The screening engine, table-driven: every item fires and stays quiet; boundaries; settings.

Pure tests: no database, no Django.
"""

import dataclasses
import random
import subprocess
import sys
from pathlib import Path

import pytest

from screening.engine import synthetic
from screening.engine.questionnaire import ITEM_LIST, ITEMS, Answers, UnknownItem
from screening.engine.rules import (
    ABSOLUTE,
    CLEAR,
    CONTRAINDICATED,
    INFO,
    LEVELS,
    PRECAUTION,
    RELATIVE,
    RULES,
    RULES_BY_CODE,
    RULESET_VERSION,
    Plan,
    Thresholds,
    evaluate,
)
from screening.engine.sources import SOURCES

REPO = Path(__file__).resolve().parent.parent

MANUAL = ("manual_static",)
ESTIM = ("manual_static", "estim")
NO_PLAN = "no plan"


def plan(regions=("lumbar",), techniques=MANUAL):
    return Plan(frozenset(techniques), frozenset(regions))


def screen(answers, planned=None, **thresholds):
    """Evaluate with a manual lumbar plan unless told otherwise; NO_PLAN means no plan yet."""
    if planned is None:
        planned = plan()
    return evaluate(answers, None if planned == NO_PLAN else planned, Thresholds(**thresholds))


def finding(result, item_id):
    matches = [f for f in result.findings if f.item == item_id]
    assert len(matches) <= 1, "one finding per item"
    return matches[0] if matches else None


YES = {"answer": True}
WARFARIN = {"answer": True, "agents": ["warfarin"]}
PREGNANT_20 = {"answer": "yes", "weeks": 20, "complications": False}
LEFT_FOREARM = plan(["forearm_hand_left"])
LEFT_CHEST = plan(["chest_wall_left"])
LEFT_KNEE = plan(["knee_left"])
SETTLED_KNEE = {"answer": True, "regions": ["knee_left"], "months_since_surgery": 24}

# (id, answers, plan, thresholds, item, level, code, message fragment)
FIRES = [
    # 3.1 minor_patient
    (
        "minor-17-no-guardian",
        {"minor_patient": {"age_years": 17}},
        None,
        {},
        "minor_patient",
        ABSOLUTE,
        "DN-MINOR-CONSENT",
        "age 17 (< 18): guardian consent not recorded",
    ),
    (
        "minor-17-consent-no-assent",
        {"minor_patient": {"age_years": 17, "guardian_consent": True, "patient_assent": False}},
        None,
        {},
        "minor_patient",
        ABSOLUTE,
        "DN-MINOR-CONSENT",
        "does not assent",
    ),
    (
        "minor-17-guardian-refuses",
        {"minor_patient": {"age_years": 17, "guardian_consent": False, "patient_assent": True}},
        None,
        {},
        "minor_patient",
        ABSOLUTE,
        "DN-MINOR-CONSENT",
        "no guardian consent",
    ),
    (
        "minor-17-consent-and-assent",
        {"minor_patient": {"age_years": 17, "guardian_consent": True, "patient_assent": True}},
        None,
        {},
        "minor_patient",
        RELATIVE,
        "DN-MINOR",
        "age 17 (< 18)",
    ),
    (
        "minor-answer-without-age",
        {"minor_patient": {"answer": True, "guardian_consent": True, "patient_assent": True}},
        None,
        {},
        "minor_patient",
        RELATIVE,
        "DN-MINOR",
        "under 18 (age not recorded)",
    ),
    # 3.2 cognitive_impairment
    (
        "capacity-unchecked",
        {"cognitive_impairment": YES},
        None,
        {},
        "cognitive_impairment",
        RELATIVE,
        "DN-CAPACITY",
        "capacity check not yet recorded",
    ),
    (
        "capacity-confirmed",
        {"cognitive_impairment": {"answer": True, "able_to_understand_and_decide": True}},
        None,
        {},
        "cognitive_impairment",
        RELATIVE,
        "DN-CAPACITY",
        "clinician confirmed",
    ),
    (
        "capacity-lacking",
        {"cognitive_impairment": {"answer": True, "able_to_understand_and_decide": False}},
        None,
        {},
        "cognitive_impairment",
        ABSOLUTE,
        "DN-CAPACITY-LACKING",
        "cannot understand",
    ),
    (
        "capacity-lacking-representative-default",
        {
            "cognitive_impairment": {
                "answer": True,
                "able_to_understand_and_decide": False,
                "substitute_decision_maker_present": True,
            }
        },
        None,
        {},
        "cognitive_impairment",
        ABSOLUTE,
        "DN-CAPACITY-LACKING",
        "does not accept representative consent",
    ),
    (
        "capacity-lacking-representative-accepted",
        {
            "cognitive_impairment": {
                "answer": True,
                "able_to_understand_and_decide": False,
                "substitute_decision_maker_present": True,
            }
        },
        None,
        {"accept_representative_consent": True},
        "cognitive_impairment",
        RELATIVE,
        "DN-CAPACITY",
        "accepts representative consent",
    ),
    # 3.3 interpreter_needed
    (
        "interpreter-unchecked",
        {"interpreter_needed": YES},
        None,
        {},
        "interpreter_needed",
        RELATIVE,
        "DN-INTERPRETER",
        "availability not yet checked",
    ),
    (
        "interpreter-available",
        {"interpreter_needed": {"answer": True, "qualified_interpreter_available": True}},
        None,
        {},
        "interpreter_needed",
        RELATIVE,
        "DN-INTERPRETER",
        "qualified interpreter available",
    ),
    (
        "interpreter-unavailable",
        {"interpreter_needed": {"answer": True, "qualified_interpreter_available": False}},
        None,
        {},
        "interpreter_needed",
        ABSOLUTE,
        "DN-INTERPRETER-UNAVAILABLE",
        "no qualified",
    ),
    # 3.4-3.6
    (
        "declines",
        {"declines_needling": YES},
        None,
        {},
        "declines_needling",
        ABSOLUTE,
        "DN-DECLINES",
        "does not want",
    ),
    (
        "phobia-strong",
        {"needle_phobia": {"answer": True, "fear_level": "strong"}},
        None,
        {},
        "needle_phobia",
        ABSOLUTE,
        "DN-PHOBIA-STRONG",
        "strong fear",
    ),
    (
        "phobia-level-missing",
        {"needle_phobia": YES},
        None,
        {},
        "needle_phobia",
        ABSOLUTE,
        "DN-PHOBIA-STRONG",
        "taken as strong",
    ),
    (
        "phobia-mild",
        {"needle_phobia": {"answer": True, "fear_level": "mild"}},
        None,
        {},
        "needle_phobia",
        RELATIVE,
        "DN-PHOBIA-MILD",
        "mild",
    ),
    (
        "anxiety",
        {"anxiety_mental_health": YES},
        None,
        {},
        "anxiety_mental_health",
        RELATIVE,
        "DN-ANXIETY",
        "anxiety",
    ),
    # 3.7-3.12
    (
        "unwell",
        {"acute_illness_today": {"answer": True, "temperature_c": 38.4}},
        None,
        {},
        "acute_illness_today",
        ABSOLUTE,
        "DN-ACUTE-ILLNESS",
        "temperature 38.4 °C",
    ),
    (
        "unstable",
        {"unstable_medical_condition": YES},
        None,
        {},
        "unstable_medical_condition",
        ABSOLUTE,
        "DN-UNSTABLE",
        "unstable",
    ),
    (
        "fasting-5h",
        {"not_eaten_recently": {"hours_since_meal": 5}},
        None,
        {},
        "not_eaten_recently",
        RELATIVE,
        "DN-FASTING",
        "5 h since the last meal (> 4 h)",
    ),
    (
        "fasting-hours-unknown",
        {"not_eaten_recently": YES},
        None,
        {},
        "not_eaten_recently",
        RELATIVE,
        "DN-FASTING",
        "hours not recorded",
    ),
    (
        "alcohol-affected",
        {"alcohol_or_drugs_recent": {"answer": True, "hours_ago": 2, "feels_affected_now": True}},
        None,
        {},
        "alcohol_or_drugs_recent",
        ABSOLUTE,
        "DN-ALCOHOL-AFFECTED",
        "feels affected",
    ),
    (
        "alcohol-affected-long-ago",
        {"alcohol_or_drugs_recent": {"answer": True, "hours_ago": 20, "feels_affected_now": True}},
        None,
        {},
        "alcohol_or_drugs_recent",
        ABSOLUTE,
        "DN-ALCOHOL-AFFECTED",
        "feels affected",
    ),
    (
        "alcohol-12h",
        {"alcohol_or_drugs_recent": {"answer": True, "hours_ago": 12, "feels_affected_now": False}},
        None,
        {},
        "alcohol_or_drugs_recent",
        RELATIVE,
        "DN-ALCOHOL-RECENT",
        "12 h ago (≤ 12 h)",
    ),
    (
        "alcohol-hours-unknown",
        {"alcohol_or_drugs_recent": {"answer": True, "feels_affected_now": False}},
        None,
        {},
        "alcohol_or_drugs_recent",
        RELATIVE,
        "DN-ALCOHOL-RECENT",
        "time not recorded",
    ),
    (
        "fainting",
        {"fainting_history": YES},
        None,
        {},
        "fainting_history",
        RELATIVE,
        "DN-FAINTING",
        "fainted",
    ),
    (
        "previous-problem",
        {"previous_needling_reaction": {"previous_experience": "problems"}},
        None,
        {},
        "previous_needling_reaction",
        RELATIVE,
        "DN-PREVIOUS-PROBLEM",
        "problem",
    ),
    (
        "previous-never",
        {"previous_needling_reaction": {"previous_experience": "never"}},
        None,
        {},
        "previous_needling_reaction",
        INFO,
        "DN-PREVIOUS-NEVER",
        "first",
    ),
    # 3.13 bleeding_disorder
    (
        "haemophilia-severe",
        {"bleeding_disorder": {"answer": True, "diagnosis": "haemophilia", "severity": "severe"}},
        None,
        {},
        "bleeding_disorder",
        ABSOLUTE,
        "DN-BLEED-DISORDER-SEVERE",
        "severe haemophilia",
    ),
    (
        "von-willebrand-severe",
        {
            "bleeding_disorder": {
                "answer": True,
                "diagnosis": "von_willebrand",
                "severity": "severe",
            }
        },
        None,
        {},
        "bleeding_disorder",
        ABSOLUTE,
        "DN-BLEED-DISORDER-SEVERE",
        "von Willebrand",
    ),
    (
        "haemophilia-mild",
        {"bleeding_disorder": {"answer": True, "diagnosis": "haemophilia", "severity": "mild"}},
        None,
        {},
        "bleeding_disorder",
        RELATIVE,
        "DN-BLEED-DISORDER",
        "haemophilia (mild)",
    ),
    (
        "platelets-49",
        {
            "bleeding_disorder": {
                "answer": True,
                "diagnosis": "low_platelets",
                "platelet_count_x10e9_per_l": 49,
            }
        },
        None,
        {},
        "bleeding_disorder",
        ABSOLUTE,
        "DN-BLEED-DISORDER-PLATELETS",
        "platelets 49",
    ),
    (
        "platelets-50",
        {
            "bleeding_disorder": {
                "answer": True,
                "diagnosis": "low_platelets",
                "platelet_count_x10e9_per_l": 50,
            }
        },
        None,
        {},
        "bleeding_disorder",
        RELATIVE,
        "DN-BLEED-DISORDER",
        "low_platelets",
    ),
    (
        "major-bleed",
        {"bleeding_disorder": {"answer": True, "diagnosis": "other", "recent_major_bleed": True}},
        None,
        {},
        "bleeding_disorder",
        ABSOLUTE,
        "DN-BLEED-DISORDER-MAJOR-BLEED",
        "last 14 days",
    ),
    (
        "easy-bruising",
        {"bleeding_disorder": {"answer": True, "diagnosis": "easy_bruising_undiagnosed"}},
        None,
        {},
        "bleeding_disorder",
        RELATIVE,
        "DN-BLEED-DISORDER",
        "easy_bruising_undiagnosed",
    ),
    # 3.14 blood_thinner_use
    (
        "inr-3.0",
        {"blood_thinner_use": {**WARFARIN, "latest_inr": 3.0, "inr_days_ago": 2}},
        None,
        {},
        "blood_thinner_use",
        RELATIVE,
        "DN-BLEED-VKA",
        "INR 3.0 (≤ 3.0)",
    ),
    (
        "inr-3.1",
        {"blood_thinner_use": {**WARFARIN, "latest_inr": 3.1, "inr_days_ago": 2}},
        None,
        {},
        "blood_thinner_use",
        ABSOLUTE,
        "DN-BLEED-INR",
        "warfarin with INR 3.1 (> 3.0)",
    ),
    (
        "inr-high-and-stale",
        {"blood_thinner_use": {**WARFARIN, "latest_inr": 3.4, "inr_days_ago": 30}},
        None,
        {},
        "blood_thinner_use",
        ABSOLUTE,
        "DN-BLEED-INR",
        "INR 3.4 (> 3.0)",
    ),
    (
        "inr-8-days-old",
        {"blood_thinner_use": {**WARFARIN, "latest_inr": 2.5, "inr_days_ago": 8}},
        None,
        {},
        "blood_thinner_use",
        RELATIVE,
        "DN-BLEED-INR-UNKNOWN",
        "INR unknown — superficial, compressible sites only",
    ),
    (
        "inr-7-days-old",
        {"blood_thinner_use": {**WARFARIN, "latest_inr": 2.5, "inr_days_ago": 7}},
        None,
        {},
        "blood_thinner_use",
        RELATIVE,
        "DN-BLEED-VKA",
        "measured 7 days ago",
    ),
    (
        "no-inr",
        {"blood_thinner_use": WARFARIN},
        None,
        {},
        "blood_thinner_use",
        RELATIVE,
        "DN-BLEED-INR-UNKNOWN",
        "no INR recorded: INR unknown",
    ),
    (
        "inr-undated",
        {"blood_thinner_use": {**WARFARIN, "latest_inr": 2.5}},
        None,
        {},
        "blood_thinner_use",
        RELATIVE,
        "DN-BLEED-INR-UNKNOWN",
        "of unknown date",
    ),
    (
        "other-vka",
        {
            "blood_thinner_use": {
                "answer": True,
                "agents": ["phenprocoumon"],
                "latest_inr": 3.6,
                "inr_days_ago": 1,
            }
        },
        None,
        {},
        "blood_thinner_use",
        ABSOLUTE,
        "DN-BLEED-INR",
        "phenprocoumon with INR 3.6",
    ),
    (
        "apixaban",
        {"blood_thinner_use": {"answer": True, "agents": ["apixaban"]}},
        None,
        {},
        "blood_thinner_use",
        RELATIVE,
        "DN-BLEED-ANTITHROMBOTIC",
        "apixaban",
    ),
    (
        "agents-unknown",
        {"blood_thinner_use": YES},
        None,
        {},
        "blood_thinner_use",
        RELATIVE,
        "DN-BLEED-ANTITHROMBOTIC",
        "agent not recorded",
    ),
    (
        "dual-therapy",
        {"blood_thinner_use": {"answer": True, "agents": ["apixaban", "aspirin"]}},
        None,
        {},
        "blood_thinner_use",
        RELATIVE,
        "DN-BLEED-DUAL",
        "dual therapy: apixaban + aspirin",
    ),
    (
        "inr-high-and-dual",
        {
            "blood_thinner_use": {
                "answer": True,
                "agents": ["warfarin", "aspirin"],
                "latest_inr": 3.4,
                "inr_days_ago": 1,
            }
        },
        None,
        {},
        "blood_thinner_use",
        ABSOLUTE,
        "DN-BLEED-DUAL",
        "dual therapy: warfarin + aspirin",
    ),
    # 3.15 pregnancy
    (
        "pregnancy-unsure",
        {"pregnancy": {"answer": "unsure"}},
        None,
        {},
        "pregnancy",
        ABSOLUTE,
        "DN-PREG-UNSURE",
        "not ruled out",
    ),
    (
        "pregnancy-13-weeks",
        {"pregnancy": {"answer": "yes", "weeks": 13, "complications": False}},
        None,
        {},
        "pregnancy",
        ABSOLUTE,
        "DN-PREG-FIRST-TRIMESTER",
        "13 weeks (< 14",
    ),
    (
        "pregnancy-weeks-unknown",
        {"pregnancy": {"answer": "yes"}},
        None,
        {},
        "pregnancy",
        ABSOLUTE,
        "DN-PREG-FIRST-TRIMESTER",
        "taken as 1st trimester",
    ),
    (
        "pregnancy-14-weeks",
        {"pregnancy": {"answer": "yes", "weeks": 14, "complications": False}},
        plan(["shoulder_girdle_right"]),
        {},
        "pregnancy",
        RELATIVE,
        "DN-PREG",
        "14 weeks (2nd",
    ),
    (
        "pregnancy-30-weeks",
        {"pregnancy": {"answer": "yes", "weeks": 30}},
        LEFT_KNEE,
        {},
        "pregnancy",
        RELATIVE,
        "DN-PREG",
        "3rd trimester",
    ),
    (
        "pregnancy-complications",
        {"pregnancy": {**PREGNANT_20, "complications": True}},
        LEFT_KNEE,
        {},
        "pregnancy",
        ABSOLUTE,
        "DN-PREG-COMPLICATIONS",
        "complications",
    ),
    (
        "pregnancy-estim",
        {"pregnancy": PREGNANT_20},
        plan(["thigh_left"], ESTIM),
        {},
        "pregnancy",
        ABSOLUTE,
        "DN-PREG-ESTIM",
        "with e-stim planned",
    ),
    (
        "pregnancy-lumbar",
        {"pregnancy": PREGNANT_20},
        plan(["lumbar"]),
        {},
        "pregnancy",
        ABSOLUTE,
        "DN-PREG-TRUNK",
        "lumbar planned",
    ),
    (
        "pregnancy-sacral-alias-plan",
        {"pregnancy": PREGNANT_20},
        plan(["sacral_pelvic", "lower_limb_left"]),
        {},
        "pregnancy",
        ABSOLUTE,
        "DN-PREG-TRUNK",
        "sacral_pelvic",
    ),
    # Membership, not adjacency: the upper back neighbours lumbar but is not in the set.
    (
        "pregnancy-upper-back",
        {"pregnancy": PREGNANT_20},
        plan(["upper_back_thoracic"]),
        {},
        "pregnancy",
        RELATIVE,
        "DN-PREG",
        "20 weeks (2nd trimester)",
    ),
    # 3.16 skin_lesion_or_local_infection
    (
        "skin-at-plan",
        {"skin_lesion_or_local_infection": {"answer": True, "regions": ["forearm_hand_left"]}},
        LEFT_FOREARM,
        {},
        "skin_lesion_or_local_infection",
        ABSOLUTE,
        "DN-SKIN-SITE",
        "lesion at forearm_hand_left is at or near the planned forearm_hand_left",
    ),
    (
        "skin-adjacent",
        {"skin_lesion_or_local_infection": {"answer": True, "regions": ["arm_elbow_left"]}},
        LEFT_FOREARM,
        {},
        "skin_lesion_or_local_infection",
        ABSOLUTE,
        "DN-SKIN-SITE",
        "lesion at arm_elbow_left is at or near the planned forearm_hand_left",
    ),
    (
        "skin-alias-affected",
        {"skin_lesion_or_local_infection": {"answer": True, "regions": ["upper_limb_left"]}},
        LEFT_FOREARM,
        {},
        "skin_lesion_or_local_infection",
        ABSOLUTE,
        "DN-SKIN-SITE",
        "arm_elbow_left, forearm_hand_left",
    ),
    (
        "skin-alias-planned",
        {"skin_lesion_or_local_infection": {"answer": True, "regions": ["knee_right"]}},
        plan(["lower_limb_right"]),
        {},
        "skin_lesion_or_local_infection",
        ABSOLUTE,
        "DN-SKIN-SITE",
        "at knee_right is at or near the planned",
    ),
    (
        "skin-no-region",
        {"skin_lesion_or_local_infection": YES},
        None,
        {},
        "skin_lesion_or_local_infection",
        ABSOLUTE,
        "DN-SKIN-SITE",
        "no region recorded, so taken as the planned lumbar",
    ),
    (
        "skin-distant",
        {"skin_lesion_or_local_infection": {"answer": True, "regions": ["leg_foot_right"]}},
        LEFT_FOREARM,
        {},
        "skin_lesion_or_local_infection",
        INFO,
        "DN-SKIN-ELSEWHERE",
        "away from the planned forearm_hand_left",
    ),
    # 3.17-3.19
    (
        "neutropenia",
        {"immunocompromised": {"answer": True, "known_neutropenia": True}},
        None,
        {},
        "immunocompromised",
        ABSOLUTE,
        "DN-IMMUNE-NEUTROPENIA",
        "low white cell count",
    ),
    (
        "immune",
        {"immunocompromised": {"answer": True, "known_neutropenia": False}},
        None,
        {},
        "immunocompromised",
        RELATIVE,
        "DN-IMMUNE",
        "weakened immune system",
    ),
    (
        "diabetes",
        {"diabetes": {"answer": True, "foot_ulcers": True}},
        None,
        {},
        "diabetes",
        RELATIVE,
        "DN-DIABETES",
        "diabetes; foot ulcers",
    ),
    (
        "bloodborne-virus",
        {"bloodborne_virus": YES},
        None,
        {},
        "bloodborne_virus",
        INFO,
        "DN-BBV",
        "blood-borne virus",
    ),
    # 3.20 lymphoedema, 3.21 lymph_nodes_removed
    (
        "lymphoedema-adjacent",
        {"lymphoedema": {"answer": True, "regions": ["upper_limb_left"]}},
        plan(["shoulder_girdle_left"]),
        {},
        "lymphoedema",
        ABSOLUTE,
        "DN-LYMPHOEDEMA-SITE",
        "lymphoedema at arm_elbow_left is at or near the planned shoulder_girdle_left",
    ),
    (
        "nodes-at-risk",
        {"lymph_nodes_removed": {"answer": True, "at_risk_regions": ["upper_quadrant_left"]}},
        LEFT_CHEST,
        {},
        "lymph_nodes_removed",
        ABSOLUTE,
        "DN-NODES-SITE",
        "at-risk area",
    ),
    (
        "nodes-at-risk-relative-setting",
        {"lymph_nodes_removed": {"answer": True, "at_risk_regions": ["upper_quadrant_left"]}},
        LEFT_CHEST,
        {"node_at_risk_level": "relative"},
        "lymph_nodes_removed",
        RELATIVE,
        "DN-NODES-SITE",
        "at-risk area",
    ),
    (
        "nodes-no-region",
        {"lymph_nodes_removed": YES},
        LEFT_CHEST,
        {},
        "lymph_nodes_removed",
        INFO,
        "DN-NODES-NO-REGION",
        "no at-risk area recorded",
    ),
    # 3.22 cancer
    (
        "tumour-at-plan",
        {
            "cancer": {
                "answer": True,
                "status": "active_or_under_treatment",
                "tumour_regions": ["lumbar"],
            }
        },
        None,
        {},
        "cancer",
        ABSOLUTE,
        "DN-CANCER-TUMOUR-SITE",
        "tumour or metastasis at lumbar",
    ),
    (
        "radiotherapy-3-months",
        {
            "cancer": {
                "answer": True,
                "status": "remission_under_5y",
                "radiotherapy_regions": ["chest_wall_left"],
                "radiotherapy_months_ago": 3,
            }
        },
        LEFT_CHEST,
        {},
        "cancer",
        ABSOLUTE,
        "DN-CANCER-RADIOTHERAPY-SITE",
        "3 months ago, ≤ 3",
    ),
    (
        "radiotherapy-months-unknown",
        {
            "cancer": {
                "answer": True,
                "status": "remission_under_5y",
                "radiotherapy_regions": ["chest_wall_left"],
            }
        },
        LEFT_CHEST,
        {},
        "cancer",
        ABSOLUTE,
        "DN-CANCER-RADIOTHERAPY-SITE",
        "current or recent",
    ),
    (
        "cancer-active-elsewhere",
        {
            "cancer": {
                "answer": True,
                "status": "active_or_under_treatment",
                "tumour_regions": ["head_face"],
                "current_treatment": ["chemotherapy"],
            }
        },
        None,
        {},
        "cancer",
        RELATIVE,
        "DN-CANCER-ACTIVE",
        "active cancer or under treatment",
    ),
    (
        "cancer-status-unknown",
        {"cancer": YES},
        None,
        {},
        "cancer",
        RELATIVE,
        "DN-CANCER-ACTIVE",
        "status not recorded",
    ),
    (
        "cancer-remission",
        {"cancer": {"answer": True, "status": "remission_over_5y"}},
        None,
        {},
        "cancer",
        INFO,
        "DN-CANCER-REMISSION",
        "remission_over_5y",
    ),
    # 3.23 vascular_disease
    (
        "dvt-at-site",
        {
            "vascular_disease": {
                "answer": True,
                "types": ["dvt_or_thrombophlebitis_recent"],
                "regions": ["leg_foot_left"],
            }
        },
        LEFT_KNEE,
        {},
        "vascular_disease",
        ABSOLUTE,
        "DN-VASC-CLOT-SITE",
        "recent DVT or thrombophlebitis at leg_foot_left is at or near the planned knee_left",
    ),
    (
        "aneurysm-at-site",
        {"vascular_disease": {"answer": True, "types": ["aneurysm"], "regions": ["abdomen"]}},
        None,
        {},
        "vascular_disease",
        ABSOLUTE,
        "DN-VASC-CLOT-SITE",
        "aneurysm at abdomen",
    ),
    (
        "dvt-elsewhere",
        {
            "vascular_disease": {
                "answer": True,
                "types": ["dvt_or_thrombophlebitis_recent"],
                "regions": ["leg_foot_left"],
            }
        },
        None,
        {},
        "vascular_disease",
        RELATIVE,
        "DN-VASC",
        "dvt_or_thrombophlebitis_recent",
    ),
    (
        "varicose-veins",
        {"vascular_disease": {"answer": True, "types": ["varicose_veins"], "regions": ["lumbar"]}},
        None,
        {},
        "vascular_disease",
        RELATIVE,
        "DN-VASC",
        "varicose_veins",
    ),
    # 3.24 heart_condition
    (
        "heart-manual",
        {"heart_condition": {"answer": True, "controlled": True}},
        None,
        {},
        "heart_condition",
        RELATIVE,
        "DN-HEART",
        "heart condition (controlled)",
    ),
    (
        "heart-not-controlled",
        {"heart_condition": {"answer": True, "controlled": False}},
        None,
        {},
        "heart_condition",
        RELATIVE,
        "DN-HEART",
        "see unstable_medical_condition",
    ),
    (
        "heart-estim-trunk",
        {"heart_condition": YES},
        plan(["lumbar"], ESTIM),
        {},
        "heart_condition",
        ABSOLUTE,
        "DN-HEART-ESTIM-TRUNK",
        "e-stim planned on trunk or neck",
    ),
    (
        "heart-estim-neck",
        {"heart_condition": YES},
        plan(["neck_posterior"], ESTIM),
        {},
        "heart_condition",
        ABSOLUTE,
        "DN-HEART-ESTIM-TRUNK",
        "neck_posterior",
    ),
    (
        "heart-estim-limb",
        {"heart_condition": YES},
        plan(["forearm_hand_left"], ESTIM),
        {},
        "heart_condition",
        RELATIVE,
        "DN-HEART",
        "heart condition",
    ),
    (
        "valve",
        {"heart_valve_or_endocarditis": YES},
        None,
        {},
        "heart_valve_or_endocarditis",
        RELATIVE,
        "DN-VALVE",
        "valve",
    ),
    # 3.26 implanted_electrical_device
    (
        "device-estim-anywhere",
        {"implanted_electrical_device": {"answer": True, "device_regions": ["chest_wall_left"]}},
        plan(["leg_foot_right"], ESTIM),
        {},
        "implanted_electrical_device",
        ABSOLUTE,
        "DN-DEVICE-ESTIM",
        "with e-stim planned",
    ),
    (
        "device-manual-near",
        {"implanted_electrical_device": {"answer": True, "device_regions": ["chest_wall_left"]}},
        plan(["shoulder_girdle_left"]),
        {},
        "implanted_electrical_device",
        RELATIVE,
        "DN-DEVICE-SITE",
        "device at chest_wall_left is at or near the planned shoulder_girdle_left",
    ),
    # 3.27 joint_replacement_or_metal_hardware
    (
        "hardware-11-months",
        {
            "joint_replacement_or_metal_hardware": {
                "answer": True,
                "regions": ["knee_left"],
                "months_since_surgery": 11,
            }
        },
        LEFT_KNEE,
        {},
        "joint_replacement_or_metal_hardware",
        ABSOLUTE,
        "DN-HARDWARE-RECENT",
        "surgery 11 months ago (< 12)",
    ),
    (
        "hardware-date-unknown",
        {"joint_replacement_or_metal_hardware": {"answer": True, "regions": ["knee_left"]}},
        LEFT_KNEE,
        {},
        "joint_replacement_or_metal_hardware",
        ABSOLUTE,
        "DN-HARDWARE-RECENT",
        "taken as < 12 months",
    ),
    (
        "hardware-12-months",
        {
            "joint_replacement_or_metal_hardware": {
                "answer": True,
                "regions": ["knee_left"],
                "months_since_surgery": 12,
            }
        },
        plan(["thigh_left"]),
        {},
        "joint_replacement_or_metal_hardware",
        RELATIVE,
        "DN-HARDWARE-SITE",
        "surgery 12 months ago (≥ 12)",
    ),
    (
        "hardware-infection-signs",
        {"joint_replacement_or_metal_hardware": {**SETTLED_KNEE, "infection_signs": True}},
        LEFT_KNEE,
        {},
        "joint_replacement_or_metal_hardware",
        ABSOLUTE,
        "DN-HARDWARE-INFECTION",
        "red, hot, swollen",
    ),
    (
        "hardware-estim-near",
        {"joint_replacement_or_metal_hardware": SETTLED_KNEE},
        plan(["knee_left"], ESTIM),
        {},
        "joint_replacement_or_metal_hardware",
        RELATIVE,
        "DN-HARDWARE-ESTIM",
        "with e-stim planned",
    ),
    # 3.28 breast_or_cosmetic_implant
    (
        "implant-at-plan",
        {"breast_or_cosmetic_implant": {"answer": True, "regions": ["chest_wall_left"]}},
        LEFT_CHEST,
        {},
        "breast_or_cosmetic_implant",
        RELATIVE,
        "DN-IMPLANT-SITE",
        "cosmetic implant at chest_wall_left",
    ),
    # 3.29 recent_surgery
    (
        "surgery-unhealed",
        {"recent_surgery": {"answer": True, "regions": ["knee_left"], "incision_healed": False}},
        LEFT_KNEE,
        {},
        "recent_surgery",
        ABSOLUTE,
        "DN-SURGERY-UNHEALED",
        "not fully healed",
    ),
    (
        "surgery-healing-unknown",
        {"recent_surgery": {"answer": True, "regions": ["knee_left"]}},
        LEFT_KNEE,
        {},
        "recent_surgery",
        ABSOLUTE,
        "DN-SURGERY-UNHEALED",
        "taken as not healed",
    ),
    (
        "surgery-healed-5-weeks",
        {
            "recent_surgery": {
                "answer": True,
                "regions": ["knee_left"],
                "weeks_since": 5,
                "incision_healed": True,
            }
        },
        LEFT_KNEE,
        {},
        "recent_surgery",
        RELATIVE,
        "DN-SURGERY-RECENT",
        "5 weeks after surgery",
    ),
    (
        "surgery-healed-winding",
        {
            "recent_surgery": {
                "answer": True,
                "regions": ["abdomen"],
                "weeks_since": 8,
                "incision_healed": True,
            }
        },
        plan(["abdomen"], ("winding",)),
        {},
        "recent_surgery",
        RELATIVE,
        "DN-SURGERY-RECENT",
        "surgical site at abdomen",
    ),
    # 3.30 epilepsy
    (
        "epilepsy-13-months",
        {"epilepsy": {"answer": True, "controlled": True, "last_seizure_months_ago": 13}},
        None,
        {},
        "epilepsy",
        RELATIVE,
        "DN-EPILEPSY",
        "controlled, last seizure 13 months ago",
    ),
    (
        "epilepsy-12-months",
        {"epilepsy": {"answer": True, "controlled": True, "last_seizure_months_ago": 12}},
        None,
        {},
        "epilepsy",
        ABSOLUTE,
        "DN-EPILEPSY-UNCONTROLLED",
        "12 months ago (≤ 12)",
    ),
    (
        "epilepsy-not-controlled",
        {"epilepsy": {"answer": True, "controlled": False}},
        None,
        {},
        "epilepsy",
        ABSOLUTE,
        "DN-EPILEPSY-UNCONTROLLED",
        "seizures not controlled",
    ),
    (
        "epilepsy-control-unknown",
        {"epilepsy": YES},
        None,
        {},
        "epilepsy",
        ABSOLUTE,
        "DN-EPILEPSY-UNCONTROLLED",
        "taken as not controlled",
    ),
    (
        "epilepsy-estim",
        {"epilepsy": {"answer": True, "controlled": True}},
        plan(["forearm_hand_left"], ESTIM),
        {},
        "epilepsy",
        ABSOLUTE,
        "DN-EPILEPSY-ESTIM",
        "epilepsy with e-stim planned",
    ),
    # 3.31 reduced_sensation
    (
        "numb-at-plan",
        {"reduced_sensation": {"answer": True, "regions": ["leg_foot_left"]}},
        LEFT_KNEE,
        {},
        "reduced_sensation",
        RELATIVE,
        "DN-SENSATION-SITE",
        "numb area at leg_foot_left is at or near the planned knee_left",
    ),
    (
        "numb-estim",
        {"reduced_sensation": {"answer": True, "regions": ["leg_foot_left"]}},
        plan(["knee_left"], ESTIM),
        {},
        "reduced_sensation",
        ABSOLUTE,
        "DN-SENSATION-ESTIM",
        "with e-stim planned",
    ),
    (
        "numb-diabetic-neuropathy",
        {"diabetes": {"answer": True, "neuropathy_regions": ["leg_foot_right"]}},
        plan(["leg_foot_right"]),
        {},
        "reduced_sensation",
        RELATIVE,
        "DN-SENSATION-SITE",
        "numb area at leg_foot_right",
    ),
    (
        "numb-union-with-neuropathy",
        {
            "reduced_sensation": {"answer": True, "regions": ["forearm_hand_left"]},
            "diabetes": {"answer": True, "neuropathy_regions": ["leg_foot_right"]},
        },
        plan(["leg_foot_right"]),
        {},
        "reduced_sensation",
        RELATIVE,
        "DN-SENSATION-SITE",
        "leg_foot_right",
    ),
    # 3.32-3.35
    (
        "allodynia",
        {"severe_touch_sensitivity": {"answer": True, "regions": ["forearm_hand_left"]}},
        LEFT_FOREARM,
        {},
        "severe_touch_sensitivity",
        RELATIVE,
        "DN-ALLODYNIA-SITE",
        "touch sensitivity at forearm_hand_left",
    ),
    (
        "metal-allergy",
        {"metal_allergy": YES},
        None,
        {},
        "metal_allergy",
        RELATIVE,
        "DN-METAL-ALLERGY",
        "metal",
    ),
    (
        "latex-allergy",
        {"latex_allergy": YES},
        None,
        {},
        "latex_allergy",
        RELATIVE,
        "DN-LATEX-ALLERGY",
        "latex",
    ),
    (
        "antiseptic-allergy",
        {"skin_prep_or_adhesive_allergy": YES},
        None,
        {},
        "skin_prep_or_adhesive_allergy",
        RELATIVE,
        "DN-ANTISEPTIC-ALLERGY",
        "skin cleaners",
    ),
    # 3.36-3.38 lung-risk items
    (
        "lung-disease-chest",
        {"lung_disease_or_previous_pneumothorax": YES},
        LEFT_CHEST,
        {},
        "lung_disease_or_previous_pneumothorax",
        RELATIVE,
        "DN-LUNG-DISEASE",
        "with lung-risk region chest_wall_left planned",
    ),
    (
        "lung-disease-anterior-neck",
        {"lung_disease_or_previous_pneumothorax": YES},
        plan(["neck_anterior_lateral"]),
        {},
        "lung_disease_or_previous_pneumothorax",
        RELATIVE,
        "DN-LUNG-DISEASE",
        "neck_anterior_lateral",
    ),
    (
        "lung-disease-quadrant-alias",
        {"lung_disease_or_previous_pneumothorax": YES},
        plan(["upper_quadrant_right"]),
        {},
        "lung_disease_or_previous_pneumothorax",
        RELATIVE,
        "DN-LUNG-DISEASE",
        "shoulder_girdle_right, chest_wall_right",
    ),
    (
        "bmi-18.4",
        {"low_body_weight": {"answer": True, "bmi": 18.4}},
        plan(["shoulder_girdle_left"]),
        {},
        "low_body_weight",
        RELATIVE,
        "DN-LOW-BMI",
        "BMI 18.4 (< 18.5)",
    ),
    (
        "bmi-computed",
        {"low_body_weight": {"height_cm": 165, "weight_kg": 48.5}},
        plan(["upper_back_thoracic"]),
        {},
        "low_body_weight",
        RELATIVE,
        "DN-LOW-BMI",
        "BMI 17.81",
    ),
    (
        "chest-wall-deformity",
        {"chest_wall_deformity": YES},
        plan(["upper_back_thoracic"]),
        {},
        "chest_wall_deformity",
        RELATIVE,
        "DN-CHEST-WALL",
        "scoliosis",
    ),
    # 3.39-3.40
    (
        "acute-injury",
        {
            "acute_injury_at_site": {
                "answer": True,
                "regions": ["knee_left"],
                "suspected_fracture": True,
            }
        },
        LEFT_KNEE,
        {},
        "acute_injury_at_site",
        ABSOLUTE,
        "DN-ACUTE-INJURY-SITE",
        "acute injury at knee_left is at or near the planned knee_left; possible fracture",
    ),
    ("frailty", {"frailty": YES}, None, {}, "frailty", RELATIVE, "DN-FRAILTY", "frailty"),
]

# (id, answers, plan, thresholds, item): the item must produce no flag (INFO allowed).
QUIET = [
    ("minor-18", {"minor_patient": {"answer": True, "age_years": 18}}, None, {}, "minor_patient"),
    ("capacity-no", {"cognitive_impairment": {"answer": False}}, None, {}, "cognitive_impairment"),
    ("interpreter-no", {"interpreter_needed": {"answer": False}}, None, {}, "interpreter_needed"),
    ("declines-no", {"declines_needling": {"answer": False}}, None, {}, "declines_needling"),
    ("phobia-fine", {"needle_phobia": {"answer": False}}, None, {}, "needle_phobia"),
    (
        # §13.9: the level of a "no" is a disabled follow-up and is dropped before any rule.
        "phobia-no-with-a-stray-strong-level",
        {"needle_phobia": {"answer": False, "fear_level": "strong"}},
        None,
        {},
        "needle_phobia",
    ),
    ("anxiety-no", {"anxiety_mental_health": {"answer": False}}, None, {}, "anxiety_mental_health"),
    ("unwell-no", {"acute_illness_today": {"answer": False}}, None, {}, "acute_illness_today"),
    (
        "unstable-no",
        {"unstable_medical_condition": {"answer": False}},
        None,
        {},
        "unstable_medical_condition",
    ),
    (
        "fasting-4h",
        {"not_eaten_recently": {"answer": True, "hours_since_meal": 4}},
        None,
        {},
        "not_eaten_recently",
    ),
    (
        "alcohol-13h",
        {"alcohol_or_drugs_recent": {"answer": True, "hours_ago": 13, "feels_affected_now": False}},
        None,
        {},
        "alcohol_or_drugs_recent",
    ),
    ("fainting-no", {"fainting_history": {"answer": False}}, None, {}, "fainting_history"),
    (
        "previous-no-problems",
        {"previous_needling_reaction": {"previous_experience": "no_problems"}},
        None,
        {},
        "previous_needling_reaction",
    ),
    ("bleeding-no", {"bleeding_disorder": {"answer": False}}, None, {}, "bleeding_disorder"),
    (
        "thinner-no",
        {"blood_thinner_use": {"answer": False, "agents": ["warfarin"], "latest_inr": 5}},
        None,
        {},
        "blood_thinner_use",
    ),
    ("pregnancy-no", {"pregnancy": {"answer": "no"}}, None, {}, "pregnancy"),
    (
        "pregnancy-not-applicable",
        {"pregnancy": {"answer": "not_applicable"}},
        None,
        {},
        "pregnancy",
    ),
    (
        "skin-distant",
        {"skin_lesion_or_local_infection": {"answer": True, "regions": ["knee_left"]}},
        LEFT_FOREARM,
        {},
        "skin_lesion_or_local_infection",
    ),
    ("immune-no", {"immunocompromised": {"answer": False}}, None, {}, "immunocompromised"),
    ("diabetes-no", {"diabetes": {"answer": False}}, None, {}, "diabetes"),
    ("bloodborne-virus-is-info-only", {"bloodborne_virus": YES}, None, {}, "bloodborne_virus"),
    (
        "lymphoedema-distant",
        {"lymphoedema": {"answer": True, "regions": ["upper_limb_left"]}},
        LEFT_KNEE,
        {},
        "lymphoedema",
    ),
    (
        "nodes-distant",
        {"lymph_nodes_removed": {"answer": True, "at_risk_regions": ["upper_quadrant_left"]}},
        plan(["chest_wall_right"]),
        {},
        "lymph_nodes_removed",
    ),
    (
        "radiotherapy-4-months",
        {
            "cancer": {
                "answer": True,
                "status": "remission_under_5y",
                "radiotherapy_regions": ["chest_wall_left"],
                "radiotherapy_months_ago": 4,
            }
        },
        LEFT_CHEST,
        {},
        "cancer",
    ),
    (
        "cancer-remission",
        {"cancer": {"answer": True, "status": "remission_under_5y"}},
        None,
        {},
        "cancer",
    ),
    ("vascular-no", {"vascular_disease": {"answer": False}}, None, {}, "vascular_disease"),
    (
        "heart-no",
        {"heart_condition": {"answer": False}},
        plan(["lumbar"], ESTIM),
        {},
        "heart_condition",
    ),
    (
        "valve-no",
        {"heart_valve_or_endocarditis": {"answer": False}},
        None,
        {},
        "heart_valve_or_endocarditis",
    ),
    (
        "device-manual-distant",
        {"implanted_electrical_device": {"answer": True, "device_regions": ["chest_wall_left"]}},
        LEFT_KNEE,
        {},
        "implanted_electrical_device",
    ),
    (
        "hardware-distant",
        {
            "joint_replacement_or_metal_hardware": {
                "answer": True,
                "regions": ["knee_left"],
                "months_since_surgery": 3,
            }
        },
        plan(["neck_posterior"]),
        {},
        "joint_replacement_or_metal_hardware",
    ),
    (
        "implant-distant",
        {"breast_or_cosmetic_implant": {"answer": True, "regions": ["chest_wall_left"]}},
        plan(["chest_wall_right"]),
        {},
        "breast_or_cosmetic_implant",
    ),
    (
        "surgery-healed-12-weeks",
        {
            "recent_surgery": {
                "answer": True,
                "regions": ["knee_left"],
                "weeks_since": 12,
                "incision_healed": True,
            }
        },
        LEFT_KNEE,
        {},
        "recent_surgery",
    ),
    (
        "surgery-unhealed-distant",
        {"recent_surgery": {"answer": True, "regions": ["head_face"], "incision_healed": False}},
        LEFT_KNEE,
        {},
        "recent_surgery",
    ),
    ("epilepsy-no", {"epilepsy": {"answer": False}}, plan(["lumbar"], ESTIM), {}, "epilepsy"),
    (
        "numb-estim-distant",
        {"reduced_sensation": {"answer": True, "regions": ["leg_foot_left"]}},
        plan(["forearm_hand_left"], ESTIM),
        {},
        "reduced_sensation",
    ),
    (
        "allodynia-distant",
        {"severe_touch_sensitivity": {"answer": True, "regions": ["forearm_hand_left"]}},
        LEFT_KNEE,
        {},
        "severe_touch_sensitivity",
    ),
    ("metal-no", {"metal_allergy": {"answer": False}}, None, {}, "metal_allergy"),
    ("latex-no", {"latex_allergy": {"answer": False}}, None, {}, "latex_allergy"),
    (
        "antiseptic-no",
        {"skin_prep_or_adhesive_allergy": {"answer": False}},
        None,
        {},
        "skin_prep_or_adhesive_allergy",
    ),
    (
        "lung-disease-lumbar",
        {"lung_disease_or_previous_pneumothorax": YES},
        plan(["lumbar"]),
        {},
        "lung_disease_or_previous_pneumothorax",
    ),
    (
        "lung-disease-posterior-neck",
        {"lung_disease_or_previous_pneumothorax": YES},
        plan(["neck_posterior"]),
        {},
        "lung_disease_or_previous_pneumothorax",
    ),
    (
        "bmi-18.5",
        {"low_body_weight": {"answer": True, "bmi": 18.5}},
        LEFT_CHEST,
        {},
        "low_body_weight",
    ),
    (
        "bmi-low-lumbar",
        {"low_body_weight": {"answer": True, "bmi": 16.9}},
        plan(["lumbar"]),
        {},
        "low_body_weight",
    ),
    (
        "bmi-computed-normal",
        {"low_body_weight": {"answer": True, "height_cm": 170, "weight_kg": 70}},
        LEFT_CHEST,
        {},
        "low_body_weight",
    ),
    ("chest-wall-limb", {"chest_wall_deformity": YES}, LEFT_KNEE, {}, "chest_wall_deformity"),
    (
        "acute-injury-distant",
        {"acute_injury_at_site": {"answer": True, "regions": ["knee_left"]}},
        LEFT_FOREARM,
        {},
        "acute_injury_at_site",
    ),
    ("frailty-no", {"frailty": {"answer": False}}, None, {}, "frailty"),
]


def _case_id(case):
    return case[0]


@pytest.mark.parametrize("case", FIRES, ids=_case_id)
def test_rule_fires(case):
    # Arrange
    _, answers, planned, thresholds, item_id, level, code, fragment = case

    # Act
    result = screen(answers, planned, **thresholds)

    # Assert
    found = finding(result, item_id)
    assert found is not None, [f.code for f in result.findings]
    assert found.level == level
    assert code in found.codes
    assert fragment in found.message


@pytest.mark.parametrize("case", QUIET, ids=_case_id)
def test_rule_stays_quiet(case):
    # Arrange
    _, answers, planned, thresholds, item_id = case

    # Act
    result = screen(answers, planned, **thresholds)

    # Assert
    found = finding(result, item_id)
    assert found is None or found.level == INFO
    assert result.outcome == CLEAR


def test_every_item_has_a_firing_and_a_quiet_case():
    fired = {case[4] for case in FIRES}
    quiet = {case[4] for case in QUIET}

    assert fired == set(ITEMS)
    assert quiet == set(ITEMS)


def test_every_rule_in_the_table_fires_in_some_case():
    # Arrange
    codes = set()

    # Act
    for _, answers, planned, thresholds, *_ in FIRES:
        for found in screen(answers, planned, **thresholds).findings:
            codes.update(found.codes)

    # Assert
    assert set(RULES_BY_CODE) - codes == set()


@pytest.mark.parametrize("case", FIRES, ids=_case_id)
def test_outcome_follows_the_highest_flag(case):
    _, answers, planned, thresholds, *_ = case

    result = screen(answers, planned, **thresholds)

    levels = {f.level for f in result.findings}
    expected = (
        CONTRAINDICATED if ABSOLUTE in levels else PRECAUTION if RELATIVE in levels else CLEAR
    )
    assert result.outcome == expected


# ---------------------------------------------------------------------------------------------
# Specific behaviours


def test_empty_answers_screen_clear_with_and_without_a_plan():
    everything = plan(["upper_quadrant_left", "lower_limb_right", "lumbar"], ESTIM)

    for planned in (NO_PLAN, everything, plan([], [])):
        result = screen({}, planned)
        assert result.outcome == CLEAR
        assert result.findings == ()


def test_every_rule_check_runs_on_empty_answers():
    answers = Answers({})

    for rule in RULES:
        assert rule.check(answers, Thresholds()) is None, rule.code


def test_a_typo_in_an_item_id_raises_unknown_item():
    with pytest.raises(UnknownItem):
        screen({"blood_thiner_use": YES})


def test_an_absolute_and_a_relative_reason_report_once_at_absolute_listing_both():
    answers = {
        "blood_thinner_use": {
            "answer": True,
            "agents": ["warfarin", "aspirin"],
            "latest_inr": 3.4,
            "inr_days_ago": 1,
        }
    }

    result = screen(answers)

    [found] = result.findings
    assert found.level == ABSOLUTE
    assert found.code == "DN-BLEED-INR"
    assert found.codes == ("DN-BLEED-INR", "DN-BLEED-DUAL")
    assert found.message == "warfarin with INR 3.4 (> 3.0); dual therapy: warfarin + aspirin"
    assert found.sources[:2] == ("R11", "C3a")


def test_findings_follow_section_3_order():
    answers = {
        "frailty": YES,
        "pregnancy": PREGNANT_20,
        "bloodborne_virus": YES,
        "minor_patient": {"age_years": 16, "guardian_consent": True, "patient_assent": True},
    }

    result = screen(answers, LEFT_KNEE)

    assert [f.item for f in result.findings] == [
        "minor_patient",
        "pregnancy",
        "bloodborne_virus",
        "frailty",
    ]
    assert [f.item for f in result.flags] == ["minor_patient", "pregnancy", "frailty"]


def test_info_findings_never_change_the_outcome():
    answers = {
        "bloodborne_virus": YES,
        "cancer": {"answer": True, "status": "remission_over_5y"},
        "previous_needling_reaction": {"previous_experience": "never"},
        "skin_lesion_or_local_infection": {"answer": True, "regions": ["head_face"]},
    }

    result = screen(answers, LEFT_KNEE)

    assert {f.level for f in result.findings} == {INFO}
    assert len(result.findings) == 4
    assert result.outcome == CLEAR


@pytest.mark.parametrize(
    ("answers", "item_id", "level"),
    [
        (
            {"lymphoedema": {"answer": True, "regions": ["upper_limb_left"]}},
            "lymphoedema",
            ABSOLUTE,
        ),
        (
            {"recent_surgery": {"answer": True, "incision_healed": False}},
            "recent_surgery",
            ABSOLUTE,
        ),
        (
            {"recent_surgery": {"answer": True, "weeks_since": 3, "incision_healed": True}},
            "recent_surgery",
            RELATIVE,
        ),
        ({"skin_lesion_or_local_infection": YES}, "skin_lesion_or_local_infection", ABSOLUTE),
        ({"implanted_electrical_device": YES}, "implanted_electrical_device", RELATIVE),
        (
            {"reduced_sensation": {"answer": True, "regions": ["knee_left"]}},
            "reduced_sensation",
            RELATIVE,
        ),
        (
            {"lymph_nodes_removed": {"answer": True, "at_risk_regions": ["upper_quadrant_left"]}},
            "lymph_nodes_removed",
            ABSOLUTE,
        ),
        ({"acute_injury_at_site": YES}, "acute_injury_at_site", ABSOLUTE),
    ],
)
def test_site_items_without_a_plan_count_at_their_site_level_pending_plan(answers, item_id, level):
    result = screen(answers, NO_PLAN)

    found = finding(result, item_id)
    assert found.level == level
    assert found.pending_plan
    assert found.note == "pending plan"
    assert result.outcome == (CONTRAINDICATED if level == ABSOLUTE else PRECAUTION)


@pytest.mark.parametrize(
    ("answers", "item_id", "code"),
    [
        (
            {"lung_disease_or_previous_pneumothorax": YES},
            "lung_disease_or_previous_pneumothorax",
            "DN-LUNG-DISEASE",
        ),
        ({"low_body_weight": {"bmi": 17}}, "low_body_weight", "DN-LOW-BMI"),
        ({"chest_wall_deformity": YES}, "chest_wall_deformity", "DN-CHEST-WALL"),
    ],
)
def test_lung_items_without_a_plan_are_info_pending_plan(answers, item_id, code):
    result = screen(answers, NO_PLAN)

    found = finding(result, item_id)
    assert (found.level, found.code, found.note) == (INFO, code, "pending plan")
    assert "relative if a lung-risk region is planned" in found.message
    assert result.outcome == CLEAR


def test_technique_escalations_without_a_plan_are_info_and_do_not_count():
    answers = {
        "heart_condition": {"answer": True, "controlled": True},
        "epilepsy": {"answer": True, "controlled": True, "last_seizure_months_ago": 40},
        "pregnancy": PREGNANT_20,
        "implanted_electrical_device": {"answer": True, "device_regions": ["chest_wall_left"]},
    }

    result = screen(answers, NO_PLAN)

    assert result.outcome == PRECAUTION
    assert {f.item: f.level for f in result.findings} == {
        "pregnancy": RELATIVE,
        "heart_condition": RELATIVE,
        "implanted_electrical_device": RELATIVE,
        "epilepsy": RELATIVE,
    }
    heart = finding(result, "heart_condition")
    assert heart.codes == ("DN-HEART", "DN-HEART-ESTIM-TRUNK")
    assert "absolute if e-stim is planned on a trunk or neck region" in heart.message
    assert heart.note == "pending plan"
    pregnancy = finding(result, "pregnancy")
    assert set(pregnancy.codes) == {"DN-PREG", "DN-PREG-ESTIM", "DN-PREG-TRUNK"}


def test_global_items_without_a_plan_are_decided_not_pending():
    result = screen({"pregnancy": {"answer": "unsure"}, "frailty": YES}, NO_PLAN)

    assert result.outcome == CONTRAINDICATED
    assert not any(f.pending_plan for f in result.findings)


@pytest.mark.parametrize(
    ("answers", "note"),
    [
        ({"cognitive_impairment": YES}, "clinician check pending"),
        ({"cognitive_impairment": {"answer": True, "able_to_understand_and_decide": True}}, ""),
        ({"interpreter_needed": YES}, "clinician check pending"),
        ({"interpreter_needed": {"answer": True, "qualified_interpreter_available": True}}, ""),
    ],
)
def test_clinician_set_fields_unset_leave_a_relative_with_a_note(answers, note):
    [found] = screen(answers).findings

    assert found.level == RELATIVE
    assert found.note == note


def test_estim_with_and_without_an_implanted_device():
    device = {
        "implanted_electrical_device": {"answer": True, "device_regions": ["chest_wall_left"]}
    }
    estim_on_leg = plan(["thigh_right"], ESTIM)

    assert screen(device, estim_on_leg).outcome == CONTRAINDICATED
    assert screen({}, estim_on_leg).outcome == CLEAR
    assert screen(device, plan(["thigh_right"])).outcome == CLEAR


def test_reduced_sensation_via_diabetes_has_a_trigger_naming_the_neuropathy():
    answers = {"diabetes": {"answer": True, "neuropathy_regions": ["lower_limb_left"]}}

    result = screen(answers, LEFT_KNEE)

    found = finding(result, "reduced_sensation")
    assert found.trigger == "diabetes.neuropathy_regions: thigh_left, knee_left, leg_foot_left"
    assert finding(result, "diabetes").level == RELATIVE


def test_messages_and_triggers_never_quote_free_text():
    # Arrange: every free-text follow-up holds a marker.
    secret = "SECRET-NOTE"
    answers = {}
    for item in ITEM_LIST:
        texts = {f.id: secret for f in item.follow_ups if f.kind == "text"}
        if item.id == "pregnancy":
            answers[item.id] = {"answer": "yes", **texts}
        elif item.answer_kind == "yes_no":
            answers[item.id] = {"answer": True, **texts}

    # Act
    result = screen(answers, plan(["lumbar", "chest_wall_left"], ESTIM))

    # Assert
    assert result.findings
    for found in result.findings:
        assert secret not in found.message
        assert secret not in found.trigger


def test_evaluate_leaves_answers_unchanged_and_accepts_an_answers_view():
    answers = {"not_eaten_recently": {"hours_since_meal": 6}}

    first = screen(answers)
    second = evaluate(Answers(answers), plan(), Thresholds())

    assert answers == {"not_eaten_recently": {"hours_since_meal": 6}}
    assert first == second


def test_plan_expands_aliases_and_rejects_unknown_ids():
    assert plan(["upper_limb_left"]).regions == {"arm_elbow_left", "forearm_hand_left"}
    with pytest.raises(ValueError):
        plan(["upper_limb_middle"])
    with pytest.raises(ValueError):
        plan(["lumbar"], ["acupressure"])


# ---------------------------------------------------------------------------------------------
# Thresholds


# (field, value, answers, plan, outcome with defaults, outcome with the changed value, code)
THRESHOLD_CASES = [
    (
        "age_of_majority",
        17,
        {"minor_patient": {"age_years": 17, "guardian_consent": True, "patient_assent": True}},
        None,
        PRECAUTION,
        CLEAR,
    ),
    (
        "max_hours_since_meal",
        6,
        {"not_eaten_recently": {"hours_since_meal": 5}},
        None,
        PRECAUTION,
        CLEAR,
    ),
    (
        "alcohol_lookback_hours",
        24,
        {"alcohol_or_drugs_recent": {"answer": True, "hours_ago": 13, "feels_affected_now": False}},
        None,
        CLEAR,
        PRECAUTION,
    ),
    (
        "inr_ceiling",
        3.5,
        {"blood_thinner_use": {**WARFARIN, "latest_inr": 3.4, "inr_days_ago": 1}},
        None,
        CONTRAINDICATED,
        PRECAUTION,
    ),
    (
        "min_platelets",
        40,
        {
            "bleeding_disorder": {
                "answer": True,
                "diagnosis": "low_platelets",
                "platelet_count_x10e9_per_l": 45,
            }
        },
        None,
        CONTRAINDICATED,
        PRECAUTION,
    ),
    (
        "joint_surgery_months",
        6,
        {
            "joint_replacement_or_metal_hardware": {
                "answer": True,
                "regions": ["knee_left"],
                "months_since_surgery": 8,
            }
        },
        LEFT_KNEE,
        CONTRAINDICATED,
        PRECAUTION,
    ),
    (
        "surgery_weeks",
        16,
        {
            "recent_surgery": {
                "answer": True,
                "regions": ["knee_left"],
                "weeks_since": 13,
                "incision_healed": True,
            }
        },
        LEFT_KNEE,
        CLEAR,
        PRECAUTION,
    ),
    (
        "radiotherapy_months",
        6,
        {
            "cancer": {
                "answer": True,
                "status": "remission_under_5y",
                "radiotherapy_regions": ["chest_wall_left"],
                "radiotherapy_months_ago": 4,
            }
        },
        LEFT_CHEST,
        CLEAR,
        CONTRAINDICATED,
    ),
    ("min_bmi", 20, {"low_body_weight": {"bmi": 19}}, LEFT_CHEST, CLEAR, PRECAUTION),
    (
        "seizure_free_months",
        24,
        {"epilepsy": {"answer": True, "controlled": True, "last_seizure_months_ago": 18}},
        None,
        PRECAUTION,
        CONTRAINDICATED,
    ),
    (
        "first_trimester_weeks",
        16,
        {"pregnancy": {"answer": "yes", "weeks": 15, "complications": False}},
        LEFT_KNEE,
        PRECAUTION,
        CONTRAINDICATED,
    ),
    (
        "node_at_risk_level",
        "relative",
        {"lymph_nodes_removed": {"answer": True, "at_risk_regions": ["upper_limb_right"]}},
        plan(["forearm_hand_right"]),
        CONTRAINDICATED,
        PRECAUTION,
    ),
    (
        "accept_representative_consent",
        True,
        {
            "cognitive_impairment": {
                "answer": True,
                "able_to_understand_and_decide": False,
                "substitute_decision_maker_present": True,
            }
        },
        None,
        CONTRAINDICATED,
        PRECAUTION,
    ),
]

# Two thresholds cannot change an outcome: both sides of them are the same level. They change
# the finding instead.
THRESHOLD_MESSAGE_CASES = [
    (
        "inr_max_age_days",
        14,
        {"blood_thinner_use": {**WARFARIN, "latest_inr": 2.5, "inr_days_ago": 10}},
        "DN-BLEED-INR-UNKNOWN",
        "DN-BLEED-VKA",
    ),
    (
        "major_bleed_days",
        30,
        {"bleeding_disorder": {"answer": True, "diagnosis": "other", "recent_major_bleed": True}},
        "last 14 days",
        "last 30 days",
    ),
]


@pytest.mark.parametrize("case", THRESHOLD_CASES, ids=lambda case: case[0])
def test_each_threshold_changes_an_outcome(case):
    # Arrange
    name, value, answers, planned, before, after = case

    # Act
    default = screen(answers, planned)
    changed = screen(answers, planned, **{name: value})

    # Assert
    assert (default.outcome, changed.outcome) == (before, after)
    assert changed.thresholds.as_dict()[name] == value


@pytest.mark.parametrize("case", THRESHOLD_MESSAGE_CASES, ids=lambda case: case[0])
def test_thresholds_that_keep_the_level_change_the_finding(case):
    name, value, answers, before, after = case

    [default] = screen(answers).findings
    [changed] = screen(answers, **{name: value}).findings

    assert before in default.code + default.message
    assert after in changed.code + changed.message


def test_every_threshold_has_a_test_case():
    tested = {case[0] for case in THRESHOLD_CASES + THRESHOLD_MESSAGE_CASES}

    assert tested == {field.name for field in dataclasses.fields(Thresholds)}


def test_thresholds_round_trip_through_a_dict():
    changed = Thresholds(inr_ceiling=3.5, node_at_risk_level="relative")

    assert Thresholds.from_dict(changed.as_dict()) == changed
    assert Thresholds.from_dict({}) == Thresholds()


@pytest.mark.parametrize(
    "data",
    [
        {"inr_cieling": 3.5},
        {"node_at_risk_level": "info"},
        {"min_bmi": -1},
        {"min_bmi": 0},
        {"inr_ceiling": "3.0"},
        {"accept_representative_consent": "yes"},
    ],
)
def test_thresholds_reject_bad_values(data):
    with pytest.raises(ValueError):
        Thresholds.from_dict(data)


NUMERIC_THRESHOLDS = [
    spec.name
    for spec in dataclasses.fields(Thresholds)
    if spec.name not in ("node_at_risk_level", "accept_representative_consent")
]


@pytest.mark.parametrize("name", NUMERIC_THRESHOLDS)
@pytest.mark.parametrize("value", [0, 0.0, -1])
def test_every_numeric_threshold_refuses_zero_and_below(name, value):
    with pytest.raises(ValueError, match=name):
        Thresholds.from_dict({name: value})


@pytest.mark.parametrize(
    ("data", "name"),
    [
        ({"inr_cieling": 3.5}, "inr_cieling"),
        ({"node_at_risk_level": "info"}, "node_at_risk_level"),
        ({"accept_representative_consent": "yes"}, "accept_representative_consent"),
    ],
)
def test_a_refused_setting_is_named_in_the_error(data, name):
    with pytest.raises(ValueError, match=name):
        Thresholds.from_dict(data)


@pytest.mark.parametrize("name", NUMERIC_THRESHOLDS)
def test_every_numeric_threshold_accepts_a_small_positive_value(name):
    assert getattr(Thresholds.from_dict({name: 1}), name) == 1


# ---------------------------------------------------------------------------------------------
# The rule table itself


def test_rule_codes_are_unique_and_items_and_levels_are_known():
    codes = [rule.code for rule in RULES]

    assert len(codes) == len(set(codes))
    for rule in RULES:
        assert rule.code.startswith("DN-")
        assert rule.item in ITEMS
        assert rule.level in LEVELS
        assert rule.rationale and rule.message
        assert rule.scope in {"global", "site", "technique", "lung", "technique+site"}


def test_rules_are_listed_in_section_3_item_order():
    order = [ITEMS[rule.item].ref for rule in RULES]

    assert order == sorted(order, key=lambda ref: int(ref.split(".")[1]))


def test_every_rule_source_tag_resolves_to_a_citation():
    for rule in RULES:
        assert rule.sources, rule.code
        for tag in rule.sources:
            assert tag in SOURCES, (rule.code, tag)


def test_engine_modules_do_not_import_django():
    # Every module of the engine package is imported in a fresh interpreter in which Django
    # cannot be imported at all (a None entry in sys.modules makes "import django" fail), so a
    # Django import anywhere in the engine, even an indirect one, fails this test.
    code = (
        "import importlib, pkgutil, sys\n"
        "sys.modules['django'] = None\n"
        "import screening.engine as engine\n"
        "names = [m.name for m in pkgutil.iter_modules(engine.__path__, 'screening.engine.')]\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "print(len(names))\n"
    )

    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )

    assert completed.returncode == 0, completed.stderr
    assert int(completed.stdout) >= 7  # questionnaire, regions, rules, sources, validation, ...


# ---------------------------------------------------------------------------------------------
# Behaviour that mutation sampling showed no test pinned down (issue 21)


def test_hardware_with_infection_signs_and_no_region_is_taken_at_the_plan_and_contraindicated():
    # §13.4: joint hardware answered yes with no region affects the planned regions.
    answers = {
        "joint_replacement_or_metal_hardware": {
            "answer": True,
            "months_since_surgery": 27,
            "infection_signs": True,
        }
    }

    result = screen(answers, LEFT_KNEE)

    assert result.outcome == CONTRAINDICATED
    found = finding(result, "joint_replacement_or_metal_hardware")
    assert (found.level, found.code) == (ABSOLUTE, "DN-HARDWARE-INFECTION")
    assert found.message == (
        "metal hardware (no region recorded, so taken as the planned knee_left); "
        "red, hot, swollen or more painful than usual"
    )


def test_hardware_with_infection_signs_away_from_the_plan_is_not_a_flag():
    answers = {
        "joint_replacement_or_metal_hardware": {
            "answer": True,
            "regions": ["knee_right"],
            "months_since_surgery": 27,
            "infection_signs": True,
        }
    }

    result = screen(answers, plan(["lumbar"]))

    assert result.outcome == CLEAR
    assert finding(result, "joint_replacement_or_metal_hardware") is None


def test_settled_hardware_with_no_region_is_a_precaution_at_the_plan():
    answers = {"joint_replacement_or_metal_hardware": {"answer": True, "months_since_surgery": 24}}

    result = screen(answers, LEFT_KNEE)

    assert result.outcome == PRECAUTION
    found = finding(result, "joint_replacement_or_metal_hardware")
    assert (found.level, found.code) == (RELATIVE, "DN-HARDWARE-SITE")
    assert "no region recorded, so taken as the planned knee_left" in found.message


def test_settled_hardware_away_from_the_plan_is_not_a_flag():
    answers = {
        "joint_replacement_or_metal_hardware": {
            "answer": True,
            "regions": ["knee_right"],
            "months_since_surgery": 24,
        }
    }

    assert finding(screen(answers, plan(["lumbar"])), "joint_replacement_or_metal_hardware") is None


def test_site_finding_before_a_plan_names_where_the_problem_is():
    result = screen({"lymphoedema": {"answer": True, "regions": ["upper_limb_left"]}}, NO_PLAN)

    found = finding(result, "lymphoedema")
    assert found.message == "lymphoedema at arm_elbow_left, forearm_hand_left"
    assert found.note == "pending plan"


def test_site_finding_before_a_plan_without_a_region_says_none_was_recorded():
    found = finding(screen({"lymphoedema": YES}, NO_PLAN), "lymphoedema")

    assert found.message == "lymphoedema (no region recorded)"


@pytest.mark.parametrize(
    ("weeks", "message"),
    [
        (13, "pregnant, 13 weeks (< 14: 1st trimester)"),
        (14, "pregnant, 14 weeks (2nd trimester)"),
        (27, "pregnant, 27 weeks (2nd trimester)"),
        (28, "pregnant, 28 weeks (3rd trimester)"),
        (None, "pregnant, weeks not recorded (taken as 1st trimester)"),
    ],
)
def test_pregnancy_message_names_the_trimester_from_28_weeks_on_as_the_third(weeks, message):
    answers = {"pregnancy": {"answer": "yes", "weeks": weeks, "complications": False}}

    found = finding(screen(answers, plan(["knee_left"])), "pregnancy")

    assert found.message == message


@pytest.mark.parametrize(
    ("answers", "trigger"),
    [
        ({"frailty": {"answer": True}}, "answer: yes"),
        (
            {"epilepsy": {"answer": True, "controlled": False, "last_seizure_months_ago": 2}},
            "answer: yes; controlled: no; last_seizure_months_ago: 2",
        ),
        (
            {"low_body_weight": {"answer": False, "height_cm": 150, "weight_kg": 41.62}},
            "answer: yes; height_cm: 150; weight_kg: 41.62; bmi: 18.49",
        ),
        (
            {"needle_phobia": {"answer": True, "fear_level": "strong"}},
            "answer: yes; fear_level: strong",
        ),
        (
            {"blood_thinner_use": {"answer": True, "agents": ["apixaban", "aspirin"]}},
            "answer: yes; agents: apixaban, aspirin",
        ),
    ],
)
def test_finding_trigger_quotes_the_answers_as_the_patient_gave_them(answers, trigger):
    planned = plan(["upper_back_thoracic"])
    (found,) = screen(answers, planned).findings

    assert found.trigger == trigger
    assert found.as_dict()["trigger"] == trigger


def test_every_finding_carries_its_items_reference_and_its_rules_reasons():
    rng = random.Random(11)
    seen_merged = False
    for answers, planned in synthetic.build_cases(300, seed=11):
        for found in screen(answers, planned if rng.random() < 0.8 else NO_PLAN).findings:
            rules_hit = [RULES_BY_CODE[code] for code in found.codes]
            seen_merged = seen_merged or len(rules_hit) > 1

            assert found.ref == ITEMS[found.item].ref
            assert found.code == found.codes[0]
            assert found.rationale == rules_hit[0].rationale
            assert set(found.sources) == {tag for r in rules_hit for tag in r.sources}
            for rule in rules_hit:
                assert rule.modification in found.modification
    assert seen_merged  # some items merged several rules into one finding


def test_plan_and_result_serialise_in_reference_order():
    planned = Plan(frozenset({"estim", "manual_static"}), frozenset({"knee_left", "lumbar"}))

    result = evaluate({"frailty": YES}, planned)

    assert planned.as_dict() == {
        "techniques": ["manual_static", "estim"],
        "regions": ["lumbar", "knee_left"],
    }
    data = result.as_dict()
    assert data["outcome"] == PRECAUTION
    assert [f["item"] for f in data["findings"]] == ["frailty"]
    assert data["findings"][0]["sources"] == list(result.findings[0].sources)
    assert data["thresholds"] == Thresholds().as_dict()
    assert data["ruleset_version"] == RULESET_VERSION
