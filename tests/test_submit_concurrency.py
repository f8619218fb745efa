"""Two requests at once: a double submit makes one submission, and two desks creating the
same new patient's intake make one patient and one intake (real locks)."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from screening import services
from screening.models import AuditEvent, Intake, Patient, ScreeningResult
from screening.permissions import Role
from tests.conftest import make_intake, make_user
from tests.factories import complete_answers, fill_all_steps

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgresql():
    # SQLite serialises writers with a file lock and has no SELECT ... FOR UPDATE: two threads
    # would test the lock of the test database, not the service.
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (run with DATABASE_URL=postgresql://...)")


def test_intake_submit_from_two_threads_at_once_makes_one_submission():
    intake = make_intake()
    fill_all_steps(intake, complete_answers(intake))
    start = threading.Barrier(2)
    outcomes: list = []

    def send():
        from django.db import connection as thread_connection

        try:
            start.wait(timeout=10)
            outcomes.append(services.intake_submit(intake=intake))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcomes.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    assert sorted(created for _, created in outcomes) == [False, True]
    assert ScreeningResult.objects.filter(intake=intake).count() == 1
    assert AuditEvent.objects.filter(intake=intake, action="intake.submit").count() == 1
    assert Intake.objects.get(pk=intake.pk).status == Intake.Status.SUBMITTED


def test_two_desks_creating_the_same_new_patient_at_once_make_one_patient_and_one_intake():
    desks = [make_user(Role.FRONT_DESK, f"desk-{n}") for n in range(2)]
    appointment = timezone.now() + datetime.timedelta(days=1)
    start = threading.Barrier(2)
    outcomes: list = []

    def create(actor):
        from django.db import connection as thread_connection

        try:
            start.wait(timeout=10)
            outcomes.append(
                services.intake_create(
                    actor=actor,
                    full_name="Morgan  New-Patient",
                    date_of_birth=datetime.date(1990, 2, 3),
                    appointment_at=appointment,
                )
            )
        except Exception as exc:  # noqa: BLE001 - reported by the assertions below
            outcomes.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=create, args=(desk,)) for desk in desks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    refused = [o for o in outcomes if isinstance(o, services.SameDayIntake)]
    assert len(outcomes) == 2 and len(refused) == 1, outcomes
    assert Patient.objects.count() == 1
    assert Intake.objects.count() == 1
