"""Patient pages: the invitation link, the date-of-birth check, wizard steps, review, submit."""

import datetime
import hashlib
import json
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.core import serializers
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from screening.engine import questionnaire
from screening.models import AuditEvent, Intake, IntakeLink, ScreeningResult
from screening.permissions import PATIENT_SESSION_KEY, Role
from tests.conftest import (
    complete_steps,
    dob_data,
    make_intake,
    make_link,
    make_patient,
    make_step_data,
    make_user,
    open_as_patient,
    post_section,
    question_pages,
    question_steps,
    step_url,
)

pytestmark = pytest.mark.django_db

WRONG_DOB = datetime.date(1990, 1, 1)

# One answer per question step that opens follow-ups, with what must be stored for it.
SECTION_EXAMPLES = {
    "about_you": (
        {"interpreter_needed__answer": "yes", "interpreter_needed__language": "Polish"},
        "interpreter_needed",
        {"answer": True, "language": "Polish"},
    ),
    "wishes": (
        {"needle_phobia__answer": "yes", "needle_phobia__fear_level": "mild"},
        "needle_phobia",
        {"answer": True, "fear_level": "mild"},
    ),
    "today": (
        {"not_eaten_recently__hours_since_meal": "6,5"},
        "not_eaten_recently",
        {"hours_since_meal": 6.5, "answer": True},
    ),
    "pregnancy": (
        {"pregnancy__answer": "yes", "pregnancy__weeks": "20", "pregnancy__complications": "no"},
        "pregnancy",
        {"answer": "yes", "weeks": 20, "complications": False},
    ),
    "bleeding": (
        {
            "blood_thinner_use__answer": "yes",
            "blood_thinner_use__agents": ["warfarin"],
            "blood_thinner_use__latest_inr": "2.5",
            "blood_thinner_use__inr_days_ago": "3",
        },
        "blood_thinner_use",
        {"answer": True, "agents": ["warfarin"], "latest_inr": 2.5, "inr_days_ago": 3},
    ),
    "heart_lungs": (
        {
            "heart_condition__answer": "yes",
            "heart_condition__type": "Atrial fibrillation",
            "heart_condition__controlled": "yes",
        },
        "heart_condition",
        {"answer": True, "type": "Atrial fibrillation", "controlled": True},
    ),
    "infection_skin": (
        {
            "diabetes__answer": "yes",
            "diabetes__type": "Type 2",
            "diabetes__neuropathy_regions": ["leg_foot_left", "leg_foot_right"],
        },
        "diabetes",
        {
            "answer": True,
            "type": "Type 2",
            "neuropathy_regions": ["leg_foot_left", "leg_foot_right"],
        },
    ),
    "cancer_lymph": (
        {"lymphoedema__answer": "yes", "lymphoedema__regions": ["upper_limb_left"]},
        "lymphoedema",
        {"answer": True, "regions": ["upper_limb_left"]},
    ),
    "implants_operations": (
        {
            "recent_surgery__answer": "yes",
            "recent_surgery__regions": ["knee_right"],
            "recent_surgery__weeks_since": "6",
            "recent_surgery__incision_healed": "yes",
        },
        "recent_surgery",
        {"answer": True, "regions": ["knee_right"], "weeks_since": 6, "incision_healed": True},
    ),
    "nerves": (
        {
            "epilepsy__answer": "yes",
            "epilepsy__controlled": "yes",
            "epilepsy__last_seizure_months_ago": "30",
        },
        "epilepsy",
        {"answer": True, "controlled": True, "last_seizure_months_ago": 30},
    ),
    "allergies": (
        {"metal_allergy__answer": "yes", "metal_allergy__metals": "Nickel"},
        "metal_allergy",
        {"answer": True, "metals": "Nickel"},
    ),
}


class _FormValues(HTMLParser):
    """What a browser would post from a page: checked boxes, text inputs, textareas."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "textarea":
            self._textarea = name
            self.values.setdefault(name, [""])
        if tag != "input" or not name:
            return
        if attrs.get("type") in ("radio", "checkbox"):
            if "checked" in attrs:
                self.values.setdefault(name, []).append(attrs.get("value"))
        elif attrs.get("type") == "text":
            self.values.setdefault(name, []).append(attrs.get("value") or "")

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea][-1] += data.strip()

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


def rendered_values(response) -> dict[str, list[str]]:
    parser = _FormValues()
    parser.feed(response.content.decode())
    return parser.values


def review_url(intake):
    return reverse("patient:review", args=[intake.public_id])


def submit(client, intake):
    return client.post(review_url(intake), {"declaration": "on"})


# ---------------------------------------------------------------------------------------------
# The steps


def test_section_examples_cover_every_question_step():
    assert set(SECTION_EXAMPLES) == set(question_steps())


@pytest.mark.parametrize("section_id", question_steps())
def test_step_calm_answers_complete_the_step(client, section_id):
    intake = make_intake()
    open_as_patient(client, intake)

    response = post_section(client, intake, section_id, make_step_data(section_id))

    intake.refresh_from_db()
    assert response.status_code == 302
    assert section_id in intake.completed_steps
    section_items = set(questionnaire.SECTIONS_BY_ID[section_id].items)
    assert section_items - {"minor_patient"} <= set(intake.answers)


@pytest.mark.parametrize("section_id", sorted(SECTION_EXAMPLES))
def test_step_follow_up_answers_are_stored_and_shown_again(client, section_id):
    overrides, item_id, expected = SECTION_EXAMPLES[section_id]
    intake = make_intake()
    open_as_patient(client, intake)

    response = post_section(client, intake, section_id, make_step_data(section_id, **overrides))
    section = questionnaire.SECTIONS_BY_ID[section_id]
    page = client.get(step_url(intake, section_id, section.page_of(item_id)))

    intake.refresh_from_db()
    assert response.status_code == 302
    assert section_id in intake.completed_steps
    assert intake.answers[item_id] == expected
    shown = rendered_values(page)
    for name, value in overrides.items():
        # A decimal comma is shown back as the stored number.
        expected_shown = value if isinstance(value, list) else [value.replace(",", ".")]
        assert shown.get(name) == expected_shown, name


def test_step_help_text_comes_between_the_question_and_its_options(client):
    """A patient reads the explanation before choosing, and the fieldset points at it."""
    intake = make_intake()
    open_as_patient(client, intake)

    page = client.get(step_url(intake, "about_you", 2)).content.decode()

    legend = page.index("Would you like an interpreter")
    help_text = page.index("We can arrange a trained interpreter.")
    first_option = page.index('name="interpreter_needed__answer"')
    assert legend < help_text < first_option
    assert 'aria-describedby="id_interpreter_needed__answer_helptext"' in page
    assert 'id="id_interpreter_needed__answer_helptext"' in page


def test_step_next_goes_to_the_following_step_and_the_last_to_review(client):
    intake = make_intake()
    open_as_patient(client, intake)

    first = client.post(step_url(intake, "about_you"), make_step_data("about_you"))
    end_of_section = client.post(step_url(intake, "about_you", 3), make_step_data("about_you"))
    last = client.post(step_url(intake, "allergies"), make_step_data("allergies"))

    assert first["Location"] == step_url(intake, "about_you", 2)
    assert end_of_section["Location"] == step_url(intake, "wishes")
    assert last["Location"] == review_url(intake)


def test_step_back_saves_and_goes_to_the_previous_step(client):
    intake = make_intake()
    open_as_patient(client, intake)

    response = client.post(step_url(intake, "wishes"), make_step_data("wishes", action="back"))
    within = client.post(step_url(intake, "wishes", 2), make_step_data("wishes", action="back"))

    intake.refresh_from_db()
    assert response["Location"] == step_url(intake, "about_you", 3)
    assert within["Location"] == step_url(intake, "wishes")
    assert intake.answers["declines_needling"] == {"answer": False}


def test_step_changing_yes_to_no_drops_the_follow_ups_from_stored_answers(client):
    intake = make_intake()
    open_as_patient(client, intake)
    overrides, _, _ = SECTION_EXAMPLES["bleeding"]
    client.post(step_url(intake, "bleeding", 2), make_step_data("bleeding", **overrides))

    # The browser hides the follow-ups but still posts them.
    client.post(
        step_url(intake, "bleeding", 2),
        make_step_data("bleeding", **{**overrides, "blood_thinner_use__answer": "no"}),
    )

    intake.refresh_from_db()
    assert intake.answers["blood_thinner_use"] == {"answer": False}


def test_step_later_stores_valid_answers_without_completing_the_step(client):
    intake = make_intake()
    open_as_patient(client, intake)
    data = {
        "action": "later",
        "blood_thinner_use__answer": "yes",
        "blood_thinner_use__agents": ["aspirin"],
    }

    response = client.post(step_url(intake, "bleeding", 2), data)

    intake.refresh_from_db()
    assert response["Location"] == reverse("patient:saved", args=[intake.public_id])
    assert intake.answers == {"blood_thinner_use": {"answer": True, "agents": ["aspirin"]}}
    assert intake.completed_steps == []
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("action", ["next", "later", "back"])
def test_step_invalid_post_saves_nothing_and_lists_the_error(client, action):
    intake = make_intake()
    open_as_patient(client, intake)
    data = make_step_data(
        "bleeding",
        action=action,
        blood_thinner_use__answer="yes",
        blood_thinner_use__agents=["warfarin"],
        blood_thinner_use__latest_inr="two and a half",
    )

    response = client.post(step_url(intake, "bleeding", 2), data)

    intake.refresh_from_db()
    assert response.status_code == 400
    assert "Please correct the following" in response.content.decode()
    assert "Please enter a number" in response.content.decode()
    assert intake.answers == {}
    assert intake.completed_steps == []


def test_step_missing_required_answer_on_next_is_an_error(client):
    intake = make_intake()
    open_as_patient(client, intake)

    response = client.post(
        step_url(intake, "pregnancy"), make_step_data("pregnancy", pregnancy__answer="yes")
    )

    intake.refresh_from_db()
    assert response.status_code == 400
    assert "How many weeks pregnant are you?" in response.content.decode()
    assert "pregnancy" not in intake.completed_steps
    assert intake.answers == {}


def test_step_unknown_section_is_404(client):
    intake = make_intake()
    open_as_patient(client, intake)

    assert client.get(step_url(intake, "no-such-step")).status_code == 404
    assert client.get(step_url(intake, "review")).status_code == 404


def test_welcome_requires_who_is_filling_in_the_form(client):
    intake = make_intake()
    open_as_patient(client, intake)

    refused = client.post(step_url(intake, "welcome"), {"action": "next"})
    accepted = client.post(step_url(intake, "welcome"), make_step_data("welcome"))

    intake.refresh_from_db()
    assert refused.status_code == 400
    assert "Please tell us who is filling in this form." in refused.content.decode()
    assert accepted["Location"] == step_url(intake, "about_you")
    assert intake.completed_by == "self"


def test_step_is_not_reachable_before_the_date_of_birth_is_confirmed(client):
    intake = make_intake()
    client.get(reverse("patient:open", args=[make_link(intake).token]))

    response = client.get(step_url(intake, "bleeding"))

    assert response["Location"] == reverse("patient:verify", args=[intake.public_id])


def test_reopening_the_link_resumes_at_the_first_unfinished_step(client):
    intake = make_intake()
    open_as_patient(client, intake)
    complete_steps(client, intake, ["welcome", "about_you", "wishes"])
    other_browser = Client()
    token = make_link(intake).token

    other_browser.get(reverse("patient:open", args=[token]))
    response = other_browser.post(
        reverse("patient:verify", args=[intake.public_id]), dob_data(intake.patient.date_of_birth)
    )

    assert response["Location"] == step_url(intake, "today")
    shown = rendered_values(other_browser.get(step_url(intake, "wishes")))
    assert shown["needle_phobia__answer"] == ["no"]


# ---------------------------------------------------------------------------------------------
# The link and the session


def test_open_link_exchanges_the_token_and_redirects_to_a_url_without_it(client):
    intake = make_intake()
    token = make_link(intake).token

    opened = client.get(reverse("patient:open", args=[token]))
    verified = client.post(opened["Location"], dob_data(intake.patient.date_of_birth))

    assert opened.status_code == 302
    assert opened["Location"] == reverse("patient:verify", args=[intake.public_id])
    assert token not in opened["Location"]
    assert token not in verified["Location"]
    assert client.session[PATIENT_SESSION_KEY]["verified"] is True
    assert IntakeLink.objects.get(intake=intake).first_used_at is not None


def test_link_is_stored_only_as_its_hash(client):
    intake = make_intake()
    issued = make_link(intake)
    client.get(reverse("patient:open", args=[issued.token]))

    link = IntakeLink.objects.get(pk=issued.link.pk)
    assert link.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert link.token_hash != issued.token
    for model in apps.get_models():
        dump = serializers.serialize("json", model.objects.all())
        assert issued.token not in dump, model.__name__


def test_open_link_unknown_token_shows_the_not_valid_page(client):
    response = client.get(reverse("patient:open", args=["no-such-token"]))

    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert PATIENT_SESSION_KEY not in client.session


def test_open_link_expired_shows_a_clear_page_with_status_410(client):
    intake = make_intake()
    issued = make_link(intake, expires_at=timezone.now() - datetime.timedelta(minutes=1))

    response = client.get(reverse("patient:open", args=[issued.token]))

    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert PATIENT_SESSION_KEY not in client.session


def test_open_link_replaced_by_a_newer_link_says_so_with_status_410(client):
    intake = make_intake()
    old = make_link(intake)
    make_link(intake)

    response = client.get(reverse("patient:open", args=[old.token]))

    assert response.status_code == 410
    assert "This link was replaced" in response.content.decode()
    assert PATIENT_SESSION_KEY not in client.session


def test_open_link_after_submit_shows_only_a_thank_you_page_without_a_session(client):
    intake = make_intake()
    token = open_as_patient(client, intake)
    complete_steps(client, intake)
    submit(client, intake)
    later = Client()

    page = later.get(reverse("patient:open", args=[token]))
    step_get = later.get(step_url(intake, "bleeding"))
    step_post = later.post(
        step_url(intake, "bleeding"),
        make_step_data("bleeding", bleeding_disorder__answer="yes"),
    )
    review_get = later.get(review_url(intake))

    intake.refresh_from_db()
    assert page.status_code == 200
    assert "Thank you, your answers were sent to" in page.content.decode()
    assert "Send my answers" not in page.content.decode()
    assert PATIENT_SESSION_KEY not in later.session
    assert [step_get.status_code, step_post.status_code, review_get.status_code] == [404] * 3
    assert intake.answers["bleeding_disorder"] == {"answer": False}


def test_another_intakes_public_id_with_my_session_is_404(client):
    mine = make_intake()
    theirs = make_intake(patient=make_patient(full_name="Someone Else"))
    open_as_patient(client, mine)
    other_id = theirs.public_id

    urls = [
        reverse("patient:verify", args=[other_id]),
        step_url(theirs, "bleeding"),
        review_url(theirs),
        reverse("patient:done", args=[other_id]),
        reverse("patient:saved", args=[other_id]),
    ]
    statuses = [client.get(url).status_code for url in urls]
    post = client.post(step_url(theirs, "bleeding"), make_step_data("bleeding"))
    send = submit(client, theirs)

    theirs.refresh_from_db()
    assert statuses == [404] * len(urls)
    assert post.status_code == 404
    assert send.status_code == 404
    assert theirs.answers == {}
    assert theirs.status == Intake.Status.DRAFT


def test_opening_a_link_signs_out_staff_in_the_same_browser(client):
    staff = make_user(Role.FRONT_DESK, "desk-at-home")
    client.force_login(staff)
    intake = make_intake()

    client.get(reverse("patient:open", args=[make_link(intake).token]))

    assert "_auth_user_id" not in client.session
    assert client.get(reverse("desk:board"))["Location"].startswith(reverse("accounts:login"))


def test_reopening_my_link_after_staff_signed_in_signs_staff_out(client):
    intake = make_intake()
    token = open_as_patient(client, intake)
    client.force_login(make_user(Role.FRONT_DESK, "desk-later"))

    client.get(reverse("patient:open", args=[token]))

    assert "_auth_user_id" not in client.session
    assert client.session[PATIENT_SESSION_KEY]["verified"] is False


# ---------------------------------------------------------------------------------------------
# The date-of-birth check


def test_identity_check_wrong_date_of_birth_shows_a_mismatch_and_counts(client):
    intake = make_intake()
    issued = make_link(intake)
    client.get(reverse("patient:open", args=[issued.token]))

    response = client.post(reverse("patient:verify", args=[intake.public_id]), dob_data(WRONG_DOB))

    assert response.status_code == 200
    assert "does not match our records" in response.content.decode()
    assert IntakeLink.objects.get(pk=issued.link.pk).failed_identity_checks == 1
    assert client.get(step_url(intake, "bleeding")).status_code == 302  # back to the check


def test_identity_check_locks_the_link_after_five_wrong_dates_of_birth(client):
    intake = make_intake()
    issued = make_link(intake)
    verify_url = reverse("patient:verify", args=[intake.public_id])
    client.get(reverse("patient:open", args=[issued.token]))

    tries = [client.post(verify_url, dob_data(WRONG_DOB)) for _ in range(5)]
    sixth = client.post(verify_url, dob_data(intake.patient.date_of_birth))
    link_again = Client().get(reverse("patient:open", args=[issued.token]))

    assert [r.status_code for r in tries] == [200, 200, 200, 200, 403]
    for response in (tries[-1], sixth, link_again):
        assert response.status_code == 403
        assert "This link has been locked" in response.content.decode()
    assert IntakeLink.objects.get(pk=issued.link.pk).locked_at is not None
    assert client.get(step_url(intake, "welcome")).status_code == 404


def test_identity_check_a_newly_issued_link_works_after_a_lock(client):
    intake = make_intake()
    locked = make_link(intake)
    client.get(reverse("patient:open", args=[locked.token]))
    for _ in range(5):
        client.post(reverse("patient:verify", args=[intake.public_id]), dob_data(WRONG_DOB))

    fresh = make_link(intake)
    client.get(reverse("patient:open", args=[fresh.token]))
    response = client.post(
        reverse("patient:verify", args=[intake.public_id]), dob_data(intake.patient.date_of_birth)
    )

    assert response["Location"] == step_url(intake, "welcome")
    assert client.get(step_url(intake, "welcome")).status_code == 200


def test_identity_check_impossible_date_is_a_form_error_not_a_try(client):
    intake = make_intake()
    issued = make_link(intake)
    client.get(reverse("patient:open", args=[issued.token]))

    response = client.post(
        reverse("patient:verify", args=[intake.public_id]),
        {"day": "31", "month": "2", "year": "1985"},
    )

    assert response.status_code == 200
    assert "That date does not exist" in response.content.decode()
    assert IntakeLink.objects.get(pk=issued.link.pk).failed_identity_checks == 0


# ---------------------------------------------------------------------------------------------
# Review and submit


def test_review_shows_not_answered_for_unanswered_never_no(client):
    intake = make_intake()
    open_as_patient(client, intake)
    client.post(
        step_url(intake, "bleeding", 2),
        {"action": "later", "blood_thinner_use__answer": "yes"},
    )

    response = client.get(review_url(intake))

    intake.refresh_from_db()
    rows = {row["item"].id: row for entry in response.context["summary"] for row in entry["items"]}
    assert rows["bleeding_disorder"]["answer"] == "Not answered"
    assert rows["blood_thinner_use"]["answer"] == "Yes"
    agents = rows["blood_thinner_use"]["details"][0]
    assert agents["value"] == "Not answered"
    for item_id, row in rows.items():
        if item_id not in intake.answers and item_id != "minor_patient":
            assert row["answer"] == "Not answered", item_id
    assert "Not answered" in response.content.decode()


def test_review_submit_without_the_declaration_is_an_error(client):
    intake = make_intake()
    open_as_patient(client, intake)
    complete_steps(client, intake)

    response = client.post(review_url(intake), {})

    intake.refresh_from_db()
    assert response.status_code == 400
    assert "Please tick the box to confirm your answers." in response.content.decode()
    assert intake.status == Intake.Status.DRAFT
    assert not ScreeningResult.objects.filter(intake=intake).exists()


def test_review_submit_sends_and_screens_once(client):
    intake = make_intake()
    open_as_patient(client, intake)
    complete_steps(client, intake)

    response = submit(client, intake)

    intake.refresh_from_db()
    assert response["Location"] == reverse("patient:done", args=[intake.public_id])
    assert intake.status == Intake.Status.SUBMITTED
    assert intake.submitted_at is not None
    assert ScreeningResult.objects.filter(intake=intake).count() == 1
    done = client.get(response["Location"])
    assert "Your answers have been sent" in done.content.decode()


def test_review_submit_twice_makes_one_submission(client):
    intake = make_intake()
    open_as_patient(client, intake)
    complete_steps(client, intake)

    first = submit(client, intake)
    second = submit(client, intake)

    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert ScreeningResult.objects.filter(intake=intake).count() == 1
    assert AuditEvent.objects.filter(intake=intake, action="intake.submit").count() == 1


def test_review_submit_with_unfinished_steps_is_refused(client):
    intake = make_intake()
    open_as_patient(client, intake)
    complete_steps(client, intake, [s for s in question_steps() if s != "nerves"] + ["welcome"])

    response = submit(client, intake)

    intake.refresh_from_db()
    assert response.status_code == 400
    assert "Some pages are not finished yet" in response.content.decode()
    assert "Nerves and feeling, part 1 of 3" in response.content.decode()
    assert intake.status == Intake.Status.DRAFT
    assert not ScreeningResult.objects.filter(intake=intake).exists()


def test_review_submit_is_refused_when_a_finished_step_was_left_incomplete(client):
    intake = make_intake()
    open_as_patient(client, intake)
    complete_steps(client, intake)
    # Back to bleeding, "yes" to blood thinners, then "Back" without saying which one.
    client.post(
        step_url(intake, "bleeding", 2),
        make_step_data("bleeding", action="back", blood_thinner_use__answer="yes"),
    )

    response = submit(client, intake)

    intake.refresh_from_db()
    assert response.status_code == 400
    assert [page["url"] for page in response.context["missing"]] == [
        step_url(intake, "bleeding", 2)
    ]
    assert "Bleeding and medicines, part 2 of 2" in response.content.decode()
    assert intake.status == Intake.Status.DRAFT
    assert not ScreeningResult.objects.filter(intake=intake).exists()


def test_audit_events_for_patient_actions_hold_no_answer_values(client):
    intake = make_intake()
    client.get(reverse("patient:open", args=[make_link(intake).token]))
    client.post(reverse("patient:verify", args=[intake.public_id]), dob_data(WRONG_DOB))
    client.post(
        reverse("patient:verify", args=[intake.public_id]), dob_data(intake.patient.date_of_birth)
    )
    complete_steps(client, intake)
    overrides, _, _ = SECTION_EXAMPLES["about_you"]
    client.post(step_url(intake, "about_you", 2), make_step_data("about_you", **overrides))
    overrides, _, _ = SECTION_EXAMPLES["bleeding"]
    client.post(step_url(intake, "bleeding", 2), make_step_data("bleeding", **overrides))
    submit(client, intake)

    events = list(AuditEvent.objects.filter(intake=intake))
    actions = [event.action for event in events]
    assert actions.count("link.open") == 1
    assert actions.count("intake.identity_check") == 2
    # One per page of the questionnaire (the welcome is one), and the two changes.
    assert actions.count("intake.save_step") == len(question_pages()) + 1 + 2
    assert actions.count("intake.submit") == 1
    patient_events = [e for e in events if e.action != "link.issue"]
    assert all(event.actor is None for event in patient_events)
    assert all(event.actor_role == "patient" for event in patient_events)
    details = json.dumps([event.detail for event in events])
    for secret in ("Polish", "warfarin", "2.5", "1985", intake.patient.full_name, "68", "170"):
        assert secret not in details


def test_patient_pages_are_never_cached(client):
    intake = make_intake()
    open_as_patient(client, intake)

    response = client.get(step_url(intake, "bleeding"))

    assert response["Cache-Control"] == "no-store"
