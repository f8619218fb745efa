"""The audit trail in words: what each action means, and what its detail says.

Actions are stored as stable codes (``review.decide``); people read the labels here. A test
checks that every action the code records has one.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from screening.engine import questionnaire, regions
from screening.models import AuditEvent, ClinicSettings, Intake
from screening.roles import Role
from screening.wording import item_title, plain_words

ACTION_LABELS = {
    # Sign-in and access
    "auth.login": _("Signed in"),
    "auth.logout": _("Signed out"),
    "auth.login_failed": _("Sign-in failed"),
    "staff.2fa_verify": _("Gave the second sign-in step"),
    "staff.2fa_failed": _("Second sign-in step failed"),
    "staff.2fa_enrol": _("Set up two-step sign-in"),
    "access.refused": _("Access refused"),
    # The patient's questionnaire
    "intake.create": _("Created an intake"),
    "link.issue": _("Made a patient link"),
    "link.open": _("Patient opened their link"),
    "link.code_refused": _("A typed handout code matched no link"),
    "intake.identity_check": _("Patient's date of birth check"),
    "intake.handover": _("Handed the tablet to the patient"),
    "intake.save_step": _("Patient saved a page"),
    "intake.checkin": _("Patient checked in (returning patient)"),
    "intake.save_draft": _("Patient's typing kept as a draft"),
    "intake.submit": _("Patient sent the questionnaire"),
    "screening.run": _("Answers screened"),
    # Review
    "review.queue_view": _("Viewed the review queue"),
    "intake.view": _("Viewed a patient's review"),
    "review.plan": _("Set the treatment plan"),
    "review.resolve": _("Resolved a flag"),
    "review.override_password_refused": _("Override refused: wrong password"),
    "review.decide": _("Recorded the decision"),
    "review.reopen": _("Reopened the review"),
    # Front desk and documents
    "desk.board_view": _("Viewed the front-desk board"),
    "intake.view_desk": _("Viewed an intake at the desk"),
    "intake.update": _("Changed the appointment or practitioner"),
    "intake.cancel": _("Cancelled the appointment"),
    "documents.view": _("Viewed the documents page"),
    "document.print_consent": _("Printed the consent form"),
    "document.print_aftercare": _("Printed the aftercare sheet"),
    "document.download_signed_consent": _("Downloaded a signed consent"),
    "document.integrity_failure": _("A signed consent failed its integrity check"),
    "consent.handover": _("Handed the tablet for the consent"),
    "consent.patient_sign": _("Patient signed the consent"),
    "consent.view_pending": _("Viewed a consent waiting for co-signature"),
    "consent.cosign": _("Practitioner co-signed the consent"),
    "consent.record_paper": _("Recorded a consent signed on paper"),
    # Invitations and reminders
    "patient.contact_update": _("Changed the patient's contact details"),
    "invitation.send": _("Sent the patient a new link"),
    "reminder.send": _("Sent the patient a reminder with a new link"),
    "message.sent": _("A message to the patient went out"),
    "message.failed": _("A message to the patient failed"),
    # After the treatment: the record, adverse events, the 48-hour aftercare check
    "treatment.view": _("Viewed the treatment record"),
    "treatment.record": _("Recorded the treatment"),
    "treatment.update": _("Corrected the treatment record"),
    "adverse_event.record": _("Recorded an adverse event"),
    "aftercare.send": _("Took the 48-hour aftercare check for sending"),
    "aftercare.delivered": _("The 48-hour aftercare check went out"),
    "aftercare.failed": _("The 48-hour aftercare check could not be sent"),
    "aftercare.open": _("Patient opened the aftercare check"),
    "aftercare.answer": _("Patient answered the aftercare check"),
    "aftercare.call": _("Practitioner recorded the aftercare call"),
    "aftercare.desk_call": _("Desk recorded an aftercare phone call"),
    "aftercare.calls_view": _("Viewed the aftercare calls"),
    # Clinic administration
    "clinic_settings.update": _("Changed the clinic settings"),
    "message_templates.update": _("Changed the message templates"),
    "staff.create": _("Created a staff account"),
    "staff.update": _("Changed a staff account"),
    "staff.deactivate": _("Deactivated a staff account"),
    "staff.reactivate": _("Reactivated a staff account"),
    "staff.set_password": _("Set a password"),
    "staff.reset_password": _("Reset a password"),
    "staff.change_password": _("Changed their own password"),
    "staff.unlock": _("Lifted a sign-in lock"),
    "staff.unlock_address": _("Lifted a sign-in lock on an address"),
    "staff.2fa_reset": _("Reset someone's two-step sign-in"),
    "audit.view": _("Viewed the audit trail"),
    "audit.export": _("Downloaded the audit trail"),
    # Integrations (the FHIR API)
    "api_token.create": _("Created an integration token"),
    "api_token.revoke": _("Revoked an integration token"),
    "api_tokens.view": _("Viewed the integration tokens"),
    "api.request": _("An integration read data through the API"),
    "api.refused": _("An API call was refused (no valid token)"),
    # Data leaving the app, and retention
    "intakes.export": _("Downloaded the intakes as a spreadsheet (CSV)"),
    "patient_record.search": _("Searched for a patient to export their record"),
    "patient_record.export": _("Downloaded a patient's own record (ZIP)"),
    "retention.erase": _("Erased a patient's record (retention period over)"),
    "retention.run": _("Ran the retention erasure"),
    "safety_report.view": _("Viewed the clinic safety report"),
    "safety_report.export": _("Downloaded the clinic safety report"),
}

ROLE_LABELS = {
    **dict(Role.choices),
    "patient": _("Patient"),
    "superuser": _("Superuser"),
    "system": _("Scheduled task"),
    "integration": _("Integration (API token)"),
}

_CHANNEL_WORDS = {"email": _("e-mail"), "sms": _("text message")}
_CONTACT_WORDS = {"email": _("e-mail"), "phone": _("mobile number")}

_REFUSAL = {"forbidden": _("not allowed"), "not_found": _("not found or not theirs")}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    if label is not None:
        return str(label)
    return action.replace(".", " ").replace("_", " ").capitalize()


def _setting_label(name: str) -> str:
    try:
        label = str(ClinicSettings._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - a setting removed since the event was written
        label = name.replace("_", " ")
    return label[:1].upper() + label[1:]


def _shown(value) -> str:
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if value in ("", None):
        return "—"
    return str(value)


def _section_title(section_id: str) -> str:
    for section in questionnaire.SECTIONS:
        if section.id == section_id:
            return section.title
    return section_id


def details(event: AuditEvent) -> list[str]:
    """What the event's detail says, as short lines of plain words (never answer values)."""
    detail = event.detail or {}
    action = event.action
    lines: list[str] = []
    if action == "clinic_settings.update":
        for name, change in sorted((detail.get("changed") or {}).items()):
            before, after = _shown(change.get("from")), _shown(change.get("to"))
            lines.append(f"{_setting_label(name)}: {before} → {after}")
        if detail.get("reason"):
            lines.append(f"{_('Reason')}: {detail['reason']}")
    elif action == "access.refused":
        reason = _REFUSAL.get(detail.get("reason"), detail.get("reason", ""))
        page = plain_words((detail.get("url_name") or "").replace(":", " ").replace("_", " "))
        lines.append(f"{page} ({reason})" if page else str(reason))
    elif action == "review.decide" and detail.get("decision"):
        lines.append(str(dict(Intake.Decision.choices).get(detail["decision"], detail["decision"])))
    elif action == "screening.run":
        outcome = dict(Intake.Outcome.choices).get(detail.get("outcome"), detail.get("outcome"))
        lines.append(f"{_('Outcome')}: {outcome}")
    elif action == "review.resolve" and detail.get("item"):
        lines.append(item_title(detail["item"]))
    elif action == "review.plan":
        techniques = [
            regions.TECHNIQUES[t].label if t in regions.TECHNIQUES else t
            for t in detail.get("techniques") or []
        ]
        places = [
            regions.label(r) if regions.is_region_or_alias(r) else r
            for r in detail.get("regions") or []
        ]
        lines.append("; ".join(techniques))
        lines.append("; ".join(places))
    elif action in ("intake.save_step", "intake.save_draft") and detail.get("step"):
        lines.append(_section_title(detail["step"]))
    elif action == "intake.checkin":
        changed = [_section_title(section) for section in detail.get("changed") or []]
        lines.append(
            f"{_('Changed')}: {'; '.join(changed)}" if changed else _("Everything still true")
        )
    elif action in ("api.request", "api.refused"):
        who = detail.get("integration") or _("no valid token")
        what = f"{detail.get('resource', '')} {detail.get('interaction', '')}".strip()
        lines.append(f"{who}: {what} ({_('status')} {detail.get('status', '')})")
    elif action in ("api_token.create", "api_token.revoke"):
        lines.append(f"{_('Integration')}: {detail.get('name', '')}")
    elif action == "auth.login_failed" and detail.get("username"):
        lines.append(f"{_('Username tried')}: {detail['username']}")
    elif action == "staff.create":
        role = ROLE_LABELS.get(detail.get("role"), detail.get("role", ""))
        lines.append(f"{detail.get('username', '')} ({role})")
    elif action == "staff.update":
        fields = ", ".join(f.replace("_", " ") for f in detail.get("fields", []))
        lines.append(f"{_('Changed')}: {fields}")
    elif action == "patient.contact_update":
        fields = ", ".join(str(_CONTACT_WORDS.get(f, f)) for f in detail.get("fields", []))
        lines.append(f"{_('Changed')}: {fields}")
    elif action in ("invitation.send", "reminder.send"):
        how = " and ".join(str(_CHANNEL_WORDS.get(c, c)) for c in detail.get("channels", []))
        lines.append(f"{_('By')} {how}")
    elif action in ("message.sent", "message.failed"):
        kind = str(_("Reminder") if detail.get("kind") == "reminder" else _("Invitation"))
        lines.append(f"{kind} {_('by')} {_CHANNEL_WORDS.get(detail.get('channel'), '')}")
        if detail.get("reason"):
            lines.append(str(detail["reason"]))
    elif action == "message_templates.update":
        names = [_setting_label(name) for name in detail.get("changed", [])]
        lines.append(f"{_('Changed')}: {'; '.join(names)}")
        hours = detail.get("reminder_hours_before")
        if hours:
            lines.append(f"{_('Reminder')}: {hours.get('from')} h → {hours.get('to')} h")
    elif action == "intake.update":
        words = {"appointment_at": _("Appointment"), "practitioner": _("Practitioner")}
        for name, change in sorted((detail.get("changed") or {}).items()):
            before, after = _shown(change.get("from")), _shown(change.get("to"))
            lines.append(f"{words.get(name, name)}: {before} → {after}")
    elif action == "intake.cancel" and detail.get("from_status"):
        status = dict(Intake.Status.choices).get(detail["from_status"], detail["from_status"])
        lines.append(f"{_('Was')}: {status}")
    elif action == "link.open" and detail.get("after_submit"):
        lines.append(str(_("After the answers were sent: thank-you page only")))
    elif action == "staff.unlock_address":
        lines.append(f"{_('Address')}: {detail.get('address', '')}")
    elif action in ("safety_report.view", "safety_report.export"):
        lines.append(f"{_('Treatments')}: {detail.get('from', '')} → {detail.get('to', '')}")
    elif action == "intakes.export":
        lines.append(
            f"{_('Appointments')}: {detail.get('date_from', '')} → {detail.get('date_to', '')}"
            f" ({detail.get('rows', 0)} {_('rows')})"
        )
    elif action == "patient_record.search":
        lines.append(f"{_('Patients found')}: {detail.get('found', 0)}")
    elif action == "patient_record.export":
        lines.append(
            f"{_('Intakes')}: {detail.get('intakes', 0)}; "
            f"{_('signed consents')}: {detail.get('consents', 0)}"
        )
    elif action == "retention.erase":
        lines.append(
            f"{_('Patient')} #{event.object_id}: {detail.get('intakes', 0)} {_('intakes')}, "
            f"{detail.get('consents', 0)} {_('consents')}"
        )
    elif action == "retention.run":
        lines.append(
            f"{_('Erased')}: {detail.get('erased', 0)}; "
            f"{_('kept for minors')}: {detail.get('kept_minors', 0)}; "
            f"{_('retention')}: {detail.get('retention_years', '')} {_('years')}"
        )
    elif "sha256" in detail:
        lines.append(f"SHA-256 {detail['sha256'][:12]}…")
    return [line for line in lines if line]


def request_reference(event: AuditEvent) -> str:
    """The request id, as in the server's logs ("-" marks work done outside a request)."""
    return "" if event.request_id in ("", "-") else event.request_id


def who(event: AuditEvent) -> str:
    if event.actor_role == "patient":
        return str(_("The patient"))
    if event.actor_role == "system" and event.action.startswith("retention."):
        return str(_("Retention (manage.py apply_retention)"))
    if event.actor_role == "system":
        return str(_("Scheduled reminders"))
    if event.actor is not None:
        return event.actor.get_full_name() or event.actor.username
    return event.actor_label or "—"
