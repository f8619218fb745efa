"""Refused access is recorded: who, which page (by URL name, never the path) and why."""

import uuid

import pytest
from django.urls import reverse

from screening.models import AuditEvent
from tests.conftest import make_intake, open_as_patient, step_url

pytestmark = pytest.mark.django_db


def _refusals():
    return list(AuditEvent.objects.filter(action="access.refused").order_by("pk"))


def test_a_forbidden_page_is_recorded_with_the_actor_and_the_url_name(client, front_desk):
    client.force_login(front_desk)

    response = client.get(reverse("review:queue"))

    assert response.status_code == 403
    [event] = _refusals()
    assert event.actor == front_desk
    assert event.detail == {"reason": "forbidden", "url_name": "review:queue", "method": "GET"}


def test_another_intake_is_recorded_as_not_found_without_its_id(client, practitioner):
    client.force_login(practitioner)
    missing = uuid.uuid4()

    response = client.get(reverse("review:intake", args=[missing]))

    assert response.status_code == 404
    [event] = _refusals()
    assert event.actor == practitioner
    assert event.detail["reason"] == "not_found"
    assert event.detail["url_name"] == "review:intake"
    assert str(missing) not in str(event.detail)


def test_a_patient_reaching_for_another_intake_is_recorded(client):
    mine, theirs = make_intake(), make_intake()
    open_as_patient(client, mine)

    response = client.get(step_url(theirs, "bleeding"))

    assert response.status_code == 404
    [event] = _refusals()
    assert event.actor is None
    assert event.detail["url_name"] == "patient:step"


def test_a_path_that_names_no_page_is_not_recorded(client):
    assert client.get("/wp-login.php").status_code == 404
    assert _refusals() == []


def test_each_view_of_the_queue_and_the_board_is_recorded(client, practitioner, front_desk):
    client.force_login(practitioner)
    client.get(reverse("review:queue"))
    client.get(reverse("review:queue"))
    client.force_login(front_desk)
    client.get(reverse("desk:board"))

    queue = AuditEvent.objects.filter(action="review.queue_view", actor=practitioner)
    board = AuditEvent.objects.filter(action="desk.board_view", actor=front_desk)
    assert queue.count() == 2
    assert board.count() == 1
    assert set(board.get().detail) == {"day", "rows"}
