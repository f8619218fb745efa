"""The read-only FHIR API: tokens, errors as OperationOutcome, reads, searches and paging, one
audit event per call; and the clinic admin's token page."""

from __future__ import annotations

import datetime
import hashlib
import uuid
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.riskassessment import RiskAssessment

from screening import audit_display
from screening.models import ApiToken, AuditEvent, Intake, Patient
from screening.services.api_tokens import api_token_create, api_token_revoke
from tests.conftest import make_intake, make_patient
from tests.factories import make_submitted_intake

FHIR_JSON = "application/fhir+json"
BASE = "/api/fhir/"


@pytest.fixture
def token(clinic_admin):
    _, value = api_token_create(name="Practice EHR", created_by=clinic_admin)
    return value


def _get(client, path, token=None, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(BASE + path, params, headers=headers)


def _json(response):
    assert response["Content-Type"].startswith(FHIR_JSON), response["Content-Type"]
    return response.json()


def _outcome(response, status, code):
    assert response.status_code == status
    body = _json(response)
    OperationOutcome.model_validate(body)
    assert body["issue"][0]["code"] == code
    return body


# ---------------------------------------------------------------------------------------------
# Who gets in


@pytest.mark.django_db
def test_no_token_is_401_with_an_operation_outcome(client):
    response = _get(client, "Questionnaire/dn-intake")

    _outcome(response, 401, "login")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Bearer not-a-token", "Token abc", "Bearer", "Basic eDp5"])
def test_a_bad_token_is_401(client, header):
    response = client.get(BASE + "Questionnaire/dn-intake", headers={"Authorization": header})

    _outcome(response, 401, "login")


@pytest.mark.django_db
def test_a_revoked_token_is_401(client, clinic_admin, token):
    api_token = ApiToken.objects.get()
    api_token_revoke(api_token_id=api_token.pk, revoked_by=clinic_admin)

    response = _get(client, "Questionnaire/dn-intake", token)

    body = _outcome(response, 401, "login")
    assert "revoked" in body["issue"][0]["diagnostics"]


@pytest.mark.django_db
def test_a_staff_session_does_not_reach_the_api(client, clinic_admin):
    client.force_login(clinic_admin)

    response = _get(client, "Questionnaire/dn-intake")

    _outcome(response, 401, "login")


@pytest.mark.django_db
def test_a_token_works_beside_a_staff_session_without_csrf(client, clinic_admin, token):
    client.force_login(clinic_admin)
    client.handler.enforce_csrf_checks = True

    response = _get(client, "Questionnaire/dn-intake", token)

    assert response.status_code == 200


@pytest.mark.django_db
def test_writes_are_refused(client, token):
    response = client.post(
        BASE + "QuestionnaireResponse", {}, headers={"Authorization": f"Bearer {token}"}
    )

    _outcome(response, 405, "not-supported")


@pytest.mark.django_db
def test_token_is_stored_only_as_its_sha256(token):
    api_token = ApiToken.objects.get()

    assert api_token.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    assert api_token.scope == ApiToken.Scope.READ


# ---------------------------------------------------------------------------------------------
# Reads


@pytest.mark.django_db
def test_questionnaire_read(client, token):
    response = _get(client, "Questionnaire/dn-intake", token)

    assert response.status_code == 200
    Questionnaire.model_validate(_json(response))
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "Questionnaire/other",
        "CodeSystem/other",
        "QuestionnaireResponse/not-a-uuid",
        f"QuestionnaireResponse/{uuid.uuid4()}",
        "Patient/abc",
        "metadata/x",
    ],
)
def test_unknown_ids_and_resources_are_404(client, token, path):
    _outcome(_get(client, path, token), 404, "not-found")


@pytest.mark.django_db
def test_capability_statement(client, token):
    response = _get(client, "metadata", token)

    body = _json(response)
    CapabilityStatement.model_validate(body)
    assert body["fhirVersion"] == "4.0.1"


@pytest.mark.django_db
def test_code_system_read(client, token):
    response = _get(client, "CodeSystem/body-regions", token)

    assert response.status_code == 200
    assert _json(response)["resourceType"] == "CodeSystem"


@pytest.mark.django_db
def test_questionnaire_response_read(client, token):
    intake = make_submitted_intake()

    response = _get(client, f"QuestionnaireResponse/{intake.public_id}", token)

    assert response.status_code == 200
    QuestionnaireResponse.model_validate(_json(response))
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_a_draft_intake_has_no_response(client, token):
    intake = make_intake()

    response = _get(client, f"QuestionnaireResponse/{intake.public_id}", token)

    _outcome(response, 404, "not-found")


# ---------------------------------------------------------------------------------------------
# Searches


def _bulk_submitted(count: int, *, answers=None) -> list[Intake]:
    """``count`` submitted intakes in a few statements (the engine's reading of absent
    answers is "nothing to report")."""
    now = timezone.now()
    patients = Patient.objects.bulk_create(
        [
            Patient(
                full_name=f"Person {n}",
                name_key=f"person {n}",
                date_of_birth=datetime.date(1980, 1, 1),
            )
            for n in range(count)
        ]
    )
    return Intake.objects.bulk_create(
        [
            Intake(
                patient=patient,
                appointment_at=now,
                status=Intake.Status.SUBMITTED,
                submitted_at=now,
                answers=answers or {},
            )
            for patient in patients
        ]
    )


def _path_and_params(url: str) -> tuple[str, dict]:
    from urllib.parse import parse_qs

    parts = urlsplit(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


@pytest.mark.django_db
def test_search_pages_through_250_responses_with_next_links(client, token):
    intakes = _bulk_submitted(250)
    make_intake()  # a draft: never listed

    seen, pages = [], 0
    response = _get(client, "QuestionnaireResponse", token, _count=100)
    while True:
        pages += 1
        bundle = _json(response)
        Bundle.model_validate(bundle)
        assert bundle["type"] == "searchset"
        seen += [entry["resource"]["id"] for entry in bundle.get("entry", [])]
        next_links = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        if not next_links:
            break
        path, params = _path_and_params(next_links[0])
        response = client.get(path, params, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200

    assert pages == 3
    assert sorted(seen) == sorted(str(i.public_id) for i in intakes)


@pytest.mark.django_db
@pytest.mark.parametrize("count", [5, 60])
def test_search_takes_a_fixed_number_of_queries(
    client, token, count, django_assert_max_num_queries
):
    _bulk_submitted(count)

    # Token, last use, thresholds, the page, the audit event with its chain: not one per row.
    with django_assert_max_num_queries(12):
        response = _get(client, "QuestionnaireResponse", token, _count=100)

    assert len(response.json()["entry"]) == count


@pytest.mark.django_db
def test_count_above_the_maximum_is_capped(client, token):
    _bulk_submitted(120)

    bundle = _json(_get(client, "QuestionnaireResponse", token, _count=5000))

    assert len(bundle["entry"]) == 100


@pytest.mark.django_db
def test_last_updated_filter_lists_only_newer_responses(client, token):
    old, new = _bulk_submitted(2)
    long_ago = timezone.now() - datetime.timedelta(days=3)
    Intake.objects.filter(pk=old.pk).update(updated_at=long_ago)
    since = (long_ago + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    newer = _json(_get(client, "QuestionnaireResponse", token, _lastUpdated=f"gt{since}"))
    older = _json(_get(client, "QuestionnaireResponse", token, _lastUpdated=f"le{since}"))

    assert [e["resource"]["id"] for e in newer["entry"]] == [str(new.public_id)]
    assert [e["resource"]["id"] for e in older["entry"]] == [str(old.public_id)]


@pytest.mark.django_db
def test_an_empty_search_is_an_empty_bundle(client, token):
    bundle = _json(_get(client, "QuestionnaireResponse", token, _lastUpdated="gt2999-01-01"))

    Bundle.model_validate(bundle)
    assert "entry" not in bundle


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"_lastUpdated": "2026-01-01"},  # no prefix
        {"_lastUpdated": "gtyesterday"},
        {"_lastUpdated": "gt2026-01-01T10:00:00"},  # no time zone
        {"_lastUpdated": "gt2026-02-30"},
        {"_count": "many"},
        {"_count": "0"},
        {"_page": "forged"},
        {"name": "Smith"},
    ],
)
def test_bad_search_parameters_are_400(client, token, params):
    _outcome(_get(client, "QuestionnaireResponse", token, **params), 400, "invalid")


@pytest.mark.django_db
def test_risk_assessments_of_one_patient(client, token):
    patient = make_patient()
    first = make_submitted_intake(patient=patient)
    second = make_submitted_intake(patient=patient)
    make_submitted_intake(patient=make_patient(full_name="Someone Else"))

    bundle = _json(_get(client, "RiskAssessment", token, subject=f"Patient/{patient.public_id}"))

    Bundle.model_validate(bundle)
    resources = [entry["resource"] for entry in bundle["entry"]]
    for resource in resources:
        RiskAssessment.model_validate(resource)
    assert sorted(r["basis"][0]["reference"] for r in resources) == sorted(
        f"QuestionnaireResponse/{i.public_id}" for i in (first, second)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{}, {"subject": "Jamie Example"}, {"subject": "Patient/12"}])
def test_risk_assessment_search_needs_an_opaque_subject(client, token, params):
    _outcome(_get(client, "RiskAssessment", token, **params), 400, "invalid")


# ---------------------------------------------------------------------------------------------
# Audit


@pytest.mark.django_db
def test_every_call_writes_one_audit_event_naming_the_integration(client, token):
    intake = make_submitted_intake()
    before = AuditEvent.objects.count()

    _get(client, f"QuestionnaireResponse/{intake.public_id}", token)
    _get(client, "QuestionnaireResponse", token, _count="bad")
    _get(client, "QuestionnaireResponse")

    events = list(AuditEvent.objects.order_by("pk")[before:])
    assert [e.action for e in events] == ["api.request", "api.request", "api.refused"]
    read, bad, refused = events
    assert read.intake_id == intake.pk
    assert read.actor is None and read.actor_role == "integration"
    assert read.detail["integration"] == "Practice EHR"
    assert (read.detail["resource"], read.detail["status"]) == ("QuestionnaireResponse", 200)
    assert bad.detail["status"] == 400
    assert refused.detail["integration"] == ""
    assert str(intake.patient.full_name) not in str([e.detail for e in events])
    assert audit_display.details(read) == ["Practice EHR: QuestionnaireResponse read (status 200)"]
    assert audit_display.ACTION_LABELS["api.refused"]


@pytest.mark.django_db
def test_search_audit_records_the_count(client, token):
    _bulk_submitted(3)

    _get(client, "QuestionnaireResponse", token)

    event = AuditEvent.objects.order_by("-pk").first()
    assert (event.action, event.detail["interaction"], event.detail["count"]) == (
        "api.request",
        "search",
        3,
    )


# ---------------------------------------------------------------------------------------------
# The clinic admin's token page


@pytest.mark.django_db
def test_admin_makes_a_token_and_sees_it_once(client, clinic_admin):
    client.force_login(clinic_admin)

    response = client.post(reverse("manage:integrations"), {"name": "  Practice   EHR "})
    again = client.get(reverse("manage:integrations"))

    api_token = ApiToken.objects.get()
    token = response.context["new_token"]
    assert api_token.name == "Practice EHR"
    assert token in response.content.decode()
    assert token not in again.content.decode()
    assert api_token.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert AuditEvent.objects.filter(action="api_token.create").count() == 1
    assert _get(client, "Questionnaire/dn-intake", token).status_code == 200


@pytest.mark.django_db
def test_a_nameless_token_is_refused_and_nothing_made(client, clinic_admin):
    client.force_login(clinic_admin)

    response = client.post(reverse("manage:integrations"), {"name": "   "})

    assert response.status_code == 400
    assert "error-summary" in response.content.decode()
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_revoke_asks_first_then_revokes(client, clinic_admin, token):
    client.force_login(clinic_admin)
    api_token = ApiToken.objects.get()
    url = reverse("manage:integration_revoke", args=[api_token.pk])

    confirm = client.get(url)
    api_token.refresh_from_db()
    assert confirm.status_code == 200 and api_token.revoked_at is None
    assert "Yes, revoke the token" in confirm.content.decode()

    response = client.post(url)

    api_token.refresh_from_db()
    assert response.status_code == 302
    assert api_token.revoked_at is not None and api_token.revoked_by == clinic_admin
    assert AuditEvent.objects.filter(action="api_token.revoke").count() == 1
    assert _get(client, "Questionnaire/dn-intake", token).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("user_fixture", ["front_desk", "practitioner"])
def test_only_the_clinic_admin_manages_tokens(client, request, user_fixture, token):
    client.force_login(request.getfixturevalue(user_fixture))
    api_token = ApiToken.objects.get()

    listing = client.get(reverse("manage:integrations"))
    revoke = client.post(reverse("manage:integration_revoke", args=[api_token.pk]))

    api_token.refresh_from_db()
    assert (listing.status_code, revoke.status_code) == (403, 403)
    assert api_token.revoked_at is None
