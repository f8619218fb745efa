"""The staff lifecycle from the Staff page: details and role, deactivation, one-time passwords,
one's own password, the last clinic admin, and lifting a sign-in lock."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from screening import services
from screening.models import AuditEvent, User
from screening.permissions import Role
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-password-42"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_admin_edits_details_and_role_and_it_is_audited(clinic_admin, front_desk):
    admin = signed_in(clinic_admin)

    response = admin.post(
        reverse("manage:staff_edit", args=[front_desk.pk]),
        {"first_name": "Dana", "last_name": "Reyes", "role": Role.PRACTITIONER, "email": ""},
    )

    assert response.status_code == 302
    front_desk.refresh_from_db()
    assert (front_desk.first_name, front_desk.role) == ("Dana", Role.PRACTITIONER)
    event = AuditEvent.objects.get(action="staff.update")
    assert event.detail == {"fields": ["first_name", "last_name", "role"], "role": "practitioner"}


def test_deactivation_ends_the_users_sessions_at_once_and_reactivation_restores(
    clinic_admin, practitioner
):
    their_session = signed_in(practitioner)
    assert their_session.get(reverse("review:queue")).status_code == 200
    admin = signed_in(clinic_admin)

    admin.post(reverse("manage:staff_active", args=[practitioner.pk]), {"active": "0"})

    assert their_session.get(reverse("review:queue")).status_code == 302
    sign_in = Client().post(
        reverse("accounts:login"), {"username": practitioner.username, "password": PASSWORD}
    )
    assert sign_in.status_code == 200  # refused
    admin.post(reverse("manage:staff_active", args=[practitioner.pk]), {"active": "1"})
    practitioner.refresh_from_db()
    assert practitioner.is_active
    # The old session stays ended after reactivation: a new sign-in is needed.
    assert their_session.get(reverse("review:queue")).status_code == 302
    events = AuditEvent.objects.filter(action__startswith="staff.").order_by("pk")
    assert [e.action for e in events][-2:] == [
        "staff.deactivate",
        "staff.reactivate",
    ]


def test_the_last_active_clinic_admin_can_be_neither_deactivated_nor_demoted(clinic_admin):
    other = make_user(Role.CLINIC_ADMIN, "admin2")

    services.staff_set_active(actor=other, user=clinic_admin, active=False)
    with pytest.raises(services.ServiceError, match="only active clinic admin"):
        services.staff_set_active(actor=clinic_admin, user=other, active=False)
    with pytest.raises(services.ServiceError, match="only active clinic admin"):
        services.staff_update(actor=clinic_admin, user=other, changes={"role": Role.FRONT_DESK})
    other.refresh_from_db()
    assert other.is_active and other.role == Role.CLINIC_ADMIN


def test_refusals_show_on_the_page_and_change_nothing(clinic_admin):
    admin = signed_in(clinic_admin)

    demote = admin.post(
        reverse("manage:staff_edit", args=[clinic_admin.pk]),
        {"first_name": "", "last_name": "", "role": Role.FRONT_DESK, "email": ""},
    )
    own = admin.post(
        reverse("manage:staff_active", args=[clinic_admin.pk]), {"active": "0"}, follow=True
    )

    assert "only active clinic admin" in demote.content.decode()
    assert "cannot deactivate your own account" in own.content.decode()
    clinic_admin.refresh_from_db()
    assert clinic_admin.is_active and clinic_admin.role == Role.CLINIC_ADMIN


def test_a_one_time_password_is_shown_once_must_be_changed_and_ends_sessions(
    clinic_admin, front_desk
):
    their_old_session = signed_in(front_desk)
    admin = signed_in(clinic_admin)

    admin.post(reverse("manage:staff_password_reset", args=[front_desk.pk]))
    page = admin.get(reverse("manage:staff_edit", args=[front_desk.pk])).content.decode()
    again = admin.get(reverse("manage:staff_edit", args=[front_desk.pk])).content.decode()

    password = page.split('id="one-time-password">')[1].split("<")[0]
    assert len(password) == 19 and 'id="one-time-password"' not in again
    assert their_old_session.get(reverse("desk:board")).status_code == 302
    fresh = Client()
    fresh.post(reverse("accounts:login"), {"username": "desk1", "password": password})
    forced = fresh.get(reverse("desk:board"))
    assert forced["Location"].startswith(reverse("accounts:password_change"))
    changed = fresh.post(
        reverse("accounts:password_change"),
        {"current": password, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD, "next": "/desk/"},
    )
    assert changed["Location"] == "/desk/"
    assert fresh.get(reverse("desk:board")).status_code == 200
    assert AuditEvent.objects.filter(action="staff.reset_password").count() == 1


def test_changing_ones_own_password_ends_the_other_sessions_only(practitioner):
    here, elsewhere = signed_in(practitioner), signed_in(practitioner)

    response = here.post(
        reverse("accounts:password_change"),
        {"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert here.get(reverse("review:queue")).status_code == 200
    assert elsewhere.get(reverse("review:queue")).status_code == 302
    practitioner.refresh_from_db()
    assert practitioner.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(
    ("current", "new", "repeat", "message"),
    [
        ("wrong-current-password", NEW_PASSWORD, NEW_PASSWORD, "current password is not right"),
        (PASSWORD, "short-pw-1", "short-pw-1", "at least 12 characters"),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "not the same"),
        (PASSWORD, PASSWORD, PASSWORD, "different from the current one"),
    ],
)
def test_a_bad_password_change_says_why_and_changes_nothing(
    practitioner, current, new, repeat, message
):
    client = signed_in(practitioner)

    response = client.post(
        reverse("accounts:password_change"), {"current": current, "new": new, "repeat": repeat}
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    practitioner.refresh_from_db()
    assert practitioner.check_password(PASSWORD)


def test_admin_lifts_a_sign_in_lock_from_the_staff_page(clinic_admin, front_desk):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(reverse("accounts:login"), {"username": "desk1", "password": "nope-nope"})
    assert AccessAttempt.objects.filter(username="desk1").exists()
    admin = signed_in(clinic_admin)
    listing = admin.get(reverse("manage:staff")).content.decode()

    admin.post(reverse("manage:staff_unlock", args=[front_desk.pk]))

    assert "Sign-in locked" in listing
    assert not AccessAttempt.objects.filter(username="desk1").exists()
    sign_in = Client().post(reverse("accounts:login"), {"username": "desk1", "password": PASSWORD})
    assert sign_in.status_code == 302
    assert AuditEvent.objects.get(action="staff.unlock").detail == {"lifted": 1}


def test_unknown_staff_member_is_404(clinic_admin):
    assert (
        signed_in(clinic_admin).get(reverse("manage:staff_edit", args=[424242])).status_code == 404
    )
    assert User.objects.count() == 1


def test_an_account_made_on_the_staff_page_chooses_its_own_password_at_first_sign_in(
    clinic_admin,
):
    signed_in(clinic_admin).post(
        reverse("manage:staff"),
        {"username": "newbie", "role": Role.FRONT_DESK, "password": "initial-password-1"},
    )
    client = Client()

    client.post(reverse("accounts:login"), {"username": "newbie", "password": "initial-password-1"})

    assert User.objects.get(username="newbie").must_change_password
    assert client.get(reverse("desk:board"))["Location"].startswith(
        reverse("accounts:password_change")
    )


def test_a_one_time_password_shows_only_on_its_own_persons_page(
    clinic_admin, front_desk, practitioner
):
    admin = signed_in(clinic_admin)
    admin.post(reverse("manage:staff_password_reset", args=[practitioner.pk]))

    other = admin.get(reverse("manage:staff_edit", args=[front_desk.pk])).content.decode()
    own = admin.get(reverse("manage:staff_edit", args=[practitioner.pk])).content.decode()

    assert 'id="one-time-password"' not in other
    assert 'id="one-time-password"' in own


def test_an_overlong_e_mail_is_refused_with_a_message(clinic_admin, front_desk):
    response = signed_in(clinic_admin).post(
        reverse("manage:staff_edit", args=[front_desk.pk]),
        {"role": Role.FRONT_DESK, "email": "a" * 300 + "@example.org"},
    )

    assert response.status_code == 200
    assert "at most 254 characters" in response.content.decode()
    front_desk.refresh_from_db()
    assert front_desk.email == ""
