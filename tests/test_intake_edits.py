"""The desk's intake edits: move the appointment, change the practitioner, cancel with a reason;
all audited, stale forms refused; "New intake" starts on the board's day."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from screening import services
from screening.audit_display import details
from screening.models import AuditEvent, Intake
from screening.permissions import Role
from screening.services.retention import years_before
from tests.conftest import make_intake, make_link, make_patient, make_user, open_as_patient

pytestmark = pytest.mark.django_db


def _local_tomorrow(hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _edit(client, intake, **overrides):
    when = _local_tomorrow(11, 30)
    data = {
        "version": intake.version,
        "appointment_date": when.date().isoformat(),
        "appointment_time": "11:30",
        "practitioner": "",
    }
    data.update(overrides)
    return client.post(reverse("desk:intake_edit", args=[intake.public_id]), data)


def _cancel(client, intake, reason="Patient called: moving to another clinic", version=None):
    return client.post(
        reverse("desk:intake_cancel", args=[intake.public_id]),
        {"version": version if version is not None else intake.version, "reason": reason},
    )


# ---------------------------------------------------------------------------------------------
# Moving the appointment, changing the practitioner


def test_edit_page_shows_the_current_appointment(client, front_desk, practitioner):
    intake = make_intake(practitioner=practitioner, appointment_at=_local_tomorrow(9))
    client.force_login(front_desk)

    response = client.get(reverse("desk:intake_edit", args=[intake.public_id]))

    form = response.context["form"]
    assert response.status_code == 200
    assert form["appointment_time"].value().strftime("%H:%M") == "09:00"
    assert form["practitioner"].value() == practitioner.pk
    assert "Priya Shah" in response.content.decode()


def test_edit_moves_the_appointment_and_changes_the_practitioner_audited(
    client, front_desk, practitioner
):
    intake = make_intake(appointment_at=_local_tomorrow(9))
    client.force_login(front_desk)

    response = _edit(client, intake, practitioner=practitioner.pk)

    intake.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:intake", args=[intake.public_id])
    assert intake.appointment_at == _local_tomorrow(11, 30)
    assert intake.practitioner == practitioner
    assert intake.version == 2
    event = AuditEvent.objects.get(action="intake.update")
    assert event.actor == front_desk and event.intake == intake
    lines = details(event)
    assert any(line.startswith("Appointment:") and "09:00 → " in line for line in lines)
    assert "Practitioner: — → Priya Shah" in lines


def test_edit_with_a_stale_form_is_refused_and_changes_nothing(client, front_desk):
    intake = make_intake(appointment_at=_local_tomorrow(9))
    client.force_login(front_desk)
    stale_version = intake.version
    other_desk = Client()
    other_desk.force_login(make_user(Role.FRONT_DESK, "desk2"))
    _edit(other_desk, intake, appointment_time="10:00")

    response = _edit(client, intake, appointment_time="12:00", version=stale_version)

    intake.refresh_from_db()
    page = response.content.decode()
    assert response.status_code == 400
    assert "changed since you opened the page" in page
    assert intake.appointment_at == _local_tomorrow(10)
    assert response.context["form"]["version"].value() == str(intake.version)
    assert response.context["form"]["appointment_time"].value() == "12:00"  # kept as typed
    assert AuditEvent.objects.filter(action="intake.update").count() == 1
    again = _edit(client, intake, appointment_time="12:00", version=intake.version)
    assert again.status_code == 302


def test_edit_with_nothing_changed_records_nothing(client, front_desk):
    intake = make_intake(appointment_at=_local_tomorrow(11, 30))
    client.force_login(front_desk)

    response = _edit(client, intake)

    intake.refresh_from_db()
    assert response.status_code == 302
    assert intake.version == 1
    assert not AuditEvent.objects.filter(action="intake.update").exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"appointment_date": "2001-01-01"}, "The appointment date is in the past."),
        ({"appointment_time": "25:99"}, "Enter a valid time."),
        ({"version": "not-a-number"}, "Enter a whole number."),
        ({"practitioner": "999999"}, "Select a valid choice."),
    ],
)
def test_edit_bad_input_gets_a_clear_message_and_changes_nothing(
    client, front_desk, overrides, message
):
    intake = make_intake(appointment_at=_local_tomorrow(9))
    client.force_login(front_desk)

    response = _edit(client, intake, **overrides)

    intake.refresh_from_db()
    assert response.status_code == 400
    assert message in response.content.decode()
    assert intake.appointment_at == _local_tomorrow(9)
    assert intake.version == 1


def test_edit_of_a_signed_intake_is_refused(client, front_desk):
    intake = make_intake(status=Intake.Status.SIGNED, appointment_at=_local_tomorrow(9))
    client.force_login(front_desk)

    response = _edit(client, intake)
    page = client.get(reverse("desk:intake", args=[intake.public_id])).content.decode()

    assert response.status_code == 400
    assert "can no longer be changed" in response.content.decode()
    assert "Change appointment or practitioner" not in page


def test_edit_after_submit_refuses_a_date_that_changes_the_patients_age(front_desk):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    # Turns 18 in ten days: 17 tomorrow, 18 in a fortnight.
    birthday = tomorrow + datetime.timedelta(days=9)
    dob = years_before(birthday, 18)
    intake = make_intake(
        patient=make_patient(date_of_birth=dob),
        appointment_at=_local_tomorrow(9),
        status=Intake.Status.SUBMITTED,
        submitted_at=timezone.now(),
    )

    with pytest.raises(services.ServiceError, match="is 18, not 17"):
        services.intake_update(
            actor=front_desk,
            intake=intake,
            appointment_at=_local_tomorrow(9) + datetime.timedelta(days=14),
            practitioner=None,
            expected_version=intake.version,
        )
    _moved, changed = services.intake_update(
        actor=front_desk,
        intake=intake,
        appointment_at=_local_tomorrow(15),
        practitioner=None,
        expected_version=intake.version,
    )
    assert changed == ["appointment_at"]


def test_edit_refuses_someone_who_is_not_an_active_practitioner(front_desk):
    intake = make_intake()

    with pytest.raises(services.ServiceError, match="Choose a practitioner"):
        services.intake_update(
            actor=front_desk,
            intake=intake,
            appointment_at=intake.appointment_at,
            practitioner=front_desk,
            expected_version=intake.version,
        )


# ---------------------------------------------------------------------------------------------
# Cancelling


def test_cancel_page_restates_what_happens(client, front_desk):
    intake = make_intake()
    client.force_login(front_desk)

    response = client.get(reverse("desk:intake_cancel", args=[intake.public_id]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "it leaves the day&#x27;s board" in page or "it leaves the day's board" in page
    assert "the patient&#x27;s link stops working" in page or "the patient's link stops" in page


@pytest.mark.parametrize("reason", ["", "   \n  "])
def test_cancel_needs_a_reason(client, front_desk, reason):
    intake = make_intake()
    client.force_login(front_desk)

    response = _cancel(client, intake, reason=reason)

    intake.refresh_from_db()
    assert response.status_code == 400
    assert "Please say why the appointment is cancelled." in response.content.decode()
    assert intake.status == Intake.Status.DRAFT


def test_cancel_keeps_the_record_leaves_the_board_audited_and_the_link_says_so(client, front_desk):
    intake = make_intake(appointment_at=_local_tomorrow(9))
    token = make_link(intake).token
    client.force_login(front_desk)
    board_url = reverse("desk:board") + f"?day={_local_tomorrow(9).date().isoformat()}"

    response = _cancel(client, intake, reason="Patient called:  moving\nto another clinic")
    board = client.get(board_url)
    board_with_cancelled = client.get(board_url + "&cancelled=1")
    detail = client.get(reverse("desk:intake", args=[intake.public_id]))
    link = Client().get(reverse("patient:open", args=[token]))

    intake.refresh_from_db()
    assert response.status_code == 302
    assert intake.status == Intake.Status.CANCELLED
    assert intake.cancel_reason == "Patient called: moving to another clinic"
    assert intake.cancelled_by == front_desk and intake.cancelled_at is not None
    assert [row["intake"] for row in board.context["rows"]] == []
    assert "Show 1 cancelled appointment" in board.content.decode()
    assert [row["intake"] for row in board_with_cancelled.context["rows"]] == [intake]
    assert "Patient called: moving to another clinic" in detail.content.decode()
    assert link.status_code == 410
    assert "This appointment was cancelled" in link.content.decode()
    event = AuditEvent.objects.get(action="intake.cancel")
    assert event.detail == {"from_status": "draft"}  # the reason stays on the intake
    assert details(event) == ["Was: In progress"]


def test_cancel_with_a_stale_form_is_refused(client, front_desk, practitioner):
    intake = make_intake()
    stale = intake.version
    services.intake_update(
        actor=practitioner,
        intake=intake,
        appointment_at=intake.appointment_at,
        practitioner=practitioner,
        expected_version=intake.version,
    )
    client.force_login(front_desk)

    response = _cancel(client, intake, version=stale)

    intake.refresh_from_db()
    assert response.status_code == 400
    assert "changed since you opened the page" in response.content.decode()
    assert intake.status == Intake.Status.DRAFT


def test_cancel_twice_is_one_cancellation(client, front_desk):
    intake = make_intake()
    client.force_login(front_desk)
    version = intake.version

    first = _cancel(client, intake, version=version)
    second = _cancel(client, intake, version=version)

    assert first.status_code == second.status_code == 302
    assert AuditEvent.objects.filter(action="intake.cancel").count() == 1


def test_cancel_of_a_signed_intake_is_refused(front_desk):
    intake = make_intake(status=Intake.Status.SIGNED)

    with pytest.raises(services.ServiceError, match="cannot be cancelled"):
        services.intake_cancel(
            actor=front_desk, intake=intake, reason="No show", expected_version=intake.version
        )


def test_a_cancelled_intake_gets_no_new_link_and_no_hand_over(client, front_desk):
    intake = make_intake()
    open_as_patient(Client(), intake)
    intake.refresh_from_db()
    services.intake_cancel(
        actor=front_desk, intake=intake, reason="No show", expected_version=intake.version
    )
    client.force_login(front_desk)

    link = client.post(reverse("desk:link_issue", args=[intake.public_id]), follow=True)
    handover = client.post(reverse("desk:handover", args=[intake.public_id]), follow=True)

    assert intake.links.filter(revoked_at__isnull=True).count() == 1
    assert "already been sent" in link.content.decode() or "new link is not needed" in (
        link.content.decode()
    )
    assert "_auth_user_id" in client.session  # the desk was not signed out for a hand-over
    assert handover.status_code == 200


def test_edit_and_cancel_need_sign_in(client):
    intake = make_intake()

    edit = _edit(client, intake)
    cancel = _cancel(client, intake)

    intake.refresh_from_db()
    for response in (edit, cancel):
        assert response["Location"].startswith(reverse("accounts:login"))
    assert intake.status == Intake.Status.DRAFT and intake.version == 1


# ---------------------------------------------------------------------------------------------
# "New intake" on the board's day


def test_new_intake_starts_on_the_boards_day(client, front_desk):
    day = timezone.localdate() + datetime.timedelta(days=5)
    client.force_login(front_desk)

    board = client.get(reverse("desk:board") + f"?day={day.isoformat()}")
    form = client.get(reverse("desk:intake_new") + f"?day={day.isoformat()}")

    assert f'href="{reverse("desk:intake_new")}?day={day.isoformat()}"' in board.content.decode()
    assert form.context["form"]["appointment_date"].value() == day
    assert not form.context["form"]["appointment_time"].value()
    assert f"{reverse('desk:board')}?day={day.isoformat()}" in form.content.decode()


@pytest.mark.parametrize("raw", ["2001-01-01", "not-a-day", ""])
def test_new_intake_from_a_past_or_odd_day_starts_today(client, front_desk, raw):
    client.force_login(front_desk)

    form = client.get(reverse("desk:intake_new") + f"?day={raw}")

    assert form.status_code == 200
    assert form.context["form"]["appointment_date"].value() == timezone.localdate()
