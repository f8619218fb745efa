"""The reverse proxy's routing (``deploy/nginx.conf``): every staff page goes to the staff
service, every patient page to the patients' service, so that staff work (a burst of prints, an
export) never queues in front of a patient's page. Every route the app has is checked, so a new
page under a new prefix fails here until the proxy routes it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

CONF = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"
_LOCATION = re.compile(r"location\s+(\^~\s+)?(\S+)\s*\{\s*proxy_pass\s+http://(\w+);\s*\}")
# Converters' sample values: a concrete path for each route.
_SAMPLES = {
    "uuid": "0f5c7d1e-8a5b-4c1e-9d2f-3b4a5c6d7e8f",
    "int": "1",
    "str": "x",
    "slug": "x",
    "path": "x",
}
# Pages that are not a patient's but are answered by the patients' service (nobody signs in for
# them): the home page, which sends a visitor on, and the health check.
_NEITHER = {"home", "healthz"}


def locations() -> tuple[dict[str, str], str]:
    """The ``^~`` prefix locations (prefix -> upstream) and the upstream of ``location /``."""
    prefixes, default = {}, None
    for match in _LOCATION.finditer(CONF.read_text()):
        caret, prefix, upstream = match.groups()
        if prefix == "/" and not caret:
            default = upstream
        else:
            assert caret, f"only ^~ prefix locations are routed here, not {prefix}"
            prefixes[prefix] = upstream
    assert default is not None, "location / is missing"
    return prefixes, default


def upstream_for(path: str) -> str:
    """nginx's choice: the longest matching ``^~`` prefix wins (no regex locations here)."""
    prefixes, default = locations()
    matching = [prefix for prefix in prefixes if path.startswith(prefix)]
    return prefixes[max(matching, key=len)] if matching else default


def _sample(route: str) -> str:
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: _SAMPLES[m.group(1) or "str"], route)


def routes(patterns=None, prefix="/", namespace=""):
    """(sample path, namespace, name) for every route of the app, nested includes followed."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        text = str(pattern.pattern)
        if text.startswith("^"):  # a regex route: its literal start is enough for routing
            text = re.split(r"[\[(\\?*+.$]", text.lstrip("^"), maxsplit=1)[0]
        path = prefix + _sample(text)
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or namespace
            yield from routes(pattern.url_patterns, path, inner)
        elif isinstance(pattern, URLPattern):
            yield path, namespace, pattern.name


def test_the_configuration_routes_to_both_services():
    prefixes, default = locations()
    assert default == "dn_patients"
    assert set(prefixes.values()) == {"dn_staff"}
    assert {"/desk/", "/review/", "/manage/", "/accounts/", "/admin/", "/api/"} <= set(prefixes)


@pytest.mark.parametrize(
    ("path", "namespace", "name"), sorted(routes(), key=lambda r: r[0]), ids=lambda v: str(v)
)
def test_every_page_goes_to_its_service(path, namespace, name):
    expected = "dn_patients" if namespace == "patient" or name in _NEITHER else "dn_staff"
    assert upstream_for(path) == expected, f"{path} ({namespace}:{name})"


def test_routing_is_checked_on_real_paths():
    # The walk above sees the app's pages, including these, at the paths they are served on.
    seen = {(namespace, name): path for path, namespace, name in routes()}
    assert seen[("patient", "step")].startswith("/p/")
    assert seen[("patient", "open")] == "/i/x/"
    assert seen[("desk", "consent_pdf")].startswith("/desk/intakes/")
    assert upstream_for("/desk/intakes/x/consent.pdf") == "dn_staff"
    assert upstream_for("/p/x/step/bleeding/") == "dn_patients"
    assert upstream_for("/static/screening/favicon.svg") == "dn_patients"
    # A path that only starts like a staff prefix is not one.
    assert upstream_for("/deskx/") == "dn_patients"


# --- the services (deploy/systemd) -------------------------------------------------------------

UNITS = CONF.parent / "systemd"


def unit(name: str) -> dict[str, list[str]]:
    """A unit file's settings (name -> values, in order), comments left out."""
    settings: dict[str, list[str]] = {}
    for line in (UNITS / f"dn-intake-{name}.service").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def _option(settings, flag: str) -> str:
    """A Gunicorn command-line option's value in the unit's ExecStart."""
    words = settings["ExecStart"][0].split()
    return words[words.index(flag) + 1]


# The kernel's weights for nice values (kernel/sched/core.c, sched_prio_to_weight).
NICE_WEIGHT = {0: 1024, 5: 335, 6: 272, 7: 215, 8: 172, 9: 137, 10: 110}


def test_each_service_listens_where_the_proxy_sends_its_pages():
    text = CONF.read_text()
    upstreams = dict(re.findall(r"upstream (\w+) \{\s*server ([\d.:]+);", text))
    # On the command line, so that GUNICORN_BIND in the environment file cannot move them.
    assert _option(unit("patients"), "--bind") == upstreams["dn_patients"]
    assert _option(unit("staff"), "--bind") == upstreams["dn_staff"]
    for name in ("patients", "staff"):
        command = unit(name)["ExecStart"][0]
        assert command.split()[0].endswith("/gunicorn") and command.endswith(" clinic.wsgi")
        assert "-c gunicorn.conf.py" in command
    assert unit("worker")["ExecStart"][0].endswith("manage.py db_worker")


def test_the_patients_come_first_for_the_processor():
    patients = int(unit("patients")["CPUWeight"][0])
    for name in ("staff", "worker"):
        assert int(unit(name)["CPUWeight"][0]) < patients, name
    # The same environment file for all three: one app, one configuration.
    files = {unit(name)["EnvironmentFile"][0] for name in ("patients", "staff", "worker")}
    assert len(files) == 1


def test_the_wizard_bench_runs_the_staff_service_as_deployed():
    """The bench's nice value gives the staff service the units' share of the processor."""
    bench = (CONF.parent.parent / "bench" / "bench_wizard.py").read_text()
    nice = int(re.search(r"^STAFF_NICE = (\d+)", bench, re.MULTILINE).group(1))
    share = int(unit("staff")["CPUWeight"][0]) / int(unit("patients")["CPUWeight"][0])
    assert NICE_WEIGHT[nice] / NICE_WEIGHT[0] == pytest.approx(share, rel=0.1)


@pytest.mark.parametrize(
    "path",
    ["/i/SECRET/", "/a/SECRET/", "/i/SECRET/a/OTHER", "/I/SECRET/", "/x/i/SECRET/", "/a/SECRET"],
)
def test_the_access_log_shows_no_token(path):
    """nginx's map for the logged path, applied as nginx does (PCRE, case-insensitive, first
    match): nothing after the first /i/ or /a/ segment is shown."""
    pattern, value = re.search(
        r'map \$uri \$dn_log_path \{\s*"~\*(.+?)" "(.+?)";', CONF.read_text()
    ).groups()
    match = re.match(pattern.replace("(?<", "(?P<"), path, re.IGNORECASE)
    assert match is not None
    logged = value.replace("${dn_head}", match.group("dn_head"))
    assert "SECRET" not in logged and "OTHER" not in logged
    assert logged.endswith("/<redacted>")
    # Other paths are logged as they are (nginx's $uri has no query string).
    assert re.match(pattern.replace("(?<", "(?P<"), "/p/aftercare/", re.IGNORECASE) is None
