"""Rendering the printable documents to PDF with WeasyPrint, from bundled assets only.

Templates live in ``templates/screening/pdf/`` and never extend the screen ``base.html``. Every
URL a document refers to (the stylesheet's fonts, signature images) goes through `AssetFetcher`,
which serves files under the project's ``static/`` directory and ``data:`` URIs, and refuses
everything else (network, other files, missing assets) with `AssetRefused`. A refusal stops the
rendering: WeasyPrint turns it into its fatal fetch error, a ``BaseException``, and this module
turns that into `DocumentError` at its boundary, so callers only ever catch ``Exception``.

Speed. The stylesheet and its fonts are parsed once per process and reused (``_shared``), and
renders are serialised by a lock because that shared font configuration is not thread-safe.
What remains is WeasyPrint's layout, which grows with the number of elements and inline
boxes, hence the lean markup of the print templates (see the comments in print.css).

The consent body is a partial (``_consent_body.html``) that reads everything through ``c``, so
that the signing screens can include the same text the PDF prints.
"""

from __future__ import annotations

import base64
import binascii
import threading
import urllib.parse
import urllib.request
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from screening import documents
from screening.documents import DocumentError, DocumentUnavailable  # noqa: F401 - re-exported
from screening.models import Consent, Intake

STATIC_DIR = (Path(settings.BASE_DIR) / "static").resolve()
STYLESHEET = "screening/css/print.css"
CONSENT_TEMPLATE = "screening/pdf/consent.html"
AFTERCARE_TEMPLATE = "screening/pdf/aftercare.html"


class AssetRefused(Exception):
    """The URL fetcher refused a URL: not a bundled static file nor a data: URI."""


class AssetFetcher(URLFetcher):
    """Serves files under ``static/`` and ``data:`` URIs; refuses everything else.

    ``fail_on_errors`` makes WeasyPrint stop on a refusal instead of logging a warning and
    printing a document with a hole in it.
    """

    def __init__(self, static_dir: Path = STATIC_DIR):
        super().__init__(allowed_protocols=("file", "data"), fail_on_errors=True)
        self.static_dir = Path(static_dir).resolve()

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return self._data(url)
        if scheme == "file":
            return self._static_file(url)
        raise AssetRefused(f"only bundled static files and data: URIs are allowed, not {url!r}")

    def _data(self, url: str) -> URLFetcherResponse:
        """Decode ``data:[<media type>][;base64],<data>`` here, without urllib's openers."""
        header, comma, payload = url[len("data:") :].partition(",")
        if not comma:
            raise AssetRefused("malformed data: URI (no comma)")
        params = header.split(";")
        content_type = params[0] or "text/plain"
        try:
            if "base64" in params[1:]:
                body = base64.b64decode(urllib.parse.unquote_to_bytes(payload), validate=True)
            else:
                body = urllib.parse.unquote_to_bytes(payload)
        except (binascii.Error, ValueError) as exc:
            raise AssetRefused(f"malformed data: URI ({exc})") from None
        return URLFetcherResponse(url, body, {"Content-Type": content_type})

    def _static_file(self, url: str) -> URLFetcherResponse:
        parsed = urllib.parse.urlsplit(url)
        if parsed.netloc not in ("", "localhost"):
            raise AssetRefused(f"remote file URL refused: {url!r}")
        path = Path(urllib.request.url2pathname(parsed.path)).resolve()
        if not path.is_relative_to(self.static_dir):
            raise AssetRefused(f"file outside the bundled static directory refused: {url!r}")
        if not path.is_file():
            raise AssetRefused(f"missing bundled asset: {path.relative_to(self.static_dir)}")
        return URLFetcherResponse(path.as_uri(), path.read_bytes())


class _Shared:
    """The parsed stylesheet and its font configuration, built once per process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._value: tuple[FontConfiguration, CSS] | None = None

    def get(self) -> tuple[FontConfiguration, CSS]:
        with self._lock:
            if self._value is None:
                font_config = FontConfiguration()
                stylesheet = CSS(
                    filename=str(STATIC_DIR / STYLESHEET),
                    url_fetcher=AssetFetcher(),
                    font_config=font_config,
                )
                self._value = (font_config, stylesheet)
            return self._value

    def reset(self) -> None:
        with self._lock:
            self._value = None


_shared = _Shared()
# One render at a time per process: the shared font configuration wraps Pango and Fontconfig
# objects that are not safe to use from two threads at once (runserver is threaded).
_render_lock = threading.Lock()


def base_url() -> str:
    """Relative URLs in print templates resolve against static/ ("screening/...")."""
    return STATIC_DIR.as_uri() + "/"


def render_html(html: str) -> bytes:
    """PDF bytes of an HTML string styled with print.css; raises DocumentError."""
    try:
        font_config, stylesheet = _shared.get()
        document = HTML(string=html, base_url=base_url(), url_fetcher=AssetFetcher())
        with _render_lock:
            return document.write_pdf(stylesheets=[stylesheet], font_config=font_config)
    except FatalURLFetchingError as exc:
        # WeasyPrint's fatal fetch error is a BaseException: never let it past this module.
        cause = exc.__cause__ or exc
        raise DocumentError(f"A document asset was refused: {cause}") from cause
    except DocumentError:
        raise
    except Exception as exc:
        raise DocumentError(f"The document could not be rendered: {exc}") from exc


WARM_UP_HTML = (
    "<!doctype html><html><head><meta charset='utf-8'><title>Warm-up</title></head><body>"
    "<h1>Warm-up</h1><p>Regular, <strong>bold</strong> and <em>italic</em> text.</p>"
    "</body></html>"
)


def warm_up() -> None:
    """Load WeasyPrint, parse the stylesheet and load the fonts the documents use, so that a
    worker's first print costs what every later one does (gunicorn.conf.py calls this as each
    worker starts)."""
    render_html(WARM_UP_HTML)


def render_template(template_name: str, context: dict) -> bytes:
    """PDF bytes of a print template rendered with ``context``; raises DocumentError."""
    return render_html(render_to_string(template_name, context))


def consent_html(intake: Intake, consent: Consent | None = None) -> str:
    """The consent form as the HTML that is rendered to PDF (no availability check)."""
    context = documents.consent_context(intake, consent=consent)
    # The body partial reads everything through ``c``, as the signing screens include it.
    return render_to_string(CONSENT_TEMPLATE, {**context, "c": context})


def render_consent(intake: Intake, consent: Consent | None = None) -> bytes:
    """The consent form PDF; unsigned (blank signature lines) when ``consent`` is None."""
    _check_available(intake)
    return render_html(consent_html(intake, consent))


def render_aftercare(intake: Intake) -> bytes:
    """The aftercare sheet PDF for this intake's plan and flags."""
    _check_available(intake)
    return render_template(AFTERCARE_TEMPLATE, documents.aftercare_context(intake))


def _check_available(intake: Intake) -> None:
    available, reason = documents.documents_available(intake)
    if not available:
        raise DocumentUnavailable(reason)


PLAIN_PARAGRAPH = (
    "This paragraph is filler text of ordinary length, used to measure how long WeasyPrint "
    "takes to lay out and write a simple document on this machine. "
)


def plain_two_page_pdf() -> bytes:
    """A plain two-page document (default fonts, no stylesheet): the benchmark's baseline."""
    paragraphs = "".join(f"<p>{PLAIN_PARAGRAPH * 3}</p>" for _ in range(16))
    html = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Baseline</title>"
        "<style>@page { size: A4; margin: 2cm } body { font-size: 11pt }</style></head>"
        f"<body><h1>Baseline document</h1>{paragraphs}</body></html>"
    )
    pdf = HTML(string=html).write_pdf()
    return pdf
