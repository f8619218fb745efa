"""What a log may show of a URL: the path, without its query string or an invitation token.

The query string can hold a patient's name (the review queue's and the front desk's search
boxes) and an invitation path holds the patient's own live link (``/i/<token>/``): neither may
reach a log. Gunicorn's access and error logs (``gunicorn.conf.py``) and Django's logging
(``LOGGING`` in ``clinic/settings.py``) apply the same rule, from here. Pure Python: no Django.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote, unquote

REDACTED = "<redacted>"
# The characters RFC 3986 allows unescaped in a path, and the backslash of Django's escapes
# ("Not Found: /caf\xe9/"): everything else is percent-encoded on the way out, so a path cannot
# break a log line (quotes, spaces, control characters).
_PATH_SAFE = "/:@!$&'()*+,;=-._~\\"
# The segment after an ``i`` or ``a`` segment: the invitation token (``patient:open`` is
# ``i/<str:token>/``, the only route under ``/i/``) or the aftercare check's
# (``patient:aftercare_open``, ``a/<str:token>/``). After any such segment and in any case, so
# that a 404 on a mangled link (``//i/<token>/``, ``/I/<token>/``) hides the token too.
_INVITATION = re.compile(r"(/[ia]/)[^/]+", re.IGNORECASE)
# A URL or a path inside free text (a request line, an error message, a traceback): it starts
# at a scheme or a slash and ends at white space or a quote.
_URL_IN_TEXT = re.compile(r"""(?:\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/"'<>]*)?/[^\s"'<>]*""")


def redact_path(path: str) -> str:
    """A request path or target as a log may show it: no query string or fragment, and the
    invitation token replaced, e.g. ``/i/abc/start/?q=x`` -> ``/i/<redacted>/start/``.

    The path is percent-decoded once before the token is looked for (``/i%2Fabc/`` reaches
    the same view as ``/i/abc/``), then re-encoded.
    """
    path = path.split("?", 1)[0].split("#", 1)[0]
    path = quote(unquote(path, errors="replace"), safe=_PATH_SAFE)
    return _INVITATION.sub(lambda match: match.group(1) + REDACTED, path)


def redact_text(text: str) -> str:
    """Free text with every URL or path in it passed through `redact_path`."""
    return _URL_IN_TEXT.sub(lambda match: redact_path(match.group(0)), text)


class RedactPathsFilter(logging.Filter):
    """Rewrite a log record so its message, and its traceback, show paths by `redact_path`.

    Django logs "Not Found: /i/<token>/" (``django.request``) and the development server's
    request lines with their query strings (``django.server``); Gunicorn's error log names the
    request line of a request it could not parse or handle. The record is changed in place, so
    every handler after this filter sees the redacted text.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: its arguments are dropped rather than printed
            message = f"{record.msg} (log arguments dropped)"
            record.msg, record.args = message, ()
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True
