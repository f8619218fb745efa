"""URL patterns, one namespace per audience. Included from ``clinic/urls.py``."""

from django.contrib.auth import views as auth_views
from django.urls import path

from screening.forms import StaffSignInForm
from screening.views import (
    account,
    desk,
    integrations,
    manage,
    patient,
    records,
    review,
    safety,
    treatment,
)

accounts = (
    [
        path(
            "login/",
            auth_views.LoginView.as_view(
                redirect_authenticated_user=True, authentication_form=StaffSignInForm
            ),
            name="login",
        ),
        path("logout/", auth_views.LogoutView.as_view(), name="logout"),
        path("two-factor/", account.two_factor, name="two_factor"),
        path("two-factor/backup-codes/", account.backup_codes, name="backup_codes"),
        path("password/", account.password_change, name="password_change"),
    ],
    "accounts",
)

desk_urls = (
    [
        path("", desk.board, name="board"),
        path("intakes/new/", desk.intake_new, name="intake_new"),
        path("intakes/<uuid:public_id>/", desk.intake_detail, name="intake"),
        path("intakes/<uuid:public_id>/link/", desk.link_issue, name="link_issue"),
        path("intakes/<uuid:public_id>/link/new/", desk.link_show, name="link_show"),
        path("intakes/<uuid:public_id>/handover/", desk.handover, name="handover"),
        path("intakes/<uuid:public_id>/edit/", desk.intake_edit, name="intake_edit"),
        path("intakes/<uuid:public_id>/cancel/", desk.intake_cancel, name="intake_cancel"),
        path("intakes/<uuid:public_id>/send/", desk.invitation_send, name="send"),
        path("intakes/<uuid:public_id>/documents/", desk.documents, name="documents"),
        path("intakes/<uuid:public_id>/consent.pdf", desk.consent_pdf, name="consent_pdf"),
        path("intakes/<uuid:public_id>/aftercare.pdf", desk.aftercare_pdf, name="aftercare_pdf"),
        path(
            "intakes/<uuid:public_id>/consents/<int:consent_id>.pdf",
            desk.signed_consent_pdf,
            name="signed_consent_pdf",
        ),
        path(
            "intakes/<uuid:public_id>/consent/handover/",
            desk.consent_handover,
            name="consent_handover",
        ),
        path("intakes/<uuid:public_id>/consent/paper/", desk.consent_paper, name="consent_paper"),
        path("aftercare-calls/", treatment.aftercare_calls, name="aftercare_calls"),
        path(
            "intakes/<uuid:public_id>/aftercare-call/",
            treatment.aftercare_desk_call,
            name="aftercare_call",
        ),
    ],
    "desk",
)

review_urls = (
    [
        path("", review.queue, name="queue"),
        path("intakes/<uuid:public_id>/", review.intake_detail, name="intake"),
        path("intakes/<uuid:public_id>/plan/", review.plan, name="plan"),
        path("intakes/<uuid:public_id>/resolve/", review.resolve, name="resolve"),
        path("intakes/<uuid:public_id>/decide/", review.decide, name="decide"),
        path("intakes/<uuid:public_id>/reopen/", review.reopen, name="reopen"),
        path("intakes/<uuid:public_id>/cosign/", review.cosign, name="cosign"),
        path("intakes/<uuid:public_id>/treatment/", treatment.treatment, name="treatment"),
        path(
            "intakes/<uuid:public_id>/treatment/events/",
            treatment.adverse_event,
            name="adverse_event",
        ),
        path(
            "intakes/<uuid:public_id>/treatment/call/",
            treatment.aftercare_call,
            name="aftercare_call",
        ),
    ],
    "review",
)

manage_urls = (
    [
        path("settings/", manage.clinic_settings, name="settings"),
        path("messages/", manage.message_templates, name="messages"),
        path("staff/", manage.staff_list, name="staff"),
        path("staff/unlock-address/", manage.staff_unlock_address, name="staff_unlock_address"),
        path("staff/<int:user_id>/", manage.staff_edit, name="staff_edit"),
        path("staff/<int:user_id>/active/", manage.staff_set_active, name="staff_active"),
        path(
            "staff/<int:user_id>/reset-password/",
            manage.staff_reset_password,
            name="staff_password_reset",
        ),
        path("staff/<int:user_id>/unlock/", manage.staff_unlock, name="staff_unlock"),
        path(
            "staff/<int:user_id>/reset-two-factor/",
            manage.staff_reset_second_factor,
            name="staff_reset_2fa",
        ),
        path("audit/", manage.audit_list, name="audit"),
        path("safety/", safety.safety_report, name="safety"),
        path("export/", records.intakes_export, name="export"),
        path("patient-record/", records.patient_record, name="patient_record"),
        path(
            "patient-record/download/",
            records.patient_record_download,
            name="patient_record_download",
        ),
        path("integrations/", integrations.token_list, name="integrations"),
        path(
            "integrations/<int:token_id>/revoke/",
            integrations.token_revoke,
            name="integration_revoke",
        ),
    ],
    "manage",
)

patient_urls = (
    [
        path("i/<str:token>/", patient.open_link, name="open"),
        path("start/", patient.start, name="start"),
        path("p/left/", patient.left, name="left"),
        path("p/staff/", patient.staff_sign_in, name="staff_sign_in"),
        path("p/<uuid:public_id>/verify/", patient.verify, name="verify"),
        path("p/<uuid:public_id>/step/<slug:section_id>/", patient.step, name="step"),
        path("p/<uuid:public_id>/step/<slug:section_id>/<int:page>/", patient.step, name="page"),
        path(
            "p/<uuid:public_id>/step/<slug:section_id>/<int:page>/draft/",
            patient.draft,
            name="draft",
        ),
        path("p/<uuid:public_id>/review/", patient.review, name="review"),
        path("p/<uuid:public_id>/done/", patient.done, name="done"),
        path("p/<uuid:public_id>/saved/", patient.saved, name="saved"),
        path("p/<uuid:public_id>/leave/", patient.leave, name="leave"),
        path("p/<uuid:public_id>/sign/", patient.sign, name="sign"),
        path("p/<uuid:public_id>/signed/", patient.signed, name="signed"),
        path("a/<str:token>/", treatment.aftercare_open, name="aftercare_open"),
        path("p/aftercare/", treatment.aftercare, name="aftercare"),
        path("p/aftercare/done/", treatment.aftercare_done, name="aftercare_done"),
    ],
    "patient",
)
