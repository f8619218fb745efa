"""PostgreSQL keeps the wizard's statements prepared (clinic/settings.py): parameters are bound
by the server, and a statement a connection has sent five times is planned once for that
connection, not on every request. DATABASE_PREPARED_STATEMENTS=0 turns it off, for a pooler
that cannot keep prepared statements."""

import json

import pytest
from django.db import connection

from screening.engine import questionnaire
from tests.conftest import make_intake, make_step_data, open_as_patient, step_url
from tests.test_settings import run_manage

PG_URL = "postgresql://postgres@127.0.0.1:5432/dn_settings_only"  # never connected to
SHOW_OPTIONS = (
    "import json; from django.conf import settings; "
    "o = settings.DATABASES['default'].get('OPTIONS', {}); "
    "print(json.dumps({k: o.get(k) for k in ('server_side_binding', 'prepare_threshold')}))"
)


@pytest.fixture(autouse=True)
def _switch_unset(monkeypatch):
    """The subprocesses below inherit the environment: start them without the switch."""
    monkeypatch.delenv("DATABASE_PREPARED_STATEMENTS", raising=False)


def _options(**env) -> dict:
    result = run_manage("shell", "-c", SHOW_OPTIONS, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_postgresql_prepares_by_default():
    assert _options(DATABASE_URL=PG_URL) == {"server_side_binding": True, "prepare_threshold": 5}


def test_prepared_statements_can_be_turned_off_for_a_pooler():
    options = _options(DATABASE_URL=PG_URL, DATABASE_PREPARED_STATEMENTS="0")

    assert options == {"server_side_binding": None, "prepare_threshold": None}


def test_sqlite_has_no_such_options():
    assert _options() == {"server_side_binding": None, "prepare_threshold": None}


def test_a_malformed_switch_stops_start_up():
    result = run_manage("check", DATABASE_URL=PG_URL, DATABASE_PREPARED_STATEMENTS="sometimes")

    assert result.returncode != 0
    assert "DATABASE_PREPARED_STATEMENTS" in result.stderr


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_the_wizard_lookups_are_prepared_on_the_server_after_a_few_requests(client):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's prepared statements (run with DATABASE_URL=postgresql://...)")
    intake = make_intake()
    open_as_patient(client, intake)
    section = questionnaire.SECTIONS[1].id
    url = step_url(intake, section)

    client.get(url)
    assert not [s for s in _prepared() if "screening_intakelink" in s]

    for _ in range(6):
        assert client.get(url).status_code == 200
        assert client.post(url, make_step_data(section)).status_code == 302

    prepared = _prepared()
    assert any("django_session" in s and "session_key" in s for s in prepared), prepared
    assert any("screening_intakelink" in s and "screening_intake" in s for s in prepared)
    # The patient's answers were saved by prepared statements too, and read back right.
    assert any(s.startswith("UPDATE") and "screening_intake" in s for s in prepared), prepared
    intake.refresh_from_db()
    assert f"{section}/1" in intake.completed_steps


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_migration_that_changes_a_returned_type_costs_one_request_then_a_new_connection(
    practitioner,
):
    """A statement prepared on a connection fails once a migration (another connection)
    changes the type of a column it returns. That request answers 503 (try again); the
    connection is then replaced, so the next request works rather than failing until the
    connection ages out."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's prepared statements (run with DATABASE_URL=postgresql://...)")
    import psycopg

    from tests.test_database_outage import _admin_dsn, _queue_signed_in, _served

    queue, cookie = _queue_signed_in(practitioner)
    for _ in range(6):
        assert _served(queue, cookie)[0] == 200
    assert any("django_session" in s for s in _prepared())
    pid = connection.connection.info.backend_pid
    test_db = psycopg.conninfo.make_conninfo(
        _admin_dsn(connection), dbname=connection.settings_dict["NAME"]
    )
    with psycopg.connect(test_db, autocommit=True) as migration:
        migration.execute("ALTER TABLE django_session ALTER COLUMN session_data TYPE varchar")
        try:
            status, headers, body = _served(queue, cookie)
            assert status == 503, body[:500]
            assert headers["Retry-After"] == "30"
            assert "Please try again in a moment" in body

            status, _headers, body = _served(queue, cookie)
            assert status == 200, body[:500]
            assert connection.connection.info.backend_pid != pid
        finally:
            connection.close()
            migration.execute("ALTER TABLE django_session ALTER COLUMN session_data TYPE text")
