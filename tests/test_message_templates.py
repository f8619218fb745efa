"""The clinic admin's Messages page: the invitation and reminder texts, checked and previewed
before they are saved, and used by the next message."""

import pytest
from django.core import mail
from django.urls import reverse

from screening import messaging
from screening.models import AuditEvent, ClinicSettings
from tests.conftest import make_intake, make_patient

pytestmark = pytest.mark.django_db

URL = reverse("manage:messages")


def form_data(**changes):
    clinic = ClinicSettings.load()
    data = {name: getattr(clinic, name) for name in ClinicSettings.MESSAGE_TEMPLATE_FIELDS}
    data["reminder_hours_before"] = clinic.reminder_hours_before
    data["version"] = clinic.version
    data.update(changes)
    return data


def test_the_page_shows_each_message_with_sample_values(client, clinic_admin):
    ClinicSettings.objects.update_or_create(pk=1, defaults={"name": "Riverside Physio"})
    client.force_login(clinic_admin)

    page = client.get(URL).content.decode()

    assert "Your health questionnaire for Riverside Physio" in page
    assert "Riverside Physio: please fill in your health form for " in page
    assert "14:30" in page and "/i/" + "x" * 43 + "/" in page
    assert "1 text message." in page  # length of the invitation text
    assert "{link}" in page  # the list of placeholders


@pytest.mark.parametrize(
    ("field", "text", "error"),
    [
        (
            "invitation_email_body",
            "Hello {first_name}, {link}",
            "{first_name} is not a placeholder",
        ),
        ("invitation_sms_body", "Please answer before {appointment_date}.", "must contain {link}"),
        ("reminder_email_subject", "Your link {link}", "not in the subject"),
        ("reminder_sms_body", "Answer here: {link", "has no partner"),
        ("invitation_sms_body", "{link!r}", "write the placeholder&#x27;s name only"),
        ("invitation_sms_body", "{} {link}", "is empty"),
    ],
)
def test_a_bad_template_names_the_problem_and_nothing_is_saved(
    client, clinic_admin, field, text, error
):
    client.force_login(clinic_admin)
    before = ClinicSettings.load()

    response = client.post(URL, form_data(**{field: text}, save="1"))

    assert response.status_code == 400
    page = response.content.decode()
    assert "Please correct the following" in page and error in page
    assert getattr(ClinicSettings.load(), field) == getattr(before, field)
    assert not AuditEvent.objects.filter(action="message_templates.update").exists()


def test_preview_shows_the_typed_text_without_saving(client, clinic_admin):
    client.force_login(clinic_admin)

    response = client.post(
        URL, form_data(invitation_sms_body="See you at {appointment_time}: {link}", preview="1")
    )

    assert response.status_code == 200
    assert "See you at 14:30: " in response.content.decode()
    assert "not saved" in response.content.decode()
    assert ClinicSettings.load().invitation_sms_body.startswith("{clinic_name}: please fill in")


def test_saving_is_audited_and_the_next_invitation_uses_the_new_text(
    client, clinic_admin, front_desk, django_capture_on_commit_callbacks
):
    client.force_login(clinic_admin)
    response = client.post(
        URL,
        form_data(
            invitation_email_subject="Questions before your visit to {clinic_name}",
            reminder_hours_before=12,
            save="1",
        ),
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="message_templates.update")
    assert event.detail["changed"] == ["invitation_email_subject", "reminder_hours_before"]
    assert event.detail["reminder_hours_before"] == {"from": 24, "to": 12}
    audit_page = client.get(reverse("manage:audit")).content.decode()
    assert "Changed the message templates" in audit_page
    assert "Invitation e-mail: subject" in audit_page

    intake = make_intake(make_patient(email="kim@example.org"))
    client.force_login(front_desk)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("desk:send", args=[intake.public_id]),
            {"email": "kim@example.org", "mobile": "", "send": "email"},
        )
    assert mail.outbox[0].subject == "Questions before your visit to Your clinic"


def test_a_stale_form_is_refused(client, clinic_admin):
    client.force_login(clinic_admin)
    data = form_data(invitation_sms_body="Hi {link}", save="1")
    ClinicSettings.objects.filter(pk=1).update(version=99)

    response = client.post(URL, data, follow=True)

    assert "Someone else changed the clinic settings" in response.content.decode()
    assert ClinicSettings.load().invitation_sms_body != "Hi {link}"


def test_reminder_hours_must_be_sensible(client, clinic_admin):
    client.force_login(clinic_admin)

    response = client.post(URL, form_data(reminder_hours_before=0, save="1"))

    assert response.status_code == 400
    assert ClinicSettings.load().reminder_hours_before == 24


def test_a_missing_clinic_phone_is_pointed_out(client, clinic_admin):
    client.force_login(clinic_admin)
    ClinicSettings.objects.update_or_create(pk=1, defaults={"phone": ""})

    assert "phone number is not set yet" in client.get(URL).content.decode()


@pytest.mark.parametrize("role_fixture", ["front_desk", "practitioner"])
def test_only_the_clinic_admin_edits_the_messages(client, request, role_fixture):
    client.force_login(request.getfixturevalue(role_fixture))

    assert client.get(URL).status_code == 403
    assert client.post(URL, form_data(save="1")).status_code == 403


def test_the_default_templates_are_all_usable():
    clinic = ClinicSettings()
    for field, (_kind, _channel, part) in messaging.TEMPLATE_PARTS.items():
        assert messaging.template_errors(getattr(clinic, field), part=part) == [], field
