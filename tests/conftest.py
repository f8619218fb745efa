"""Shared fixtures: one user per role, ``make_*`` helpers, and the browser."""

from __future__ import annotations

import datetime
import os
import shutil
import threading

import pytest
from django.utils import timezone

from screening import services
from screening.models import Intake, Patient
from screening.permissions import Role
from tests.fake_servers import fake_twilio, smtp_server  # noqa: F401 - fixtures for every test

PASSWORD = "correct-horse-battery-9"

# For tests that start the app in a subprocess on a SQLite file of their own (real gunicorn, the
# management commands as an operator runs them, the wizard bench): the same test in CI's
# PostgreSQL pass would only repeat the SQLite pass, so it runs once.
own_sqlite_database = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="runs on a SQLite database of its own; the SQLite pass covers it",
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _flush_past_the_audit_guard():
    """Transactional tests empty every table with TRUNCATE between tests. On PostgreSQL the
    audit table refuses TRUNCATE (migration 0011); the test database's owner lifts that one
    trigger for the flush, inside the flush's own transaction. Production code never does."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = original(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        if "screening_auditevent" in tables and statements:
            table = self.quote_name("screening_auditevent")
            statements = [
                f"ALTER TABLE {table} DISABLE TRIGGER audit_no_truncate",
                *statements,
                f"ALTER TABLE {table} ENABLE TRIGGER audit_no_truncate",
            ]
        return statements

    DatabaseOperations.sql_flush = sql_flush


_flush_past_the_audit_guard()


@pytest.fixture(autouse=True)
def _staff_second_factor(request, settings):
    """The second factor is on in every deployment; tests of other features sign in with a
    password only, and tests marked ``two_factor`` (and the permission matrix's 2FA column)
    run with it required."""
    settings.STAFF_2FA = request.node.get_closest_marker("two_factor") is not None


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests create many accounts; production hashing cost buys nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(role: str | None, username: str | None = None, **extra):
    username = username or f"{role or 'nobody'}-user"
    if role is None:
        from screening.models import User

        user = User.objects.create_user(username=username, password=PASSWORD, **extra)
        return user
    return services.staff_create(username=username, role=role, password=PASSWORD, **extra)


def make_patient(**overrides) -> Patient:
    values = {
        "full_name": "Jamie Example",
        "date_of_birth": datetime.date(1985, 4, 12),
    }
    values.update(overrides)
    values["name_key"] = Patient.make_name_key(values["full_name"])
    return Patient.objects.create(**values)


def later_today(hours: int = 2) -> datetime.datetime:
    """An appointment later today in the clinic's time zone: ``hours`` from now, or the last
    minute of the day when that would fall tomorrow. Today's queue and board list it at any
    hour the suite runs (a run at 22:30 once failed with an appointment on the next day)."""
    now = timezone.localtime()
    wanted = now + datetime.timedelta(hours=hours)
    if wanted.date() == now.date():
        return wanted
    return max(now.replace(hour=23, minute=59, second=0, microsecond=0), now)


def make_intake(patient: Patient | None = None, **overrides) -> Intake:
    values = {
        "patient": patient or make_patient(),
        "appointment_at": later_today(),
    }
    values.update(overrides)
    return Intake.objects.create(**values)


@pytest.fixture
def front_desk(db):
    return make_user(Role.FRONT_DESK, "desk1")


@pytest.fixture
def practitioner(db):
    return make_user(
        Role.PRACTITIONER,
        "prac1",
        first_name="Priya",
        last_name="Shah",
        profession="Physiotherapist",
    )


@pytest.fixture
def clinic_admin(db):
    return make_user(Role.CLINIC_ADMIN, "admin1")


@pytest.fixture
def users_by_role(front_desk, practitioner, clinic_admin):
    return {
        Role.FRONT_DESK: front_desk,
        Role.PRACTITIONER: practitioner,
        Role.CLINIC_ADMIN: clinic_admin,
    }


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright. Skipped locally without it; fatal under CI."""
    path = chromium_path()
    if path is None:
        message = "Chromium is not installed (apt-get install chromium): browser tests need it"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API keeps an event loop in this thread; Django's ORM calls made by the
    # test itself are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    # Playwright's event loop, set on this thread, makes Django keep database connections
    # apart: one opened before it started is no longer seen by the test code, and is never
    # closed, so PostgreSQL refuses to drop the test database at the end ("being accessed by
    # other users"). Close them on each side of Playwright's life.
    _close_idle_connections()
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
        _close_idle_connections()


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, with one request at a time on SQLite.

    The SQLite test database lives in memory, shared by the connections of the server's request
    threads; two requests at once (a draft the wizard autosaves while Next is pressed, a page
    left while its draft is sent) then meet SQLite's shared-cache table lock, which fails at
    once with "database table is locked" (a 503) instead of waiting as production's SQLite file
    and PostgreSQL do. The PostgreSQL pass still serves requests concurrently.
    """
    from django.db import connection
    from pytest_django.live_server_helper import LiveServer

    addr = (
        request.config.getvalue("liveserver")
        or os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(addr, start=False)
    if connection.vendor == "sqlite":
        server.thread.static_handler = _one_request_at_a_time(server.thread.static_handler)
    server.start()
    yield server
    server.stop()


def _one_request_at_a_time(handler_class):
    """Wrap a WSGI handler class so that its requests run one after another, each holding the
    lock until the server has sent and closed its response (a streamed CSV reads rows as it
    is sent)."""
    lock = threading.Lock()

    def make(application):
        inner = handler_class(application)

        def app(environ, start_response):
            lock.acquire()
            try:
                result = inner(environ, start_response)
            except BaseException:
                lock.release()
                raise
            return _ReleasedOnClose(result, lock.release)

        return app

    return make


class _ReleasedOnClose:
    """A WSGI response that calls ``release`` once, when the server closes it."""

    def __init__(self, result, release):
        self._result = result
        self._release = release

    def __iter__(self):
        return iter(self._result)

    def close(self) -> None:
        release, self._release = self._release, None
        try:
            if hasattr(self._result, "close"):
                self._result.close()
        finally:
            if release is not None:
                release()


def _close_idle_connections() -> None:
    """Close this context's database connections, unless a test's transaction is open."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can see whether the test
    failed (``page_factory`` then says where each browser page was)."""
    report = yield
    setattr(item, "report_" + report.when, report)
    return report


@pytest.fixture
def page_factory(browser, request):
    contexts = []

    def factory(width: int = 1280, height: int = 900, **options):
        """A page in a new browser context; ``options`` go to ``new_context`` (for example
        ``has_touch=True, is_mobile=True`` for a phone)."""
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield factory
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        # A browser test that timed out says little on its own: show where each page was.
        for context in contexts:
            for page in context.pages:
                try:
                    text = page.locator("body").inner_text(timeout=2_000)
                except Exception as error:  # the page may be gone or mid-navigation
                    text = f"(text unavailable: {type(error).__name__})"
                print(f"page at failure: {page.url}\n{text[:800]}")
    for context in contexts:
        context.close()


# ---------------------------------------------------------------------------------------------
# The patient wizard: links, a verified patient browser, and valid answers for every step.

# A "no" (or the calm choice) to every question, with sensible values where a number or a
# choice is the answer itself. Keys are the wizard's HTML field names (``<item>__<field>``).
CALM_ANSWERS = {
    "not_eaten_recently__hours_since_meal": "2",
    "previous_needling_reaction__previous_experience": "never",
    "low_body_weight__height_cm": "170",
    "low_body_weight__weight_kg": "68",
    "pregnancy__answer": "not_applicable",
}


def make_step_data(section_id: str, action: str = "next", **overrides) -> dict:
    """POST data that completes one wizard step: calm answers, then ``overrides``.

    An override of ``None`` leaves that field out of the POST.
    """
    from screening.engine import questionnaire
    from screening.forms import MAIN, field_name

    section = next(s for s in questionnaire.SECTIONS if s.id == section_id)
    if not section.items:
        data = {"completed_by": "self"}
    else:
        data = {}
        for item_id in section.items:
            item = questionnaire.item(item_id)
            name = field_name(item_id, MAIN)
            if item.answer_kind == questionnaire.ANSWER_YES_NO:
                data[name] = "no"
            for key, value in CALM_ANSWERS.items():
                if key.startswith(f"{item_id}__"):
                    data[key] = value
    data["action"] = action
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def question_steps() -> list[str]:
    """Ids of the wizard steps that ask questions, in order."""
    from screening.engine import questionnaire

    return [section.id for section in questionnaire.SECTIONS if section.items]


def question_pages() -> list[tuple[str, int]]:
    """(section id, page) of every wizard page that asks questions, in order."""
    from screening.engine import questionnaire

    return [
        (section.id, page)
        for section in questionnaire.SECTIONS
        for page in range(1, len(section.pages) + 1)
    ]


def make_link(intake: Intake, **overrides):
    """Issue an invitation link for ``intake`` (by a front-desk user); returns IssuedLink."""
    from screening.models import User

    actor = User.objects.filter(role=Role.FRONT_DESK).order_by("pk").first()
    if actor is None:
        actor = make_user(Role.FRONT_DESK, "link-issuer")
    issued = services.link_issue(actor=actor, intake=intake)
    if overrides:
        type(issued.link).objects.filter(pk=issued.link.pk).update(**overrides)
        issued.link.refresh_from_db()
    return issued


def dob_data(date_of_birth: datetime.date) -> dict:
    return {"day": date_of_birth.day, "month": date_of_birth.month, "year": date_of_birth.year}


def open_as_patient(client, intake: Intake) -> str:
    """Open a fresh link for ``intake`` in ``client`` and confirm the date of birth.

    Returns the token. The client then holds a verified patient session for that intake.
    """
    from django.urls import reverse

    issued = make_link(intake)
    client.get(reverse("patient:open", args=[issued.token]))
    response = client.post(
        reverse("patient:verify", args=[intake.public_id]), dob_data(intake.patient.date_of_birth)
    )
    assert response.status_code == 302, response
    return issued.token


def step_url(intake: Intake, section_id: str, page: int = 1) -> str:
    from django.urls import reverse

    if page == 1:
        return reverse("patient:step", args=[intake.public_id, section_id])
    return reverse("patient:page", args=[intake.public_id, section_id, page])


def page_count(section_id: str) -> int:
    from screening.engine import questionnaire

    return max(len(questionnaire.SECTIONS_BY_ID[section_id].pages), 1)


def post_section(client, intake: Intake, section_id: str, data: dict):
    """Post ``data`` (answers for the whole section) to each page of the section in turn, as a
    patient pressing Next on every page; a page ignores the fields of the others. Returns the
    last response, or the first that is not a redirect."""
    response = None
    for page in range(1, page_count(section_id) + 1):
        response = client.post(step_url(intake, section_id, page), data)
        if response.status_code != 302:
            return response
    return response


def complete_steps(client, intake: Intake, section_ids=None) -> None:
    """Post calm, valid answers to each step (default: every step, welcome included)."""
    from screening.engine import questionnaire

    section_ids = section_ids or [s.id for s in questionnaire.SECTIONS if s.id != "review"]
    for section_id in section_ids:
        response = post_section(client, intake, section_id, make_step_data(section_id))
        assert response.status_code == 302, (section_id, response.content[:2000])
