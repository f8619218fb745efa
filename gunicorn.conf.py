"""Gunicorn in production: ``gunicorn -c gunicorn.conf.py clinic.wsgi``.

GUNICORN_BIND (default ``127.0.0.1:8000``, behind the HTTPS reverse proxy on the same host) and
GUNICORN_WORKERS (default 3) set the address and the number of worker processes; a malformed
value stops start-up. The access log goes to stdout and the error log to stderr, for the
service manager to collect.

Neither log may hold patient data. A query string can carry a patient's name (the search boxes
of the review queue and the front desk) and an invitation path the patient's own live link
(``/i/<token>/``), so the access log shows ``/i/<redacted>/`` and no query string, referer or
user agent, and the error log's request lines are redacted the same way
(``screening.logredact``, shared with Django's logging). Each access line ends with the request
id the app puts on its response (``X-Request-ID``), which its own log lines and audit events
carry too.
"""

import gc
import os
import sys
from pathlib import Path

from gunicorn import glogging

# The app's package, also when it is run from a checkout rather than installed.
_ROOT = str(Path(__file__).resolve().parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from screening.logredact import RedactPathsFilter, redact_path  # noqa: E402


def _env_int(name: str, default: int, *, minimum: int, maximum: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ValueError(f"{name} must be between {minimum} and {maximum}, not {value}")
    return value


class RedactingLogger(glogging.Logger):
    """Gunicorn's logger, with request targets passed through `redact_path` and the headers a
    log line may show limited to the response's request id."""

    def setup(self, cfg):
        super().setup(cfg)
        # "Invalid request from ip=...: Invalid HTTP request line: 'GET /i/<token>/ ...'" and
        # "Error handling request GET /review/?q=<name>" come through the error log.
        if not any(isinstance(f, RedactPathsFilter) for f in self.error_log.filters):
            self.error_log.addFilter(RedactPathsFilter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        # Request and response headers and the WSGI environment ({...}i, {...}o, {...}e) hold
        # the query string, cookies, the referer and redirect targets: none is shown but the id.
        safe = {key: value for key, value in atoms.items() if not key.startswith("{")}
        target = redact_path(environ.get("RAW_URI") or environ.get("PATH_INFO") or "")
        safe.update(
            r=f"{environ.get('REQUEST_METHOD', '-')} {target} {environ.get('SERVER_PROTOCOL')}",
            U=redact_path(environ.get("PATH_INFO") or ""),
            q="-",
            f="-",  # a referer is a URL: it can carry a token or a search
            a="-",  # the user agent identifies a device and helps no one here
            u="-",
        )
        safe["{x-request-id}o"] = atoms.get("{x-request-id}o", "-")
        return safe


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = _env_int("GUNICORN_WORKERS", 3, minimum=1, maximum=64)
proc_name = "dn-intake"

logger_class = RedactingLogger
accesslog = "-"
errorlog = "-"
loglevel = "info"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'

# Gunicorn 25+ opens a control socket for `gunicornc` by default; nothing here uses it, and a
# socket that can reload or stop workers is one more thing to secure.
control_socket_disable = True


def post_worker_init(worker):
    """Load WeasyPrint and the documents' fonts as each worker starts (after the app is loaded),
    so that the first print of a fresh worker is not the one that pays for it.

    Then set everything loaded so far aside from the garbage collector (``gc.freeze``): the
    app, Django and WeasyPrint's fonts live as long as the worker, and a full collection that
    walked them all again paused a wizard page for about 0.1 s every few hundred requests."""
    from screening import pdf

    try:
        pdf.warm_up()
    except Exception:  # noqa: BLE001 - a print renders (and reports) on its own if this fails
        worker.log.exception("Warming up the PDF renderer failed")
    gc.collect()
    gc.freeze()
