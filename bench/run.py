"""`make bench`: run every benchmark script; exit non-zero if any misses its target."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = (
    "bench_screening.py",
    "bench_documents.py",
    "bench_review.py",
    "bench_patient_pages.py",
    "bench_wizard.py",
    "bench_safety_report.py",
)


def main() -> int:
    failed = []
    for script in SCRIPTS:
        print(f"== {script}", flush=True)
        if subprocess.run([sys.executable, str(HERE / script)], check=False).returncode != 0:
            failed.append(script)
    print(
        "== all benchmarks met their targets" if not failed else f"== missed: {', '.join(failed)}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
