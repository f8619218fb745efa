"""Every write to the domain: keyword-only functions named ``<entity>_<action>``, by domain.

Each runs in one transaction and records one audit event. Views and commands call these and
never ``.save()`` a domain model themselves; reads that several callers share live in
``screening.selectors``. Callers write ``from screening import services`` and
``services.intake_create(...)``: this module only gathers the names of the domain modules.

- ``audit``: the audit trail's one writer;
- ``staff`` and ``clinic``: staff accounts and the clinic's settings;
- ``intakes``: patients, intakes, invitation links, identity check, wizard steps, submit;
- ``screenings``: screening an intake and storing its snapshot;
- ``review``: plan, flag resolutions, decision, reopen;
- ``consent``: tablet and paper signatures, co-signature, freezing the signed PDF;
- ``treatment``: the treatment record, adverse events, the 48-hour aftercare check and its
  calls;
- ``messaging``: contact details, invitations and reminders by e-mail and text message, the
  message templates.
"""

from screening.services.audit import PATIENT_ACTOR, audit_record
from screening.services.base import ConflictError, ServiceError
from screening.services.clinic import clinic_settings_update
from screening.services.consent import (
    consent_cosign,
    consent_handover,
    consent_patient_sign,
    consent_record_paper,
    signature_from_data_url,
)
from screening.services.intakes import (
    IDENTITY_CHECK_LIMIT,
    IssuedLink,
    LinkProblem,
    SameDayIntake,
    TooManyCodes,
    checkin_sections,
    identity_check,
    intake_cancel,
    intake_checkin,
    intake_create,
    intake_handover,
    intake_save_step,
    intake_submit,
    intake_update,
    link_current,
    link_issue,
    link_open,
    link_open_by_code,
    patient_find_or_create,
)
from screening.services.messaging import (
    LinkInUse,
    invitation_send,
    message_templates_update,
    messages_fail_stale,
    patient_contact_update,
    reminders_send,
    send_message,
)
from screening.services.review import (
    MIN_JUSTIFICATION,
    flag_resolve,
    review_decide,
    review_reopen,
    review_set_plan,
)
from screening.services.screenings import screening_run
from screening.services.staff import (
    staff_change_own_password,
    staff_create,
    staff_reset_password,
    staff_set_active,
    staff_set_password,
    staff_unlock,
    staff_unlock_address,
    staff_update,
)
from screening.services.treatment import (
    AftercareLinkProblem,
    adverse_event_record,
    aftercare_call_record,
    aftercare_check_answer,
    aftercare_check_open,
    aftercare_checks_send,
    aftercare_desk_call,
    treatment_record,
)

__all__ = [
    "IDENTITY_CHECK_LIMIT",
    "MIN_JUSTIFICATION",
    "PATIENT_ACTOR",
    "AftercareLinkProblem",
    "ConflictError",
    "IssuedLink",
    "LinkInUse",
    "LinkProblem",
    "SameDayIntake",
    "ServiceError",
    "TooManyCodes",
    "adverse_event_record",
    "aftercare_call_record",
    "aftercare_check_answer",
    "aftercare_check_open",
    "aftercare_checks_send",
    "aftercare_desk_call",
    "audit_record",
    "clinic_settings_update",
    "consent_cosign",
    "consent_handover",
    "consent_patient_sign",
    "consent_record_paper",
    "flag_resolve",
    "identity_check",
    "intake_cancel",
    "intake_create",
    "intake_checkin",
    "checkin_sections",
    "intake_handover",
    "intake_save_step",
    "intake_submit",
    "intake_update",
    "invitation_send",
    "link_current",
    "link_issue",
    "link_open",
    "link_open_by_code",
    "message_templates_update",
    "messages_fail_stale",
    "patient_contact_update",
    "patient_find_or_create",
    "reminders_send",
    "review_decide",
    "review_reopen",
    "review_set_plan",
    "screening_run",
    "send_message",
    "signature_from_data_url",
    "staff_change_own_password",
    "staff_create",
    "staff_reset_password",
    "staff_set_active",
    "staff_set_password",
    "staff_unlock",
    "staff_unlock_address",
    "staff_update",
    "treatment_record",
]
