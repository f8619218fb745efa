"""Benchmark: consent and aftercare PDF rendering against a plain two-page WeasyPrint document.

Builds one realistic cleared intake (five flags, one of them overridden, two lung-risk regions,
e-stim, an interpreter) through the app's own services in a throw-away SQLite database, then
renders the consent form, the aftercare sheet and the plain two-page baseline N times each in
the same process, interleaved round by round so that a busy machine slows them alike, with the
garbage of the previous render collected outside the timing. Prints the mean time of each and
the ratios to the baseline (target: each at most 3 times the baseline). A consent for a plain
case (no flags, lower back) is timed too, for information.

Then renders 200 consents and reports the growth of resident memory between render 20 and
render 200 (target: under 20 MB), and the growth of the traced Python heap (tracemalloc) over a
few more renders.

Usage: .venv/bin/python bench/bench_documents.py [--rounds 15] [--leak-renders 200]
Exits non-zero when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime
import gc
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


def build_intake(answers: dict, techniques: list[str], regions: list[str]):
    """A cleared intake made through the services, as the app makes one."""

    from screening import services
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
    patient = make_patient(full_name="Alex Bench", date_of_birth=datetime.date(1961, 5, 17))
    intake = make_submitted_intake(answers, patient=patient, practitioner=practitioner)
    set_plan(
        intake,
        practitioner,
        techniques,
        regions,
        clinician={"interpreter_needed": {"qualified_interpreter_available": True}},
    )
    for flag in services.flags_of(services.latest_screening(intake)):
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
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--leak-renders", type=int, default=200)
    args = parser.parse_args()

    DB_PATH.unlink(missing_ok=True)
    django.setup()
    import logging

    logging.disable(logging.INFO)  # WeasyPrint logs every layout step at INFO
    from django.core.management import call_command

    from screening import pdf

    call_command("migrate", verbosity=0, interactive=False)
    intake = build_intake(RICH_ANSWERS, PLAN_TECHNIQUES, PLAN_REGIONS)
    plain = build_intake({}, ["manual_static"], ["lumbar"])
    render_consent = lambda: pdf.render_consent(intake)  # noqa: E731
    renderers = {
        "baseline": pdf.plain_two_page_pdf,
        "consent": render_consent,
        "aftercare": lambda: pdf.render_aftercare(intake),
        "plain-cons": lambda: pdf.render_consent(plain),  # for information: no flags, lumbar
    }
    pages = {name: pdf_pages(render()) for name, render in renderers.items()}

    times: dict[str, list[float]] = {name: [] for name in renderers}
    for _ in range(args.rounds):
        for name, render in renderers.items():
            times[name].append(timed(render))

    failed = []
    base = statistics.fmean(times["baseline"])
    print(f"rounds: {args.rounds} (interleaved)")
    for name, values in times.items():
        mean = statistics.fmean(values)
        line = (
            f"{name:10s} mean {mean:7.1f} ms  median {statistics.median(values):7.1f} ms  "
            f"pages {pages[name]}"
        )
        if name in ("consent", "aftercare"):
            ratio = mean / base
            line += f"  ratio {ratio:4.2f}x (target <= {TARGET_RATIO:g}x)"
            if ratio > TARGET_RATIO:
                failed.append(f"{name} ratio {ratio:.2f}x")
        elif name != "baseline":
            line += f"  ratio {mean / base:4.2f}x (information only)"
        print(line)

    # Memory: resident size after render 20 (warm caches) and after the last render. Then a
    # short tracemalloc window on top, which shows Python-level leaks RSS could hide; it is
    # kept short because tracing every allocation makes rendering about ten times slower.
    rss_at_warm = 0.0
    for index in range(1, args.leak_renders + 1):
        render_consent()
        if index == WARM_UP_RENDERS:
            gc.collect()
            rss_at_warm = rss_mb()
    gc.collect()
    rss_growth = rss_mb() - rss_at_warm
    tracemalloc.start()
    for index in range(1, TRACE_RENDERS + 1):
        render_consent()
        if index == TRACE_WARM_UP:
            gc.collect()
            traced_at_warm = tracemalloc.get_traced_memory()[0] / 2**20
    gc.collect()
    traced_growth = tracemalloc.get_traced_memory()[0] / 2**20 - traced_at_warm
    tracemalloc.stop()
    print(
        f"memory: {args.leak_renders} consents; RSS growth from render {WARM_UP_RENDERS} to "
        f"{args.leak_renders}: {rss_growth:+.1f} MB (target < {TARGET_GROWTH_MB:g} MB); "
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
