"""Benchmark: the clinic safety report page at 100,000 treatments against the page at 1,000.

Two throw-away SQLite files hold the same clinic at two sizes: the small one is built first
(synthetic intakes with ``demo.generate_intakes`` spread over the last two years, then
``demo.generate_treatments`` for the cleared past ones, with adverse events at the published
rates), copied, and the copy grown until it holds the large number of treatments. The clinic
admin's signed-in session (second factor verified, as in production) is in both files.

The page is the default view (the last 12 months, which holds about half of each clinic's
treatments), timed through the full middleware stack with Django's test client. The counts
behind it are stored while no treatment or adverse event changes (``StoredFigures``), so the
timed views read them; the first view after new data counts again, and is printed for
information (one per round and size). Rounds are
interleaved: in each round the connection is pointed at one file, then the other (a warm-up
request after each switch is not timed), so both sizes see the same machine load. The figure
is the median of every timed request per size; the ratio large / small is judged against the
target. For information, the /healthz baseline through the same middleware.

Usage: .venv/bin/python bench/bench_safety_report.py [--small 1000] [--large 100000]
       [--rounds 5] [--requests 8]
(environment: BENCH_SAFETY_SMALL, BENCH_SAFETY_LARGE, BENCH_SAFETY_ROUNDS, BENCH_SAFETY_REQUESTS).
SQLite only: the two sizes are two database files. Exits 1 when the ratio misses the target.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_scratch = Path(tempfile.mkdtemp(prefix="bench-safety-"))
SMALL_FILE, LARGE_FILE = _scratch / "small.sqlite3", _scratch / "large.sqlite3"
os.environ["DATABASE_URL"] = f"sqlite:///{SMALL_FILE}"
os.environ["DJANGO_SETTINGS_MODULE"] = "clinic.settings"
os.environ["DJANGO_DEBUG"] = "1"  # static files without a collectstatic manifest

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from screening import demo, services  # noqa: E402
from screening.models import (  # noqa: E402
    AdverseEvent,
    Intake,
    StoredFigures,
    TreatmentRecord,
)

TARGET = 2.0
# About 37 % of synthetic intakes end as a cleared past appointment, hence a treatment.
INTAKES_PER_TREATMENT = 2.8


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def grow_to(treatments: int, practitioners, *, seed: int) -> None:
    """Add synthetic intakes (and treat the cleared past ones) until the clinic holds at least
    ``treatments`` treatment records."""
    today = timezone.localdate()
    # DEBUG (for the pages' static files) would keep the last 9,000 statements, bulk inserts of
    # thousands of rows among them, in memory: not while generating.
    debug, settings.DEBUG = settings.DEBUG, False
    try:
        _grow(treatments, practitioners, seed=seed, today=today)
    finally:
        settings.DEBUG = debug


def _grow(treatments: int, practitioners, *, seed: int, today) -> None:
    while (have := TreatmentRecord.objects.count()) < treatments:
        missing = treatments - have
        demo.generate_intakes(
            max(50, int(missing * INTAKES_PER_TREATMENT)),
            practitioners=practitioners,
            focus_day=today,
            per_focus_day=0,
            spread_days=730,
            seed=seed,
        )
        demo.generate_treatments(seed=seed)
        seed += 1


def use_database(path: Path) -> None:
    """Point the default connection at another SQLite file (closed first; reopened lazily)."""
    connection = connections["default"]
    connection.close()
    connection.settings_dict["NAME"] = str(path)


def timed_ms(client: Client, url: str) -> float:
    reset_queries()
    start = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def sizes() -> tuple[int, int, int]:
    return (
        TreatmentRecord.objects.count(),
        AdverseEvent.objects.count(),
        Intake.objects.count(),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=_env_int("BENCH_SAFETY_SMALL", 1_000))
    parser.add_argument("--large", type=int, default=_env_int("BENCH_SAFETY_LARGE", 100_000))
    parser.add_argument("--rounds", type=int, default=_env_int("BENCH_SAFETY_ROUNDS", 5))
    parser.add_argument("--requests", type=int, default=_env_int("BENCH_SAFETY_REQUESTS", 8))
    args = parser.parse_args()
    try:
        return run(args)
    finally:
        connections.close_all()
        shutil.rmtree(_scratch, ignore_errors=True)


def run(args) -> int:
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    practitioners = [
        services.staff_create(
            username=f"bench-practitioner-{n}",
            role="practitioner",
            first_name=f"Practitioner {n}",
            password=secrets.token_urlsafe(16),
            validate=False,
        )
        for n in range(1, 7)
    ]
    admin = services.staff_create(
        username="bench-admin",
        role="clinic_admin",
        password=secrets.token_urlsafe(16),
        validate=False,
    )
    client = Client()
    client.force_login(admin)
    device = TOTPDevice.objects.create(user=admin, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    grow_to(args.small, practitioners, seed=1)
    small_sizes = sizes()
    connections["default"].close()
    shutil.copyfile(SMALL_FILE, LARGE_FILE)
    use_database(LARGE_FILE)
    grow_to(args.large, practitioners, seed=1_000)
    large_sizes = sizes()
    generated = time.perf_counter() - started

    url = reverse("manage:safety")
    samples: dict[str, list[float]] = {"small": [], "large": []}
    baseline: dict[str, list[float]] = {"small": [], "large": []}
    cold: dict[str, list[float]] = {"small": [], "large": []}
    for _round in range(args.rounds):
        for label, path in (("small", SMALL_FILE), ("large", LARGE_FILE)):
            use_database(path)
            client.get(url)  # warm-up after the switch: opens the file, fills the page cache
            # For information: a view right after new data, which counts and stores again.
            StoredFigures.objects.all().delete()
            cold[label].append(timed_ms(client, url))
            for _ in range(args.requests):
                samples[label].append(timed_ms(client, url))
                baseline[label].append(timed_ms(client, reverse("healthz")))

    small = statistics.median(samples["small"])
    large = statistics.median(samples["large"])
    ratio = large / small
    print(
        f"clinic safety report (sqlite, default period: the last 12 months; "
        f"data generated in {generated:.0f} s; {args.rounds} interleaved rounds of "
        f"{args.requests} requests per size)"
    )
    for label, (treatments, events, intakes), median in (
        ("small", small_sizes, small),
        ("large", large_sizes, large),
    ):
        healthz = statistics.median(baseline[label])
        print(
            f"  {treatments:>8,} treatments ({events:,} adverse events, {intakes:,} intakes): "
            f"report {median:.1f} ms median ({median / healthz:.1f}x /healthz {healthz:.1f} ms); "
            f"for information, right after new data (counted again): "
            f"{statistics.median(cold[label]):.1f} ms"
        )
    verdict = "PASS" if ratio <= TARGET else "MISS"
    print(
        f"  report at {large_sizes[0]:,} / at {small_sizes[0]:,} treatments: {ratio:.2f}x "
        f"(target <= {TARGET:g}x): {verdict}"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
