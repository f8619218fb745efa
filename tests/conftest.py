"""Shared fixtures: one user per role, ``make_*`` helpers, and the browser."""

from __future__ import annotations

import datetime
import os
import shutil

import pytest
from django.utils import timezone

from screening import services
from screening.models import Intake, Patient
from screening.permissions import Role

PASSWORD = "correct-horse-battery-9"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


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


def make_intake(patient: Patient | None = None, **overrides) -> Intake:
    values = {
        "patient": patient or make_patient(),
        "appointment_at": timezone.now() + datetime.timedelta(hours=2),
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

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page_factory(browser):
    contexts = []

    def factory(width: int = 1280, height: int = 900):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield factory
    for context in contexts:
        context.close()
