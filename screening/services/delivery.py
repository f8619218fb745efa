"""Sending recorded messages: issuing the link an invitation or reminder carries, delivering it
by e-mail or text message, and storing the outcome (sent, or failed in plain words).

``screening.services.messaging`` records what is to be sent (in the desk's request, or the
reminder run); ``screening.tasks.send_messages`` runs ``messages_send`` in the background, so
the live link is made and used only in that task's memory, never stored.
"""

from __future__ import annotations

import datetime
import email.utils
import logging
import smtplib
import ssl

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from screening import messaging, sms
from screening.models import ClinicSettings, Intake, InvitationMessage, Patient
from screening.services.audit import audit_record
from screening.services.intakes import link_issue

logger = logging.getLogger(__name__)

Channel = InvitationMessage.Channel
Kind = InvitationMessage.Kind

SYSTEM_ACTOR = "system"  # the audit role of the scheduled reminders
# A message still "sending" after this long was interrupted (the process stopped mid-send).
STALE_SENDING = datetime.timedelta(minutes=10)
INTERRUPTED = "Sending was interrupted before it finished; send the link again."


class DeliveryError(Exception):
    """A message that did not go; ``str()`` is plain words for staff."""


def _contact_problem(patient: Patient, channel: str) -> str:
    """Why this patient cannot be sent a message on ``channel``; "" when they can."""
    if channel == Channel.EMAIL:
        return "" if patient.email else "There is no e-mail address on file."
    if not patient.phone:
        return "There is no mobile number on file."
    try:
        sms.normalise_mobile(patient.phone)
    except sms.InvalidNumber:
        return "The mobile number on file is not a number a text message can be sent to."
    return ""


def messages_send(*, message_ids: list[int], base_url: str) -> list[InvitationMessage]:
    """Issue the link that these messages (one intake's, recorded by ``invitation_send`` or
    a reminder run) carry, and send them: the body of the background task.

    Idempotent and safe on two machines at once: the intake row is locked while the link is
    issued, and only messages still "sending" with no link yet are taken, so a second run, or
    a run that finds the work done, sends nothing. A run that stopped after issuing the link
    and before sending leaves messages "sending", shown as interrupted after 10 minutes, when
    the desk sends again. An intake that is no longer waiting for the patient (answers sent,
    appointment cancelled or moved, for a reminder) gets no link: its messages fail in words.
    """
    intake_ids = set(
        InvitationMessage.objects.filter(pk__in=message_ids).values_list("intake_id", flat=True)
    )
    if len(intake_ids) != 1:
        return []
    with transaction.atomic():
        intake = (
            Intake.objects.select_for_update(of=("self",))
            .select_related("patient")
            .get(pk=intake_ids.pop())
        )
        messages = list(
            InvitationMessage.objects.filter(
                pk__in=message_ids,
                status=InvitationMessage.Status.SENDING,
                link__isnull=True,
            )
            .select_related("intake", "created_by")
            .order_by("pk")
        )
        if not messages:
            return []
        problem = _not_waiting(intake, messages)
        if problem:
            return [_record_outcome(m, provider_id="", error=problem) for m in messages]
        issued = link_issue(actor=messages[0].created_by, intake=intake)
        InvitationMessage.objects.filter(pk__in=[m.pk for m in messages]).update(link=issued.link)
    link = messaging.link_url(base_url, issued.token)
    return [send_message(message.pk, link=link) for message in messages]


def _not_waiting(intake: Intake, messages: list[InvitationMessage]) -> str:
    """Why the intake no longer needs the link these messages were to carry; "" if it does."""
    if intake.status != Intake.Status.DRAFT:
        return "The questionnaire was no longer waiting for the patient when the link was to go."
    if any(m.kind == Kind.REMINDER and m.appointment_at != intake.appointment_at for m in messages):
        return "The appointment moved before the reminder went."
    return ""


# ---------------------------------------------------------------------------------------------
# Sending one message (a plain function, so that it can become a background task)


def send_message(message_id: int, *, link: str) -> InvitationMessage:
    """Send one recorded message with ``link`` and store its outcome. A message that is no
    longer "sending" is left alone, so running this twice never sends twice."""
    message = InvitationMessage.objects.select_related("intake__patient").get(pk=message_id)
    if message.status != InvitationMessage.Status.SENDING:
        return message
    provider_id, error = "", ""
    try:
        provider_id = _deliver(message, ClinicSettings.load(), link)
    except DeliveryError as exc:
        error = str(exc)
    except sms.SmsError as exc:
        error = str(exc)
    except Exception as exc:  # noqa: BLE001 - any fault is recorded, never lost
        # The exception's text can quote an address: only its type is logged.
        logger.error(
            "message %s (%s): unexpected %s", message.pk, message.channel, type(exc).__name__
        )
        error = "The message could not be sent because of an unexpected error; try again."
    return _record_outcome(message, provider_id=provider_id, error=error)


def _deliver(message: InvitationMessage, clinic: ClinicSettings, link: str) -> str:
    patient = message.intake.patient
    problem = _contact_problem(patient, message.channel)
    if problem:
        raise DeliveryError(problem)
    prefix = f"{message.kind}_{message.channel}"
    values = messaging.values_for(clinic, message.appointment_at, link)
    body = messaging.render(getattr(clinic, f"{prefix}_body"), values)
    if message.channel == Channel.EMAIL:
        subject = messaging.render(getattr(clinic, f"{prefix}_subject"), values)
        return _send_email(patient.email, subject, body)
    return sms.get_backend().send(sms.normalise_mobile(patient.phone), body)


def _send_email(to: str, subject: str, body: str) -> str:
    """Send through Django's e-mail backend; returns the Message-ID."""
    domain = email.utils.parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
    message_id = email.utils.make_msgid(domain=domain or "localhost")
    mail = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": message_id},
    )
    try:
        accepted = mail.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused:
        raise DeliveryError("The mail server refused the address.") from None
    except smtplib.SMTPSenderRefused:
        raise DeliveryError(
            "The mail server refused the clinic's sending address (ask the clinic admin)."
        ) from None
    except smtplib.SMTPAuthenticationError:
        raise DeliveryError(
            "The mail server refused the clinic's user name or password (ask the clinic admin)."
        ) from None
    except smtplib.SMTPServerDisconnected as exc:
        # smtplib reports a reply that never came as a disconnection caused by the time-out.
        if isinstance(exc.__context__, TimeoutError):
            raise DeliveryError("The mail server did not answer in time; try again.") from None
        raise DeliveryError("The mail server closed the connection; try again.") from None
    except smtplib.SMTPException:
        raise DeliveryError("The mail server refused the message.") from None
    except TimeoutError:
        raise DeliveryError("The mail server did not answer in time; try again.") from None
    except ssl.SSLError:
        raise DeliveryError(
            "A secure connection to the mail server failed (ask the clinic admin)."
        ) from None
    except OSError:
        raise DeliveryError(
            "The mail server could not be reached; try again in a few minutes."
        ) from None
    if not accepted:
        raise DeliveryError("The mail server did not accept the message.")
    return message_id.strip("<>")


def _record_outcome(message: InvitationMessage, *, provider_id: str, error: str):
    ok = not error
    with transaction.atomic():
        updated = InvitationMessage.objects.filter(
            pk=message.pk, status=InvitationMessage.Status.SENDING
        ).update(
            status=InvitationMessage.Status.SENT if ok else InvitationMessage.Status.FAILED,
            sent_at=timezone.now() if ok else None,
            provider_id=provider_id[:200],
            error=error[:300],
        )
        if updated:
            audit_record(
                actor=message.created_by,
                actor_role=None if message.created_by_id else SYSTEM_ACTOR,
                action="message.sent" if ok else "message.failed",
                intake=message.intake,
                obj=message,
                detail={"kind": message.kind, "channel": message.channel}
                | ({} if ok else {"reason": error[:300]}),
            )
    message.refresh_from_db()
    return message


def messages_fail_stale(*, now=None) -> int:
    """Mark messages stuck in "sending" (the process stopped mid-send) as failed, so that the
    desk sees them. Returns how many."""
    now = now or timezone.now()
    stale = InvitationMessage.objects.filter(
        status=InvitationMessage.Status.SENDING, created_at__lt=now - STALE_SENDING
    ).select_related("intake", "created_by")
    count = 0
    for message in stale:
        _record_outcome(message, provider_id="", error=INTERRUPTED)
        count += 1
    return count
