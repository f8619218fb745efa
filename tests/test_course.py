"""A course of care (issue 17): returning patients' check-in, "today" answers given on the day,
what changed since the last visit, and a consent that covers the course until something
changes."""

from __future__ import annotations

import datetime
import uuid
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from screening import course_state, selectors, services
from screening.engine import course, questionnaire, rules
from screening.models import ClinicSettings, Intake
from tests.conftest import make_step_data, open_as_patient
from tests.factories import complete_answers, make_submitted_intake, resolve_and_clear, set_plan

DAY = datetime.date(2026, 11, 3)


def scope(**overrides) -> course.ConsentScope:
    values = {
        "signed_on": DAY,
        "valid_until": course.add_months(DAY, 12),
        "text_version": "consent-1",
        "techniques": frozenset({"manual_static"}),
        "regions": frozenset({"lumbar"}),
        "flags": {"needle_phobia": rules.RELATIVE},
    }
    values.update(overrides)
    return course.ConsentScope(**values)


def gaps(the_scope=None, **visit) -> list[str]:
    values = {
        "today": DAY,
        "text_version": "consent-1",
        "techniques": ["manual_static"],
        "region_ids": ["lumbar"],
        "flags": {"needle_phobia": rules.RELATIVE},
    }
    values.update(visit)
    return [gap.kind for gap in course.consent_gaps(the_scope or scope(), **values)]


# ---------------------------------------------------------------------------------------------
# The consent's scope, pure


def test_a_visit_inside_the_scope_needs_no_new_consent():
    assert gaps() == []
    # A flag gone, or a plan narrower than consented, is still covered.
    assert gaps(flags={}, region_ids=[]) == []


def test_the_consent_covers_its_last_day_and_not_the_next():
    last = course.add_months(DAY, 12)
    assert gaps(today=last) == []
    assert gaps(today=last + datetime.timedelta(days=1)) == [course.EXPIRED]


def test_a_changed_consent_text_needs_a_new_consent():
    assert gaps(text_version="consent-2") == [course.TEXT_CHANGED]


def test_a_technique_or_region_outside_the_consent_needs_a_new_consent():
    assert gaps(techniques=["manual_static", "estim"]) == [course.TECHNIQUE_OUTSIDE]
    assert gaps(region_ids=["lumbar", "neck_posterior"]) == [course.REGION_OUTSIDE]


def test_a_new_flag_or_a_higher_level_needs_a_new_consent_and_a_lower_one_does_not():
    assert gaps(flags={"needle_phobia": rules.RELATIVE, "blood_thinner_use": rules.RELATIVE}) == [
        course.NEW_FLAG
    ]
    assert gaps(flags={"needle_phobia": rules.ABSOLUTE}) == [course.HIGHER_LEVEL]
    higher = scope(flags={"needle_phobia": rules.ABSOLUTE})
    assert gaps(higher, flags={"needle_phobia": rules.RELATIVE}) == []


def test_the_reasons_are_words_without_ids():
    reasons = course.consent_gaps(
        scope(),
        today=DAY,
        text_version="consent-1",
        techniques=["estim"],
        region_ids=["neck_posterior"],
        flags={"blood_thinner_use": rules.RELATIVE},
    )
    words = " ".join(gap.words for gap in reasons)
    assert "Blood-thinning medicine (precaution)" in words
    assert "Back of the neck" in words
    for identifier in ("blood_thinner_use", "neck_posterior", "estim"):
        assert identifier not in words


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2026, 1, 31), 1, datetime.date(2026, 2, 28)),
        (datetime.date(2027, 12, 15), 3, datetime.date(2028, 3, 15)),
        (datetime.date(2028, 2, 29), 12, datetime.date(2029, 2, 28)),
    ],
)
def test_add_months_keeps_the_day_or_the_months_last(day, months, expected):
    assert course.add_months(day, months) == expected


def test_flag_differences_name_new_gone_and_changed_levels():
    changes = course.flag_differences(
        {"needle_phobia": rules.RELATIVE, "diabetes": rules.RELATIVE},
        {"needle_phobia": rules.ABSOLUTE, "blood_thinner_use": rules.RELATIVE},
    )
    words = {change.label: change.words for change in changes}
    assert words == {
        "Fear of needles": "Precaution → absolute contraindication",
        "Blood-thinning medicine": "New: precaution",
        "Diabetes": "Gone (was precaution)",
    }


# ---------------------------------------------------------------------------------------------
# Returning patients


WARFARIN = {
    "blood_thinner_use": {
        "answer": True,
        "agents": ["warfarin"],
        "latest_inr": 2.6,
        "inr_days_ago": 3,
    }
}


def first_visit(practitioner, front_desk, *, signed=True) -> Intake:
    intake = make_submitted_intake(appointment_at=timezone.now() - datetime.timedelta(days=14))
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake = resolve_and_clear(intake, practitioner)
    if signed:
        services.consent_record_paper(
            actor=front_desk, intake=intake, form_token=uuid.uuid4(), signer_name="Jamie Example"
        )
    intake.refresh_from_db()
    return intake


def next_visit(front_desk, first: Intake, *, start="auto", hours=3) -> Intake:
    return services.intake_create(
        actor=front_desk,
        full_name=first.patient.full_name,
        date_of_birth=first.patient.date_of_birth,
        appointment_at=timezone.now() + datetime.timedelta(hours=hours),
        start=start,
    )


def answer_section(intake: Intake, section_id: str, answers: dict) -> Intake:
    section = questionnaire.SECTIONS_BY_ID[section_id]
    for number, items in enumerate(section.pages, start=1):
        intake = services.intake_save_step(
            intake=intake,
            section_id=section_id,
            page=number,
            values={i: answers[i] for i in items if i in answers},
        )
    return intake


def check_in(intake: Intake, changed=()) -> Intake:
    parts = [section.id for section in services.checkin_sections()]
    return services.intake_checkin(
        intake=intake,
        still_true=[p for p in parts if p not in changed],
        changed=list(changed),
        completed_by="self",
    )


def test_a_recent_questionnaire_gives_a_check_in_with_the_answers_but_not_todays(
    practitioner, front_desk
):
    first = first_visit(practitioner, front_desk)
    second = next_visit(front_desk, first)

    assert second.kind == Intake.Kind.CHECKIN
    assert second.previous == first
    today_items = set(questionnaire.SECTIONS_BY_ID["today"].items)
    assert today_items.isdisjoint(second.answers)
    assert {k: v for k, v in first.answers.items() if k not in today_items} == second.answers
    assert second.completed_steps == []


def test_full_questionnaire_months_boundary_and_the_desks_choice(practitioner, front_desk):
    first = first_visit(practitioner, front_desk)
    sent = timezone.localdate(first.submitted_at)
    months = ClinicSettings.load().full_questionnaire_months
    expires = course.add_months(sent, months)

    kind, _ = services.intakes.returning_start(first.patient, today=expires - datetime.timedelta(1))
    assert kind == Intake.Kind.CHECKIN
    kind, previous = services.intakes.returning_start(first.patient, today=expires)
    assert (kind, previous) == (Intake.Kind.FULL, first)
    # The desk may choose either kind.
    assert next_visit(front_desk, first, start="full").kind == Intake.Kind.FULL
    third = next_visit(front_desk, first, start="checkin", hours=30)
    assert third.kind == Intake.Kind.CHECKIN


def test_a_new_patient_cannot_be_given_a_check_in(front_desk):
    with pytest.raises(services.ServiceError, match="has not sent a questionnaire before"):
        services.intake_create(
            actor=front_desk,
            full_name="New Person",
            date_of_birth=datetime.date(1990, 1, 1),
            appointment_at=timezone.now() + datetime.timedelta(hours=3),
            start="checkin",
        )
    assert not Intake.objects.filter(patient__full_name="New Person").exists()


def test_still_true_everywhere_keeps_the_answers_with_fresh_today_answers_screened_on_the_plan(
    practitioner, front_desk
):
    first = first_visit(practitioner, front_desk)
    second = check_in(next_visit(front_desk, first))
    assert selectors.missing_steps(second) == ["today"]

    fresh = complete_answers(second, {"not_eaten_recently": {"hours_since_meal": 10}})
    second = answer_section(second, "today", fresh)
    second, _ = services.intake_submit(intake=second)

    today_items = set(questionnaire.SECTIONS_BY_ID["today"].items)
    kept = {k: v for k, v in second.answers.items() if k not in today_items}
    assert kept == {k: v for k, v in first.answers.items() if k not in today_items}
    assert second.answers["not_eaten_recently"]["answer"] is True
    set_plan(second, practitioner, ["manual_static"], ["lumbar"])
    screening = selectors.latest_screening(second)
    assert screening.plan == {"techniques": ["manual_static"], "regions": ["lumbar"]}
    assert "not_eaten_recently" in {f["item"] for f in selectors.flags_of(screening)}


def test_something_changed_in_one_section_opens_only_that_section(practitioner, front_desk):
    first = first_visit(practitioner, front_desk)
    second = check_in(next_visit(front_desk, first), changed=["bleeding"])

    assert selectors.missing_steps(second) == ["today", "bleeding"]
    # Prefilled: the earlier answer is there to change.
    assert second.answers["blood_thinner_use"] == first.answers["blood_thinner_use"]
    second = answer_section(second, "bleeding", {**first.answers, **WARFARIN})
    second = answer_section(second, "today", complete_answers(second))
    second, _ = services.intake_submit(intake=second)
    assert second.answers["blood_thinner_use"]["agents"] == ["warfarin"]
    assert second.answers["heart_condition"] == first.answers["heart_condition"]


def test_a_check_in_must_answer_every_part():
    with pytest.raises(services.ServiceError, match="every part"):
        services.intake_checkin(
            intake=Intake(kind=Intake.Kind.CHECKIN),
            still_true=["about_you"],
            changed=[],
            completed_by="self",
        )


# ---------------------------------------------------------------------------------------------
# "Today" on the day


def test_today_answers_given_three_days_early_are_pending_on_the_day(practitioner, front_desk):
    first = first_visit(practitioner, front_desk)
    second = check_in(next_visit(front_desk, first))
    second = answer_section(second, "today", complete_answers(second))
    assert selectors.missing_steps(second) == []
    # The appointment moves three days later: the answers were not given on the day.
    Intake.objects.filter(pk=second.pk).update(
        appointment_at=second.appointment_at + datetime.timedelta(days=3)
    )
    second.refresh_from_db()

    assert selectors.missing_steps(second) == ["today"]
    assert selectors.today_check_pending(second)
    with pytest.raises(services.ServiceError):
        services.intake_submit(intake=second)
    second.refresh_from_db()
    assert second.status == Intake.Status.DRAFT

    # On the day, the today step alone is answered again and the questionnaire goes.
    on_the_day = second.appointment_at - datetime.timedelta(hours=2)
    with mock.patch("django.utils.timezone.now", return_value=on_the_day):
        second = answer_section(second, "today", complete_answers(second))
        assert not selectors.today_check_pending(second)
        second, created = services.intake_submit(intake=second)
    assert created


def test_the_board_shows_a_pending_today_check(client, practitioner, front_desk):
    first = first_visit(practitioner, front_desk)
    second = check_in(next_visit(front_desk, first, hours=50))
    assert selectors.today_check_pending(second)
    client.force_login(front_desk)
    day = timezone.localtime(second.appointment_at).date()
    page = client.get(reverse("desk:board") + f"?day={day.isoformat()}").content.decode()
    assert "Today check pending" in page
    assert "Hand over the tablet for today&#x27;s questions" in page


def test_the_today_page_waits_when_opened_days_early_and_stores_nothing(
    client, practitioner, front_desk
):
    first = first_visit(practitioner, front_desk)
    second = check_in(next_visit(front_desk, first, hours=72))
    open_as_patient(client, second)
    url = reverse("patient:step", args=[second.public_id, "today"])
    page = client.get(url)
    assert "You can answer them from" in page.content.decode()
    response = client.post(url, {"action": "next"})
    assert response.status_code == 302
    second.refresh_from_db()
    assert "today" not in second.completed_steps
    review = client.get(reverse("patient:review", args=[second.public_id])).content.decode()
    assert "Almost done" in review
    assert "Send my answers" not in review


# ---------------------------------------------------------------------------------------------
# What changed, and the consent for the course


def warfarin_visit(practitioner, front_desk):
    first = first_visit(practitioner, front_desk)
    second = check_in(next_visit(front_desk, first), changed=["bleeding"])
    second = answer_section(second, "bleeding", {**first.answers, **WARFARIN})
    second = answer_section(second, "today", complete_answers(second))
    second, _ = services.intake_submit(intake=second)
    return first, second


def test_a_consent_in_place_covers_the_next_visit_and_lets_its_treatment_be_recorded(
    practitioner, front_desk
):
    first = first_visit(practitioner, front_desk)
    second = check_in(next_visit(front_desk, first))
    second = answer_section(second, "today", complete_answers(second))
    second, _ = services.intake_submit(intake=second)
    set_plan(second, practitioner, ["manual_static"], ["lumbar"])
    second = resolve_and_clear(second, practitioner)

    cover = course_state.consent_cover(second)
    consent = first.consents.get()
    assert cover.in_place and cover.consent == consent
    assert consent.valid_until == course.add_months(timezone.localdate(consent.signed_at), 12)
    assert cover.label.startswith("Consent in place (signed ")
    assert course_state.consent_in_force(second) == consent
    services.treatment_record(
        actor=practitioner,
        intake=second,
        techniques=["manual_static"],
        regions_treated=["lumbar"],
        duration_minutes=20,
    )


def test_a_new_flag_needs_a_new_consent_and_the_review_shows_what_changed(
    client, practitioner, front_desk
):
    first, second = warfarin_visit(practitioner, front_desk)

    cover = course_state.consent_cover(second)
    assert [gap.kind for gap in cover.gaps] == [course.NEW_FLAG]
    assert course_state.consent_in_force(second) is None

    client.force_login(practitioner)
    page = client.get(reverse("review:intake", args=[second.public_id])).content.decode()
    top = page[page.index("Since the last visit") : page.index("Since the last visit") + 4000]
    assert "Blood-thinning medicine" in top
    assert "New: precaution" in top
    assert "New consent needed" in top
    assert "Warfarin" in top

    client.force_login(front_desk)
    page = client.get(reverse("desk:documents", args=[second.public_id])).content.decode()
    assert 'id="course-consent"' in page
    assert "A new risk since the consent: Blood-thinning medicine (precaution)." in page


def test_an_expired_course_consent_needs_a_new_one(practitioner, front_desk):
    first = first_visit(practitioner, front_desk)
    second = check_in(next_visit(front_desk, first))
    consent = first.consents.get()
    ends = consent.valid_until
    assert course_state.consent_cover(second, today=ends).in_place
    expired = course_state.consent_cover(second, today=ends + datetime.timedelta(days=1))
    assert [gap.kind for gap in expired.gaps] == [course.EXPIRED]


def test_a_plan_beyond_the_consent_needs_a_new_one(practitioner, front_desk):
    first = first_visit(practitioner, front_desk)
    second = check_in(next_visit(front_desk, first))
    second = answer_section(second, "today", complete_answers(second))
    second, _ = services.intake_submit(intake=second)
    set_plan(second, practitioner, ["manual_static", "pistoning"], ["lumbar"])
    second.refresh_from_db()
    assert [gap.kind for gap in course_state.consent_cover(second).gaps] == [
        course.TECHNIQUE_OUTSIDE
    ]


def test_a_changed_consent_text_needs_a_new_one(practitioner, front_desk, monkeypatch):
    from screening import documents

    first = first_visit(practitioner, front_desk)
    second = check_in(next_visit(front_desk, first))
    monkeypatch.setattr(documents, "CONSENT_TEXT_VERSION", "consent-2099.01-1")
    assert [gap.kind for gap in course_state.consent_cover(second).gaps] == [course.TEXT_CHANGED]


def test_the_check_in_page_asks_every_part_and_names_what_is_missing(
    client, practitioner, front_desk
):
    first = first_visit(practitioner, front_desk)
    second = next_visit(front_desk, first)
    open_as_patient(client, second)
    url = reverse("patient:step", args=[second.public_id, "welcome"])
    page = client.get(url).content.decode()
    assert "Welcome back" in page
    assert "Bleeding and medicines: is this still true?" in page

    response = client.post(url, {"completed_by": "self", "part_about_you": "same"})
    assert response.status_code == 400
    assert "Tell us if “Bleeding and medicines” is still true." in response.content.decode()
    second.refresh_from_db()
    assert second.completed_steps == []

    data = {f"part_{s.id}": "same" for s in services.checkin_sections()}
    data.update(completed_by="self", part_bleeding="changed")
    response = client.post(url, data)
    assert response.status_code == 302
    # The pages still open, in the wizard's order: today's questions, then the changed part.
    assert response["Location"] == reverse("patient:step", args=[second.public_id, "today"])
    second.refresh_from_db()
    assert selectors.missing_steps(second) == ["today", "bleeding"]


# ---------------------------------------------------------------------------------------------
# What a course consent does not cover (found in review)


def test_a_course_consent_covers_no_treatment_before_the_visit_is_cleared(practitioner, front_desk):
    first = first_visit(practitioner, front_desk)
    draft = check_in(next_visit(front_desk, first))
    assert course_state.consent_in_force(draft) is None
    with pytest.raises(services.ServiceError, match="no signed consent"):
        services.treatment_record(
            actor=practitioner,
            intake=draft,
            techniques=["manual_static"],
            regions_treated=["lumbar"],
            duration_minutes=20,
        )
    # Screened but decided "not today": still nothing to treat under.
    second = answer_section(draft, "today", complete_answers(draft))
    second, _ = services.intake_submit(intake=second)
    set_plan(second, practitioner, ["manual_static"], ["lumbar"])
    second.refresh_from_db()
    services.review_decide(
        actor=practitioner,
        intake=second,
        decision=Intake.Decision.NOT_TODAY,
        note="Feels unwell.",
        expected_version=second.version,
    )
    second.refresh_from_db()
    assert course_state.consent_in_force(second) is None


def test_a_consent_of_a_visit_reopened_or_cancelled_since_covers_nothing(practitioner, front_desk):
    first = first_visit(practitioner, front_desk)
    second = check_in(next_visit(front_desk, first))
    assert course_state.consent_cover(second).consent is not None
    services.review_reopen(
        actor=practitioner,
        intake=first,
        reason="Plan to change.",
        expected_version=first.version,
    )
    assert course_state.consent_cover(second).consent is None
    first.refresh_from_db()
    services.intake_cancel(
        actor=front_desk, intake=first, reason="Did not come.", expected_version=first.version
    )
    assert course_state.consent_cover(second).consent is None


def test_a_consent_ending_before_the_appointment_does_not_cover_it(practitioner, front_desk):
    first = first_visit(practitioner, front_desk)
    second = check_in(next_visit(front_desk, first))
    consent = first.consents.get()
    # Booked for the day after the consent's last day: judged on the appointment's day.
    Intake.objects.filter(pk=second.pk).update(
        appointment_at=timezone.make_aware(
            datetime.datetime.combine(
                consent.valid_until + datetime.timedelta(days=1), datetime.time(10)
            )
        )
    )
    second.refresh_from_db()
    assert [gap.kind for gap in course_state.consent_cover(second).gaps] == [course.EXPIRED]


def test_the_check_in_is_judged_on_the_appointments_day(practitioner, front_desk):
    first = first_visit(practitioner, front_desk)
    months = ClinicSettings.load().full_questionnaire_months
    later = course.add_months(timezone.localdate(first.submitted_at), months)
    booked = services.intake_create(
        actor=front_desk,
        full_name=first.patient.full_name,
        date_of_birth=first.patient.date_of_birth,
        appointment_at=timezone.make_aware(datetime.datetime.combine(later, datetime.time(10))),
    )
    assert booked.kind == Intake.Kind.FULL
    assert booked.previous == first


def test_sent_today_answers_that_the_moved_appointment_outdates_are_flagged_on_the_review(
    client, practitioner, front_desk
):
    first = first_visit(practitioner, front_desk)
    second = check_in(next_visit(front_desk, first))
    second = answer_section(second, "today", complete_answers(second))
    second, _ = services.intake_submit(intake=second)
    client.force_login(practitioner)
    url = reverse("review:intake", args=[second.public_id])
    assert 'id="stale-today"' not in client.get(url).content.decode()
    Intake.objects.filter(pk=second.pk).update(
        appointment_at=second.appointment_at + datetime.timedelta(days=3)
    )
    page = client.get(url).content.decode()
    assert 'id="stale-today"' in page
    assert "Unwell today" in page


def test_a_check_in_days_ahead_shows_the_waiting_today_page_once(client, practitioner, front_desk):
    first = first_visit(practitioner, front_desk)
    second = next_visit(front_desk, first, hours=72)
    open_as_patient(client, second)
    data = {f"part_{s.id}": "same" for s in services.checkin_sections()}
    data.update(completed_by="self", part_bleeding="changed")
    welcome = reverse("patient:step", args=[second.public_id, "welcome"])
    today = reverse("patient:step", args=[second.public_id, "today"])
    assert client.post(welcome, data)["Location"] == today
    bleeding = reverse("patient:step", args=[second.public_id, "bleeding"])
    assert client.post(today, {"action": "next"})["Location"] == bleeding
    response = client.post(bleeding, make_step_data("bleeding"))
    assert response["Location"] == reverse("patient:page", args=[second.public_id, "bleeding", 2])
    response = client.post(
        reverse("patient:page", args=[second.public_id, "bleeding", 2]),
        make_step_data("bleeding"),
    )
    # Not the waiting page again: on to "Check and send", which says today's questions wait.
    assert response["Location"] == reverse("patient:review", args=[second.public_id])


def test_earlier_visits_with_ids_a_later_version_dropped_do_not_break_the_comparisons():
    changes = course.flag_differences({"an_old_item": rules.RELATIVE}, {})
    assert [c.label for c in changes] == ["A question no longer asked"]
    old_scope = scope(regions=frozenset({"lumbar", "an_old_region"}))
    assert gaps(old_scope) == []
