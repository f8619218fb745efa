"""The real Gunicorn as production runs it (``gunicorn -c gunicorn.conf.py clinic.wsgi``, debug
off, two-step sign-in on): a search for a patient, an invitation link, a referer, a 404 on a
token and bad requests leave no patient data in its access log (stdout) or error log (stderr),
while the redacted lines and their request ids are there."""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.conftest import own_sqlite_database

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "g" * 20 + "-gunicorn-log-test-secret-key-" + "h" * 20
PASSWORD = "correct-horse-battery-9"
SURNAME = "SentinelSurname"
REQUEST_ID = "[0-9a-f]{32}"
# Every string that must not reach either log; the live token is added once it is issued.
SENTINELS = [
    SURNAME,
    "SentinelQuery",
    "SentinelUnknownToken",
    "SentinelBadHost",
    "SentinelRawLine",
    "SentinelReferer",
    "SentinelAgent",
]

# Run in the production environment by ``manage.py shell``: a practitioner with a confirmed
# authenticator app (its key is the test's), and an intake for today with a live invitation.
SETUP = """
import datetime
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from screening import services
from screening.roles import Role

user = services.staff_create(username="prac", role=Role.PRACTITIONER, password={password!r})
TOTPDevice.objects.create(user=user, name="Authenticator app", key={key!r}, confirmed=True)
now = timezone.now()
intake = services.intake_create(
    actor=user, full_name={name!r}, date_of_birth=datetime.date(1980, 5, 17), appointment_at=now
)
print("SETUP", services.link_issue(actor=user, intake=intake).token, timezone.localdate(now))
"""


@dataclass
class Browser:
    """A few HTTP requests with cookies, sent as they are (no redirects followed; the secure
    cookies of production are sent back over plain HTTP, as the proxy would)."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method, path, *, data=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        sent = {"Host": "127.0.0.1", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.msg.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            self.cookies.update({name: morsel.value for name, morsel in cookie.items()})
        connection.close()
        return response, text

    def get(self, path, **headers):
        return self.request("GET", path, headers=headers)

    def post_form(self, path, page_text, data):
        """Post ``data`` with the CSRF token of the form on ``page_text``."""
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page_text).group(1)
        return self.request("POST", path, data={**data, "csrfmiddlewaretoken": csrf})


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _production_env(tmp: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "GUNICORN_")) and k != "DATABASE_URL"
    }
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_STATIC_ROOT=str(tmp / "static"),
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="1",
        # Gunicorn 25+ opens a control socket there (by default under $HOME, shared by all runs).
        XDG_RUNTIME_DIR=str(tmp),
    )
    return env


def _manage(env, *args) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _write_static_manifest(static_root: Path) -> None:
    """The manifest production's static storage reads, naming each file as itself.

    ``collectstatic`` would compress every vendored file, which takes most of a minute; the
    pages only need the manifest to resolve ``{% static %}`` (WhiteNoise serves from the
    finders), and this test is about logs."""
    from django.contrib.staticfiles import finders

    names = {
        path.replace(os.sep, "/")
        for finder in finders.get_finders()
        for path, _storage in finder.list([])
    }
    static_root.mkdir(parents=True, exist_ok=True)
    manifest = {"paths": {name: name for name in names}, "version": "1.1", "hash": ""}
    (static_root / "staticfiles.json").write_text(json.dumps(manifest), encoding="utf-8")


def _wait_until_healthy(process, port, stderr_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("gunicorn exited:\n" + stderr_path.read_text(encoding="utf-8"))
        try:
            response, _ = Browser(port).get("/healthz")
        except OSError:
            time.sleep(0.1)
            continue
        if response.status == 200:
            return
    pytest.fail("gunicorn did not answer /healthz in 30 s")


def _raw_request(port: int, request_line: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request_line + b"\r\nHost: 127.0.0.1\r\n\r\n")
        return connection.recv(200)


def _exercise(port: int, *, key: str, token: str, day: str) -> dict:
    """The requests whose log lines are checked; returns what the checks compare against."""
    from django_otp.oath import totp

    seen = {}
    # Staff: sign in with password and authenticator code, so that the searches really run.
    staff = Browser(port)
    response, page = staff.get("/accounts/login/")
    assert response.status == 200, page
    response, _ = staff.post_form(
        "/accounts/login/", page, {"username": "prac", "password": PASSWORD}
    )
    assert response.status == 302
    response, page = staff.get("/accounts/two-factor/")
    assert response.status == 200, page
    code = f"{totp(bytes.fromhex(key)):06d}"
    response, _ = staff.post_form("/accounts/two-factor/", page, {"code": code})
    assert response.status == 302, "the second factor was refused"

    response, page = staff.get(f"/review/?q={SURNAME}&status=all&day={day}")
    assert response.status == 200
    assert SURNAME in page, "the search did not find the patient"
    seen["queue_id"] = response.getheader("X-Request-ID")
    response, _ = staff.get(
        f"/desk/?day={day}&q={SURNAME}",
        Referer=f"http://127.0.0.1/review/?q={SURNAME}&from=SentinelReferer",
    )
    assert response.status == 200

    # Anonymous: the searches are refused (sign-in redirect), but the request line is logged.
    anonymous = Browser(port)
    assert anonymous.get(f"/review/?q={SURNAME}")[0].status == 302
    assert anonymous.get(f"/desk/?q={SURNAME}")[0].status == 302

    # The patient's own link, as the phone opens it, then mangled into a 404.
    patient = Browser(port)
    response, _ = patient.get(
        f"/i/{token}/?utm=SentinelQuery",
        Referer="https://mail.example.org/read?msg=SentinelReferer",
        **{"User-Agent": "SentinelAgent/1.0"},
    )
    assert response.status == 302
    assert response.getheader("Location").endswith("/verify/")
    response, _ = patient.get(f"/i/{token}/extra/")
    assert response.status == 404
    seen["not_found_id"] = response.getheader("X-Request-ID")
    assert patient.get("/i/SentinelUnknownToken/")[0].status == 404

    # A query string on a 400 from Django (a host not allowed) and from Gunicorn (a request
    # line it cannot parse, which it reports in its error log).
    response, _ = patient.get("/review/?q=SentinelBadHost", Host="evil.example")
    assert response.status == 400
    reply = _raw_request(port, b"GET /i/SentinelRawLine/?q=SentinelRawLine\x01 HTTP/1.1")
    assert reply.startswith(b"HTTP/1.1 400")
    return seen


@pytest.fixture(scope="module")
def gunicorn_logs(tmp_path_factory):
    """Run Gunicorn, make the requests, stop it; returns (access log, error log, details)."""
    tmp = tmp_path_factory.mktemp("gunicorn")
    port = _free_port()
    env = _production_env(tmp, port)
    key = secrets.token_hex(20)
    _manage(env, "migrate", "--no-input", "-v", "0")
    _write_static_manifest(tmp / "static")

    stdout_path, stderr_path = tmp / "access.log", tmp / "error.log"
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    with stdout_path.open("w") as stdout, stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [gunicorn, "-c", "gunicorn.conf.py", "clinic.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
    try:
        # The data is made while Gunicorn boots.
        setup = _manage(
            env, "shell", "-c", SETUP.format(password=PASSWORD, key=key, name=f"Alex {SURNAME}")
        )
        token, day = re.search(r"^SETUP (\S+) (\S+)$", setup, re.MULTILINE).groups()
        _wait_until_healthy(process, port, stderr_path)
        details = _exercise(port, key=key, token=token, day=day)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    details["token"] = token
    access = stdout_path.read_text(encoding="utf-8")
    errors = stderr_path.read_text(encoding="utf-8")
    return access, errors, details


@own_sqlite_database
def test_gunicorn_logs_hold_no_search_term_token_referer_or_agent(gunicorn_logs):
    access, errors, details = gunicorn_logs

    for sentinel in [*SENTINELS, details["token"]]:
        assert sentinel not in access, f"{sentinel} in the access log:\n{access}"
        assert sentinel not in errors, f"{sentinel} in the error log:\n{errors}"


@own_sqlite_database
def test_gunicorn_access_log_shows_redacted_requests_with_request_ids(gunicorn_logs):
    access, _, details = gunicorn_logs

    def line(request_line, status):
        pattern = rf'"{re.escape(request_line)}" {status} \d+ \d+ms request_id=({REQUEST_ID})$'
        match = re.search(pattern, access, re.MULTILINE)
        assert match, f"no line for {request_line} {status} in:\n{access}"
        return match.group(1)

    assert line("GET /review/ HTTP/1.1", 200) == details["queue_id"]
    line("GET /desk/ HTTP/1.1", 200)
    line("GET /review/ HTTP/1.1", 302)
    line("GET /desk/ HTTP/1.1", 302)
    line("GET /i/<redacted>/ HTTP/1.1", 302)
    assert line("GET /i/<redacted>/extra/ HTTP/1.1", 404) == details["not_found_id"]
    line("GET /review/ HTTP/1.1", 400)


@own_sqlite_database
def test_gunicorn_error_log_shows_redacted_django_and_gunicorn_lines(gunicorn_logs):
    _, errors, details = gunicorn_logs

    # Django's "Not Found", with the id the response carried (taken from the request).
    assert f"django.request [{details['not_found_id']}] Not Found: /i/<redacted>/extra/" in errors
    assert re.search(rf"django.request \[{REQUEST_ID}\] Not Found: /i/<redacted>/$", errors, re.M)
    # Gunicorn's own report of the request line it could not parse.
    assert "Invalid HTTP request line: 'GET /i/<redacted>/ HTTP/1.1'" in errors
