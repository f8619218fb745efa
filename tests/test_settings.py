"""Start-up behaviour of the one settings module, and the production security checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_SECRET = "k" * 20 + "-production-secret-for-tests-" + "z" * 20


def run_manage(*args, **env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.pop("DATABASE_URL", None)
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_secret_key():
    result = run_manage("check", DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS="clinic.example.org")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = run_manage("check", DJANGO_DEBUG="0", DJANGO_SECRET_KEY=GOOD_SECRET)

    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DJANGO_DEBUG", "maybe"),
        ("SESSION_IDLE_MINUTES", "ten"),
        ("SESSION_IDLE_MINUTES", "0"),
        ("AXES_FAILURE_LIMIT", "-3"),
        ("DATABASE_URL", "nonsense://"),
    ],
)
def test_bad_values_fail_loudly_at_start_up(name, value):
    result = run_manage("check", **{name: value})

    assert result.returncode != 0
    assert name in result.stderr


def test_check_deploy_is_clean_with_production_values():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=GOOD_SECRET,
        DJANGO_ALLOWED_HOSTS="clinic.example.org",
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_security_headers_are_set_on_every_page(client):
    response = client.get("/accounts/login/")

    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "style-src 'self'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cache-Control"] == "no-store"
    assert response["X-Request-ID"]


@pytest.mark.django_db
def test_healthz_reports_database_and_nothing_about_anyone(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
