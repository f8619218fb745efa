"""The audit trail is append-only."""

import pytest

from screening import services
from screening.models import AuditEvent


@pytest.mark.django_db
def test_audit_record_stores_actor_role_and_request_id(practitioner):
    event = services.audit_record(actor=practitioner, action="intake.view", detail={"step": 2})

    assert event.actor_role == "practitioner"
    assert event.actor_label == "prac1"
    assert event.request_id  # "-" outside a request, the request's id inside one


@pytest.mark.django_db
def test_saving_an_existing_event_raises(practitioner):
    event = services.audit_record(actor=practitioner, action="intake.view")
    event.action = "something.else"

    with pytest.raises(PermissionError):
        event.save()


@pytest.mark.django_db
def test_deleting_an_event_raises(practitioner):
    event = services.audit_record(actor=practitioner, action="intake.view")

    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(action="x")
    assert AuditEvent.objects.filter(action="intake.view").count() == 1
