"""bench/bench_safety_report.py still runs end to end (tiny sizes, throw-away SQLite files):
both clinics are generated, every timed request answers 200 and the summary prints the ratio
and its verdict. The figures themselves are not judged here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import own_sqlite_database

ROOT = Path(__file__).resolve().parent.parent
TINY = {
    "BENCH_SAFETY_SMALL": "20",
    "BENCH_SAFETY_LARGE": "60",
    "BENCH_SAFETY_ROUNDS": "1",
    "BENCH_SAFETY_REQUESTS": "1",
}


@own_sqlite_database
def test_the_safety_report_bench_runs_end_to_end():
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "BENCH_")) and k != "DATABASE_URL"
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_safety_report.py")],
        cwd=ROOT,
        env={**env, **TINY},
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr

    assert result.returncode in (0, 1), output
    assert "Traceback" not in output, output
    assert "clinic safety report" in output
    assert " treatments (" in output
    assert "PASS" in output or "MISS" in output
