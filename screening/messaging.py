"""The words of invitations and reminders: the clinic's templates, their placeholders, checks
and rendering. Pure functions of a template and values; sending lives in
``screening.services.messaging``.

A template is plain text with ``{placeholder}`` names from ``PLACEHOLDERS`` (``{{`` and ``}}``
write a brace). Nothing clinical goes in: the clinic, the appointment and the link.
"""

from __future__ import annotations

import datetime
import string
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext_lazy as _

from screening import sms

PLACEHOLDERS = {
    "clinic_name": _("the clinic's name"),
    "clinic_phone": _("the clinic's phone number"),
    "appointment_date": _("the day of the appointment, like “Tuesday 3 December”"),
    "appointment_time": _("the time of the appointment, like “14:30”"),
    "link": _("the patient's own link (required in every message text)"),
}

# Which template field is which message part: (kind, channel, part).
TEMPLATE_PARTS = {
    "invitation_email_subject": ("invitation", "email", "subject"),
    "invitation_email_body": ("invitation", "email", "body"),
    "invitation_sms_body": ("invitation", "sms", "body"),
    "reminder_email_subject": ("reminder", "email", "subject"),
    "reminder_email_body": ("reminder", "email", "body"),
    "reminder_sms_body": ("reminder", "sms", "body"),
}

# A link as long as a real one, for previews and the length of a text message.
SAMPLE_TOKEN = "x" * 43


def _known() -> str:
    return ", ".join("{" + name + "}" for name in PLACEHOLDERS)


def template_errors(text: str, *, part: str) -> list[str]:
    """What is wrong with a template, in words that name the problem; [] when it is usable.

    ``part`` is "subject" (one line, no link) or "body" (must hold ``{link}``).
    """
    errors: list[str] = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return [
            str(
                _(
                    "A “{” or “}” has no partner. Placeholders are written like {link}; to show "
                    "a brace itself, write {{ or }}."
                )
            )
        ]
    names = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name == "":
            errors.append(str(_("“{}” is empty: write a placeholder's name inside, like {link}.")))
            continue
        if spec or conversion:
            shown = (
                "{"
                + name
                + ("!" + conversion if conversion else "")
                + (":" + spec if spec else "")
                + "}"
            )
            errors.append(
                str(_("%(shown)s: write the placeholder's name only, like {link}."))
                % {"shown": shown}
            )
            continue
        if name not in PLACEHOLDERS:
            errors.append(
                str(_("{%(name)s} is not a placeholder this app knows. Use one of: %(known)s."))
                % {"name": name, "known": _known()}
            )
            continue
        names.append(name)
    if part == "subject":
        if "link" in names:
            errors.append(str(_("Put {link} in the message text, not in the subject.")))
        if "\n" in text or "\r" in text:
            errors.append(str(_("A subject is one line.")))
    elif "link" not in names and not errors:
        errors.append(str(_("The text must contain {link}: it is the patient's way in.")))
    return errors


def render(text: str, values: dict) -> str:
    """``text`` with its placeholders filled in (the template has passed ``template_errors``)."""
    return text.format_map(values)


def site_url(request=None) -> str:
    """Where patients' links start: ``DJANGO_SITE_URL``, else the address this request came to."""
    if settings.SITE_URL:
        return settings.SITE_URL
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return ""


def link_url(base: str, token: str) -> str:
    return base + reverse("patient:open", args=[token])


def values_for(clinic, appointment_at: datetime.datetime, link: str) -> dict:
    local = timezone.localtime(appointment_at)
    return {
        "clinic_name": clinic.name,
        "clinic_phone": clinic.phone,
        "appointment_date": dateformat.format(local, "l j F"),
        "appointment_time": dateformat.format(local, "H:i"),
        "link": link,
    }


def sample_values(clinic, base: str) -> dict:
    """Believable values for a preview: tomorrow at 14:30 and a link of a real link's length."""
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    at = timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time(14, 30)))
    return values_for(clinic, at, link_url(base or "https://clinic.example.org", SAMPLE_TOKEN))


@dataclass(frozen=True)
class Preview:
    """One message as the patient would read it (its subject too, for an e-mail)."""

    field: str
    label: str
    channel: str
    text: str
    errors: list
    subject: str = ""
    subject_errors: list = ()
    # For a text message: characters as the network counts them, messages, encoding.
    length: tuple | None = None


def previews(templates: dict, labels: dict, values: dict) -> list[Preview]:
    """Each message (invitation and reminder, e-mail and text) rendered with ``values``, or
    the errors that stop it."""
    shown = []
    for field, (kind, channel, part) in TEMPLATE_PARTS.items():
        if part != "body":
            continue
        text = templates.get(field, "")
        errors = template_errors(text, part="body")
        rendered = "" if errors else render(text, values)
        subject, subject_errors = "", []
        if channel == "email":
            subject_text = templates.get(f"{kind}_email_subject", "")
            subject_errors = template_errors(subject_text, part="subject")
            subject = "" if subject_errors else render(subject_text, values)
        length = sms.segments(rendered) if channel == "sms" and not errors else None
        shown.append(
            Preview(
                field,
                labels.get(field, field),
                channel,
                rendered,
                errors,
                subject,
                subject_errors,
                length,
            )
        )
    return shown
