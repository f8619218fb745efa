"""Practitioner review services: plan and re-screening, resolutions, decisions, reopening."""

import pytest

from screening import selectors, services
from screening.models import AuditEvent, Decision, FlagResolution, Intake, ScreeningResult
from tests.factories import make_submitted_intake, set_plan

pytestmark = pytest.mark.django_db

INFECTED_FOREARM = {
    "skin_lesion_or_local_infection": {
        "answer": True,
        "type": "infected cut",
        "regions": ["forearm_hand_left"],
    }
}
WARFARIN_HIGH_INR = {
    "blood_thinner_use": {
        "answer": True,
        "agents": ["warfarin"],
        "latest_inr": 3.6,
        "inr_days_ago": 1,
    }
}
ANXIETY = {"anxiety_mental_health": {"answer": True}}


def _flag_items(screening):
    return {(f["item"], f["level"]) for f in selectors.flags_of(screening)}


def test_set_plan_rescreens_and_reports_disappearing_site_flag(practitioner):
    intake = make_submitted_intake(INFECTED_FOREARM)
    first, _ = set_plan(intake, practitioner, ["manual_static"], ["forearm_hand_left"])

    second, changes = set_plan(intake, practitioner, ["manual_static"], ["lumbar"])

    assert ("skin_lesion_or_local_infection", "absolute") in _flag_items(first)
    assert first.outcome == "contraindicated"
    assert second.outcome == "clear"
    assert changes["disappeared"] == ["skin_lesion_or_local_infection"]
    assert second.plan == {"techniques": ["manual_static"], "regions": ["lumbar"]}
    assert ScreeningResult.objects.filter(intake=intake).count() == 3  # submit + 2 plans


def test_snapshot_records_versions_and_thresholds(practitioner):
    intake = make_submitted_intake()

    snapshot, _ = set_plan(intake, practitioner, ["manual_static"], ["lumbar"])

    assert snapshot.ruleset_version and snapshot.questionnaire_version
    assert snapshot.thresholds["inr_ceiling"] == 3.0
    assert snapshot.answers["minor_patient"]["age_years"] == selectors.intake_age(intake)


def test_absolute_flag_cannot_be_cleared_without_plan_change_or_override(practitioner):
    intake = make_submitted_intake(WARFARIN_HIGH_INR)
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake.refresh_from_db()

    with pytest.raises(
        services.ServiceError, match="still open: Anticoagulant or antiplatelet medicine"
    ):
        services.review_decide(
            actor=practitioner, intake=intake, decision="cleared", expected_version=intake.version
        )
    with pytest.raises(services.ServiceError, match="justification"):
        services.flag_resolve(
            actor=practitioner,
            intake=intake,
            item="blood_thinner_use",
            mitigation="shallow needling",
            expected_version=intake.version,
        )
    intake.refresh_from_db()
    assert intake.status == Intake.Status.SUBMITTED
    assert not Decision.objects.exists()


def test_absolute_flag_override_with_justification_allows_clearing(practitioner):
    intake = make_submitted_intake(WARFARIN_HIGH_INR)
    set_plan(intake, practitioner, ["manual_static"], ["forearm_hand_left"])
    intake.refresh_from_db()

    resolution = services.flag_resolve(
        actor=practitioner,
        intake=intake,
        item="blood_thinner_use",
        justification="INR 3.6 on a stable mechanical-valve target of 3.5; superficial only.",
        expected_version=intake.version,
    )
    services.review_decide(
        actor=practitioner,
        intake=intake,
        decision="cleared_with_modifications",
        expected_version=intake.version,
    )

    intake.refresh_from_db()
    assert resolution.kind == FlagResolution.Kind.OVERRIDE
    assert intake.status == Intake.Status.REVIEWED
    assert intake.decision == "cleared_with_modifications"


def test_relative_flag_needs_a_mitigation(practitioner):
    intake = make_submitted_intake(ANXIETY)
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake.refresh_from_db()

    with pytest.raises(services.ServiceError, match="mitigation"):
        services.flag_resolve(
            actor=practitioner,
            intake=intake,
            item="anxiety_mental_health",
            mitigation="  ",
            expected_version=intake.version,
        )
    services.flag_resolve(
        actor=practitioner,
        intake=intake,
        item="anxiety_mental_health",
        mitigation="Explained each step, treated lying down.",
        expected_version=intake.version,
    )

    assert selectors.unresolved_flags(intake, selectors.latest_screening(intake)) == []


def test_resolution_no_longer_counts_when_the_level_changes(practitioner):
    intake = make_submitted_intake(
        {"implanted_electrical_device": {"answer": True, "device_regions": ["chest_wall_left"]}}
    )
    set_plan(intake, practitioner, ["manual_static"], ["chest_wall_left"])
    intake.refresh_from_db()
    services.flag_resolve(
        actor=practitioner,
        intake=intake,
        item="implanted_electrical_device",
        mitigation="Needles placed well away from the generator and leads.",
        expected_version=intake.version,
    )

    screening, changes = set_plan(intake, practitioner, ["manual_static", "estim"], ["lumbar"])

    assert changes["changed"] == [("implanted_electrical_device", "relative", "absolute")]
    open_items = [f["item"] for f in selectors.unresolved_flags(intake, screening)]
    assert open_items == ["implanted_electrical_device"]


def test_clearing_requires_a_plan(practitioner):
    intake = make_submitted_intake()

    with pytest.raises(services.ServiceError, match="plan"):
        services.review_decide(
            actor=practitioner, intake=intake, decision="cleared", expected_version=intake.version
        )


@pytest.mark.parametrize("decision", ["not_today", "refer"])
def test_not_today_and_refer_need_a_note(practitioner, decision):
    intake = make_submitted_intake(WARFARIN_HIGH_INR)

    with pytest.raises(services.ServiceError, match="note"):
        services.review_decide(
            actor=practitioner, intake=intake, decision=decision, expected_version=intake.version
        )
    services.review_decide(
        actor=practitioner,
        intake=intake,
        decision=decision,
        note="INR too high today; recheck with anticoagulation clinic.",
        expected_version=intake.version,
    )

    intake.refresh_from_db()
    assert intake.decision == decision


def test_stale_version_is_a_conflict_and_changes_nothing(practitioner):
    intake = make_submitted_intake()
    stale = intake.version
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])

    with pytest.raises(services.ConflictError):
        services.review_set_plan(
            actor=practitioner,
            intake=intake,
            techniques=["estim"],
            regions=["knee_left"],
            clinician={},
            expected_version=stale,
        )
    intake.refresh_from_db()
    assert intake.plan_regions == ["lumbar"]


def test_reopen_keeps_history_and_allows_a_new_decision(practitioner):
    intake = make_submitted_intake()
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake.refresh_from_db()
    services.review_decide(
        actor=practitioner, intake=intake, decision="cleared", expected_version=intake.version
    )

    services.review_reopen(
        actor=practitioner,
        intake=intake,
        reason="Patient now reports knee pain; plan changes.",
        expected_version=intake.version,
    )
    intake.refresh_from_db()
    set_plan(intake, practitioner, ["manual_static"], ["knee_left"])
    intake.refresh_from_db()
    services.review_decide(
        actor=practitioner, intake=intake, decision="cleared", expected_version=intake.version
    )

    decisions = list(intake.decisions.order_by("decided_at", "pk"))
    assert len(decisions) == 2
    assert decisions[0].reopened_at is not None and decisions[1].reopened_at is None
    actions = set(AuditEvent.objects.filter(intake=intake).values_list("action", flat=True))
    assert {"review.plan", "review.decide", "review.reopen", "screening.run"} <= actions


def test_submit_refuses_a_completed_step_whose_answers_became_incomplete():
    from tests.conftest import make_intake
    from tests.factories import complete_answers, fill_all_steps

    intake = make_intake()
    fill_all_steps(intake, complete_answers(intake))
    # A later partial save: blood thinners now yes, without saying which.
    services.intake_save_step(
        intake=intake,
        section_id="bleeding",
        values={"bleeding_disorder": {"answer": False}, "blood_thinner_use": {"answer": True}},
        complete=False,
    )
    intake.refresh_from_db()

    with pytest.raises(services.ServiceError, match="not finished"):
        services.intake_submit(intake=intake)
    assert selectors.missing_steps(intake) == ["bleeding"]


def test_plain_cleared_is_refused_once_a_flag_was_mitigated_or_overridden(practitioner):
    intake = make_submitted_intake(WARFARIN_HIGH_INR)
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake.refresh_from_db()
    services.flag_resolve(
        actor=practitioner,
        intake=intake,
        item="blood_thinner_use",
        justification="INR rechecked today at 2.6, within range; superficial needling only.",
        expected_version=intake.version,
    )

    with pytest.raises(services.ServiceError, match="Cleared with modifications"):
        services.review_decide(
            actor=practitioner, intake=intake, decision="cleared", expected_version=intake.version
        )
    record = services.review_decide(
        actor=practitioner,
        intake=intake,
        decision="cleared_with_modifications",
        expected_version=intake.version,
    )
    assert record.decision == "cleared_with_modifications"


def test_plain_cleared_stays_possible_when_nothing_was_flagged(practitioner):
    intake = make_submitted_intake()
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake.refresh_from_db()

    record = services.review_decide(
        actor=practitioner, intake=intake, decision="cleared", expected_version=intake.version
    )

    assert record.decision == "cleared"
