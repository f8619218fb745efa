"""Background work, on the Django tasks API (the ``django-tasks`` backport on Django 5.2).

Development and tests run each task at once, inside the request that enqueued it (the
immediate backend); production stores tasks in the database (``django-tasks-db``) and runs
them in ``manage.py db_worker`` beside Gunicorn, so that no patient's page waits for them.
Every task is idempotent: it may run twice, or on two machines at once.
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.utils import timezone
from django_tasks import task, task_backends

from screening import documents
from screening.models import Intake
from screening.services import delivery, prepared

logger = logging.getLogger(__name__)

RETRY_AFTER = datetime.timedelta(seconds=30)


@task()
def prepare_documents(intake_id: int) -> dict:
    """Render and store an intake's consent form and aftercare sheet (see services.prepared).
    A failed render is recorded for the documents page and tried again, up to three times."""
    outcome = prepared.documents_prepare(intake_id=intake_id)
    if "failed" in outcome.values():
        backend = task_backends[prepare_documents.backend]
        attempts = max(
            (row.attempts for row in prepared.failed_rows(intake_id)), default=prepared.MAX_ATTEMPTS
        )
        if backend.supports_defer and attempts < prepared.MAX_ATTEMPTS:
            prepare_documents.using(run_after=timezone.now() + RETRY_AFTER * attempts).enqueue(
                intake_id
            )
    return outcome


def enqueue_prepare_documents(intake_id: int) -> None:
    """Queue the preparation; a queue that cannot be reached never fails the request that
    changed the intake (printing renders on demand when nothing is stored)."""
    try:
        prepare_documents.enqueue(intake_id)
    except Exception:  # noqa: BLE001 - logged; printing still works without it
        logger.exception("Could not queue the preparation of intake %s's documents", intake_id)


def prepare_after_commit(intake) -> None:
    """Queue the preparation of an intake's documents once the caller's transaction commits
    (the task itself checks that the intake is printable)."""
    intake_id = intake.pk
    transaction.on_commit(lambda: enqueue_prepare_documents(intake_id))


def prepare_upcoming_after_commit() -> None:
    """After a clinic settings change: prepare again the cleared intakes of today and later
    (the documents print the clinic's details and read its thresholds)."""
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    ids = list(
        Intake.objects.filter(
            status=Intake.Status.REVIEWED,
            decision__in=documents.CLEARING_DECISIONS,
            appointment_at__gte=start,
        ).values_list("pk", flat=True)[:500]
    )
    transaction.on_commit(lambda: [enqueue_prepare_documents(pk) for pk in ids])


@task()
def send_messages(message_ids: list[int], base_url: str) -> dict:
    """Issue the link that recorded invitation or reminder messages carry, and send them
    (services.delivery.messages_send). The task's arguments are ids and the site's address:
    the live link is made here and never stored."""
    sent = delivery.messages_send(message_ids=message_ids, base_url=base_url)
    return {str(message.pk): message.status for message in sent}


def enqueue_send_messages(message_ids: list[int], base_url: str) -> None:
    """Queue the sending; when the queue cannot be reached, send now rather than leave the
    patient without their link."""
    try:
        send_messages.enqueue(message_ids, base_url)
    except Exception:  # noqa: BLE001 - logged, then sent in this process
        logger.exception("Could not queue messages %s; sending them now", message_ids)
        delivery.messages_send(message_ids=message_ids, base_url=base_url)
