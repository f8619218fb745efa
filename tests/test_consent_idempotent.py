"""Safe under double submits (issue 13): the same consent form posted twice stores one consent
and answers the second POST as it answered the first. Tablet signature and paper record carry
a one-time form token; the co-signature is keyed by the consent it signs. The threaded tests
send both POSTs at the same instant against PostgreSQL's real row locks."""

import threading
import uuid

import pytest
from django.db import connection
from django.urls import reverse

from screening import services
from screening.models import AuditEvent, Consent
from screening.permissions import PATIENT_SESSION_KEY
from tests.conftest import make_user
from tests.test_consent_signing import (
    _cleared_intake,
    _data_url,
    _hand_over_and_verify,
    _patient_signs,
    _png,
)

pytestmark = pytest.mark.django_db

TOKEN_REFUSED = "This page was out of date, so nothing was recorded."


def _documents_url(intake) -> str:
    return reverse("desk:documents", args=[intake.public_id])


def _paper_post(client, intake, token):
    data = {"signer_name": "Jamie Example", "confirm": "on"}
    if token is not None:
        data["form_token"] = token
    return client.post(reverse("desk:consent_paper", args=[intake.public_id]), data)


def _paper_token(client, intake) -> str:
    """The token the documents page draws into the paper form, as a browser would send it."""
    return client.get(_documents_url(intake)).context["paper_form"]["form_token"].value()


def _sign_data(token) -> dict:
    return {
        "form_token": token,
        "signer_role": "patient",
        "signer_name": "Jamie Example",
        "signature": _data_url(),
    }


def _sign_token(client, intake) -> str:
    page = client.get(reverse("patient:sign", args=[intake.public_id]))
    return page.context["form"]["form_token"].value()


def _audited(intake, action: str) -> int:
    return AuditEvent.objects.filter(intake=intake, action=action).count()


# ---------------------------------------------------------------------------------------------
# Paper consent (front desk)


def test_paper_consent_posted_twice_stores_one_consent_and_answers_alike(
    client, practitioner, front_desk
):
    intake = _cleared_intake(practitioner)
    client.force_login(front_desk)
    token = _paper_token(client, intake)

    first = _paper_post(client, intake, token)
    second = _paper_post(client, intake, token)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == _documents_url(intake)
    page = client.get(second["Location"]).content.decode()
    assert "Paper consent recorded." in page
    consent = Consent.objects.get(intake=intake)
    assert consent.status == Consent.Status.SIGNED and str(consent.form_token) == token
    assert _audited(intake, "consent.record_paper") == 1


def test_paper_consent_from_a_fresh_page_is_a_new_record_that_supersedes_the_first(
    client, practitioner, front_desk
):
    intake = _cleared_intake(practitioner)
    client.force_login(front_desk)
    first_token = _paper_token(client, intake)
    _paper_post(client, intake, first_token)

    second_token = _paper_token(client, intake)  # the page drawn after the first record
    response = _paper_post(client, intake, second_token)

    assert second_token != first_token
    assert response.status_code == 302
    assert [c.status for c in Consent.objects.filter(intake=intake).order_by("pk")] == [
        Consent.Status.SUPERSEDED,
        Consent.Status.SIGNED,
    ]
    assert _audited(intake, "consent.record_paper") == 2


@pytest.mark.parametrize("token", [None, "", "not-a-token"])
def test_paper_consent_without_a_readable_token_is_refused_and_the_page_gets_a_fresh_one(
    client, practitioner, front_desk, token
):
    intake = _cleared_intake(practitioner)
    client.force_login(front_desk)

    refused = _paper_post(client, intake, token)
    fresh = refused.context["paper_form"]["form_token"].value()
    accepted = _paper_post(client, intake, fresh)

    assert refused.status_code == 400
    assert TOKEN_REFUSED in refused.content.decode()
    assert 'value="Jamie Example"' in refused.content.decode()  # what was typed is kept
    assert uuid.UUID(fresh)
    assert accepted.status_code == 302
    assert Consent.objects.filter(intake=intake).count() == 1


def test_the_service_returns_the_stored_consent_for_a_repeated_token(practitioner, front_desk):
    intake = _cleared_intake(practitioner)
    token = uuid.uuid4()

    first = services.consent_record_paper(
        actor=front_desk, intake=intake, form_token=token, signer_name="Jamie Example"
    )
    again = services.consent_record_paper(
        actor=front_desk, intake=intake, form_token=token, signer_name="Jamie Example"
    )

    assert again.pk == first.pk and again.sha256 == first.sha256
    assert Consent.objects.filter(intake=intake).count() == 1
    assert _audited(intake, "consent.record_paper") == 1


def test_the_service_refuses_a_missing_token_rather_than_match_older_consents(
    practitioner, front_desk
):
    intake = _cleared_intake(practitioner)

    with pytest.raises(TypeError):
        services.consent_record_paper(
            actor=front_desk, intake=intake, form_token=None, signer_name="Jamie Example"
        )


# ---------------------------------------------------------------------------------------------
# Tablet signature (patient)


def test_tablet_signature_posted_twice_stores_one_consent_and_answers_alike(
    client, practitioner, front_desk
):
    intake = _cleared_intake(practitioner)
    _hand_over_and_verify(client, front_desk, intake)
    token = _sign_token(client, intake)
    url = reverse("patient:sign", args=[intake.public_id])

    first = client.post(url, _sign_data(token))
    second = client.post(url, _sign_data(token))

    signed = reverse("patient:signed", args=[intake.public_id])
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == signed
    assert client.get(signed).status_code == 200
    consent = Consent.objects.get(intake=intake)
    assert consent.status == Consent.Status.AWAITING_PRACTITIONER
    assert str(consent.form_token) == token
    assert _audited(intake, "consent.patient_sign") == 1


def test_a_signed_tablet_session_still_refuses_any_other_post(client, practitioner, front_desk):
    intake = _cleared_intake(practitioner)
    _hand_over_and_verify(client, front_desk, intake)
    url = reverse("patient:sign", args=[intake.public_id])
    client.post(url, _sign_data(_sign_token(client, intake)))

    other = client.post(url, _sign_data(str(uuid.uuid4())))

    assert other.status_code == 404
    assert client.session[PATIENT_SESSION_KEY]["purpose"] == "signed"
    assert Consent.objects.filter(intake=intake).count() == 1


def test_tablet_signing_again_after_a_new_handover_supersedes_the_waiting_consent(
    client, practitioner, front_desk
):
    intake = _cleared_intake(practitioner)
    url = reverse("patient:sign", args=[intake.public_id])
    _hand_over_and_verify(client, front_desk, intake)
    client.post(url, _sign_data(_sign_token(client, intake)))

    _hand_over_and_verify(client, front_desk, intake)
    response = client.post(url, _sign_data(_sign_token(client, intake)))

    assert response.status_code == 302
    assert [c.status for c in Consent.objects.filter(intake=intake).order_by("pk")] == [
        Consent.Status.SUPERSEDED,
        Consent.Status.AWAITING_PRACTITIONER,
    ]
    assert _audited(intake, "consent.patient_sign") == 2


def test_tablet_signature_without_a_token_is_refused(client, practitioner, front_desk):
    intake = _cleared_intake(practitioner)
    _hand_over_and_verify(client, front_desk, intake)
    data = _sign_data(token="")

    response = client.post(reverse("patient:sign", args=[intake.public_id]), data)

    assert response.status_code == 400
    assert TOKEN_REFUSED in response.content.decode()
    assert uuid.UUID(response.context["form"]["form_token"].value())
    assert not Consent.objects.filter(intake=intake).exists()


# ---------------------------------------------------------------------------------------------
# Co-signature (practitioner)


def test_cosign_posted_twice_answers_both_with_the_signed_result(client, practitioner):
    intake = _cleared_intake(practitioner)
    pending = _patient_signs(intake)
    client.force_login(practitioner)
    url = reverse("review:cosign", args=[intake.public_id])
    data = {"consent_id": pending.pk, "signature": _data_url()}

    first = client.post(url, data)
    second = client.post(url, data, follow=True)

    consent = Consent.objects.get(pk=pending.pk)
    assert first.status_code == 302 and first["Location"] == _documents_url(intake)
    assert second.redirect_chain == [(_documents_url(intake), 302)]
    assert f"Consent signed. SHA-256 {consent.sha256[:16]}" in second.content.decode()
    assert consent.status == Consent.Status.SIGNED
    assert _audited(intake, "consent.cosign") == 1


def test_cosign_of_a_consent_another_practitioner_signed_says_who_and_writes_nothing(
    client, practitioner
):
    intake = _cleared_intake(practitioner)
    pending = _patient_signs(intake)
    services.consent_cosign(
        actor=practitioner, intake=intake, consent_id=pending.pk, signature=_png()
    )
    colleague = make_user("practitioner", "prac2")
    client.force_login(colleague)

    response = client.post(
        reverse("review:cosign", args=[intake.public_id]),
        {"consent_id": pending.pk, "signature": _data_url()},
    )

    assert response.status_code == 400
    assert "Priya Shah has already co-signed this consent." in response.content.decode()
    assert Consent.objects.get(pk=pending.pk).practitioner == practitioner
    assert _audited(intake, "consent.cosign") == 1


# ---------------------------------------------------------------------------------------------
# Both POSTs at the same instant (PostgreSQL row locks)


@pytest.fixture
def needs_postgresql():
    # SQLite serialises writers with a file lock and has no SELECT ... FOR UPDATE: two threads
    # would test the lock of the test database, not the service.
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (run with DATABASE_URL=postgresql://...)")


def _at_once(call) -> list:
    """Run ``call`` in two threads released together; each closes its own connection."""
    start = threading.Barrier(2)
    outcomes: list = []

    def run():
        from django.db import connection as thread_connection

        try:
            start.wait(timeout=10)
            outcomes.append(call())
        except Exception as exc:  # noqa: BLE001 - reported by the callers' assertions
            outcomes.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 2 and not any(isinstance(o, Exception) for o in outcomes), outcomes
    return outcomes


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_paper_consent_from_two_threads_with_one_token_stores_one_consent(
    needs_postgresql, practitioner, front_desk
):
    intake = _cleared_intake(practitioner)
    token = uuid.uuid4()

    outcomes = _at_once(
        lambda: services.consent_record_paper(
            actor=front_desk, intake=intake, form_token=token, signer_name="Jamie Example"
        )
    )

    assert outcomes[0].pk == outcomes[1].pk
    assert Consent.objects.filter(intake=intake).count() == 1
    assert _audited(intake, "consent.record_paper") == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_tablet_signature_from_two_threads_with_one_token_stores_one_consent(
    needs_postgresql, practitioner
):
    intake = _cleared_intake(practitioner)
    token = uuid.uuid4()

    outcomes = _at_once(
        lambda: services.consent_patient_sign(
            intake=intake,
            form_token=token,
            signer_name="Jamie Example",
            signer_role="patient",
            signature=_png(),
        )
    )

    assert outcomes[0].pk == outcomes[1].pk
    consent = Consent.objects.get(intake=intake)
    assert consent.status == Consent.Status.AWAITING_PRACTITIONER
    assert _audited(intake, "consent.patient_sign") == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_cosign_from_two_threads_signs_once(needs_postgresql, practitioner):
    intake = _cleared_intake(practitioner)
    pending = _patient_signs(intake)

    outcomes = _at_once(
        lambda: services.consent_cosign(
            actor=practitioner, intake=intake, consent_id=pending.pk, signature=_png()
        )
    )

    assert outcomes[0].pk == outcomes[1].pk == pending.pk
    assert outcomes[0].sha256 == outcomes[1].sha256
    assert Consent.objects.get(pk=pending.pk).status == Consent.Status.SIGNED
    assert _audited(intake, "consent.cosign") == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_paper_consents_from_two_threads_with_different_tokens_are_both_kept(
    needs_postgresql, practitioner, front_desk
):
    intake = _cleared_intake(practitioner)

    outcomes = _at_once(
        lambda: services.consent_record_paper(
            actor=front_desk, intake=intake, form_token=uuid.uuid4(), signer_name="Jamie Example"
        )
    )

    assert outcomes[0].pk != outcomes[1].pk
    statuses = sorted(Consent.objects.filter(intake=intake).values_list("status", flat=True))
    assert statuses == [Consent.Status.SIGNED, Consent.Status.SUPERSEDED]
