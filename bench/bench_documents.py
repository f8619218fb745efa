"""Benchmark: consent and aftercare PDF rendering against a plain two-page WeasyPrint document.

What is rendered. Every worked example of the clinical reference (the public vignettes, copied
in ``tests/data/vignettes-public.json``) is built into a cleared intake through the app's own
services in a throw-away SQLite database: submitted, planned as the vignette plans it, every
flag resolved (absolute ones by a justified override) and cleared. Each vignette's consent form
and aftercare sheet is then timed. Beside them, a synthetic stress case that no vignette
reaches (five flags, one overridden, two lung-risk regions, e-stim and an interpreter: a
five-page consent) is timed for information.

How. Every document and the plain two-page baseline are rendered ``--rounds`` times in the same
process, interleaved round by round so that a busy machine slows them alike, with the garbage
of the previous render collected outside the timing. Each time includes building the document's
context from the database and rendering its template, as the app does on every print.

Targets: the consent and the aftercare sheet of every vignette at most 3 times the baseline
(the slowest vignette is the figure that counts); no memory growth: the resident memory grows
less than 20 MB between render 20 and render 200 of the stress-case consent, and the traced
Python heap does not grow over a few more renders.

Usage: .venv/bin/python bench/bench_documents.py [--rounds 10] [--leak-renders 200]
Exits non-zero when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# A fixed throw-away path, deleted before and after the run.
DB_PATH = Path("/tmp/bench_docs.sqlite3")  # noqa: S108
os.environ["DJANGO_SETTINGS_MODULE"] = "clinic.settings"
os.environ["DATABASE_URL"] = f"sqlite:///{DB_PATH}"

import django  # noqa: E402

TARGET_RATIO = 3.0
TARGET_GROWTH_MB = 20.0
WARM_UP_RENDERS = 20
TRACE_WARM_UP = 3
TRACE_RENDERS = 15

VIGNETTES = ROOT / "tests" / "data" / "vignettes-public.json"
# Required follow-up questions that a vignette leaves out, answered "no" as a patient with
# nothing to add would answer them (the wizard does not let a patient skip them).
VIGNETTE_REQUIRED_DEFAULTS = {"bleeding_disorder": {"recent_major_bleed": False}}
ADULT_DOB = datetime.date(1961, 5, 17)

RICH_ANSWERS = {
    "blood_thinner_use": {
        "answer": True,
        "agents": ["apixaban"],
    },
    "fainting_history": {"answer": True, "context": "blood test", "last_episode": "2019"},
    "diabetes": {"answer": True, "type": "type 2"},
    "joint_replacement_or_metal_hardware": {
        "answer": True,
        "regions": ["shoulder_girdle_left"],
        "months_since_surgery": 30,
        "infection_signs": False,
    },
    "previous_needling_reaction": {"previous_experience": "never"},
    "interpreter_needed": {"answer": True, "language": "Polish"},
}
PLAN_TECHNIQUES = ["manual_static", "pistoning", "estim"]
PLAN_REGIONS = ["shoulder_girdle_left", "upper_back_thoracic", "lumbar"]
MITIGATION = (
    "Superficial needling only, no pistoning near the joint, firm pressure for three minutes "
    "after each needle, treatment lying down."
)
JUSTIFICATION = (
    "Discussed with the patient and their specialist; the area is far from the implant and "
    "the benefit outweighs the small added risk."
)


def build_intake(
    answers: dict,
    techniques: list[str],
    regions: list[str],
    date_of_birth: datetime.date = ADULT_DOB,
    name: str = "Alex Bench",
):
    """A cleared intake made through the services, as the app makes one."""

    from screening import selectors, services
    from screening.models import ClinicSettings, Intake
    from tests.conftest import make_patient, make_user
    from tests.factories import make_submitted_intake, set_plan

    settings_row = ClinicSettings.load()
    settings_row.name = "Riverside Physiotherapy"
    settings_row.address = "12 Mill Lane\nRiverside RV1 2AB"
    settings_row.phone = "01234 567 890"
    settings_row.save()
    practitioner = make_user(
        "practitioner",
        f"bench-prac-{time.time_ns()}",
        first_name="Priya",
        last_name="Shah",
        profession="Physiotherapist",
        registration_number="HCPC PH123456",
    )
    patient = make_patient(full_name=name, date_of_birth=date_of_birth)
    intake = make_submitted_intake(answers, patient=patient, practitioner=practitioner)
    set_plan(
        intake,
        practitioner,
        techniques,
        regions,
        clinician={"interpreter_needed": {"qualified_interpreter_available": True}},
    )
    for flag in selectors.flags_of(selectors.latest_screening(intake)):
        intake.refresh_from_db()
        services.flag_resolve(
            actor=practitioner,
            intake=intake,
            item=flag["item"],
            mitigation=MITIGATION,
            justification=JUSTIFICATION if flag["level"] == "absolute" else "",
            expected_version=intake.version,
        )
    intake.refresh_from_db()
    services.review_decide(
        actor=practitioner,
        intake=intake,
        decision=Intake.Decision.CLEARED_WITH_MODIFICATIONS,
        expected_version=intake.version,
    )
    return Intake.objects.select_related("patient", "practitioner").get(pk=intake.pk)


def _birth_date_for_age(today: datetime.date, age: int) -> datetime.date:
    """A date of birth that makes the patient exactly ``age`` today (the last birthday a month
    ago), on any day of the year, 29 February included."""
    year = today.year - age
    try:
        last_birthday = today.replace(year=year)
    except ValueError:  # 29 February in a year that has none
        last_birthday = datetime.date(year, 2, 28)
    return last_birthday - datetime.timedelta(days=30)


def vignette_intakes() -> dict:
    """Each public vignette as a cleared intake, by vignette id."""
    intakes = {}
    today = datetime.date.today()
    for vignette in json.loads(VIGNETTES.read_text()):
        answers = json.loads(json.dumps(vignette["answers"]))
        for item, defaults in VIGNETTE_REQUIRED_DEFAULTS.items():
            if item in answers:
                answers[item] = {**defaults, **answers[item]}
        date_of_birth = ADULT_DOB
        minor = answers.pop("minor_patient", None)
        if minor:  # age is derived from the date of birth; the guardian's answers stay
            date_of_birth = _birth_date_for_age(today, minor["age_years"])
            answers["minor_patient"] = {
                key: value for key, value in minor.items() if key not in ("answer", "age_years")
            }
        intakes[vignette["id"]] = build_intake(
            answers,
            vignette["planned_techniques"],
            vignette["planned_regions"],
            date_of_birth=date_of_birth,
            name=f"Vignette {vignette['id']}",
        )
    return intakes


def rss_mb() -> float:
    """Current resident set size (Linux /proc), else the peak from getrusage."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn) -> float:
    # Collect the previous render's garbage first, so that no document pays for another's.
    gc.collect()
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--leak-renders", type=int, default=200)
    args = parser.parse_args()

    DB_PATH.unlink(missing_ok=True)
    django.setup()
    import logging

    logging.disable(logging.INFO)  # WeasyPrint logs every layout step at INFO
    from django.core.management import call_command

    from screening import pdf

    call_command("migrate", verbosity=0, interactive=False)
    vignettes = vignette_intakes()
    stress = build_intake(RICH_ANSWERS, PLAN_TECHNIQUES, PLAN_REGIONS, name="Stress Case")
    render_stress_consent = lambda: pdf.render_consent(stress)  # noqa: E731

    # (document, case) -> renderer; the baseline first, the stress case last.
    renderers = {("baseline", "plain"): pdf.plain_two_page_pdf}
    for case, intake in vignettes.items():
        renderers[("consent", case)] = lambda intake=intake: pdf.render_consent(intake)
        renderers[("aftercare", case)] = lambda intake=intake: pdf.render_aftercare(intake)
    renderers[("consent", "stress")] = render_stress_consent
    renderers[("aftercare", "stress")] = lambda: pdf.render_aftercare(stress)
    pages = {key: pdf_pages(render()) for key, render in renderers.items()}

    times: dict[tuple[str, str], list[float]] = {key: [] for key in renderers}
    for _ in range(args.rounds):
        for key, render in renderers.items():
            times[key].append(timed(render))

    from weasyprint.text.ffi import harfbuzz_subset

    subsetter = "HarfBuzz-subset" if harfbuzz_subset else "fontTools (no libharfbuzz-subset0)"
    base = statistics.fmean(times[("baseline", "plain")])
    print(
        f"rounds: {args.rounds} (interleaved); font subsetting by {subsetter}\n"
        f"baseline: plain two-page document, mean {base:.1f} ms"
    )
    failed = []
    for document in ("consent", "aftercare"):
        ratios = {}
        cells = []
        for (name, case), values in times.items():
            if name != document:
                continue
            ratios[case] = statistics.fmean(values) / base
            cells.append(f"{case} {ratios[case]:.2f}x/{pages[(name, case)]}p")
        worst_case = max((case for case in ratios if case != "stress"), key=ratios.get)
        worst = ratios[worst_case]
        mean = statistics.fmean(ratio for case, ratio in ratios.items() if case != "stress")
        verdict = "PASS" if worst <= TARGET_RATIO else "FAIL"
        print(f"{document}: ratio to the baseline / pages, per case:")
        for start in range(0, len(cells), 5):
            print("  " + "   ".join(cells[start : start + 5]))
        print(
            f"  vignettes: slowest {worst_case} {worst:.2f}x, mean {mean:.2f}x "
            f"(target: each <= {TARGET_RATIO:g}x) {verdict}; stress case "
            f"{ratios['stress']:.2f}x, for information"
        )
        if worst > TARGET_RATIO:
            failed.append(f"{document} {worst_case} ratio {worst:.2f}x")

    # Memory: resident size after render 20 (warm caches) and after the last render. Then a
    # short tracemalloc window on top, which shows Python-level leaks RSS could hide; it is
    # kept short because tracing every allocation makes rendering about ten times slower.
    rss_at_warm = 0.0
    for index in range(1, args.leak_renders + 1):
        render_stress_consent()
        if index == WARM_UP_RENDERS:
            gc.collect()
            rss_at_warm = rss_mb()
    gc.collect()
    rss_growth = rss_mb() - rss_at_warm
    tracemalloc.start()
    for index in range(1, TRACE_RENDERS + 1):
        render_stress_consent()
        if index == TRACE_WARM_UP:
            gc.collect()
            traced_at_warm = tracemalloc.get_traced_memory()[0] / 2**20
    gc.collect()
    traced_growth = tracemalloc.get_traced_memory()[0] / 2**20 - traced_at_warm
    tracemalloc.stop()
    print(
        f"memory: {args.leak_renders} stress-case consents; RSS growth from render "
        f"{WARM_UP_RENDERS} to {args.leak_renders}: {rss_growth:+.1f} MB "
        f"(target < {TARGET_GROWTH_MB:g} MB); "
        f"traced Python heap over {TRACE_RENDERS - TRACE_WARM_UP} more renders: "
        f"{traced_growth:+.2f} MB"
    )
    if rss_growth >= TARGET_GROWTH_MB or traced_growth >= TARGET_GROWTH_MB:
        failed.append(f"memory growth RSS {rss_growth:.1f} MB, heap {traced_growth:.1f} MB")

    DB_PATH.unlink(missing_ok=True)
    if failed:
        print("FAILED: " + "; ".join(failed))
        return 1
    print("all targets met")
    return 0


def pdf_pages(data: bytes) -> int:
    from io import BytesIO

    from pypdf import PdfReader

    return len(PdfReader(BytesIO(data)).pages)


if __name__ == "__main__":
    sys.exit(main())
