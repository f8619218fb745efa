"""Benchmark: screening throughput of `rules.evaluate` against a same-run baseline.

Builds a few hundred realistic cases with all 40 items answered (a mix of yes and no, with
follow-ups and a treatment plan), then runs `evaluate` on one core for about two seconds (the
best of five rounds). The
baseline, measured in the same run on the same cases, is a plain dict traversal that touches
every item and follow-up: it shows how far the engine is from the cost of merely reading the
answers, so the figure means the same on a slow and a fast machine.

Usage: .venv/bin/python bench/bench_screening.py [--seconds 2] [--cases 300]
Exits non-zero when evaluate manages fewer than the target cases per second.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screening.questionnaire import ITEM_LIST  # noqa: E402
from screening.regions import REGIONS, TECHNIQUES  # noqa: E402
from screening.rules import Plan, Thresholds, evaluate  # noqa: E402

TARGET_CASES_PER_SECOND = 5_000
# Share of items answered "yes", drawn per case: from a healthy office worker to a patient with
# a long history (the mean, about 13%, is 5 of the 40 items).
POSITIVE_SHARES = (0.02, 0.05, 0.1, 0.2, 0.3)

# Derived items have no plain yes/no: their "no" is a value of the field the patient answers.
NEGATIVE = {
    "minor_patient": {"answer": False, "age_years": 42},
    "needle_phobia": {"answer": False, "fear_level": "none"},
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


def build_cases(count: int, seed: int = 20261122) -> list[tuple[dict, Plan]]:
    """`count` cases, every item answered, each with a plan of 1-3 regions."""
    rng = random.Random(seed)
    regions = list(REGIONS)
    techniques = list(TECHNIQUES)
    cases = []
    for _ in range(count):
        answers = {}
        share = rng.choice(POSITIVE_SHARES)
        for item in ITEM_LIST:
            positive = rng.random() < share
            template = POSITIVE[item.id] if positive else NEGATIVE.get(item.id, {"answer": False})
            answers[item.id] = dict(template)
        plan = Plan(
            frozenset(rng.sample(techniques, rng.randint(1, 3))),
            frozenset(rng.sample(regions, rng.randint(1, 3))),
        )
        cases.append((answers, plan))
    return cases


def traverse(answers: dict, plan: Plan) -> int:
    """Baseline: read every item and follow-up once, and the plan."""
    touched = len(plan.techniques) + len(plan.regions)
    for values in answers.values():
        for value in values.values():
            touched += value is not None
    return touched


def per_second(work, cases: list, seconds: float, rounds: int = 5) -> float:
    """Cases per second of `work` over the case list: the best of `rounds` rounds.

    The best round, as `timeit` reports, because other processes on the machine can only slow
    a round down. CPU time of this process is used, so waiting for a core does not count.
    """
    best = 0.0
    for _ in range(rounds):
        done = 0
        start = time.process_time()
        deadline = start + seconds / rounds
        while time.process_time() < deadline:
            for answers, plan in cases:
                work(answers, plan)
            done += len(cases)
        best = max(best, done / (time.process_time() - start))
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--cases", type=int, default=300)
    args = parser.parse_args()

    cases = build_cases(args.cases)
    thresholds = Thresholds()

    def screen(answers: dict, plan: Plan) -> object:
        return evaluate(answers, plan, thresholds)

    per_second(screen, cases[:20], 0.2)  # warm-up
    screening = per_second(screen, cases, args.seconds)
    baseline = per_second(traverse, cases, args.seconds)
    verdict = "PASS" if screening >= TARGET_CASES_PER_SECOND else "FAIL"
    print(
        f"screening: {screening:,.0f} cases/s; baseline dict traversal: {baseline:,.0f} cases/s; "
        f"ratio {baseline / screening:.1f}x; target >= {TARGET_CASES_PER_SECOND:,} cases/s: "
        f"{verdict}"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
