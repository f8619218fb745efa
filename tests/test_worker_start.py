"""gunicorn.conf.py's ``post_worker_init``, as each worker runs it after loading the app: the
PDF renderer is warmed up, then what was loaded is set aside from the garbage collector."""

import json

from tests.test_settings import run_manage

# A worker's start, in a process of its own (freezing the collector is for the whole process),
# run by ``manage.py shell`` once Django is set up.
SCRIPT = """
import gc, json, runpy
hooks = runpy.run_path("gunicorn.conf.py")

class Log:
    def exception(self, message):
        print(json.dumps({"logged": message}))

class Worker:
    log = Log()

before = gc.get_freeze_count()
hooks["post_worker_init"](Worker())
print(json.dumps({"before": before, "after": gc.get_freeze_count(),
                  "weasyprint": "weasyprint" in __import__("sys").modules}))
"""


def test_a_worker_warms_up_the_renderer_then_freezes_what_it_loaded():
    result = run_manage("shell", "-c", SCRIPT)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    report = lines[-1]

    assert not any("logged" in line for line in lines), lines  # the warm-up did not fail
    assert report["weasyprint"] is True
    assert report["before"] == 0
    # Tens of thousands of objects (Django, the app, WeasyPrint and its fonts) are set aside.
    assert report["after"] > 50_000, report
