"""Benchmark: what a patient's phone downloads on a first visit to each questionnaire page.

Production-like settings: DEBUG off, the static files collected with WhiteNoise's
CompressedManifestStaticFilesStorage into a throw-away STATIC_ROOT and served by its middleware,
the HTML compressed if the middleware stack compresses it, requests over HTTPS. A patient walks
a whole questionnaire with tools/patient_walk.py (the invitation link, then each page's form
and redirect). For each page on the way (the date-of-birth check, the welcome page, every
wizard page and the review page) a first visit with an empty cache is counted: the HTML as
sent to a browser that accepts "gzip, br", plus every stylesheet, icon, script and image the
HTML references (and any url() in those stylesheets), each fetched once through the app. Sizes
are the bodies actually sent, compressed when the server compressed them.

Targets per page: at most 60 KB (61,440 bytes) in all, at most 15 KB (15,360 bytes) of
JavaScript, at most 5 requests.

Usage: .venv/bin/python bench/bench_patient_pages.py
Uses a throw-away SQLite file and static root. Exits non-zero when any page misses a target.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_scratch = Path(tempfile.mkdtemp(prefix="bench-patient-pages-"))
os.environ.update(
    {
        "DATABASE_URL": f"sqlite:///{_scratch / 'bench.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_STATIC_ROOT": str(_scratch / "static"),
    }
)
os.environ.pop("DJANGO_STAFF_2FA", None)  # refused with DEBUG off

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from tools import patient_walk  # noqa: E402

TARGET_TOTAL_BYTES = 60 * 1024
TARGET_JS_BYTES = 15 * 1024
TARGET_REQUESTS = 5
ACCEPT_ENCODING = "gzip, br"
FETCHED_LINKS = frozenset({"stylesheet", "icon", "apple-touch-icon", "preload", "modulepreload"})


class _References(HTMLParser):
    """The URLs a browser fetches while loading the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        url = None
        if tag == "link" and FETCHED_LINKS & set((attributes.get("rel") or "").lower().split()):
            url = attributes.get("href")
        elif tag in ("script", "img"):
            url = attributes.get("src")
        if url and not url.startswith("data:") and url not in self.urls:
            self.urls.append(url)


def references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    parser.close()
    return parser.urls


_CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")


@dataclass(frozen=True)
class Resource:
    url: str
    kind: str  # css, js or other
    sent: int  # bytes of the body as sent
    encoding: str  # Content-Encoding, "" when sent as is


@dataclass
class Visit:
    page: str
    html: int
    html_encoding: str
    resources: list[Resource] = field(default_factory=list)

    def bytes_of(self, kind: str) -> int:
        return sum(r.sent for r in self.resources if r.kind == kind)

    @property
    def total(self) -> int:
        return self.html + sum(r.sent for r in self.resources)

    @property
    def requests(self) -> int:
        return 1 + len(self.resources)


def _kind(content_type: str) -> str:
    if "css" in content_type:
        return "css"
    if "javascript" in content_type or "ecmascript" in content_type:
        return "js"
    return "other"


def fetch(client: Client, url: str, cache: dict[str, Resource], queue: list[str]) -> Resource:
    """One static file as sent (whole body, compressed or not); queues its CSS url()s."""
    if url in cache:
        return cache[url]
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        raise SystemExit(f"{url}: a patient page loads a file from another site")
    response = client.get(url, secure=True)
    if response.status_code != 200:
        raise SystemExit(f"{url}: status {response.status_code}")
    body = patient_walk.body_of(response)
    resource = Resource(
        url,
        _kind(response.get("Content-Type", "")),
        len(body),
        response.get("Content-Encoding", ""),
    )
    if resource.kind == "css":
        for found in _CSS_URL.findall(patient_walk.decode(body, response)):
            if not found.startswith(("data:", "#")):
                queue.append(urljoin(url, found))
    cache[url] = resource
    return resource


def first_visit(client: Client, page: patient_walk.Page, cache: dict[str, Resource]) -> Visit:
    visit = Visit(page.label, len(page.body), page.response.get("Content-Encoding", ""))
    queue = [urljoin(page.path, url) for url in references(page.html)]
    seen = set()
    while queue:
        url = queue.pop(0)
        if url not in seen:
            seen.add(url)
            visit.resources.append(fetch(client, url, cache, queue))
    return visit


def _verdict(label: str, measured: int, target: int, unit: str, where: str) -> bool:
    ok = measured <= target
    print(
        f"{label}: max {measured:,} {unit} ({where}); target <= {target:,} {unit}; "
        f"ratio {measured / target:.2f}: {'PASS' if ok else 'FAIL'}"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    try:
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        client = Client(headers={"Accept-Encoding": ACCEPT_ENCODING})
        walker = patient_walk.Walker(client, secure=True)
        patient_walk.phone_questionnaire(walker, mode=patient_walk.YES, submit=False)
        cache: dict[str, Resource] = {}
        visits = [first_visit(client, page, cache) for page in walker.pages if page.first_visit]
    finally:
        shutil.rmtree(_scratch, ignore_errors=True)

    storage = settings.STORAGES["staticfiles"]["BACKEND"].rsplit(".", 1)[-1]
    print(f"first visit of {len(visits)} patient pages; DEBUG={settings.DEBUG}, {storage}")
    header = f"{'page':<28}{'html':>9}{'css':>9}{'js':>9}{'other':>8}{'total':>9}{'requests':>10}"
    print(header)
    for visit in visits:
        print(
            f"{visit.page:<28}{visit.html:>9,}{visit.bytes_of('css'):>9,}"
            f"{visit.bytes_of('js'):>9,}{visit.bytes_of('other'):>8,}{visit.total:>9,}"
            f"{visit.requests:>10}"
        )
    print("-" * len(header))
    print(
        f"{'max':<28}{max(v.html for v in visits):>9,}"
        f"{max(v.bytes_of('css') for v in visits):>9,}{max(v.bytes_of('js') for v in visits):>9,}"
        f"{max(v.bytes_of('other') for v in visits):>8,}{max(v.total for v in visits):>9,}"
        f"{max(v.requests for v in visits):>10}"
    )
    print("files (bytes as sent):")
    for resource in cache.values():
        print(f"  {resource.url}  {resource.sent:,} {resource.encoding or 'uncompressed'}")
    plain = [v.page for v in visits if not v.html_encoding]
    if plain:
        which = "every page" if len(plain) == len(visits) else ", ".join(plain)
        print(f"HTML sent uncompressed on {which} (no compressing middleware?)")

    heaviest = max(visits, key=lambda v: v.total)
    most_js = max(visits, key=lambda v: v.bytes_of("js"))
    most_requests = max(visits, key=lambda v: v.requests)
    results = [
        _verdict("total", heaviest.total, TARGET_TOTAL_BYTES, "bytes", heaviest.page),
        _verdict("js", most_js.bytes_of("js"), TARGET_JS_BYTES, "bytes", most_js.page),
        _verdict(
            "requests", most_requests.requests, TARGET_REQUESTS, "requests", most_requests.page
        ),
    ]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
