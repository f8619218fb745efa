"""Synthetic, realistic questionnaire answers: for benchmarks, load tests and demo volumes.

Pure Python. Every case answers all 40 items; a share of them (drawn per case, from a healthy
office worker to a patient with a long history) positive, with plausible follow-ups.
"""

from __future__ import annotations

import random

from screening.engine.questionnaire import ITEM_LIST
from screening.engine.regions import REGIONS, TECHNIQUES
from screening.engine.rules import Plan

# Share of items answered "yes", drawn per case (the mean, about 13%, is 5 of the 40 items).
POSITIVE_SHARES = (0.02, 0.05, 0.1, 0.2, 0.3)

# Derived items have no plain yes/no: their "no" is a value of the field the patient answers.
NEGATIVE = {
    "minor_patient": {"answer": False, "age_years": 42},
    "needle_phobia": {"answer": False},
    "not_eaten_recently": {"answer": False, "hours_since_meal": 2},
    "previous_needling_reaction": {"answer": False, "previous_experience": "no_problems"},
    "low_body_weight": {"answer": False, "height_cm": 172, "weight_kg": 70, "bmi": 23.66},
    "pregnancy": {"answer": "not_applicable"},
}

POSITIVE = {
    "minor_patient": {
        "answer": True,
        "age_years": 16,
        "guardian_consent": True,
        "guardian_relationship": "mother",
        "patient_assent": True,
    },
    "cognitive_impairment": {
        "answer": True,
        "condition": "brain injury",
        "substitute_decision_maker_present": True,
    },
    "interpreter_needed": {"answer": True, "language": "Polish"},
    "declines_needling": {"answer": True},
    "needle_phobia": {"answer": True, "fear_level": "mild"},
    "anxiety_mental_health": {"answer": True, "details": "panic attacks"},
    "acute_illness_today": {"answer": True, "symptoms": "cold", "temperature_c": 37.9},
    "unstable_medical_condition": {"answer": True, "details": "chest pain", "date": "last week"},
    "not_eaten_recently": {"answer": True, "hours_since_meal": 7},
    "alcohol_or_drugs_recent": {
        "answer": True,
        "substance": "wine",
        "hours_ago": 5,
        "feels_affected_now": False,
    },
    "fainting_history": {"answer": True, "context": "blood test", "last_episode": "2019"},
    "previous_needling_reaction": {
        "answer": True,
        "previous_experience": "problems",
        "reaction_description": "felt faint",
    },
    "bleeding_disorder": {
        "answer": True,
        "diagnosis": "von_willebrand",
        "severity": "mild",
        "recent_major_bleed": False,
    },
    "blood_thinner_use": {
        "answer": True,
        "agents": ["warfarin", "aspirin"],
        "latest_inr": 2.6,
        "inr_days_ago": 4,
        "inr_target_range": "2-3",
        "bleeding_after_blood_test": False,
    },
    "pregnancy": {"answer": "yes", "weeks": 22, "complications": False},
    "skin_lesion_or_local_infection": {
        "answer": True,
        "type": "eczema",
        "regions": ["forearm_hand_right"],
        "on_antibiotics": False,
    },
    "immunocompromised": {"answer": True, "cause": "methotrexate", "known_neutropenia": False},
    "diabetes": {
        "answer": True,
        "type": "type 2",
        "recent_hypoglycaemia": False,
        "neuropathy_regions": ["leg_foot_left", "leg_foot_right"],
        "foot_ulcers": False,
    },
    "bloodborne_virus": {"answer": True},
    "lymphoedema": {"answer": True, "regions": ["upper_limb_left"]},
    "lymph_nodes_removed": {"answer": True, "at_risk_regions": ["upper_quadrant_left"]},
    "cancer": {
        "answer": True,
        "status": "active_or_under_treatment",
        "tumour_regions": ["chest_wall_left"],
        "current_treatment": ["hormonal"],
        "radiotherapy_regions": ["chest_wall_left"],
        "radiotherapy_months_ago": 2,
    },
    "vascular_disease": {"answer": True, "types": ["varicose_veins"], "regions": ["leg_foot_left"]},
    "heart_condition": {"answer": True, "type": "atrial fibrillation", "controlled": True},
    "heart_valve_or_endocarditis": {"answer": True},
    "implanted_electrical_device": {
        "answer": True,
        "device_type": "pacemaker",
        "device_regions": ["chest_wall_left"],
    },
    "joint_replacement_or_metal_hardware": {
        "answer": True,
        "regions": ["knee_right"],
        "months_since_surgery": 30,
        "infection_signs": False,
    },
    "breast_or_cosmetic_implant": {
        "answer": True,
        "regions": ["chest_wall_left", "chest_wall_right"],
    },
    "recent_surgery": {
        "answer": True,
        "regions": ["abdomen"],
        "weeks_since": 6,
        "incision_healed": True,
    },
    "epilepsy": {"answer": True, "controlled": True, "last_seizure_months_ago": 30},
    "reduced_sensation": {"answer": True, "regions": ["thigh_left"], "cause": "nerve injury"},
    "severe_touch_sensitivity": {"answer": True, "regions": ["forearm_hand_left"]},
    "metal_allergy": {"answer": True, "metals": "nickel"},
    "latex_allergy": {"answer": True},
    "skin_prep_or_adhesive_allergy": {"answer": True},
    "lung_disease_or_previous_pneumothorax": {"answer": True, "type": "asthma"},
    "low_body_weight": {"answer": True, "height_cm": 168, "weight_kg": 50, "bmi": 17.72},
    "chest_wall_deformity": {"answer": True, "type": "scoliosis"},
    "acute_injury_at_site": {
        "answer": True,
        "regions": ["leg_foot_right"],
        "days_since": 2,
        "suspected_fracture": False,
    },
    "frailty": {"answer": True},
}


def negative_answers() -> dict:
    """A complete questionnaire with nothing to report."""
    return {item.id: dict(NEGATIVE.get(item.id, {"answer": False})) for item in ITEM_LIST}


def random_answers(rng: random.Random) -> dict:
    """Every item answered; each positive with a share drawn from POSITIVE_SHARES."""
    share = rng.choice(POSITIVE_SHARES)
    answers = {}
    for item in ITEM_LIST:
        positive = rng.random() < share
        template = POSITIVE[item.id] if positive else NEGATIVE.get(item.id, {"answer": False})
        answers[item.id] = dict(template)
    return answers


def random_plan(rng: random.Random) -> Plan:
    """1-2 techniques (manual needling most often) on 1-3 regions."""
    techniques = ["manual_static"] + rng.sample(list(TECHNIQUES), rng.randint(0, 1))
    return Plan(frozenset(techniques), frozenset(rng.sample(list(REGIONS), rng.randint(1, 3))))


def build_cases(count: int, seed: int = 20261122) -> list[tuple[dict, Plan]]:
    """`count` cases, every item answered, each with a plan."""
    rng = random.Random(seed)
    return [(random_answers(rng), random_plan(rng)) for _ in range(count)]
