"""bench/bench_wizard.py still runs end to end (tiny sizes, a throw-away SQLite file): both
Gunicorns start and stop, the patients' and the desk's sessions are made through the real flows,
every request answers as expected and the summary names every target. The figures themselves
are not judged here: on a busy machine they may miss, which the script reports with exit 1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import own_sqlite_database

ROOT = Path(__file__).resolve().parent.parent
TINY = {
    "BENCH_WIZARD_PATIENTS": "4",
    "BENCH_WIZARD_ROUNDS": "1",
    "BENCH_WIZARD_SECONDS": "0.5",
    "BENCH_WIZARD_CONNECTIONS": "2",
    "BENCH_WIZARD_LATENCY_ROUNDS": "1",
    "BENCH_WIZARD_IDLE_SECONDS": "0.5",
    "BENCH_WIZARD_BURSTS": "1",
    "BENCH_WIZARD_PRINTS": "2",
    "BENCH_WIZARD_COLD_BURSTS": "1",
    "BENCH_WIZARD_FIRST_PRINT_ROUNDS": "1",
    "BENCH_WIZARD_WARM_PRINTS": "1",
}
LABELS = (
    "step GET req/s / bare",
    "step POST req/s / bare",
    "wizard p95 printing / idle",
    "first print / warm print",
    "SQL statements per step GET",
    "SQL statements per step POST",
)


@own_sqlite_database
def test_the_wizard_bench_runs_end_to_end():
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "GUNICORN_", "BENCH_")) and k != "DATABASE_URL"
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_wizard.py")],
        cwd=ROOT,
        env={**env, **TINY},
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr

    assert result.returncode in (0, 1), output
    assert "Traceback" not in output, output
    assert "unexpected answers" not in output, output
    summary = output[output.index("summary (") :]
    for label in LABELS:
        assert label in summary, output
    # The prints went to the staff service; the shared-service and health-check figures beside.
    assert "the staff service on :" in output, output
    for label in ("(info) printing, one service", "(info) 10 health checks"):
        assert label in summary, output
    assert "PASS" in summary or "MISS" in summary
