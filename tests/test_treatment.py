"""Issue 18: the treatment record (scope of the signed consent), adverse events, the next
visit's finding, and the practitioner's pages."""

from __future__ import annotations

import datetime
import io
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from screening import selectors, services
from screening.models import (
    AdverseEvent,
    AftercareCheck,
    AuditEvent,
    Consent,
    Intake,
    TreatmentRecord,
)
from tests.conftest import make_patient
from tests.factories import make_submitted_intake, resolve_and_clear, set_plan

pytestmark = pytest.mark.django_db


def make_signed_intake(
    practitioner,
    *,
    techniques=("manual_static",),
    regions=("lumbar",),
    patient=None,
    appointment_at=None,
    extra=None,
) -> Intake:
    """A cleared intake whose consent is signed (recorded as the desk records a paper consent,
    without rendering its PDF: these tests are about the plan it was signed for)."""
    fields = {"appointment_at": appointment_at or timezone.now() - datetime.timedelta(hours=1)}
    if patient is not None:
        fields["patient"] = patient
    intake = make_submitted_intake(extra, **fields)
    set_plan(intake, practitioner, list(techniques), list(regions))
    intake = resolve_and_clear(intake, practitioner)
    Consent.objects.create(
        intake=intake,
        status=Consent.Status.SIGNED,
        method=Consent.Method.PAPER,
        consent_text_version="test",
        screening=selectors.latest_screening(intake),
        signer_name="Jamie Example",
        signed_at=timezone.now(),
    )
    Intake.objects.filter(pk=intake.pk).update(status=Intake.Status.SIGNED)
    intake.refresh_from_db()
    return intake


def record(intake, practitioner, **overrides):
    values = {
        "actor": practitioner,
        "intake": intake,
        "techniques": ["manual_static"],
        "regions_treated": ["lumbar"],
        "duration_minutes": 20,
        "needle_count": 6,
        "note": "Two trigger points.",
    }
    values.update(overrides)
    return services.treatment_record(**values)


def faint(intake, practitioner, **overrides):
    values = {
        "actor": practitioner,
        "intake": intake,
        "type": AdverseEvent.Type.FAINTING,
        "severity": AdverseEvent.Severity.MODERATE,
        "onset": AdverseEvent.Onset.DURING,
        "duration": "2 minutes",
        "action_taken": "Laid flat, legs raised.",
    }
    values.update(overrides)
    return services.adverse_event_record(**values)


# ---------------------------------------------------------------------------------------------
# Recording


def test_treatment_record_stores_the_treatment_and_schedules_the_aftercare_check(practitioner):
    intake = make_signed_intake(practitioner)
    treated_at = timezone.now() - datetime.timedelta(minutes=30)

    treatment = record(intake, practitioner, treated_at=treated_at)

    assert treatment.techniques == ["manual_static"]
    assert treatment.regions == ["lumbar"]
    assert (treatment.needle_count, treatment.duration_minutes) == (6, 20)
    assert treatment.recorded_by == practitioner
    check = AftercareCheck.objects.get(intake=intake)
    assert check.due_at == treated_at + datetime.timedelta(hours=48)
    event = AuditEvent.objects.filter(action="treatment.record").get()
    assert event.intake_id == intake.pk
    assert event.detail == {"techniques": ["manual_static"], "regions": ["lumbar"]}


def test_treatment_correction_needs_the_current_version(practitioner):
    intake = make_signed_intake(practitioner)
    treatment = record(intake, practitioner)

    with pytest.raises(services.ConflictError):
        record(intake, practitioner, duration_minutes=30, expected_version=treatment.version + 1)
    corrected = record(intake, practitioner, duration_minutes=30, expected_version=1)

    assert corrected.duration_minutes == 30
    assert corrected.version == 2
    assert AuditEvent.objects.filter(action="treatment.update").count() == 1


def test_a_region_outside_the_consent_is_refused_with_the_reason(practitioner):
    intake = make_signed_intake(practitioner)

    with pytest.raises(services.ServiceError) as refused:
        record(intake, practitioner, regions_treated=["lumbar", "upper_back_thoracic"])

    message = str(refused.value)
    assert "Upper and middle back, between the shoulder blades" in message
    assert "outside the consented plan" in message
    assert "Lower back" in message  # what the consent does cover
    assert "upper_back_thoracic" not in message
    assert not AftercareCheck.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="treatment.").exists()


def test_a_technique_outside_the_consent_is_refused_with_the_reason(practitioner):
    intake = make_signed_intake(practitioner)

    with pytest.raises(services.ServiceError) as refused:
        record(intake, practitioner, techniques=["manual_static", "estim"])

    assert "Electrical stimulation (e-stim): not in the consented plan" in str(refused.value)
    assert "estim" not in str(refused.value).replace("e-stim", "")


def test_no_signed_consent_means_no_treatment_record(practitioner):
    intake = make_submitted_intake()
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake = resolve_and_clear(intake, practitioner)

    with pytest.raises(services.ServiceError, match="no signed consent"):
        record(intake, practitioner)


def test_a_superseded_consent_does_not_count(practitioner):
    intake = make_signed_intake(practitioner)
    Consent.objects.filter(intake=intake).update(status=Consent.Status.SUPERSEDED)

    with pytest.raises(services.ServiceError, match="no signed consent"):
        record(intake, practitioner)


def test_a_subset_of_the_plan_is_accepted_with_aliases_expanded(practitioner):
    intake = make_signed_intake(
        practitioner, regions=("shoulder_girdle_left", "shoulder_girdle_right")
    )

    treatment = record(intake, practitioner, regions_treated=["shoulder_girdle_left"])

    assert treatment.regions == ["shoulder_girdle_left"]


def test_consent_signed_on_paper_through_the_service_gives_the_scope(practitioner, front_desk):
    intake = make_submitted_intake()
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake = resolve_and_clear(intake, practitioner)
    services.consent_record_paper(
        actor=front_desk, intake=intake, form_token=uuid.uuid4(), signer_name="Jamie Example"
    )

    assert record(intake, practitioner).regions == ["lumbar"]


def test_adverse_events_need_a_treatment_and_are_audited(practitioner):
    intake = make_signed_intake(practitioner)
    with pytest.raises(services.ServiceError, match="Record the treatment first"):
        faint(intake, practitioner)
    record(intake, practitioner)

    first = faint(intake, practitioner)
    second = faint(
        intake,
        practitioner,
        type=AdverseEvent.Type.BRUISING,
        severity=AdverseEvent.Severity.MILD,
        onset=AdverseEvent.Onset.WITHIN_24H,
    )

    assert list(intake.adverse_events.all()) == [first, second]
    assert first.is_significant and not second.is_significant
    details = list(
        AuditEvent.objects.filter(action="adverse_event.record")
        .order_by("pk")
        .values_list("detail", flat=True)
    )
    assert details[0]["type"] == "fainting" and details[0]["significant"] is True
    assert details[1]["type"] == "bruising" and details[1]["significant"] is False


def test_a_referral_needs_to_whom(practitioner):
    intake = make_signed_intake(practitioner)
    record(intake, practitioner)

    with pytest.raises(services.ServiceError, match="to whom"):
        faint(intake, practitioner, referred=True)
    event = faint(intake, practitioner, referred=True, referred_to="  GP  ")

    assert event.referred_to == "GP"


# ---------------------------------------------------------------------------------------------
# The next visit


def _next_intake(first: Intake, previous_experience: str = "no_problems") -> Intake:
    reaction = {
        "never": {"answer": False, "previous_experience": "never"},
        "no_problems": {"answer": False, "previous_experience": "no_problems"},
        "problems": {
            "answer": True,
            "previous_experience": "problems",
            "reaction_description": "Felt dizzy",
        },
    }[previous_experience]
    return make_submitted_intake(
        {"previous_needling_reaction": reaction},
        patient=first.patient,
        appointment_at=timezone.now() + datetime.timedelta(days=7),
    )


def _reaction_finding(intake: Intake):
    screening = selectors.latest_screening(intake)
    return next((f for f in screening.findings if f["item"] == "previous_needling_reaction"), None)


@pytest.mark.parametrize("answered", ["never", "no_problems", "problems"])
def test_a_recorded_fainting_is_a_finding_at_the_next_intake_whatever_was_answered(
    practitioner, answered
):
    first = make_signed_intake(practitioner)
    record(intake=first, practitioner=practitioner, treated_at=first.appointment_at)
    faint(first, practitioner)

    second = _next_intake(first, answered)

    finding = _reaction_finding(second)
    assert finding is not None and finding["level"] == "relative"
    day = timezone.localtime(first.appointment_at).strftime("%-d %b %Y")
    assert (
        f"Recorded by the clinic: fainting or near-fainting (vasovagal) during treatment on {day}"
        in finding["message"]
    )
    # The patient's own answer stays theirs; the snapshot records what the engine saw.
    second.refresh_from_db()
    assert second.answers["previous_needling_reaction"]["previous_experience"] == answered
    snapshot = selectors.latest_screening(second).answers["previous_needling_reaction"]
    assert snapshot["previous_experience"] == "problems"
    if answered == "problems":
        assert snapshot["reaction_description"] == "Felt dizzy"


def test_any_significant_event_is_a_finding_at_the_next_intake(practitioner):
    first = make_signed_intake(practitioner)
    record(first, practitioner)
    faint(
        first,
        practitioner,
        type=AdverseEvent.Type.NERVE_INJURY,
        onset=AdverseEvent.Onset.LATER,
        severity=AdverseEvent.Severity.MODERATE,
    )

    finding = _reaction_finding(_next_intake(first))

    assert "Recorded by the clinic: nerve injury after treatment on" in finding["message"]


def test_a_mild_bruise_is_not_a_finding_at_the_next_intake(practitioner):
    first = make_signed_intake(practitioner)
    record(first, practitioner)
    faint(
        first,
        practitioner,
        type=AdverseEvent.Type.BRUISING,
        severity=AdverseEvent.Severity.MILD,
        onset=AdverseEvent.Onset.WITHIN_24H,
    )

    second = _next_intake(first)

    assert _reaction_finding(second) is None
    assert second.latest_flag_count == 0


def test_another_patients_fainting_is_not_this_patients_finding(practitioner):
    first = make_signed_intake(practitioner)
    record(first, practitioner)
    faint(first, practitioner)

    other = make_submitted_intake(
        patient=make_patient(full_name="Someone Else"),
        appointment_at=timezone.now() + datetime.timedelta(days=7),
    )

    assert _reaction_finding(other) is None


def test_the_review_page_shows_the_recorded_event_in_words(client, practitioner):
    first = make_signed_intake(practitioner)
    record(first, practitioner)
    faint(first, practitioner)
    second = _next_intake(first, "never")
    client.force_login(practitioner)

    page = client.get(reverse("review:intake", args=[second.public_id])).content.decode()

    assert "Recorded by the clinic: fainting or near-fainting (vasovagal) during treatment" in page
    assert "the patient’s own answer: never had dry needling or acupuncture" in page
    # The flag quotes what the patient answered, not the answer the clinic's record stood in for.
    assert "No, this will be my first time" in page
    assert "Yes, and I had a problem" not in page


# ---------------------------------------------------------------------------------------------
# Pages and permissions


def test_practitioner_records_treatment_and_an_event_through_the_page(client, practitioner):
    intake = make_signed_intake(practitioner)
    client.force_login(practitioner)
    url = reverse("review:treatment", args=[intake.public_id])

    page = client.get(url)
    assert page.status_code == 200
    assert "Lower back" in page.content.decode()
    response = client.post(
        url,
        {
            "techniques": ["manual_static"],
            "regions": ["lumbar"],
            "treated_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "25",
            "needle_count": "",
            "note": "",
        },
    )
    assert response.status_code == 302
    response = client.post(
        reverse("review:adverse_event", args=[intake.public_id]),
        {"type": "fainting", "severity": "moderate", "onset": "during", "duration": "1 minute"},
    )
    assert response.status_code == 302

    assert intake.treatment.duration_minutes == 25
    assert intake.adverse_events.get().type == "fainting"
    assert AuditEvent.objects.filter(action="treatment.view", intake=intake).exists()


def test_the_page_refuses_a_region_outside_the_consent_in_words(client, practitioner):
    intake = make_signed_intake(practitioner)
    client.force_login(practitioner)

    response = client.post(
        reverse("review:treatment", args=[intake.public_id]),
        {
            "techniques": ["manual_static"],
            "regions": ["lumbar", "chest_wall_left"],
            "treated_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "25",
        },
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Left side of the chest, including the breast area: outside the consented" in page
    assert not TreatmentRecord.objects.exists()
    assert not AftercareCheck.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"duration_minutes": "abc"},
        {"duration_minutes": "0"},
        {"treated_at": "yesterday"},
        {"regions": ["not-a-region"]},
        {"techniques": []},
        {"needle_count": "-3"},
    ],
)
def test_bad_input_gets_a_message_and_changes_nothing(client, practitioner, data):
    intake = make_signed_intake(practitioner)
    client.force_login(practitioner)
    post = {
        "techniques": ["manual_static"],
        "regions": ["lumbar"],
        "treated_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "20",
        **data,
    }

    response = client.post(reverse("review:treatment", args=[intake.public_id]), post)

    assert response.status_code == 400
    assert "Please correct the following" in response.content.decode()
    assert not AftercareCheck.objects.exists()


def test_the_desk_cannot_record_a_treatment_or_an_event(client, practitioner, front_desk):
    intake = make_signed_intake(practitioner)
    client.force_login(front_desk)

    for name in ("review:treatment", "review:adverse_event", "review:aftercare_call"):
        response = client.post(reverse(name, args=[intake.public_id]), {})
        assert response.status_code == 403, name

    assert not AftercareCheck.objects.exists()


def test_a_missing_intake_answers_404(client, practitioner):
    client.force_login(practitioner)

    for name in ("review:treatment", "review:adverse_event", "review:aftercare_call"):
        response = client.post(reverse(name, args=[uuid.uuid4()]), {})
        assert response.status_code == 404, name
    assert client.get(reverse("review:treatment", args=[uuid.uuid4()])).status_code == 404


def test_seed_demo_has_a_treated_intake_with_an_event_and_a_due_check_once(settings):
    from django.core.management import call_command

    settings.DEBUG = True
    for _ in range(2):
        call_command("seed_demo", stdout=io.StringIO())

    assert TreatmentRecord.objects.count() == 1
    assert AdverseEvent.objects.get().type == AdverseEvent.Type.FAINTING
    check = AftercareCheck.objects.get()
    assert [c.pk for c in selectors.aftercare_calls_for_desk()] == [check.pk]
