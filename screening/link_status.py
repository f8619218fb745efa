"""Where the patient's questionnaire stands, from recorded events only: the messages sent (and
how they went), the links made and opened, the pages saved, the submission.

``with_link_status`` adds what it needs to an intake queryset as subqueries, so that the board
reads every row's status in its one query; ``link_status`` turns one annotated intake into
words: "Not sent yet", "Sent by e-mail 09:14", "Sending failed: …", "Opened 09:20",
"Answering: step 3 of 13, active 2 min ago", "Sent to the clinic 09:41".
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from screening.engine import questionnaire
from screening.models import Intake, IntakeLink, InvitationMessage

CHANNELS = tuple(InvitationMessage.Channel.values)
CHANNEL_WORDS = {"email": "e-mail", "sms": "text message"}
# The wizard's steps as the patient sees them ("Step 3 of 13"): every section, review last.
STEP_IDS = tuple(section.id for section in questionnaire.SECTIONS)
TOTAL_STEPS = len(STEP_IDS)
# A message still "sending" after this long is shown as interrupted (see services.messaging).
STALE_SENDING = datetime.timedelta(minutes=10)


def with_link_status(queryset):
    """``queryset`` of intakes with the latest message per channel (status, time, error, link),
    the current link and when any link was first opened, each a subquery."""
    messages = InvitationMessage.objects.filter(intake=OuterRef("pk")).order_by(
        "-created_at", "-pk"
    )
    annotations = {}
    for channel in CHANNELS:
        latest = messages.filter(channel=channel)
        for name in ("status", "created_at", "sent_at", "error", "link_id"):
            annotations[f"msg_{channel}_{name}"] = Subquery(latest.values(name)[:1])
    links = IntakeLink.objects.filter(intake=OuterRef("pk"))
    annotations["link_current_id"] = Subquery(
        links.filter(revoked_at__isnull=True).order_by("-created_at", "-pk").values("pk")[:1]
    )
    annotations["link_current_at"] = Subquery(
        links.filter(revoked_at__isnull=True)
        .order_by("-created_at", "-pk")
        .values("created_at")[:1]
    )
    annotations["link_opened_at"] = Subquery(
        links.filter(first_used_at__isnull=False)
        .order_by("-first_used_at")
        .values("first_used_at")[:1]
    )
    annotations["link_locked"] = Exists(
        links.filter(revoked_at__isnull=True).filter(~Q(locked_at=None))
    )
    return queryset.annotate(**annotations)


@dataclass(frozen=True)
class LinkStatus:
    label: str
    # "muted" (nothing yet), "info" (sent, opened), "progress" (answering), "done", "danger"
    tone: str
    # A failed message beside a state that still holds ("Text message failed: …").
    problem: str = ""
    # The desk's next step, for the board's "Next action".
    next_action: str = ""

    @property
    def failed(self) -> bool:
        return self.tone == "danger" or bool(self.problem)


def when(moment: datetime.datetime, now: datetime.datetime) -> str:
    """ "09:14" today, "2 Dec 09:14" on another day (clinic time)."""
    local, today = timezone.localtime(moment), timezone.localtime(now).date()
    return f"{local:%H:%M}" if local.date() == today else f"{local.day} {local:%b %H:%M}"


def ago(moment: datetime.datetime, now: datetime.datetime) -> str:
    minutes = int((now - moment).total_seconds() // 60)
    if minutes < 1:
        return "active just now"
    if minutes < 60:
        return f"active {minutes} min ago"
    return f"last active {when(moment, now)}"


def current_step(completed_steps) -> int:
    """The step the patient is on, counted as the wizard counts it (the first not done)."""
    done = set(completed_steps or ())
    for number, step_id in enumerate(STEP_IDS, start=1):
        if step_id not in done:
            return number
    return TOTAL_STEPS


def _join(words: list[str]) -> str:
    return " and ".join(words)


def _latest_batch(intake) -> list[dict]:
    """The latest message of each channel that carried the link now in force (an older
    message's link was replaced and no longer matters)."""
    batch = []
    for channel in CHANNELS:
        status = getattr(intake, f"msg_{channel}_status", None)
        if status is None:
            continue
        if getattr(intake, f"msg_{channel}_link_id") != intake.link_current_id:
            continue
        batch.append(
            {
                "channel": channel,
                "status": status,
                "created_at": getattr(intake, f"msg_{channel}_created_at"),
                "sent_at": getattr(intake, f"msg_{channel}_sent_at"),
                "error": getattr(intake, f"msg_{channel}_error") or "",
            }
        )
    return batch


def _failures(batch, now) -> list[str]:
    failed = []
    for message in batch:
        error = message["error"]
        if message["status"] == "sending" and now - message["created_at"] > STALE_SENDING:
            error = "sending was interrupted"
        elif message["status"] != "failed":
            continue
        channel = CHANNEL_WORDS[message["channel"]]
        failed.append(f"{channel[:1].upper()}{channel[1:]}: {error}")
    return failed


def link_status(intake: Intake, now: datetime.datetime | None = None) -> LinkStatus:
    """How far the patient got, from an intake annotated by ``with_link_status``."""
    now = now or timezone.now()
    batch = _latest_batch(intake)
    failures = _failures(batch, now)
    problem = "Sending failed: " + "; ".join(failures) if failures else ""
    if intake.submitted_at:
        return LinkStatus(f"Sent to the clinic {when(intake.submitted_at, now)}", "done")
    if intake.status == Intake.Status.CANCELLED:
        return LinkStatus("Cancelled", "muted")
    if intake.completed_steps:
        label = f"Answering: step {current_step(intake.completed_steps)} of {TOTAL_STEPS}"
        if intake.patient_active_at:
            label += f", {ago(intake.patient_active_at, now)}"
        return LinkStatus(
            label, "progress", problem, "Send the link again" if problem else "Waiting for patient"
        )
    if getattr(intake, "link_locked", False):
        return LinkStatus(
            "Link locked after 5 wrong dates of birth", "danger", problem, "Send a new link"
        )
    sent = [m for m in batch if m["status"] == "sent"]
    sending = [m for m in batch if m["status"] == "sending" and m not in _stale(batch, now)]
    opened = intake.link_opened_at
    latest_message = max((m["created_at"] for m in batch), default=None)
    if opened and (latest_message is None or opened >= latest_message):
        return LinkStatus(f"Opened {when(opened, now)}", "info", problem, "Waiting for patient")
    if sending:
        return LinkStatus("Sending…", "info", problem, "Waiting for the message to go")
    if sent:
        moment = max(m["sent_at"] or m["created_at"] for m in sent)
        how = _join([CHANNEL_WORDS[m["channel"]] for m in sent])
        return LinkStatus(
            f"Sent by {how} {when(moment, now)}", "info", problem, "Waiting for patient"
        )
    if failures:
        return LinkStatus(problem, "danger", "", "Check the contact details and send again")
    if intake.link_current_id:
        return LinkStatus(
            f"Link made {when(intake.link_current_at, now)}, not opened yet",
            "info",
            "",
            "Waiting for patient",
        )
    return LinkStatus("Not sent yet", "muted", "", "Send the link or hand over the tablet")


def _stale(batch, now) -> list[dict]:
    return [m for m in batch if m["status"] == "sending" and now - m["created_at"] > STALE_SENDING]


def status_for(intake: Intake, now: datetime.datetime | None = None) -> LinkStatus:
    """One intake's status, annotating it first (the intake page; the board annotates its
    whole queryset)."""
    annotated = with_link_status(Intake.objects.filter(pk=intake.pk)).values(
        "link_current_id",
        "link_current_at",
        "link_opened_at",
        "link_locked",
        *[
            f"msg_{c}_{n}"
            for c in CHANNELS
            for n in ("status", "created_at", "sent_at", "error", "link_id")
        ],
    )
    for name, value in annotated.get().items():
        setattr(intake, name, value)
    return link_status(intake, now)
