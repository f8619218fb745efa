"""Invitations and reminders: the patient's contact details, recording the messages that send
a new link by e-mail or text message, the clinic's message templates, and the reminders run by
cron.

Every message carries a newly issued link (only a link's hash is stored, so an earlier one
cannot be sent again). Records are written in one transaction; after the commit a background
task (``screening.tasks.send_messages``) issues the link and sends the messages
(``screening.services.delivery``), so the live link exists only in that task's memory, never in
the queue's table, and no request waits for a mail server. Each outcome, sent or failed in
plain words, is stored on the message and audited, so a failure is shown on the intake page and
the board instead of being lost.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from screening import messaging, selectors, tasks
from screening.models import ClinicSettings, Intake, InvitationMessage, Patient, User
from screening.services.audit import audit_record
from screening.services.base import ConflictError, ServiceError
from screening.services.delivery import (
    SYSTEM_ACTOR,
    DeliveryError,
    _contact_problem,
    _send_email,
    messages_fail_stale,
    send_message,
)

# Also what other services and callers use from here (the aftercare check sends its link
# with the same e-mail and text message delivery).
__all__ = [
    "SYSTEM_ACTOR",
    "DeliveryError",
    "LinkInUse",
    "ReminderRun",
    "_contact_problem",
    "_send_email",
    "invitation_send",
    "message_templates_update",
    "messages_fail_stale",
    "patient_contact_update",
    "reminders_send",
    "send_message",
]

Channel = InvitationMessage.Channel
Kind = InvitationMessage.Kind


class LinkInUse(ServiceError):
    """The patient was active in the last 15 minutes: a new link would stop the one they are
    using. ``active_at`` says when."""

    def __init__(self, active_at):
        minutes = max(1, int((timezone.now() - active_at).total_seconds() // 60))
        super().__init__(
            f"The patient was active {minutes} min ago: they may be answering right now. A new "
            "link stops the one they are using (their answers stay saved, and the message "
            "brings them back to where they were)."
        )
        self.active_at = active_at


# ---------------------------------------------------------------------------------------------
# Contact details


def patient_contact_update(
    *,
    actor: User,
    patient: Patient,
    email: str,
    mobile: str,
    intake: Intake | None = None,
    request=None,
) -> list[str]:
    """Replace the patient's e-mail and mobile on file (blank clears). Returns the fields that
    changed; the audit event names them, never the addresses."""
    email, mobile = email.strip(), " ".join(mobile.split())
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        changed = [
            name
            for name, value in (("email", email), ("phone", mobile))
            if getattr(locked, name) != value
        ]
        if not changed:
            return []
        locked.email, locked.phone = email, mobile
        locked.save(update_fields=changed)
        patient.email, patient.phone = email, mobile
        audit_record(
            actor=actor,
            action="patient.contact_update",
            request=request,
            intake=intake,
            obj=locked,
            detail={"fields": changed},
        )
    return changed


# ---------------------------------------------------------------------------------------------
# Invitations


def invitation_send(
    *,
    actor: User,
    intake: Intake,
    channels: list[str],
    email: str,
    mobile: str,
    base_url: str,
    replace_in_use: bool = False,
    request=None,
) -> list[InvitationMessage]:
    """Save the contact details, issue a new link and send it on ``channels``.

    Refused with ``LinkInUse`` when the patient was active in the last 15 minutes, unless
    ``replace_in_use``; with ``ServiceError`` when the intake is past its questionnaire or a
    channel has no usable contact. Refused means nothing changed and nothing was sent. Returns
    the messages with their outcome (the sending ran when the transaction committed, unless an
    outer transaction is still open).
    """
    channels = [c for c in Channel.values if c in set(channels)]
    if not channels:
        raise ServiceError("Choose how to send the link: by e-mail, by text message, or both.")
    with transaction.atomic():
        locked = (
            Intake.objects.select_for_update(of=("self",))
            .select_related("patient")
            .get(pk=intake.pk)
        )
        if locked.status != Intake.Status.DRAFT:
            raise ServiceError(
                "This questionnaire is no longer waiting for the patient: there is no link to send."
            )
        patient_contact_update(
            actor=actor,
            patient=locked.patient,
            email=email,
            mobile=mobile,
            intake=locked,
            request=request,
        )
        problems = [p for p in (_contact_problem(locked.patient, c) for c in channels) if p]
        if problems:
            raise ServiceError(" ".join(problems))
        link_was_in_use = selectors.link_in_use(locked)
        if link_was_in_use and not replace_in_use:
            raise LinkInUse(locked.patient_active_at)
        sent = [
            InvitationMessage.objects.create(
                intake=locked,
                kind=Kind.INVITATION,
                channel=channel,
                appointment_at=locked.appointment_at,
                created_by=actor,
            )
            for channel in channels
        ]
        audit_record(
            actor=actor,
            action="invitation.send",
            request=request,
            intake=locked,
            detail={"channels": channels, "link_was_in_use": link_was_in_use},
        )
        _send_after_commit(sent, base_url)
    return list(InvitationMessage.objects.filter(pk__in=[m.pk for m in sent]).order_by("pk"))


def _send_after_commit(messages: list[InvitationMessage], base_url: str) -> None:
    """Queue the sending once the caller's transaction commits: a background task issues the
    link and sends the messages (screening.tasks.send_messages), so no live link ever sits in
    the task queue's table and no request waits for a mail server."""
    message_ids = [message.pk for message in messages]
    transaction.on_commit(lambda: tasks.enqueue_send_messages(message_ids, base_url))


# ---------------------------------------------------------------------------------------------
# The clinic's templates


def message_templates_update(
    *, actor: User, changes: dict, expected_version: int, request=None
) -> ClinicSettings:
    """Save the message templates and the reminder timing; refuses a stale form and a template
    with errors. The audit event names what changed (the hours before and after)."""
    with transaction.atomic():
        ClinicSettings.load()
        row = ClinicSettings.objects.select_for_update().get(pk=1)
        if row.version != expected_version:
            raise ConflictError(
                "Someone else changed the clinic settings while you were editing. The page now "
                "shows their version; please make your change again."
            )
        changed = [name for name, value in changes.items() if getattr(row, name) != value]
        if not changed:
            return row
        detail: dict = {"changed": changed}
        if "reminder_hours_before" in changed:
            detail["reminder_hours_before"] = {
                "from": row.reminder_hours_before,
                "to": changes["reminder_hours_before"],
            }
        for name in changed:
            setattr(row, name, changes[name])
        for name, (_kind, _channel, part) in messaging.TEMPLATE_PARTS.items():
            if messaging.template_errors(getattr(row, name), part=part):
                raise ServiceError("A message template has an error; nothing was saved.")
        row.version += 1
        row.full_clean()
        row.save()
        audit_record(
            actor=actor,
            action="message_templates.update",
            request=request,
            obj=row,
            detail=detail,
        )
    return row


# ---------------------------------------------------------------------------------------------
# Reminders


@dataclass
class ReminderRun:
    sent: int = 0
    failed: int = 0
    queued: int = 0  # handed to the background worker (the database task backend)
    waiting_active: int = 0  # the patient is answering now: a later run sends it if needed
    no_contact: int = 0
    interrupted: int = 0
    intakes: list = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"Reminders: {self.sent} sent, {self.failed} failed, "
            + (f"{self.queued} queued for the worker, " if self.queued else "")
            + f"{self.waiting_active} waiting "
            f"(patient answering now), {self.no_contact} without usable contact details"
            + (
                f"; {self.interrupted} interrupted earlier marked failed"
                if self.interrupted
                else ""
            )
            + "."
        )


def reminders_due(now: datetime.datetime, hours: int):
    """Draft intakes whose appointment is within ``hours`` from ``now`` (and not past), whose
    invitation went by message before that window opened."""
    return (
        Intake.objects.filter(
            status=Intake.Status.DRAFT,
            submitted_at__isnull=True,
            appointment_at__gt=now,
            appointment_at__lte=now + datetime.timedelta(hours=hours),
        )
        .select_related("patient")
        .order_by("appointment_at", "pk")
    )


def _reminder_channels(intake: Intake, hours: int) -> list[str]:
    """The channels of the invitations that reached the patient's provider (sent), if the
    latest invitation went before the reminder window opened (a later one is the reminder)."""
    invitations = list(
        InvitationMessage.objects.filter(intake=intake, kind=Kind.INVITATION).order_by(
            "-created_at"
        )
    )
    if not invitations:
        return []
    window_opens = intake.appointment_at - datetime.timedelta(hours=hours)
    if invitations[0].created_at >= window_opens:
        return []
    sent = {m.channel for m in invitations if m.status == InvitationMessage.Status.SENT}
    return [c for c in Channel.values if c in sent]


def reminders_send(*, now=None, base_url: str) -> ReminderRun:
    """One reminder per intake, channel and appointment time, ``reminder_hours_before`` the
    appointment, to patients who have not sent their answers. Never twice (a unique record),
    never to a patient active in the last 15 minutes, never after the appointment."""
    now = now or timezone.now()
    run = ReminderRun(interrupted=messages_fail_stale(now=now))
    hours = ClinicSettings.load().reminder_hours_before
    for intake in reminders_due(now, hours):
        channels = _reminder_channels(intake, hours)
        if not channels:
            continue
        done = set(
            InvitationMessage.objects.filter(
                intake=intake, kind=Kind.REMINDER, appointment_at=intake.appointment_at
            ).values_list("channel", flat=True)
        )
        channels = [c for c in channels if c not in done]
        if not channels:
            continue
        usable = [c for c in channels if not _contact_problem(intake.patient, c)]
        if not usable:
            run.no_contact += 1
            continue
        if selectors.link_in_use(intake, now):
            run.waiting_active += 1
            continue
        messages = _reminder_create(intake=intake, channels=usable, now=now, base_url=base_url)
        for message in messages:
            if message.status == InvitationMessage.Status.SENT:
                run.sent += 1
            elif message.status == InvitationMessage.Status.FAILED:
                run.failed += 1
            else:
                run.queued += 1
        if messages:
            run.intakes.append(intake.pk)
    return run


def _reminder_create(*, intake: Intake, channels: list[str], now, base_url: str):
    try:
        with transaction.atomic():
            locked = Intake.objects.select_for_update().get(pk=intake.pk)
            if (
                locked.status != Intake.Status.DRAFT
                or locked.appointment_at != intake.appointment_at
                or selectors.link_in_use(locked, now)
            ):
                return []
            # The records first: a second run that got here too stops at the unique
            # constraint before it replaces the patient's link.
            created = [
                InvitationMessage.objects.create(
                    intake=locked,
                    kind=Kind.REMINDER,
                    channel=channel,
                    appointment_at=locked.appointment_at,
                    created_at=now,
                )
                for channel in channels
            ]
            audit_record(
                actor=None,
                actor_role=SYSTEM_ACTOR,
                action="reminder.send",
                intake=locked,
                detail={"channels": channels},
            )
            _send_after_commit(created, base_url)
    except IntegrityError:
        return []
    return list(InvitationMessage.objects.filter(pk__in=[m.pk for m in created]).order_by("pk"))
