"""Benchmark: the patient's wizard under Gunicorn, beside a bare Django view, with and without
the front desk printing, plus the SQL statements of one step.

Production as deployed: ``gunicorn -c gunicorn.conf.py clinic.wsgi`` with 2 sync workers, debug
off, two-step staff sign-in on, persistent database connections (on PostgreSQL with statements
prepared on the server: ``DATABASE_PREPARED_STATEMENTS=0`` measures without), background tasks
on the ``database`` backend (production's default; no ``db_worker`` runs, so a cleared intake's
consent is stored only when this bench prepares it, through ``services.prepared`` as the task
does, or when a print renders it on a miss). That is the patients' service; the staff pages (the
desk's prints among them) go to a second Gunicorn of the same app with 2 sync workers, the staff
service, as the proxy of ``deploy/nginx.conf`` routes them (here the bench sends each request to
its service's port itself), at the lower processor priority ``deploy/systemd`` gives it (its
CPUWeight, a fifth of the patients' service's, as nice 7: the processes' and, where Linux groups
processes by session, their autogroup's; see ``_lower_priority``). Beside them, on another
loopback port, the baseline: a bare Django view under Gunicorn with 2 sync workers
(``bench/bare_app.py``: one view, no middleware, no database). All are started on ports chosen
free at runtime and always stopped (their process groups) at the end.

Sessions: each of ``BENCH_WIZARD_PATIENTS`` patients has its own verified session, made through
the real flow (the invitation link, then the date-of-birth form with the CSRF token of the page
and cookie); the desk signs in with its password and an authenticator code.

Load generator: the throughput windows use wrk when it is installed (a Lua script cycles through
the patients' requests and counts any other status than the expected one); otherwise, and for
the latencies (which need each request's start and end), a bounded Python client: processes of
threads, a new loopback connection per request (Gunicorn's sync workers close every connection,
so keep-alive buys nothing), for a fixed duration. Either shares the machine's cores with the
servers and costs the bare view (the cheapest request) the most, so the ratios lean in the
app's favour.

Measured, every figure against a baseline from the same run on the same machine, in
interleaved rounds, medians of the rounds:
1. Throughput: a wizard page (GET) and a valid page of answers (POST, "Next") against the bare
   view's req/s. Targets: GET at least 10 %, POST at least 7 %.
2. Wizard p95 latency (GET and POST alternating) while the desk prints consent forms 10 at once
   on the staff service (bursts of concurrent prints of cleared intakes whose consent was
   prepared ahead, as production serves them), against the idle p95 of the same load; the
   printing p95 counts the wizard requests in flight during a burst. Target: at most 2x. For
   information, once each: the same bursts sent to the patients' service (one service for
   everyone), bursts of 10 health checks to the staff service instead of prints (what any ten
   concurrent requests cost the wizard on this machine, whose cores the load generator shares),
   and prints of intakes nothing was prepared for (each print renders and stores).
3. A worker's first print against a warm one: Gunicorn restarted with 1 worker, the first print
   of an intake whose consent is not stored, then prints of other such intakes (each renders,
   so the comparison isolates the worker's warm-up). Target: at most 2x.
4. SQL statements per step GET and POST, counted in-process with Django's test client and
   ``CaptureQueriesContext`` after warm-up requests (every statement it sees: BEGIN, COMMIT and
   savepoints included), with their first words and tables. Targets: at most 4 per GET, 7 per
   POST. For information, the statements traced on the connection itself, with the reused
   connection's health check that a request under Gunicorn starts with and the test client
   skips (it sends SELECT 1 only when the server has said something on the idle connection:
   clinic/postgresql/base.py).

Usage: .venv/bin/python bench/bench_wizard.py
Database: ``BENCH_DATABASE_URL`` or ``DATABASE_URL`` when PostgreSQL (the database name must
contain "bench": the bench adds patients, staff and an audit trail that cannot be deleted), else
a throw-away SQLite file. Environment knobs (the defaults take 2 to 3 minutes on 2 cores):
BENCH_WIZARD_PATIENTS (200), BENCH_WIZARD_ROUNDS (3), BENCH_WIZARD_SECONDS (3) per throughput
window, BENCH_WIZARD_CONNECTIONS (8), BENCH_WIZARD_LATENCY_ROUNDS (4),
BENCH_WIZARD_LATENCY_CLIENTS (2), BENCH_WIZARD_IDLE_SECONDS (2), BENCH_WIZARD_BURSTS (6) per
busy window, BENCH_WIZARD_PRINTS (10) per burst, BENCH_WIZARD_COLD_BURSTS (1; 0 skips),
BENCH_WIZARD_FIRST_PRINT_ROUNDS (3), BENCH_WIZARD_WARM_PRINTS (2), BENCH_WIZARD_PROFILE (0; 1
prints a cProfile of step GETs and POSTs in-process). Exits 1 when a target is missed or a
request answered something unexpected.
"""

from __future__ import annotations

import gzip
import http.client
import json
import logging
import math
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))


def _env_number(name: str, default, cast=int):
    raw = os.environ.get(name, "").strip()
    return cast(raw) if raw else default


PATIENTS = _env_number("BENCH_WIZARD_PATIENTS", 200)
ROUNDS = _env_number("BENCH_WIZARD_ROUNDS", 3)
SECONDS = _env_number("BENCH_WIZARD_SECONDS", 3.0, float)
CONNECTIONS = _env_number("BENCH_WIZARD_CONNECTIONS", 8)
LATENCY_ROUNDS = _env_number("BENCH_WIZARD_LATENCY_ROUNDS", 4)
LATENCY_CLIENTS = _env_number("BENCH_WIZARD_LATENCY_CLIENTS", 2)
IDLE_SECONDS = _env_number("BENCH_WIZARD_IDLE_SECONDS", 2.0, float)
BURSTS = _env_number("BENCH_WIZARD_BURSTS", 6)
PRINTS = _env_number("BENCH_WIZARD_PRINTS", 10)
COLD_BURSTS = _env_number("BENCH_WIZARD_COLD_BURSTS", 1)
FIRST_PRINT_ROUNDS = _env_number("BENCH_WIZARD_FIRST_PRINT_ROUNDS", 3)
WARM_PRINTS = _env_number("BENCH_WIZARD_WARM_PRINTS", 2)
PROFILE = _env_number("BENCH_WIZARD_PROFILE", 0)
BURST_GAP = 0.05  # seconds between two bursts of prints

TARGET_GET_SHARE = 0.10
TARGET_POST_SHARE = 0.07
TARGET_PRINT_P95 = 2.0
TARGET_FIRST_PRINT = 2.0
TARGET_GET_STATEMENTS = 4
TARGET_POST_STATEMENTS = 7

STEP = ("bleeding", 1)  # the wizard page measured: two questions with follow-ups
CLIENT_PROCESSES = 2
WORKERS = 2
STAFF_WORKERS = 2  # the staff service of deploy/nginx.conf, as the README sets it up
# And its lower processor priority: deploy/systemd gives it CPUWeight=20 against the patients'
# 100; nice 7 weighs 215 against nice 0's 1024 in the kernel's table, the same fifth.
STAFF_NICE = 7

# ---------------------------------------------------------------------------------------------
# The environment: production settings for this process (data set-up, statement counts) and for
# the Gunicorn it starts. Set by main() before Django is imported; importing this module changes
# nothing.

_scratch = Path(tempfile.gettempdir())  # main() makes a throw-away directory
DATABASE_URL = ""


def database_url() -> str:
    """The configured PostgreSQL database, or "" for a throw-away SQLite file (a configured
    SQLite file is never written to: it is the development database)."""
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    return url if url.startswith("postgres") else ""


def configure_environment() -> None:
    global _scratch, DATABASE_URL
    _scratch = Path(tempfile.mkdtemp(prefix="bench-wizard-"))
    DATABASE_URL = database_url() or f"sqlite:///{_scratch / 'bench.sqlite3'}"
    for name in list(os.environ):
        if name.startswith(("DJANGO_", "GUNICORN_")):
            del os.environ[name]
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "clinic.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_TASKS_BACKEND": "database",
            "DJANGO_STATIC_ROOT": str(_scratch / "static"),
            "DJANGO_LOG_LEVEL": "WARNING",
            "DATABASE_URL": DATABASE_URL,
            # Gunicorn 25+ opens a control socket under $XDG_RUNTIME_DIR (else $HOME), shared
            # by every run.
            "XDG_RUNTIME_DIR": str(_scratch),
        }
    )


# ---------------------------------------------------------------------------------------------
# HTTP: a raw client for the load (cheap per request) and a cookie-keeping one for set-up.


def _exchange(port: int, request: bytes, timeout: float = 120) -> tuple[int, bytes]:
    """Send one request on a new connection and read the response until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            chunk = sock.recv(262144)
            if not chunk:
                break
            chunks.append(chunk)
    data = b"".join(chunks)
    status = int(data[9:12]) if data[:7] == b"HTTP/1." and data[9:12].isdigit() else 0
    return status, data


def _is_pdf(status: int, data: bytes) -> bool:
    """A 200 carrying a PDF (compressed when the app compressed it, as it does for a browser)."""
    head, _, body = data.partition(b"\r\n\r\n")
    if status != 200 or b"application/pdf" not in head.lower():
        return False
    if b"content-encoding: gzip" in head.lower():
        body = gzip.decompress(body)
    return body[:5] == b"%PDF-"


def _request(method: str, path: str, cookies: str = "", body: str = "") -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Accept-Encoding: gzip, br",  # as a phone's browser sends it
        "Connection: close",
    ]
    if cookies:
        lines.append(f"Cookie: {cookies}")
    if method == "POST":
        lines += [
            "Content-Type: application/x-www-form-urlencoded",
            f"Content-Length: {len(body.encode())}",
        ]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


@dataclass
class Browser:
    """Requests with cookies, no redirects followed; production's secure cookies are sent back
    over plain HTTP, as the HTTPS proxy in front would."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method, path, data=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = self.cookie_header
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.msg.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            self.cookies.update({name: morsel.value for name, morsel in cookie.items()})
        connection.close()
        return response, text


def _csrf_token(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if match is None:
        raise SystemExit("no CSRF token on the page:\n" + page[:2000])
    return match.group(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# Servers


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log: Path


def _lower_priority(pid: int, nice: int) -> str:
    """The autogroup half of a lower priority, for a process started in its own session with
    ``nice`` (as deploy/systemd's CPUWeight gives the staff service); returns how.

    Where the kernel groups processes by session (Linux's autogroup scheduling), a process's
    nice value weighs only against its own group, and it is the group's that weighs against
    the patients' service, like a service's CPUWeight under systemd: both are set."""
    ways = [f"nice {nice}"]
    autogroup = Path(f"/proc/{pid}/autogroup")
    enabled = Path("/proc/sys/kernel/sched_autogroup_enabled")
    if autogroup.exists() and enabled.exists() and enabled.read_text().strip() == "1":
        try:
            autogroup.write_text(str(nice))
            ways.append(f"its autogroup's nice {nice}")
        except OSError as exc:
            ways.append(f"its autogroup unchanged ({exc.strerror})")
    return " and ".join(ways)


def _start(name: str, args, cwd: Path, env: dict, health: str, nice: int = 0) -> tuple[Server, str]:
    """Start Gunicorn (``args(port)``) and wait until ``health`` answers 200; with ``nice``, at
    that lower processor priority (returned: how it was set). Its own session and process
    group: stopped with all its workers."""
    port = _free_port()
    log = _scratch / f"{name}.log"
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    with log.open("w") as out:
        process = subprocess.Popen(
            [*(["nice", "-n", str(nice)] if nice else []), gunicorn, *args(port)],
            cwd=cwd,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with all its workers
        )
    server = Server(name, port, process, log)
    priority = _lower_priority(process.pid, nice) if nice else "normal priority"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited:\n{log.read_text()[-4000:]}")
        try:
            status, _ = _exchange(port, _request("GET", health), timeout=5)
        except OSError:
            time.sleep(0.05)
            continue
        if status == 200:
            return server, priority
        time.sleep(0.05)
    _stop(server)
    raise SystemExit(f"{name} did not answer {health} in 60 s:\n{log.read_text()[-4000:]}")


def start_app(workers: int, nice: int = 0) -> tuple[Server, str]:
    env = {**os.environ, "GUNICORN_WORKERS": str(workers)}
    return _start(
        f"app-{workers}w-{time.monotonic_ns()}",
        lambda port: ["-c", "gunicorn.conf.py", "clinic.wsgi"],
        ROOT,
        env,
        "/healthz",
        nice,
    )


def start_bare() -> tuple[Server, str]:
    # Its own minimal settings; the app's are not imported. Gunicorn's defaults (no access log).
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return _start(
        "bare",
        lambda port: [
            *("--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}"),
            *("--no-control-socket", "bare_app:application"),
        ],
        HERE,
        env,
        "/",
    )


def _stop(server: Server | None) -> None:
    if server is None or server.process.poll() is not None:
        return
    try:
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()


# ---------------------------------------------------------------------------------------------
# Load: processes of threads, each thread cycling through its own requests until a deadline
# (or a stop event); every request's (start, end, as expected, status) on the monotonic clock,
# which all processes share.

Sample = tuple  # (start, end, ok, status)


def _drive_process(port, plans, stop_at, stop_event, pipe):
    samples: list[list] = [[] for _ in plans]

    def run(k):
        requests, out, i = plans[k], samples[k], 0
        while time.monotonic() < stop_at and not (stop_event and stop_event.is_set()):
            request, expected = requests[i % len(requests)]
            i += 1
            start = time.monotonic()
            try:
                status, _ = _exchange(port, request)
            except OSError:
                status = -1
            out.append((start, time.monotonic(), status == expected, status))

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(plans))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pipe.send([s for per in samples for s in per])
    pipe.close()


def drive(port, plans, processes, seconds, stop_event=None, started=None) -> list[Sample]:
    """Run ``plans`` (one list of (request, expected status) per connection) over
    ``processes`` processes for ``seconds`` (or until ``stop_event``)."""
    context = multiprocessing.get_context("fork")
    stop_at = time.monotonic() + seconds
    groups = [plans[p::processes] for p in range(processes) if plans[p::processes]]
    children = []
    for group in groups:
        receive, send = context.Pipe(duplex=False)
        child = context.Process(
            target=_drive_process, args=(port, group, stop_at, stop_event, send)
        )
        child.start()
        send.close()
        children.append((child, receive))
    if started is not None:
        started.set()
    samples = []
    for child, receive in children:
        samples.extend(receive.recv())
        child.join()
    return samples


def _print_process(port, cookies, bursts, pipe):
    """Bursts of concurrent prints (one thread per print), one after another. A print answers
    a PDF; any other path (the health check) 200."""
    record = []
    for paths in bursts:
        results = [None] * len(paths)

        def one(k, path, results=results):
            start = time.monotonic()
            try:
                status, data = _exchange(port, _request("GET", path, cookies))
            except OSError:
                status, data = -1, b""
            ok = _is_pdf(status, data) if path.endswith(".pdf") else status == 200
            results[k] = (start, time.monotonic(), ok, status)

        threads = [threading.Thread(target=one, args=(k, p)) for k, p in enumerate(paths)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        record.append(results)
        time.sleep(BURST_GAP)
    pipe.send(record)
    pipe.close()


def printing(port, cookies, bursts, wizard_port, wizard_plans) -> tuple[list, list]:
    """The wizard load while the desk prints ``bursts``; returns (wizard samples, bursts)."""
    context = multiprocessing.get_context("fork")
    stop, started = context.Event(), threading.Event()
    result = {}

    def wizard():
        result["samples"] = drive(wizard_port, wizard_plans, 1, 600, stop, started)

    runner = threading.Thread(target=wizard)
    runner.start()
    started.wait()
    time.sleep(0.2)  # the wizard load is running before the first burst
    receive, send = context.Pipe(duplex=False)
    printer = context.Process(target=_print_process, args=(port, cookies, bursts, send))
    printer.start()
    send.close()
    record = receive.recv()
    printer.join()
    time.sleep(0.1)
    stop.set()
    runner.join()
    return result["samples"], record


def p95(values) -> float:
    """Nearest-rank 95th percentile (NaN for no values)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def during_bursts(samples, record) -> list[Sample]:
    """The wizard requests in flight at some moment of a burst of prints."""
    spans = [(min(r[0] for r in burst), max(r[1] for r in burst)) for burst in record]
    return [s for s in samples if any(s[0] < end and s[1] > start for start, end in spans)]


def throughput(samples) -> float:
    ok = [s for s in samples if s[2]]
    if not ok:
        return 0.0
    return len(ok) / (max(s[1] for s in ok) - min(s[0] for s in ok))


# wrk, when installed, for the throughput windows: a Lua script cycles through the patients'
# prepared requests (one per patient, their cookies and CSRF token in it) and counts answers
# other than the expected status, which wrk itself would count as successes (a 302 to the
# date-of-birth page for a lost session, say).
WRK_SCRIPT = """
local prepared = {%(requests)s}
local expected = %(expected)d
local threads, counter = {}, 0
function setup(thread)
  thread:set("offset", counter * 7919)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  n = offset
  unexpected = 0
end
function request()
  n = n + 1
  return prepared[(n %% #prepared) + 1]
end
function response(status, headers, body)
  if status ~= expected then unexpected = unexpected + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("unexpected") end
  local e = summary.errors
  io.write(string.format("BENCH_WRK %%d %%d %%d\\n", summary.requests, summary.duration,
    bad + e.connect + e.read + e.write + e.timeout))
end
"""


def _lua_string(data: bytes) -> str:
    parts = []
    for byte in data:
        if byte in b'\\"' or not 32 <= byte < 127:
            parts.append(f"\\{byte:03d}")  # Lua's decimal escape
        else:
            parts.append(chr(byte))
    return '"' + "".join(parts) + '"'


def run_wrk(wrk: str, port: int, requests: list[bytes], expected: int, seconds: float):
    """(req/s answered as expected, unexpected answers and socket errors) from one wrk run."""
    script = _scratch / "wizard.lua"
    script.write_text(
        WRK_SCRIPT % {"requests": ",\n".join(map(_lua_string, requests)), "expected": expected}
    )
    result = subprocess.run(
        [
            *(wrk, "-t", str(CLIENT_PROCESSES), "-c", str(CONNECTIONS)),
            *("-d", f"{max(1, round(seconds))}s", "--timeout", "30s", "-s", str(script)),
            f"http://127.0.0.1:{port}/",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    match = re.search(r"^BENCH_WRK (\d+) (\d+) (\d+)$", result.stdout, re.MULTILINE)
    if result.returncode != 0 or match is None:
        raise SystemExit(f"wrk failed:\n{result.stdout}{result.stderr}")
    answered, micros, unexpected = (int(group) for group in match.groups())
    return (answered - unexpected) / (micros / 1e6), unexpected


class Failures:
    """Requests that answered something else than expected: the bench fails on any."""

    def __init__(self):
        self.by_phase: dict[str, dict] = {}

    def note(self, phase: str, samples) -> None:
        for sample in samples:
            if not sample[2]:
                counts = self.by_phase.setdefault(phase, {})
                counts[sample[3]] = counts.get(sample[3], 0) + 1


# ---------------------------------------------------------------------------------------------
# Data, made through the app's services in this process (production settings, same database).


@dataclass
class Data:
    tokens: list[tuple[str, str, str]]  # (token, public id, date of birth iso) per patient
    count_intake: tuple[str, str, str]  # the same, for the in-process statement counts
    prepared: list[str]  # public ids of cleared intakes whose consent is stored
    cold: list[str]  # public ids of cleared intakes with nothing stored
    desk_username: str
    desk_password: str
    desk_key: str


def make_data() -> Data:
    import datetime

    from django.test.utils import override_settings
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from screening import services
    from screening.models import ClinicSettings, Intake, RenderedDocument
    from screening.roles import Role
    from screening.services import prepared as prepared_docs
    from tests.conftest import make_patient
    from tests.factories import make_submitted_intake, resolve_and_clear, set_plan

    run = secrets.token_hex(3)
    clinic = ClinicSettings.load()
    clinic.name = "Riverside Physiotherapy"
    clinic.address = "12 Mill Lane\nRiverside RV1 2AB"
    clinic.phone = "01234 567 890"
    clinic.save()

    desk_password, desk_key = secrets.token_urlsafe(18), secrets.token_hex(20)
    desk = services.staff_create(
        username=f"bench-desk-{run}", role=Role.FRONT_DESK, password=desk_password, validate=False
    )
    TOTPDevice.objects.create(user=desk, name="Authenticator app", key=desk_key, confirmed=True)
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        practitioner = services.staff_create(  # never signs in: a cheap hash
            username=f"bench-prac-{run}",
            role=Role.PRACTITIONER,
            password=secrets.token_urlsafe(18),
            first_name="Priya",
            last_name="Shah",
            profession="Physiotherapist",
            registration_number="HCPC PH123456",
            validate=False,
        )

    appointment = timezone.now() + datetime.timedelta(hours=2)

    def invited(n: int) -> tuple[str, str, str]:
        birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=37 * n + 11)
        intake = services.intake_create(
            actor=desk,
            full_name=f"Bench Patient {run} {n:04d}",
            date_of_birth=birth,
            appointment_at=appointment,
            practitioner=practitioner,
        )
        token = services.link_issue(actor=desk, intake=intake).token
        return token, str(intake.public_id), birth.isoformat()

    tokens = [invited(n) for n in range(PATIENTS)]
    count_intake = invited(PATIENTS)

    def cleared(n: int) -> str:
        patient = make_patient(
            full_name=f"Bench Cleared {run} {n:04d}",
            date_of_birth=datetime.date(1960, 1, 1) + datetime.timedelta(days=41 * n),
        )
        intake = make_submitted_intake(patient=patient, practitioner=practitioner)
        set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
        intake = resolve_and_clear(intake, practitioner)
        assert intake.status == Intake.Status.REVIEWED, intake.status
        return str(intake.public_id)

    ready = [cleared(n) for n in range(PRINTS)]
    for public_id in ready:
        # Only the consent is printed here: its rendering is stored ahead (the row the task
        # stores; its aftercare sheet, which nothing here prints, is left out to save time).
        intake = Intake.objects.select_related("patient", "practitioner").get(public_id=public_id)
        prepared_docs.document_bytes(intake, RenderedDocument.Kind.CONSENT)
    cold_count = COLD_BURSTS * PRINTS + FIRST_PRINT_ROUNDS * (1 + WARM_PRINTS)
    cold = [cleared(PRINTS + n) for n in range(cold_count)]
    stored = RenderedDocument.objects.filter(intake__public_id__in=cold).count()
    assert stored == 0, f"{stored} documents of the not-prepared intakes are stored"
    return Data(tokens, count_intake, ready, cold, desk.username, desk_password, desk_key)


def write_static_manifest(static_root: Path) -> None:
    """The manifest production's static storage reads, naming each file as itself (as
    tests/test_gunicorn_logs.py does): collectstatic would compress every vendored file for
    most of a minute, and WhiteNoise serves from the finders anyway."""
    from django.contrib.staticfiles import finders

    names = {
        path.replace(os.sep, "/")
        for finder in finders.get_finders()
        for path, _storage in finder.list([])
    }
    static_root.mkdir(parents=True, exist_ok=True)
    manifest = {"paths": {name: name for name in names}, "version": "1.1", "hash": ""}
    (static_root / "staticfiles.json").write_text(json.dumps(manifest), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# SQL statements per step, in-process.

_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE|TABLE)\s+"?(\w+)"?', re.IGNORECASE)
_FUNCTION = re.compile(r"^\s*SELECT\s+(\w+)\s*\(", re.IGNORECASE)


def _describe(sql: str) -> str:
    """First word and table (or the function a bare SELECT calls)."""
    words = sql.split(None, 1)
    first = words[0].upper() if words else "?"
    if first in ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK"):
        return first
    # The outer statement's table: a subquery in the select list (the clinic settings' time
    # of change beside the patient's link) names its table first.
    outer = re.sub(r"\(SELECT\b[^()]*(\([^()]*\)[^()]*)*\)", "()", sql, flags=re.IGNORECASE)
    found = _TABLE.search(outer) or _FUNCTION.search(outer)
    tables = [m.group(1) for m in _TABLE.finditer(sql)]
    extra = sorted(set(tables) - {found.group(1)}) if found else []
    described = f"{first} {found.group(1)}" if found else first
    return described + (f" (with {', '.join(extra)})" if extra else "")


class WireTrace:
    """Every statement the database receives on Django's connection, below Django: SQLite's
    trace callback, or libpq's protocol trace on PostgreSQL (each CommandComplete)."""

    def __init__(self, connection):
        self.connection = connection
        self.statements: list[str] = []
        self.available = True
        self._file = None
        self._raw = None

    def __enter__(self):
        self.connection.ensure_connection()
        raw = self._raw = self.connection.connection
        if self.connection.vendor == "sqlite":
            raw.set_trace_callback(self.statements.append)
        else:
            try:
                from psycopg import pq

                self._file = tempfile.TemporaryFile()
                raw.pgconn.trace(self._file.fileno())
                raw.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
            except Exception:  # noqa: BLE001 - an older libpq or driver: reported as unavailable
                self.available = False
        return self

    def __exit__(self, *exc):
        raw = self._raw
        if self.connection.vendor == "sqlite":
            raw.set_trace_callback(None)
        elif self._file is not None:
            raw.pgconn.untrace()
            self._file.seek(0)
            for line in self._file.read().decode("utf-8", "replace").splitlines():
                parts = line.split("\t")
                if len(parts) >= 4 and parts[0] == "B" and parts[2] == "CommandComplete":
                    self.statements.append(parts[3].strip().strip('"'))
                elif len(parts) >= 3 and parts[0] == "B" and parts[2] == "ErrorResponse":
                    self.statements.append("ERROR")
            self._file.close()


def _first_words(statements) -> str:
    counts: dict[str, int] = {}
    for statement in statements:
        word = statement.split(None, 1)[0].upper() if statement.strip() else "?"
        counts[word] = counts.get(word, 0) + 1
    return ", ".join(f"{word} {n}" for word, n in counts.items())


def count_statements(data: Data) -> dict:
    from django.db import close_old_connections, connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from tests.conftest import make_step_data

    token, public_id, birth = data.count_intake
    year, month, day = (int(part) for part in birth.split("-"))
    client = Client(SERVER_NAME="127.0.0.1")
    assert client.get(reverse("patient:open", args=[token])).status_code == 302
    response = client.post(
        reverse("patient:verify", args=[public_id]), {"day": day, "month": month, "year": year}
    )
    assert response.status_code == 302, response.status_code
    url = _step_path(public_id)
    answers = make_step_data(STEP[0])

    def measure(method, seen):
        traced = isinstance(seen, WireTrace)
        if traced:
            close_old_connections()  # a connection past DATABASE_CONN_MAX_AGE is replaced now
            connection.ensure_connection()
        with seen:
            if traced:
                # What a request under Gunicorn starts with and Django's test client skips:
                # on reuse, the persistent connection's health check (clinic/postgresql).
                close_old_connections()
            response = client.get(url) if method == "GET" else client.post(url, answers)
        expected = 200 if method == "GET" else 302
        assert response.status_code == expected, (method, response.status_code)
        return seen

    # Warm-up: the first requests after the identity check stamp the session's refresh time.
    measure("GET", CaptureQueriesContext(connection))
    measure("POST", CaptureQueriesContext(connection))
    result = {}
    for method in ("GET", "POST"):
        runs = [
            [q["sql"] for q in measure(method, CaptureQueriesContext(connection)).captured_queries]
            for _ in range(3)
        ]
        # Traced on its own request: on SQLite the capture itself sends SELECT QUOTE(...) to
        # render each statement's parameters for its log.
        wire = measure(method, WireTrace(connection))
        result[method] = {
            "count": max(len(sql) for sql in runs),
            "counts": [len(sql) for sql in runs],
            "statements": [_describe(sql) for sql in runs[-1]],
            "wire": wire.statements if wire.available else None,
        }
    return result


def _step_path(public_id: str) -> str:
    from django.urls import reverse

    section, page = STEP
    if page == 1:
        return reverse("patient:step", args=[public_id, section])
    return reverse("patient:page", args=[public_id, section, page])


def profile_steps(data: Data) -> None:
    """cProfile of step GETs and POSTs through the test client (BENCH_WIZARD_PROFILE=1)."""
    import cProfile
    import io
    import pstats

    from django.test import Client
    from django.urls import reverse

    from tests.conftest import make_step_data

    token, public_id, birth = data.count_intake
    year, month, day = (int(part) for part in birth.split("-"))
    client = Client(SERVER_NAME="127.0.0.1")
    client.get(reverse("patient:open", args=[token]))
    client.post(
        reverse("patient:verify", args=[public_id]), {"day": day, "month": month, "year": year}
    )
    url, answers = _step_path(public_id), make_step_data(STEP[0])
    for method, call in (
        ("GET", lambda: client.get(url)),
        ("POST", lambda: client.post(url, answers)),
    ):
        call()
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(100):
            call()
        profiler.disable()
        elapsed = (time.perf_counter() - started) * 10
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(r"screening|crispy|django/(template|forms|db/models/sql)", 30)
        print(
            f"\nprofile: step {method}, 100 requests in-process, {elapsed:.1f} ms each (profiled)"
        )
        print("\n".join(out.getvalue().splitlines()[6:45]))


# ---------------------------------------------------------------------------------------------
# Sessions through the real flows


def desk_sign_in(port: int, data: Data) -> str:
    from django_otp.oath import totp

    desk = Browser(port)
    response, page = desk.request("GET", "/accounts/login/")
    assert response.status == 200, response.status
    response, _ = desk.request(
        "POST",
        "/accounts/login/",
        {
            "username": data.desk_username,
            "password": data.desk_password,
            "csrfmiddlewaretoken": _csrf_token(page),
        },
    )
    assert response.status == 302, f"sign-in refused ({response.status})"
    response, page = desk.request("GET", "/accounts/two-factor/")
    assert response.status == 200, response.status
    code = f"{totp(bytes.fromhex(data.desk_key)):06d}"
    response, _ = desk.request(
        "POST", "/accounts/two-factor/", {"code": code, "csrfmiddlewaretoken": _csrf_token(page)}
    )
    assert response.status == 302, f"the second factor was refused ({response.status})"
    return desk.cookie_header


@dataclass
class Patient:
    get: bytes
    post: bytes


def patient_sessions(port: int, data: Data) -> list[Patient]:
    """Each patient opens their link and confirms their date of birth (4 threads)."""
    from tests.conftest import make_step_data

    answers = make_step_data(STEP[0])
    sessions: list[Patient | None] = [None] * len(data.tokens)

    def open_one(k):
        token, public_id, birth = data.tokens[k]
        year, month, day = (int(part) for part in birth.split("-"))
        browser = Browser(port)
        response, _ = browser.request("GET", f"/i/{token}/")
        assert response.status == 302, f"link answered {response.status}"
        verify = urlsplit(response.getheader("Location")).path
        response, page = browser.request("GET", verify)
        assert response.status == 200, f"date-of-birth page answered {response.status}"
        response, _ = browser.request(
            "POST",
            verify,
            {"day": day, "month": month, "year": year, "csrfmiddlewaretoken": _csrf_token(page)},
        )
        assert response.status == 302, f"date of birth refused ({response.status})"
        # The CSRF cookie outlives the session's new key: the page's token serves the steps.
        step = _step_paths[public_id]
        body = urlencode({**answers, "csrfmiddlewaretoken": _csrf_token(page)})
        cookies = browser.cookie_header
        sessions[k] = Patient(_request("GET", step, cookies), _request("POST", step, cookies, body))

    indexes = iter(range(len(data.tokens)))
    lock = threading.Lock()
    errors = []

    def worker():
        while True:
            with lock:
                k = next(indexes, None)
            if k is None:
                return
            try:
                open_one(k)
            except Exception as exc:  # noqa: BLE001 - reported below, the run stops
                errors.append(exc)
                return

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"a patient session could not be made: {errors[0]!r}")
    return sessions


_step_paths: dict[str, str] = {}


# ---------------------------------------------------------------------------------------------


def main() -> int:
    import django

    started_at = time.monotonic()
    phases: dict[str, float] = {}
    url = database_url()
    if url.startswith("postgres") and "bench" not in urlsplit(url).path:
        raise SystemExit(
            "bench_wizard.py writes patients and an audit trail that cannot be deleted: point "
            "BENCH_DATABASE_URL or DATABASE_URL at a scratch database whose name contains 'bench'."
        )
    configure_environment()

    def phase_done(name):
        phases[name] = time.monotonic() - started_at - sum(phases.values())

    engine = DATABASE_URL.split(":", 1)[0]
    django.setup()
    logging.disable(logging.INFO)
    from django.core.management import call_command
    from django.db import connections
    from django.urls import reverse

    from screening.models import RenderedDocument

    wrk = shutil.which("wrk")
    servers: list[Server] = []
    failures = Failures()
    try:
        write_static_manifest(_scratch / "static")
        call_command("migrate", verbosity=0, interactive=False)
        phase_done("migrate")
        data = make_data()
        phase_done("data")
        for _token, public_id, _birth in [*data.tokens, data.count_intake]:
            _step_paths[public_id] = _step_path(public_id)
        print_paths = {
            public_id: reverse("desk:consent_pdf", args=[public_id])
            for public_id in [*data.prepared, *data.cold]
        }
        threshold = connections["default"].settings_dict["OPTIONS"].get("prepare_threshold")
        prepared_note = ""
        if engine.startswith("postgres"):
            prepared_note = (
                f"; statements prepared on the server after {threshold} uses per connection"
                if threshold
                else "; statements not prepared (DATABASE_PREPARED_STATEMENTS=0)"
            )
        print(
            f"wizard bench on {engine}: {PATIENTS} patients with a link, "
            f"{len(data.prepared)} cleared intakes prepared and {len(data.cold)} not, "
            f"made in {phases['data']:.0f} s; tasks backend: database (no db_worker)"
            + prepared_note
        )
        statements = count_statements(data)
        if PROFILE:
            profile_steps(data)
        phase_done("statements")
        prepared_before = sorted(
            RenderedDocument.objects.filter(intake__public_id__in=data.prepared).values_list(
                "pk", "created_at"
            )
        )
        connections.close_all()

        app, _ = start_app(WORKERS)
        servers.append(app)
        bare, _ = start_bare()
        servers.append(bare)
        # The staff service (deploy/nginx.conf sends /desk/ and the other staff pages there):
        # the same app under its own Gunicorn. Sessions live in the database, so the desk's
        # works on either service, as behind the proxy.
        staff, staff_priority = start_app(STAFF_WORKERS, STAFF_NICE)
        servers.append(staff)
        desk_cookies = desk_sign_in(staff.port, data)
        patients = patient_sessions(app.port, data)
        phase_done("sessions")
        print(
            f"Gunicorn: the patients' service on :{app.port} and bare Django on :{bare.port}, "
            f"{WORKERS} sync workers each; the staff service on :{staff.port}, {STAFF_WORKERS} "
            f"sync workers at a lower processor priority ({staff_priority}); {len(patients)} "
            "verified patient sessions and a signed-in desk"
        )
        print(
            "load generator: "
            + (
                f"wrk ({wrk}) for the throughput, the Python client for the latencies (they "
                "need each request's start and end)"
                if wrk
                else "wrk is not installed: a Python client"
            )
            + f"; {CLIENT_PROCESSES} {'threads' if wrk else 'processes'}, {CONNECTIONS} "
            "concurrent connections, a new connection per request (Gunicorn's sync workers "
            "close each one)"
        )

        # 1. Throughput, interleaved rounds.
        def connection_plans(kind):
            if kind == "bare":
                return [[(_request("GET", "/"), 200)] for _ in range(CONNECTIONS)]
            return [
                [(p.get, 200) if kind == "GET" else (p.post, 302) for p in patients[c::CONNECTIONS]]
                for c in range(CONNECTIONS)
            ]

        ports = {"bare": bare.port, "GET": app.port, "POST": app.port}
        kinds = ("bare", "GET", "POST")

        def rate_of(kind, seconds, phase):
            if wrk:
                plans = connection_plans(kind)
                expected = plans[0][0][1]
                rate, unexpected = run_wrk(
                    wrk, ports[kind], [r for plan in plans for r, _ in plan], expected, seconds
                )
                if unexpected:
                    failures.by_phase.setdefault(phase, {})["wrk"] = unexpected
                return rate
            samples = drive(ports[kind], connection_plans(kind), CLIENT_PROCESSES, seconds)
            failures.note(phase, samples)
            return throughput(samples)

        for kind in kinds:  # warm-up, not counted
            rate_of(kind, min(1.0, SECONDS), f"warm-up {kind}")
        rates: dict[str, list[float]] = {kind: [] for kind in kinds}
        for r in range(ROUNDS):
            for kind in kinds[r % 3 :] + kinds[: r % 3]:
                rates[kind].append(rate_of(kind, SECONDS, f"throughput {kind}"))
        rate = {kind: statistics.median(values) for kind, values in rates.items()}
        print("throughput (req/s per round):")
        for kind in kinds:
            print(f"  {kind:>5}: {', '.join(f'{v:,.0f}' for v in rates[kind])}")

        phase_done("throughput")

        # 2. Wizard latency, idle and while the desk prints, interleaved rounds.
        def wizard_plans():
            return [
                [r for p in patients[c::LATENCY_CLIENTS] for r in ((p.post, 302), (p.get, 200))]
                for c in range(LATENCY_CLIENTS)
            ]

        idle_p95s, busy_p95s, print_ms = [], [], []
        busy_counts = []
        warm_bursts = [[print_paths[i] for i in data.prepared]] * BURSTS

        def wizard_p95_during(port, bursts, phase):
            """The wizard p95 while ``bursts`` go to ``port``, and the requests it counts."""
            samples, record = printing(port, desk_cookies, bursts, app.port, wizard_plans())
            failures.note(f"wizard while {phase}", samples)
            failures.note(phase, [x for burst in record for x in burst])
            overlapping = [(s[1] - s[0]) * 1000 for s in during_bursts(samples, record)]
            return p95(overlapping), len(overlapping), record

        for r in range(LATENCY_ROUNDS):
            for phase in ("idle", "busy") if r % 2 == 0 else ("busy", "idle"):
                if phase == "idle":
                    samples = drive(app.port, wizard_plans(), 1, IDLE_SECONDS)
                    failures.note("wizard idle", samples)
                    ms = [(s[1] - s[0]) * 1000 for s in samples]
                    idle_p95s.append(p95(ms))
                else:
                    value, count, record = wizard_p95_during(
                        staff.port, warm_bursts, "prints (prepared)"
                    )
                    busy_counts.append(count)
                    busy_p95s.append(value)
                    print_ms += [(x[1] - x[0]) * 1000 for burst in record for x in burst]
        idle_p95, busy_p95 = statistics.median(idle_p95s), statistics.median(busy_p95s)
        print(
            "wizard latency, GET and POST alternating, "
            f"{LATENCY_CLIENTS} patients at a time (ms per round):"
        )
        print(f"  idle p95: {', '.join(f'{v:.1f}' for v in idle_p95s)}")
        print(
            f"  printing p95: {', '.join(f'{v:.1f}' for v in busy_p95s)} "
            f"({', '.join(map(str, busy_counts))} requests in flight during the "
            f"{BURSTS} bursts of {PRINTS} prints)"
        )
        print(
            f"  prepared prints: p50 {statistics.median(print_ms):.1f} ms, "
            f"p95 {p95(print_ms):.1f} ms each within a burst of {PRINTS}"
        )
        # For information, once each: the same bursts sent to the patients' own service (one
        # service for everyone, without the proxy's routing), and bursts of health checks to the
        # staff service (what any ten concurrent requests cost the wizard on this machine).
        shared = wizard_p95_during(app.port, warm_bursts, "prints on the patients' service")
        floor = wizard_p95_during(staff.port, [["/healthz"] * PRINTS] * BURSTS, "health checks")
        for label, (value, count, _record) in (
            ("the same prints sent to the patients' service (one service for all)", shared),
            (f"bursts of {PRINTS} health checks to the staff service instead", floor),
        ):
            print(
                f"  for information, {label}: wizard p95 {value:.1f} ms over {count} requests "
                f"({value / statistics.median(idle_p95s):.2f}x idle)"
            )

        cold_info = None
        if COLD_BURSTS:
            cold_bursts = [
                [print_paths[i] for i in data.cold[b * PRINTS : (b + 1) * PRINTS]]
                for b in range(COLD_BURSTS)
            ]
            value, count, record = wizard_p95_during(
                staff.port, cold_bursts, "prints (not prepared)"
            )
            cold_print_ms = [(x[1] - x[0]) * 1000 for burst in record for x in burst]
            cold_info = (value, count, statistics.median(cold_print_ms))
            print(
                f"  for information, {COLD_BURSTS} burst(s) of prints that render (nothing "
                f"prepared): wizard p95 {cold_info[0]:.1f} ms over {cold_info[1]} requests "
                f"({cold_info[0] / idle_p95:.1f}x idle); prints p50 {cold_info[2]:.0f} ms"
            )
        for server in servers:
            _stop(server)
        servers.clear()

        phase_done("latency")

        # 3. A worker's first print against its warm prints, Gunicorn restarted each round.
        firsts, warms, stored_ms = [], [], []
        queue = data.cold[COLD_BURSTS * PRINTS :]
        for r in range(FIRST_PRINT_ROUNDS):
            one, _ = start_app(1)
            servers.append(one)
            paths = [
                print_paths[i] for i in queue[r * (1 + WARM_PRINTS) : (r + 1) * (1 + WARM_PRINTS)]
            ]
            timings = []
            for path in [*paths, print_paths[data.prepared[0]]]:
                start = time.monotonic()
                status, body = _exchange(one.port, _request("GET", path, desk_cookies))
                timings.append((time.monotonic() - start) * 1000)
                failures.note("first/warm prints", [(0, 0, _is_pdf(status, body), status)])
            firsts.append(timings[0])
            warms.extend(timings[1:-1])
            stored_ms.append(timings[-1])
            _stop(one)
            servers.remove(one)
        first, warm = statistics.median(firsts), statistics.median(warms)
        print(
            f"first print after a worker starts (1 worker, restarted {FIRST_PRINT_ROUNDS}x): "
            f"{', '.join(f'{v:.0f}' for v in firsts)} ms; warm prints that render: "
            f"{', '.join(f'{v:.0f}' for v in warms)} ms; a prepared print: "
            f"{statistics.median(stored_ms):.0f} ms"
        )

        # Stored bytes were served: the prepared documents were not rendered again.
        prepared_after = sorted(
            RenderedDocument.objects.filter(intake__public_id__in=data.prepared).values_list(
                "pk", "created_at"
            )
        )
        printed_cold = (
            data.cold[: COLD_BURSTS * PRINTS] + queue[: FIRST_PRINT_ROUNDS * (1 + WARM_PRINTS)]
        )
        stored_cold = RenderedDocument.objects.filter(
            intake__public_id__in=printed_cold, kind="consent", pdf__isnull=False
        ).count()
        connections.close_all()
        print(
            f"documents: prepared renderings unchanged by {len(print_ms)} prints: "
            f"{prepared_before == prepared_after}; not-prepared intakes printed and now stored: "
            f"{stored_cold} of {len(printed_cold)}"
        )
        if prepared_before != prepared_after:
            failures.note("prepared renderings replaced", [(0, 0, False, "re-rendered")])

        phase_done("first print")

        # 4. SQL statements.
        for method in ("GET", "POST"):
            figures = statements[method]
            print(
                f"SQL statements per step {method} (CaptureQueriesContext, 3 runs: "
                f"{', '.join(map(str, figures['counts']))}): {figures['count']}"
            )
            for n, statement in enumerate(figures["statements"], 1):
                print(f"  {n}. {statement}")
            wire = figures["wire"]
            if wire is None:
                print("  on the connection: not traced (libpq trace unavailable)")
            else:
                print(
                    f"  for information, traced on the connection as a request under Gunicorn "
                    f"sends them (after the reused connection's health check, which the test "
                    f"client skips): {len(wire)} ({_first_words(wire)})"
                )

        # Summary.
        get_share, post_share = rate["GET"] / rate["bare"], rate["POST"] / rate["bare"]
        lines = [
            (
                "step GET req/s / bare",
                f"{get_share:.1%} ({rate['GET']:,.0f} / {rate['bare']:,.0f})",
                f">= {TARGET_GET_SHARE:.0%}",
                get_share >= TARGET_GET_SHARE,
            ),
            (
                "step POST req/s / bare",
                f"{post_share:.1%} ({rate['POST']:,.0f} / {rate['bare']:,.0f})",
                f">= {TARGET_POST_SHARE:.0%}",
                post_share >= TARGET_POST_SHARE,
            ),
            (
                "wizard p95 printing / idle",
                f"{busy_p95 / idle_p95:.2f}x ({busy_p95:.1f} / {idle_p95:.1f} ms)",
                f"<= {TARGET_PRINT_P95:g}x",
                busy_p95 / idle_p95 <= TARGET_PRINT_P95,
            ),
            (
                "first print / warm print",
                f"{first / warm:.2f}x ({first:.0f} / {warm:.0f} ms)",
                f"<= {TARGET_FIRST_PRINT:g}x",
                first / warm <= TARGET_FIRST_PRINT,
            ),
            (
                "SQL statements per step GET",
                str(statements["GET"]["count"]),
                f"<= {TARGET_GET_STATEMENTS}",
                statements["GET"]["count"] <= TARGET_GET_STATEMENTS,
            ),
            (
                "SQL statements per step POST",
                str(statements["POST"]["count"]),
                f"<= {TARGET_POST_STATEMENTS}",
                statements["POST"]["count"] <= TARGET_POST_STATEMENTS,
            ),
        ]
        print(
            f"summary ({engine}, {WORKERS} sync workers, "
            f"{'wrk' if wrk else 'Python client, wrk not installed'}; "
            f"{time.monotonic() - started_at:.0f} s: "
            + ", ".join(f"{name} {seconds:.0f}" for name, seconds in phases.items())
            + "):"
        )
        for label, measured, target, ok in lines:
            print(f"  {label:<32}{measured:<34}target {target:<8}{'PASS' if ok else 'MISS'}")
        for label, value in (
            ("(info) printing, one service", shared[0]),
            ("(info) 10 health checks", floor[0]),
            ("(info) printing unprepared", cold_info[0] if cold_info else None),
        ):
            if value is not None:
                print(f"  {label:<32}{value / idle_p95:.2f}x ({value:.1f} / {idle_p95:.1f} ms)")
        if failures.by_phase:
            print("unexpected answers (the figures above count only the expected ones):")
            for phase, counts in failures.by_phase.items():
                print(f"  {phase}: {counts}")
        return 0 if all(ok for *_, ok in lines) and not failures.by_phase else 1
    finally:
        for server in servers:
            _stop(server)
        shutil.rmtree(_scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
