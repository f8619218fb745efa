"""Practitioner pages: the queue (fixed query count), the detail page and its forms."""

import datetime
import re
import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from screening import selectors, services
from screening.models import AuditEvent, Intake
from tests.conftest import make_patient
from tests.factories import make_submitted_intake, set_plan

pytestmark = pytest.mark.django_db

INFECTED_FOREARM = {
    "skin_lesion_or_local_infection": {
        "answer": True,
        "type": "infected cut",
        "regions": ["forearm_hand_left"],
    }
}

WARFARIN = {
    "blood_thinner_use": {
        "answer": True,
        "agents": ["warfarin"],
        "latest_inr": 3.4,
        "inr_days_ago": 2,
    }
}


def _bulk_submitted(count: int) -> None:
    """Many submitted intakes today, made cheaply: only for counting the queue's queries, which
    do not depend on the stored values (tests of what the queue shows screen through the
    services instead)."""
    today = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)
    patients = [make_patient(full_name=f"Patient {n}") for n in range(count)]
    Intake.objects.bulk_create(
        Intake(
            patient=patient,
            appointment_at=today + datetime.timedelta(minutes=n),
            status=Intake.Status.SUBMITTED,
            latest_outcome=("clear", "precaution", "contraindicated")[n % 3],
            latest_flag_count=n % 4,
        )
        for n, patient in enumerate(patients)
    )


def _queue_queries(client, practitioner) -> int:
    client.force_login(practitioner)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("review:queue"))
    assert response.status_code == 200
    return len(captured)


def test_queue_query_count_is_the_same_for_1_and_200_intakes(client, practitioner):
    _bulk_submitted(1)
    _queue_queries(client, practitioner)  # warm-up: creates the clinic settings row once
    one = _queue_queries(client, practitioner)
    _bulk_submitted(199)

    many = _queue_queries(client, practitioner)

    assert one == many


def _today_at(hour: int) -> datetime.datetime:
    return timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0)


def test_queue_orders_by_time_then_risk_and_filters(client, practitioner):
    at = _today_at(10)
    clear = make_submitted_intake(patient=make_patient(full_name="Clear Person"), appointment_at=at)
    risky = make_submitted_intake(
        WARFARIN, patient=make_patient(full_name="Risky Person"), appointment_at=at
    )
    client.force_login(practitioner)

    html = client.get(reverse("review:queue")).content.decode()
    filtered = client.get(reverse("review:queue"), {"outcome": "clear"}).content.decode()
    searched = client.get(reverse("review:queue"), {"q": "risky"}).content.decode()

    assert html.index("Risky Person") < html.index("Clear Person")
    assert "Risky Person" not in filtered and "Clear Person" in filtered
    assert "Risky Person" in searched and "Clear Person" not in searched
    assert clear.pk and risky.pk


def _queue_rows(response) -> list[int]:
    return [row["intake"].pk for row in response.context["rows"]]


def test_queue_ignores_bad_filter_values(client, practitioner):
    make_submitted_intake(
        patient=make_patient(full_name="Clear Person"), appointment_at=_today_at(9)
    )
    make_submitted_intake(
        WARFARIN, patient=make_patient(full_name="Risky Person"), appointment_at=_today_at(11)
    )
    client.force_login(practitioner)
    unfiltered = client.get(reverse("review:queue"))

    response = client.get(
        reverse("review:queue"), {"day": "not-a-date", "page": "-4", "outcome": "x"}
    )

    assert response.status_code == 200
    assert len(_queue_rows(unfiltered)) == 2
    assert _queue_rows(response) == _queue_rows(unfiltered)


def _flag_chips(html: str, name: str) -> list[str]:
    """The flag chips of a patient's queue row, as "label (level)" in words."""
    row = html[html.index(name) :]
    row = row[: row.index("</tr>")]
    chips = re.findall(
        r'<span class="flag-chip chip-\w+">([^<]+)<span class="visually-hidden"> \(([^)]+)\)',
        row,
    )
    return [f"{label} ({level})" for label, level in chips]


def test_queue_counts_only_absolute_and_relative_findings_as_flags(client, practitioner):
    # A first-ever needling session is an INFO finding (§13.1): shown, never a flag.
    first_time = make_submitted_intake(
        {"previous_needling_reaction": {"answer": False, "previous_experience": "never"}},
        patient=make_patient(full_name="First Timer"),
        appointment_at=_today_at(9),
    )
    risky = make_submitted_intake(
        {**WARFARIN, **INFECTED_FOREARM},
        patient=make_patient(full_name="Risky Person"),
        appointment_at=_today_at(10),
    )
    client.force_login(practitioner)

    html = client.get(reverse("review:queue")).content.decode()

    first_time.refresh_from_db()
    risky.refresh_from_db()
    findings = selectors.latest_screening(first_time).findings
    assert [(f["item"], f["level"]) for f in findings] == [("previous_needling_reaction", "info")]
    assert (first_time.latest_outcome, first_time.latest_flag_count) == ("clear", 0)
    assert _flag_chips(html, "First Timer") == []
    assert risky.latest_flag_count == 2
    assert risky.latest_flags == [
        {"item": "blood_thinner_use", "level": "absolute"},
        {"item": "skin_lesion_or_local_infection", "level": "absolute"},
    ]
    assert _flag_chips(html, "Risky Person") == [
        "Blood-thinning medicine (absolute contraindication)",
        "Skin problem or infection (absolute contraindication)",
    ]


def test_detail_shows_flags_with_sources_and_audits_the_view(client, practitioner):
    intake = make_submitted_intake(INFECTED_FOREARM)
    client.force_login(practitioner)

    response = client.get(reverse("review:intake", args=[intake.public_id]))

    html = response.content.decode()
    assert "Infection, wound or skin problem" in html or "skin" in html.lower()
    assert "pending plan" in html
    # A source code links to its citation in the legend at the foot of the page.
    assert '<a href="#source-R16" title="' in html
    assert '<div id="source-R16"><dt>R16</dt>' in html
    assert AuditEvent.objects.filter(action="intake.view", intake=intake).count() == 1


def _quoted_answer(html: str, item_id: str) -> str:
    """The answer a flag on the detail page quotes, as HTML."""
    anchor = "flag-" + item_id.replace("_", "-")
    finding = html[html.index(f'id="{anchor}"') :]
    start = finding.index("finding-answer")
    return finding[start : finding.index("</p>", start)]


def test_detail_quotes_the_flagged_answer_in_words_not_field_ids(client, practitioner):
    intake = make_submitted_intake(WARFARIN)
    client.force_login(practitioner)

    html = client.get(reverse("review:intake", args=[intake.public_id])).content.decode()
    answered = _quoted_answer(html, "blood_thinner_use")

    assert "<strong>Yes</strong>" in answered
    assert "<strong>Warfarin</strong>" in answered
    assert "latest INR" in answered and "<strong>3.4</strong>" in answered
    assert "agents:" not in html and "latest_inr" not in html and "inr_days_ago" not in html


def test_a_flag_quotes_the_answers_its_screening_saw_not_later_edits(client, practitioner):
    intake = make_submitted_intake(WARFARIN)
    edited = dict(intake.answers)
    edited["blood_thinner_use"] = {**WARFARIN["blood_thinner_use"], "latest_inr": 2.1}
    Intake.objects.filter(pk=intake.pk).update(answers=edited)  # not yet re-screened
    client.force_login(practitioner)

    html = client.get(reverse("review:intake", args=[intake.public_id])).content.decode()
    answered = _quoted_answer(html, "blood_thinner_use")

    assert "<strong>3.4</strong>" in answered
    assert "2.1" not in answered


def test_front_desk_cannot_open_the_clinical_detail(client, front_desk):
    intake = make_submitted_intake(INFECTED_FOREARM)
    client.force_login(front_desk)

    assert client.get(reverse("review:intake", args=[intake.public_id])).status_code == 403


def test_plan_post_rescreens_and_says_which_flags_disappeared(client, practitioner):
    intake = make_submitted_intake(INFECTED_FOREARM)
    set_plan(intake, practitioner, ["manual_static"], ["forearm_hand_left"])
    intake.refresh_from_db()
    client.force_login(practitioner)

    response = client.post(
        reverse("review:plan", args=[intake.public_id]),
        {"version": intake.version, "techniques": ["manual_static"], "regions": ["lumbar"]},
        follow=True,
    )

    # The lesion away from the plan is no longer a flag, and the message says where it went.
    assert (
        "No longer a flag, still listed under Also noted: Infection, wound or skin problem."
        in response.content.decode()
    )
    intake.refresh_from_db()
    assert intake.latest_outcome == "clear"


def test_plan_post_with_aliases_expands_them(client, practitioner):
    intake = make_submitted_intake()
    client.force_login(practitioner)

    client.post(
        reverse("review:plan", args=[intake.public_id]),
        {
            "version": intake.version,
            "techniques": ["manual_static"],
            "regions": ["lower_limb_left"],
        },
    )

    intake.refresh_from_db()
    assert intake.plan_regions == ["thigh_left", "knee_left", "leg_foot_left"]


@pytest.mark.parametrize(
    "data",
    [
        {"techniques": ["manual_static"]},  # no region
        {"regions": ["lumbar"]},  # no technique
        {"techniques": ["laser"], "regions": ["lumbar"]},
        {"techniques": ["manual_static"], "regions": ["tail"]},
    ],
)
def test_plan_post_with_bad_input_changes_nothing(client, practitioner, data):
    intake = make_submitted_intake()
    client.force_login(practitioner)

    response = client.post(
        reverse("review:plan", args=[intake.public_id]), {"version": intake.version, **data}
    )

    assert response.status_code == 400
    intake.refresh_from_db()
    assert intake.plan_regions == [] and intake.plan_techniques == []


def test_stale_form_gets_a_conflict_message_not_an_overwrite(client, practitioner):
    intake = make_submitted_intake()
    stale_version = intake.version
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])  # a colleague saves first
    client.force_login(practitioner)

    response = client.post(
        reverse("review:plan", args=[intake.public_id]),
        {"version": stale_version, "techniques": ["estim"], "regions": ["knee_left"]},
        follow=True,
    )

    assert "Someone else saved this intake" in response.content.decode()
    intake.refresh_from_db()
    assert intake.plan_regions == ["lumbar"]


def test_resolve_and_decide_through_the_pages(client, practitioner):
    intake = make_submitted_intake({"anxiety_mental_health": {"answer": True}})
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake.refresh_from_db()
    client.force_login(practitioner)

    client.post(
        reverse("review:resolve", args=[intake.public_id]),
        {"version": intake.version, "item": "anxiety_mental_health", "mitigation": "Lying down."},
    )
    intake.refresh_from_db()
    response = client.post(
        reverse("review:decide", args=[intake.public_id]),
        {"version": intake.version, "decision": "cleared_with_modifications", "note": ""},
    )

    assert response.status_code == 302
    intake.refresh_from_db()
    assert intake.status == "reviewed" and intake.decision == "cleared_with_modifications"


def test_decide_with_open_flags_shows_why(client, practitioner):
    intake = make_submitted_intake({"anxiety_mental_health": {"answer": True}})
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake.refresh_from_db()
    client.force_login(practitioner)

    response = client.post(
        reverse("review:decide", args=[intake.public_id]),
        {"version": intake.version, "decision": "cleared"},
    )

    assert response.status_code == 400
    assert "still open: Anxiety or other mental-health condition" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_concurrent_plan_saves_one_wins_the_other_conflicts(practitioner, clinic_admin):
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent transactions: runs on PostgreSQL in CI")
    intake = make_submitted_intake()
    version = intake.version
    barrier = threading.Barrier(2)
    outcomes = []

    def save(regions):
        try:
            barrier.wait(timeout=10)
            services.review_set_plan(
                actor=practitioner,
                intake=Intake.objects.get(pk=intake.pk),
                techniques=["manual_static"],
                regions=regions,
                clinician={},
                expected_version=version,
            )
            outcomes.append("saved")
        except services.ConflictError:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(r,)) for r in (["lumbar"], ["knee_left"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict", "saved"]
    intake.refresh_from_db()
    assert intake.version == version + 1


def test_queue_shows_what_waits_for_the_practitioner_and_consent_badges(client, practitioner):
    from screening.models import Consent

    waiting = make_submitted_intake(
        WARFARIN, patient=make_patient(full_name="Waiting Patient"), appointment_at=_today_at(9)
    )
    Intake.objects.filter(pk=waiting.pk).update(practitioner=practitioner)
    client.force_login(practitioner)

    html = client.get(reverse("review:queue")).content.decode()
    assert "Waiting for you" in html
    assert "1 of your patients to review" in html
    assert "co-signature waiting" not in html

    # A consent signed by the patient waits for the practitioner's co-signature.
    Consent.objects.create(
        intake=waiting,
        status=Consent.Status.AWAITING_PRACTITIONER,
        **_consent_fields(waiting),
    )
    html = client.get(reverse("review:queue")).content.decode()
    assert "1 consent waits for your co-signature" in html
    assert "co-signature waiting" in html


def _consent_fields(intake) -> dict:
    from screening import selectors as s

    return {
        "method": "tablet",
        "consent_text_version": "test",
        "screening": s.latest_screening(intake),
        "signer_name": "Waiting Patient",
        "signer_role": "patient",
    }
