"""The role x URL matrix, spelled out literally, and the permission table itself."""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from screening.permissions import ROLE_PERMISSIONS, Perm, Role, home_url_name, perms_for
from tests.conftest import make_intake

ANON = "anonymous"
AUDIENCES = (ANON, Role.FRONT_DESK, Role.PRACTITIONER, Role.CLINIC_ADMIN)
NO_SECOND_FACTOR = 4  # the matrix column of a password-only session

# url name -> (kwargs kind, expected GET status for anonymous, front desk, practitioner, admin,
# and any role signed in with a password but not yet with the second factor). 302 for anonymous
# means "sent to the sign-in page"; in the last column, on a staff page, "sent to the second
# factor". Changing who may do what changes a row.
MATRIX = {
    "home": (None, (302, 302, 302, 302, 302)),
    "healthz": (None, (200, 200, 200, 200, 200)),
    "accounts:login": (None, (200, 302, 302, 302, 302)),
    "accounts:logout": (None, (405, 405, 405, 405, 405)),  # POST only
    # Enrolment or verification of the second factor; the codes page only right after it.
    "accounts:two_factor": (None, (302, 200, 200, 200, 200)),
    "accounts:backup_codes": (None, (302, 302, 302, 302, 302)),
    "accounts:password_change": (None, (302, 200, 200, 200, 302)),
    "desk:board": (None, (302, 200, 200, 200, 302)),
    "review:queue": (None, (302, 403, 200, 403, 302)),
    "manage:settings": (None, (302, 403, 403, 200, 302)),
    "manage:messages": (None, (302, 403, 403, 200, 302)),
    "manage:staff": (None, (302, 403, 403, 200, 302)),
    "manage:audit": (None, (302, 403, 403, 200, 302)),
    "manage:export": (None, (302, 403, 403, 200, 302)),
    "manage:patient_record": (None, (302, 403, 403, 200, 302)),
    "manage:patient_record_download": (None, (302, 403, 403, 405, 302)),  # POST only
    "manage:safety": (None, (302, 403, 403, 200, 302)),
    "manage:staff_edit": ("user", (302, 403, 403, 404, 302)),  # no such user
    "manage:staff_unlock_address": (None, (302, 403, 403, 405, 302)),  # POST only
    "manage:staff_active": ("user", (302, 403, 403, 405, 302)),  # POST only
    "manage:staff_password_reset": ("user", (302, 403, 403, 405, 302)),  # POST only
    "manage:staff_unlock": ("user", (302, 403, 403, 405, 302)),  # POST only
    "manage:staff_reset_2fa": ("user", (302, 403, 403, 405, 302)),  # POST only
    "manage:integrations": (None, (302, 403, 403, 200, 302)),
    "manage:integration_revoke": ("api_token", (302, 403, 403, 404, 302)),  # no such token
    # The FHIR API takes a bearer token only: no session, signed in or not, reaches it.
    "fhir:questionnaire": ("fhir_id", (401, 401, 401, 401, 401)),
    "fhir:code_system": ("fhir_id", (401, 401, 401, 401, 401)),
    "fhir:questionnaire_response": ("fhir_id", (401, 401, 401, 401, 401)),
    "fhir:questionnaire_response_search": (None, (401, 401, 401, 401, 401)),
    "fhir:risk_assessment_search": (None, (401, 401, 401, 401, 401)),
    "fhir:unknown": ("fhir_rest", (401, 401, 401, 401, 401)),
    "fhir:metadata": (None, (401, 401, 401, 401, 401)),
    "desk:intake_new": (None, (302, 200, 200, 200, 302)),
    "desk:intake": ("intake", (302, 200, 200, 200, 302)),
    "desk:link_issue": ("intake", (302, 405, 405, 405, 302)),  # POST only
    # Shows a link only with the fresh cookie set by link_issue; without it, back to the intake.
    "desk:link_show": ("intake", (302, 302, 302, 302, 302)),
    "desk:handover": ("intake", (302, 405, 405, 405, 302)),  # POST only
    "desk:send": ("intake", (302, 405, 405, 405, 302)),  # POST only
    "desk:intake_edit": ("intake", (302, 200, 200, 200, 302)),
    "desk:intake_cancel": ("intake", (302, 200, 200, 200, 302)),
    # Documents: a draft intake is not cleared, so the PDFs answer 409 with the reason.
    "desk:documents": ("intake", (302, 200, 200, 403, 302)),
    "desk:consent_pdf": ("intake", (302, 409, 409, 403, 302)),
    "desk:aftercare_pdf": ("intake", (302, 409, 409, 403, 302)),
    "desk:signed_consent_pdf": ("intake_consent", (302, 404, 404, 403, 302)),  # no such consent
    "desk:consent_handover": ("intake", (302, 405, 405, 403, 302)),  # POST only
    "desk:consent_paper": ("intake", (302, 405, 405, 403, 302)),  # POST only
    "review:cosign": ("intake", (302, 403, 200, 403, 302)),
    "patient:sign": ("intake", (404, 404, 404, 404, 404)),
    "patient:signed": ("intake", (404, 404, 404, 404, 404)),
    "review:intake": ("intake", (302, 403, 200, 403, 302)),
    "review:plan": ("intake", (302, 403, 405, 403, 302)),  # POST only
    "review:resolve": ("intake", (302, 403, 405, 403, 302)),  # POST only
    "review:decide": ("intake", (302, 403, 405, 403, 302)),  # POST only
    "review:reopen": ("intake", (302, 403, 405, 403, 302)),  # POST only
    # After the treatment (issue 18): the practitioner's record, the desk's aftercare calls.
    "review:treatment": ("intake", (302, 403, 200, 403, 302)),
    "review:adverse_event": ("intake", (302, 403, 405, 403, 302)),  # POST only
    "review:aftercare_call": ("intake", (302, 403, 405, 403, 302)),  # POST only
    "desk:aftercare_calls": (None, (302, 200, 200, 403, 302)),
    "desk:aftercare_call": ("intake", (302, 405, 405, 403, 302)),  # POST only
    # The patient's aftercare check: a link's token, then its own session only.
    "patient:aftercare_open": ("token", (404, 404, 404, 404, 404)),
    "patient:aftercare": (None, (404, 404, 404, 404, 404)),
    "patient:aftercare_done": (None, (404, 404, 404, 404, 404)),
    # Patient pages answer only to a patient session for that intake: anyone else gets 404.
    "patient:open": ("token", (404, 404, 404, 404, 404)),
    "patient:left": (None, (200, 200, 200, 200, 200)),
    # The handout's typed-code page is for anyone; "Staff: sign in" on a tablet is POST only.
    "patient:start": (None, (200, 200, 200, 200, 200)),
    "patient:staff_sign_in": (None, (405, 405, 405, 405, 405)),
    "patient:verify": ("intake", (404, 404, 404, 404, 404)),
    "patient:step": ("intake_step", (404, 404, 404, 404, 404)),
    "patient:page": ("intake_page", (404, 404, 404, 404, 404)),
    "patient:draft": ("intake_page", (405, 405, 405, 405, 405)),  # POST only
    "patient:review": ("intake", (404, 404, 404, 404, 404)),
    "patient:done": ("intake", (404, 404, 404, 404, 404)),
    "patient:saved": ("intake", (404, 404, 404, 404, 404)),
    "patient:leave": ("intake", (405, 405, 405, 405, 405)),  # POST only
}

# Object URLs: the same roles reaching an intake id that does not exist get 404, not 403.
NOT_YOURS = {
    "desk:intake": (404, 404, 404),
    "review:intake": (403, 404, 403),
    "desk:documents": (404, 404, 403),
    "desk:link_show": (404, 404, 404),
    "desk:intake_edit": (404, 404, 404),
    "desk:intake_cancel": (404, 404, 404),
    "review:cosign": (403, 404, 403),
    "review:treatment": (403, 404, 403),
}


def _all_url_names(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    names = set()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # Django's admin site: superusers only, tested separately
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            names |= _all_url_names(entry, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(prefix + entry.name)
    return names


def test_matrix_covers_every_url_pattern():
    missing = _all_url_names() - set(MATRIX)
    assert not missing, f"add these URL names to the permission matrix: {sorted(missing)}"


def _kwargs(kind, intake):
    if kind is None:
        return {}
    if kind == "intake":
        return {"public_id": intake.public_id}
    if kind == "intake_step":
        return {"public_id": intake.public_id, "section_id": "bleeding"}
    if kind == "intake_page":
        return {"public_id": intake.public_id, "section_id": "bleeding", "page": 2}
    if kind == "intake_consent":
        return {"public_id": intake.public_id, "consent_id": 999999}
    if kind == "user":
        return {"user_id": 999999}
    if kind == "api_token":
        return {"token_id": 999999}
    if kind == "fhir_id":
        return {"resource_id": "dn-intake"}
    if kind == "fhir_rest":
        return {"rest": "Patient"}
    if kind == "token":
        return {"token": "not-a-real-token"}
    raise AssertionError(kind)


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", sorted(MATRIX))
@pytest.mark.parametrize("audience", AUDIENCES, ids=str)
def test_matrix_status_for_each_role(client, users_by_role, url_name, audience):
    kind, statuses = MATRIX[url_name]
    expected = statuses[AUDIENCES.index(audience)]
    intake = make_intake() if kind and kind.startswith("intake") else None
    if audience != ANON:
        client.force_login(users_by_role[audience])

    response = client.get(reverse(url_name, kwargs=_kwargs(kind, intake)))

    assert response.status_code == expected, (url_name, audience)
    if audience == ANON and expected == 302 and url_name != "home":
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
@pytest.mark.two_factor
@pytest.mark.parametrize("url_name", sorted(MATRIX))
@pytest.mark.parametrize("role", AUDIENCES[1:], ids=str)
def test_matrix_status_before_the_second_factor(client, users_by_role, url_name, role):
    kind, statuses = MATRIX[url_name]
    expected = statuses[NO_SECOND_FACTOR]
    intake = make_intake() if kind and kind.startswith("intake") else None
    client.force_login(users_by_role[role])  # a password sign-in: no device verified

    response = client.get(reverse(url_name, kwargs=_kwargs(kind, intake)))

    assert response.status_code == expected, (url_name, role)
    if expected == 302 and statuses[0] == 302 and url_name != "accounts:login":
        assert response["Location"].startswith(reverse("accounts:two_factor")), url_name


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", sorted(NOT_YOURS))
@pytest.mark.parametrize("audience", AUDIENCES[1:], ids=str)
def test_object_urls_answer_404_for_unknown_ids(client, users_by_role, url_name, audience):
    client.force_login(users_by_role[audience])
    expected = NOT_YOURS[url_name][AUDIENCES.index(audience) - 1]

    response = client.get(reverse(url_name, kwargs={"public_id": uuid.uuid4()}))

    assert response.status_code == expected


@pytest.mark.django_db
def test_home_sends_each_role_to_its_landing_page(client, users_by_role):
    landing = {
        Role.FRONT_DESK: "desk:board",
        Role.PRACTITIONER: "review:queue",
        Role.CLINIC_ADMIN: "manage:settings",
    }
    for role, user in users_by_role.items():
        client.force_login(user)
        response = client.get(reverse("home"))
        assert response["Location"] == reverse(landing[role])


def test_role_table_names_every_role_and_only_known_permissions():
    assert set(ROLE_PERMISSIONS) == set(Role)
    for perms in ROLE_PERMISSIONS.values():
        assert perms <= set(Perm)


def test_clinical_answers_are_for_practitioners_only():
    holders = {role for role, perms in ROLE_PERMISSIONS.items() if Perm.VIEW_CLINICAL in perms}
    assert holders == {Role.PRACTITIONER}


@pytest.mark.django_db
def test_inactive_user_holds_no_permission(practitioner):
    practitioner.is_active = False
    assert perms_for(practitioner) == frozenset()
    assert home_url_name(practitioner) is None


@pytest.mark.django_db
def test_superuser_without_role_gets_a_clear_page_not_a_crash(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x-very-long-pass")
    client.force_login(root)

    response = client.get(reverse("home"))

    assert response.status_code == 403
    assert b"no clinic role" in response.content
