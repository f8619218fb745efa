"""No query string or invitation token in a log line: the rule (``screening.logredact``), the
Django logging filter as configured in settings, and Gunicorn's logger (``gunicorn.conf.py``)."""

from __future__ import annotations

import io
import logging
import re
import runpy
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import reverse

from screening.logredact import RedactPathsFilter, redact_path, redact_text
from tests.conftest import make_intake, make_link

ROOT = Path(__file__).resolve().parent.parent
REQUEST_ID = re.compile(r"\[([0-9a-f]{32})\]")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/review/?q=Smith", "/review/"),
        ("/desk/?day=2025-01-02&q=Jo+Smith", "/desk/"),
        ("/review/intakes/3f2a/?page=2#top", "/review/intakes/3f2a/"),
        ("/i/AbC-d_3x/", "/i/<redacted>/"),
        ("/i/AbC-d_3x", "/i/<redacted>"),
        ("/i/AbC-d_3x/start/?lang=en", "/i/<redacted>/start/"),
        ("/I/AbC-d_3x/", "/I/<redacted>/"),
        ("//i/AbC-d_3x/", "//i/<redacted>/"),
        ("/i%2FAbC-d_3x/", "/i/<redacted>/"),
        ("/%69/AbC-d_3x/", "/i/<redacted>/"),
        ("http://clinic.example.org/i/AbC-d_3x/?q=1", "http://clinic.example.org/i/<redacted>/"),
        ("/i/", "/i/"),
        ("/p/6f1c2a9e-8d1b-4c1e-9c55-3a1f0f1b2c3d/verify/", None),
        ("/healthz", None),
        ('/a b/"x"\n', "/a%20b/%22x%22%0A"),
        ("/caf\\xe9/", None),
    ],
)
def test_redact_path_drops_the_query_and_the_token(path, expected):
    assert redact_path(path) == (path if expected is None else expected)


@pytest.mark.parametrize("path", ["/i/tok/x/?q=1", "/review/?q=a", "/i/<redacted>/", "/%zz/"])
def test_redact_path_is_idempotent(path):
    once = redact_path(path)

    assert redact_path(once) == once


def test_redact_text_redacts_every_path_and_keeps_the_rest():
    text = (
        "Invalid HTTP request line: 'GET /review/?q=Smith HTTP/1.1' then "
        '"GET /i/tok123/?q=x HTTP/1.1" 302 0 and File "/srv/app/views.py", line 3'
    )

    assert redact_text(text) == (
        "Invalid HTTP request line: 'GET /review/ HTTP/1.1' then "
        '"GET /i/<redacted>/ HTTP/1.1" 302 0 and File "/srv/app/views.py", line 3'
    )


def _record(msg, args=(), exc_info=None, name="django.request"):
    return logging.LogRecord(name, logging.WARNING, __file__, 1, msg, args, exc_info)


def test_filter_rewrites_the_message_and_drops_the_arguments():
    record = _record("%s: %s", ("Not Found", "/i/Secr3tToken/"))

    assert RedactPathsFilter().filter(record) is True
    assert record.getMessage() == "Not Found: /i/<redacted>/"
    assert "Secr3tToken" not in repr(record.args)


def test_filter_leaves_a_record_without_paths_alone():
    record = _record("%s rows", (3,))

    RedactPathsFilter().filter(record)

    assert (record.msg, record.args) == ("%s rows", (3,))


def test_filter_redacts_the_traceback():
    try:
        raise ValueError("no page at /review/?q=Smith")
    except ValueError:
        record = _record("Internal Server Error: %s", ("/review/",), exc_info=sys.exc_info())

    RedactPathsFilter().filter(record)
    text = logging.Formatter().format(record)

    assert "ValueError: no page at /review/" in text
    assert "Smith" not in text


def test_filter_survives_a_malformed_call():
    record = _record("%s and %s", ("/i/Secr3tToken/",))

    assert RedactPathsFilter().filter(record) is True
    assert "Secr3tToken" not in record.getMessage()


# ---------------------------------------------------------------------------------------------
# Django's logging, as LOGGING in clinic/settings.py configures it.


@pytest.fixture
def django_log():
    """What the configured root handler (request id and redaction filters) writes."""
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RedactPathsFilter) for f in handler.filters)
    ]
    assert len(handlers) == 1, "LOGGING's console handler lost its redaction filter"
    stream = io.StringIO()
    previous = handlers[0].setStream(stream)
    yield stream
    handlers[0].setStream(previous)


@pytest.mark.django_db
def test_not_found_on_an_invitation_path_is_logged_without_token_with_request_id(
    client, django_log
):
    token = make_link(make_intake()).token

    response = client.get(f"/i/{token}/extra/?q=SentinelSurname")

    assert response.status_code == 404
    logged = django_log.getvalue()
    assert "Not Found: /i/<redacted>/extra/" in logged
    assert token not in logged
    assert "SentinelSurname" not in logged
    line = next(line for line in logged.splitlines() if "Not Found" in line)
    assert REQUEST_ID.search(line).group(1) == response["X-Request-ID"]


@pytest.mark.django_db
def test_unknown_invitation_token_is_logged_redacted(client, django_log):
    response = client.get(reverse("patient:open", args=["SentinelUnknownToken"]))

    assert response.status_code == 404
    assert "Not Found: /i/<redacted>/" in django_log.getvalue()
    assert "SentinelUnknownToken" not in django_log.getvalue()


def test_development_server_request_lines_lose_their_query(django_log):
    # What runserver's WSGIRequestHandler.log_message logs for each request.
    logging.getLogger("django.server").info(
        '"%s" %s %s', "GET /review/?q=SentinelSurname HTTP/1.1", "200", "5120"
    )

    assert '"GET /review/ HTTP/1.1" 200 5120' in django_log.getvalue()
    assert "SentinelSurname" not in django_log.getvalue()


def test_django_default_handlers_are_replaced():
    # Django's own console handler (debug) and error mails would bypass the filters.
    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django.server").handlers == []
    assert logging.getLogger("django.server").propagate is True


# ---------------------------------------------------------------------------------------------
# Gunicorn's logger class, from gunicorn.conf.py.


@pytest.fixture
def gunicorn_conf(monkeypatch):
    monkeypatch.delenv("GUNICORN_BIND", raising=False)
    monkeypatch.delenv("GUNICORN_WORKERS", raising=False)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


@pytest.fixture
def gunicorn_logger(gunicorn_conf):
    from gunicorn.config import Config

    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", gunicorn_conf["access_log_format"])
    logger = gunicorn_conf["RedactingLogger"](cfg)
    yield logger
    for log in (logger.error_log, logger.access_log):
        log.handlers = [h for h in log.handlers if not getattr(h, "_gunicorn", False)]
        log.filters = []


def _access_line(logger, *, raw_uri, headers=(), response_headers=()):
    from datetime import timedelta

    from gunicorn.glogging import SafeAtoms

    path = raw_uri.split("?")[0]
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": raw_uri,
        "PATH_INFO": path,
        "QUERY_STRING": raw_uri.partition("?")[2],
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        **{f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers},
    }
    resp = SimpleNamespace(status="302 Found", headers=list(response_headers), sent=0)
    req = SimpleNamespace(headers=[(name.upper(), value) for name, value in headers])
    atoms = logger.atoms(resp, req, environ, timedelta(milliseconds=5))
    return logger.cfg.access_log_format % SafeAtoms(atoms)


def test_gunicorn_access_line_redacts_target_and_shows_request_id(gunicorn_logger):
    line = _access_line(
        gunicorn_logger,
        raw_uri="/i/Secr3tToken/?q=SentinelSurname",
        headers=[
            ("Referer", "https://clinic.example.org/review/?q=SentinelReferer"),
            ("User-Agent", "SentinelAgent"),
            ("Cookie", "sessionid=SentinelCookie"),
        ],
        response_headers=[
            ("X-Request-ID", "0123456789abcdef0123456789abcdef"),
            ("Location", "/accounts/login/?next=/review/%3Fq%3DSentinelLocation"),
        ],
    )

    assert '"GET /i/<redacted>/ HTTP/1.1" 302' in line
    assert line.endswith("request_id=0123456789abcdef0123456789abcdef")
    assert "Sentinel" not in line
    assert "Secr3tToken" not in line


def test_gunicorn_access_atoms_hide_query_referer_agent_and_other_headers(gunicorn_logger):
    from gunicorn.glogging import SafeAtoms

    line = (
        "%(U)s|%(q)s|%(f)s|%(a)s|%({referer}i)s|%({cookie}i)s|%({location}o)s|%({query_string}e)s"
    )
    gunicorn_logger.cfg.set("access_log_format", line)

    text = _access_line(
        gunicorn_logger,
        raw_uri="/i/Secr3tToken/start/?q=SentinelSurname",
        headers=[("Referer", "/i/SentinelReferer/"), ("Cookie", "SentinelCookie")],
        response_headers=[("Location", "/review/?q=SentinelLocation")],
    )

    assert text == "/i/<redacted>/start/|-|-|-|-|-|-|-"
    assert SafeAtoms({})["{x-request-id}o"] == "-"


def test_gunicorn_error_log_redacts_request_lines(gunicorn_logger):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    gunicorn_logger.error_log.addHandler(handler)
    try:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            # What Gunicorn's worker logs when the application raises.
            gunicorn_logger.exception(
                "Error handling request %s %s", "GET", "/i/Secr3tToken/?q=SentinelSurname"
            )
        gunicorn_logger.warning(
            "Invalid request from ip=127.0.0.1: Invalid HTTP request line: "
            "'GET /review/?q=SentinelSurname HTTP/1.1 x'"
        )
    finally:
        gunicorn_logger.error_log.removeHandler(handler)

    logged = stream.getvalue()
    assert "Error handling request GET /i/<redacted>/" in logged
    assert "Invalid HTTP request line: 'GET /review/ HTTP/1.1 x'" in logged
    assert "Sentinel" not in logged
    assert "Secr3tToken" not in logged


def test_gunicorn_conf_defaults_and_environment(monkeypatch, gunicorn_conf):
    assert gunicorn_conf["bind"] == "127.0.0.1:8000"
    assert gunicorn_conf["workers"] == 3
    assert gunicorn_conf["accesslog"] == "-"
    assert gunicorn_conf["errorlog"] == "-"
    for atom in ("%(q)s", "%(f)s", "%(a)s", "{referer}i", "{user-agent}i"):
        assert atom not in gunicorn_conf["access_log_format"]

    monkeypatch.setenv("GUNICORN_BIND", "0.0.0.0:9000")
    monkeypatch.setenv("GUNICORN_WORKERS", "5")
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (conf["bind"], conf["workers"]) == ("0.0.0.0:9000", 5)


@pytest.mark.parametrize("value", ["three", "0"])
def test_gunicorn_conf_refuses_bad_worker_count(monkeypatch, value):
    monkeypatch.setenv("GUNICORN_WORKERS", value)

    with pytest.raises(ValueError, match="GUNICORN_WORKERS"):
        runpy.run_path(str(ROOT / "gunicorn.conf.py"))
