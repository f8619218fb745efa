"""Benchmark: the review queue and detail page at 1,000 and at 100,000 intakes.

Each page is timed through the full middleware stack with Django's test client, beside a
same-run baseline (the trivial /healthz view through the same middleware), and the queue at
100,000 intakes is compared with the queue at 1,000. The day the queue shows holds the same
number of intakes in both runs, so the ratio measures how the page scales with the table.

Usage: .venv/bin/python bench/bench_review.py [--total 100000] [--requests 40]
Uses a throw-away SQLite file unless BENCH_DATABASE_URL points at a scratch PostgreSQL
database. Exits non-zero when the queue at the large size exceeds 1.5 times the small size.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_scratch = Path(tempfile.mkdtemp(prefix="bench-review-"))
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", f"sqlite:///{_scratch / 'bench.sqlite3'}"
)
os.environ["DJANGO_SETTINGS_MODULE"] = "clinic.settings"
os.environ["DJANGO_DEBUG"] = "1"  # static files without a collectstatic manifest

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from screening import demo, services  # noqa: E402
from screening.models import Intake  # noqa: E402

SMALL = 1_000
QUEUE_TARGET = 1.5
PER_DAY = 40


def median_ms(client: Client, url: str, requests: int) -> float:
    client.get(url)  # warm-up
    samples = []
    for _ in range(requests):
        reset_queries()
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples)


def measure(client: Client, detail_url: str, requests: int) -> dict[str, float]:
    return {
        "baseline": median_ms(client, reverse("healthz"), requests),
        "queue": median_ms(client, reverse("review:queue"), requests),
        "detail": median_ms(client, detail_url, requests),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    practitioner = services.staff_create(
        username="bench-practitioner",
        role="practitioner",
        password=secrets.token_urlsafe(16),
        validate=False,
    )
    today = timezone.localdate()
    client = Client()
    client.force_login(practitioner)
    # Signed in as in production: the session has passed the second factor, so every request
    # also loads the verified device (django-otp's middleware).
    device = TOTPDevice.objects.create(user=practitioner, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    started = time.perf_counter()
    demo.generate_intakes(
        SMALL, practitioners=[practitioner], focus_day=today, per_focus_day=PER_DAY
    )
    flagged = (
        Intake.objects.filter(status="submitted", latest_flag_count__gt=0)
        .order_by("-latest_flag_count")
        .first()
    )
    detail_url = reverse("review:intake", args=[flagged.public_id])
    small = measure(client, detail_url, args.requests)

    demo.generate_intakes(
        args.total - SMALL,
        practitioners=[practitioner],
        focus_day=today,
        per_focus_day=0,
        seed=2,
    )
    generated = time.perf_counter() - started
    large = measure(client, detail_url, args.requests)

    print(
        f"review pages ({os.environ['DATABASE_URL'].split(':')[0]}, "
        f"{PER_DAY} intakes on the queue's day; data generated in {generated:.0f} s)"
    )
    for label, figures in ((f"{SMALL:,}", small), (f"{args.total:,}", large)):
        print(
            f"  {label:>8} intakes: baseline /healthz {figures['baseline']:.1f} ms; "
            f"queue {figures['queue']:.1f} ms ({figures['queue'] / figures['baseline']:.1f}x); "
            f"detail {figures['detail']:.1f} ms ({figures['detail'] / figures['baseline']:.1f}x)"
        )
    ratio = large["queue"] / small["queue"]
    detail_ratio = large["detail"] / small["detail"]
    verdict = "PASS" if ratio <= QUEUE_TARGET else "FAIL"
    print(
        f"  queue at {args.total:,} / at {SMALL:,}: {ratio:.2f}x (target <= {QUEUE_TARGET}x): "
        f"{verdict}; detail: {detail_ratio:.2f}x"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
