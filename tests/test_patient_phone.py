"""The questionnaire on a phone, server side: short pages, Enter goes forward, Change comes
back, answers saved as the patient goes, a welcome back, plain words, a useful confirmation."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from screening import selectors
from screening.engine import questionnaire
from screening.models import AuditEvent, ClinicSettings, Intake
from tests.conftest import (
    complete_steps,
    dob_data,
    make_intake,
    make_link,
    make_step_data,
    open_as_patient,
    question_pages,
    step_url,
)

pytestmark = pytest.mark.django_db


def draft_url(intake, section_id, page):
    return reverse("patient:draft", args=[intake.public_id, section_id, page])


def review_url(intake):
    return reverse("patient:review", args=[intake.public_id])


class _Page(HTMLParser):
    """The submit buttons of the step form in source order, legends, field names, h1s."""

    def __init__(self):
        super().__init__()
        self.buttons, self.names, self.legends, self.h1 = [], set(), [], []
        self._open = {}  # "legend" / "h1" -> the text so far, while inside one
        self.scripts = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "button" and attrs.get("type") == "submit":
            self.buttons.append(attrs.get("value"))
        if tag in ("input", "textarea") and attrs.get("name"):
            self.names.add(attrs["name"])
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        if tag in ("legend", "h1"):
            self._open[tag] = []

    def handle_endtag(self, tag):
        if tag in self._open:
            text = " ".join("".join(self._open.pop(tag)).split())
            (self.legends if tag == "legend" else self.h1).append(text)

    def handle_data(self, data):
        for parts in self._open.values():
            parts.append(data)


def parse(response) -> _Page:
    page = _Page()
    page.feed(response.content.decode())
    return page


# ---------------------------------------------------------------------------------------------
# Pages


def test_every_section_is_split_into_pages_that_hold_its_items_once_in_order():
    for section in questionnaire.SECTIONS:
        flat = [item_id for page in section.pages for item_id in page]
        assert flat == list(section.items), section.id
        for page in section.pages:
            # One topic per screen: at most three short questions, and a question that asks
            # where on the body (the long list of areas) is alone on its page.
            assert len(page) <= 3, (section.id, page)
            asks_where = [
                item_id
                for item_id in page
                if any(
                    f.kind == questionnaire.REGIONS for f in questionnaire.item(item_id).follow_ups
                )
            ]
            assert not asks_where or len(page) == 1, (section.id, page)


def test_a_section_with_pages_in_the_wrong_order_is_refused():
    with pytest.raises(ValueError):
        questionnaire.Section("x", "X", "", ("a", "b"), pages=(("b",), ("a",)))
    with pytest.raises(ValueError):
        questionnaire.Section("x", "X", "", ("a", "b"), pages=(("a",),))


@pytest.mark.parametrize(("section_id", "page"), question_pages())
def test_each_page_sends_only_its_own_questions_with_next_first(client, section_id, page):
    intake = make_intake()
    open_as_patient(client, intake)

    response = client.get(step_url(intake, section_id, page))

    assert response.status_code == 200
    parsed = parse(response)
    # Enter (or a phone keyboard's Go) submits the first submit button: Next, always.
    assert parsed.buttons[0] == "next"
    items = set(questionnaire.SECTIONS_BY_ID[section_id].pages[page - 1])
    asked = {name.split("__")[0] for name in parsed.names if "__" in name}
    assert asked <= items and asked, (asked, items)
    # No framework JavaScript on patient pages: only the app's own small script.
    assert all("bootstrap" not in src for src in parsed.scripts)
    # Every group's label is a real question, never a generic prompt.
    assert not any("Choose the answer" in legend for legend in parsed.legends)
    assert len(parsed.h1) == 1


def test_a_one_question_page_makes_the_question_its_heading(client):
    intake = make_intake()
    open_as_patient(client, intake)

    parsed = parse(client.get(step_url(intake, "bleeding", 2)))

    assert parsed.h1 == ["Do you take a medicine that thins your blood?"]
    assert parsed.legends[0] == "Do you take a medicine that thins your blood?"


def test_dry_needling_before_is_asked_by_its_own_question(client):
    intake = make_intake()
    open_as_patient(client, intake)

    parsed = parse(client.get(step_url(intake, "wishes", 3)))

    assert parsed.legends == ["Have you had dry needling or acupuncture before?"]
    assert parsed.h1 == parsed.legends


def test_progress_shows_the_section_and_the_part(client):
    intake = make_intake()
    open_as_patient(client, intake)

    text = client.get(step_url(intake, "heart_lungs", 2)).content.decode()
    assert "Step 7 of 13" in text

    assert "Step 7 of 13 · part 2 of 3" in text


def test_a_page_that_does_not_exist_is_404(client):
    intake = make_intake()
    open_as_patient(client, intake)

    assert client.get(step_url(intake, "bleeding", 3)).status_code == 404
    assert client.get(step_url(intake, "pregnancy", 2)).status_code == 404
    assert client.get(step_url(intake, "welcome", 2)).status_code == 404


def test_the_section_is_done_only_when_all_its_pages_are(client):
    intake = make_intake()
    open_as_patient(client, intake)

    client.post(step_url(intake, "bleeding", 1), make_step_data("bleeding"))
    intake.refresh_from_db()
    assert "bleeding" not in intake.completed_steps
    assert selectors.missing_pages(intake)[1:2] != []

    client.post(step_url(intake, "bleeding", 2), make_step_data("bleeding"))
    intake.refresh_from_db()
    assert "bleeding" in intake.completed_steps
    assert ("bleeding", 1) not in selectors.missing_pages(intake)
    assert ("bleeding", 2) not in selectors.missing_pages(intake)


# ---------------------------------------------------------------------------------------------
# Change from "Check and send"


def test_change_from_check_and_send_edits_that_page_and_comes_straight_back(client):
    intake = make_intake()
    open_as_patient(client, intake)
    complete_steps(client, intake)
    review = client.get(review_url(intake))
    rows = {row["item"].id: row for entry in review.context["summary"] for row in entry["items"]}
    change = rows["blood_thinner_use"]["change_url"]
    assert change == step_url(intake, "bleeding", 2) + "?change=1"

    page = client.get(change)
    assert 'name="change" value="1"' in page.content.decode()
    assert "Save and go back to Check and send" in page.content.decode()
    response = client.post(
        change,
        make_step_data(
            "bleeding",
            change="1",
            blood_thinner_use__answer="yes",
            blood_thinner_use__agents=["aspirin"],
        ),
    )

    intake.refresh_from_db()
    assert response["Location"] == review_url(intake)
    assert intake.answers["blood_thinner_use"] == {"answer": True, "agents": ["aspirin"]}


def test_change_with_a_mistake_stays_on_the_page_in_change_mode(client):
    intake = make_intake()
    open_as_patient(client, intake)
    complete_steps(client, intake)

    response = client.post(
        step_url(intake, "pregnancy"),
        make_step_data("pregnancy", change="1", pregnancy__answer="yes"),
    )

    assert response.status_code == 400
    assert 'name="change" value="1"' in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Saved as the patient goes


def _version(intake):
    intake.refresh_from_db()
    return intake.version


def test_a_draft_saves_the_answers_without_finishing_the_page(client):
    intake = make_intake()
    open_as_patient(client, intake)

    response = client.post(
        draft_url(intake, "bleeding", 2),
        {
            "version": _version(intake),
            "blood_thinner_use__answer": "yes",
            "blood_thinner_use__agents": ["warfarin"],
            "blood_thinner_use__latest_inr": "2.5",
        },
    )

    intake.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == {"saved": True, "version": intake.version}
    assert intake.answers["blood_thinner_use"] == {
        "answer": True,
        "agents": ["warfarin"],
        "latest_inr": 2.5,
    }
    assert intake.completed_steps == []
    event = AuditEvent.objects.filter(intake=intake, action="intake.save_draft").get()
    assert "warfarin" not in str(event.detail)


def test_a_draft_keeps_what_was_stored_for_an_answer_still_being_typed(client):
    intake = make_intake()
    open_as_patient(client, intake)
    client.post(
        draft_url(intake, "bleeding", 2),
        {
            "version": _version(intake),
            "blood_thinner_use__answer": "yes",
            "blood_thinner_use__agents": ["warfarin"],
            "blood_thinner_use__latest_inr": "2.5",
        },
    )

    # Halfway through retyping the INR: "2," is not a number yet.
    client.post(
        draft_url(intake, "bleeding", 2),
        {
            "version": _version(intake),
            "blood_thinner_use__answer": "yes",
            "blood_thinner_use__agents": ["warfarin"],
            "blood_thinner_use__latest_inr": "two",
        },
    )

    intake.refresh_from_db()
    assert intake.answers["blood_thinner_use"]["latest_inr"] == 2.5


def test_a_draft_made_before_next_never_overwrites_what_next_stored(client):
    intake = make_intake()
    open_as_patient(client, intake)
    old_version = _version(intake)
    client.post(
        step_url(intake, "bleeding", 2),
        make_step_data(
            "bleeding",
            blood_thinner_use__answer="yes",
            blood_thinner_use__agents=["warfarin"],
            blood_thinner_use__latest_inr="2.5",
            blood_thinner_use__inr_days_ago="3",
        ),
    )

    # The draft sent before Next arrives after it, with the older value.
    late = client.post(
        draft_url(intake, "bleeding", 2),
        {
            "version": old_version,
            "blood_thinner_use__answer": "yes",
            "blood_thinner_use__agents": ["warfarin"],
            "blood_thinner_use__latest_inr": "2",
        },
    )

    intake.refresh_from_db()
    assert late.status_code == 409
    assert late.json() == {"saved": False, "version": intake.version}
    assert intake.answers["blood_thinner_use"]["latest_inr"] == 2.5
    assert "bleeding/2" in intake.completed_steps


@pytest.mark.parametrize("version", ["", "x", "1.5"])
def test_a_draft_without_a_readable_version_is_refused_and_changes_nothing(client, version):
    intake = make_intake()
    open_as_patient(client, intake)

    response = client.post(
        draft_url(intake, "bleeding", 1),
        {"version": version, "bleeding_disorder__answer": "yes"},
    )

    intake.refresh_from_db()
    assert response.status_code == 400
    assert intake.answers == {}


def test_a_draft_needs_the_patients_own_confirmed_session_and_the_csrf_token(client):
    intake = make_intake()
    data = {"version": intake.version, "bleeding_disorder__answer": "yes"}

    stranger = client.post(draft_url(intake, "bleeding", 1), data)
    assert stranger.status_code == 404

    unconfirmed = Client()
    unconfirmed.get(reverse("patient:open", args=[make_link(intake).token]))
    assert unconfirmed.post(draft_url(intake, "bleeding", 1), data).status_code == 403

    strict = Client(enforce_csrf_checks=True)
    strict.get(reverse("patient:open", args=[make_link(intake).token]))
    strict.post(
        reverse("patient:verify", args=[intake.public_id]), dob_data(intake.patient.date_of_birth)
    )
    assert strict.post(draft_url(intake, "bleeding", 1), data).status_code == 403
    intake.refresh_from_db()
    assert intake.answers == {}


def test_a_draft_after_the_answers_were_sent_changes_nothing(client):
    intake = make_intake()
    open_as_patient(client, intake)
    complete_steps(client, intake)
    client.post(review_url(intake), {"declaration": "on"})
    intake.refresh_from_db()
    before = dict(intake.answers)

    response = client.post(
        draft_url(intake, "bleeding", 1),
        {"version": intake.version, "bleeding_disorder__answer": "yes"},
    )

    intake.refresh_from_db()
    assert response.status_code == 409
    assert intake.answers == before


def test_the_step_page_carries_what_the_draft_script_needs(client):
    intake = make_intake()
    open_as_patient(client, intake)

    text = client.get(step_url(intake, "bleeding", 2)).content.decode()

    assert f'data-draft-url="{draft_url(intake, "bleeding", 2)}"' in text
    assert f'data-version="{_version(intake)}"' in text


def test_welcome_back_names_the_page_the_patient_was_on(client):
    intake = make_intake()
    open_as_patient(client, intake)
    complete_steps(client, intake, ["welcome", "about_you", "wishes", "today", "pregnancy"])
    client.post(
        draft_url(intake, "bleeding", 1),
        {"version": _version(intake), "bleeding_disorder__answer": "no"},
    )

    # The browser closed; the patient opens the link again on another day.
    again = Client()
    again.get(reverse("patient:open", args=[make_link(intake).token]))
    response = again.post(
        reverse("patient:verify", args=[intake.public_id]),
        dob_data(intake.patient.date_of_birth),
        follow=True,
    )

    text = response.content.decode()
    assert response.redirect_chain[-1][0] == step_url(intake, "bleeding", 1)
    assert "Welcome back. You were on “Bleeding and medicines”." in text
    # What was saved as a draft is on the page, ticked.
    assert re.search(r'value="no" id="id_bleeding_disorder__answer_1" checked', text)


def test_no_welcome_back_on_a_first_visit(client):
    intake = make_intake()
    client.get(reverse("patient:open", args=[make_link(intake).token]))
    response = client.post(
        reverse("patient:verify", args=[intake.public_id]),
        dob_data(intake.patient.date_of_birth),
        follow=True,
    )

    assert "Welcome back" not in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Words


def test_prefer_not_to_say_is_an_answer_that_stores_nothing(client):
    intake = make_intake()
    open_as_patient(client, intake)
    url = step_url(intake, "infection_skin", 4)
    assert "Prefer not to say" in client.get(url).content.decode()

    empty = client.post(url, {"action": "next"})
    assert empty.status_code == 400
    assert "Please choose yes, no, or prefer not to say" in empty.content.decode()

    chosen = client.post(url, {"action": "next", "bloodborne_virus__answer": "prefer_not"})
    intake.refresh_from_db()
    assert chosen.status_code == 302
    assert "bloodborne_virus" not in intake.answers
    assert "infection_skin/4" in intake.completed_steps
    # Shown again as chosen, and in words on "Check and send".
    assert re.search(r'value="prefer_not" id="[^"]+" checked', client.get(url).content.decode())
    complete_steps(client, intake)
    client.post(url, {"action": "next", "bloodborne_virus__answer": "prefer_not"})
    review = client.get(review_url(intake))
    rows = {row["item"].id: row for entry in review.context["summary"] for row in entry["items"]}
    assert rows["bloodborne_virus"]["answer"] == "Prefer not to say"


def test_the_pregnancy_hint_names_the_answer_as_it_is_written(client):
    intake = make_intake()
    open_as_patient(client, intake)

    text = client.get(step_url(intake, "pregnancy")).content.decode()

    assert "This does not apply to me" in text
    assert '"Not applicable"' not in text


def test_check_and_send_pairs_each_question_with_its_answer_in_words(client):
    intake = make_intake()
    open_as_patient(client, intake)
    complete_steps(client, intake)
    client.post(
        step_url(intake, "pregnancy"),
        make_step_data(
            "pregnancy",
            pregnancy__answer="yes",
            pregnancy__weeks="20",
            pregnancy__complications="no",
        ),
    )

    review = client.get(review_url(intake))
    text = review.content.decode()

    rows = {row["item"].id: row for entry in review.context["summary"] for row in entry["items"]}
    assert rows["previous_needling_reaction"]["question"] == (
        "Have you had dry needling or acupuncture before?"
    )
    assert rows["previous_needling_reaction"]["answer"] == "No, this will be my first time"
    assert rows["previous_needling_reaction"]["details"] == []
    assert "Choose the answer that fits you best" not in text
    # A question ending in a full stop is never followed by a colon ("…labour.: No").
    assert not re.search(r"[.?]:", re.sub(r"<[^>]+>", "", text))
    assert "<dt>How many weeks pregnant are you?</dt><dd>20 weeks</dd>" in text


def test_the_confirmation_repeats_the_appointment_and_says_how_to_prepare(client):
    intake = make_intake()
    clinic = ClinicSettings.load()
    open_as_patient(client, intake)
    complete_steps(client, intake)

    response = client.post(review_url(intake), {"declaration": "on"}, follow=True)

    text = response.content.decode()
    intake.refresh_from_db()
    assert intake.status == Intake.Status.SUBMITTED
    assert "Your answers have been sent" in text
    assert "Your appointment" in text
    from django.utils import timezone

    local = timezone.localtime(intake.appointment_at)
    assert local.strftime("%H:%M") in text
    assert str(local.year) in text
    assert "light meal about 2 hours before" in text
    assert "loose, comfortable clothing" in text
    assert f"Do not drink alcohol in the {clinic.alcohol_lookback_hours} hours" in text
    if clinic.phone:
        assert clinic.phone in text


def test_pages_are_sent_compressed_to_a_browser_that_accepts_it(client):
    intake = make_intake()
    open_as_patient(client, intake)

    response = client.get(step_url(intake, "bleeding", 2), HTTP_ACCEPT_ENCODING="gzip")

    assert response["Content-Encoding"] == "gzip"
    import gzip

    assert b"Do you take a medicine that thins your blood?" in gzip.decompress(response.content)
