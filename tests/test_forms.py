"""The wizard's own server-side handling of a step: StepForm re-evaluates every follow-up.

Enable conditions and `prune` themselves are tested in test_questionnaire.py; here the form is
fed what a browser sends (hidden follow-ups still post their inputs) and what a hostile client
sends, and must produce canonical, valid item values or errors.
"""

import datetime

import pytest
from django.http import QueryDict

from screening.engine import questionnaire
from screening.engine.rules import Thresholds
from screening.forms import IdentityForm, IntakeCreateForm, StepForm

SECTIONS = {section.id: section for section in questionnaire.SECTIONS}
WARFARIN_WITH_INR = {
    "answer": True,
    "agents": ["warfarin"],
    "latest_inr": 2.5,
    "inr_days_ago": 3,
    "inr_target_range": "2 to 3",
}


def _page_asked(section, data, stored) -> int:
    """The page of the section that the test is about: the first item given more than a plain
    "no" (a follow-up, or another answer), else the first page."""
    for name, value in [*(data or {}).items(), *((k, None) for k in stored or {})]:
        item_id, _, field_id = name.partition("__")
        if item_id in section.items and (field_id != "answer" or value != "no"):
            return section.page_of(item_id)
    return 1


def make_step_form(section_id, data=None, *, stored=None, partial=False, age_years=40):
    """A bound (with ``data``) or unbound StepForm for the page of one section that the data
    is about (see ``_page_asked``)."""
    page = _page_asked(SECTIONS[section_id], data, stored)
    if isinstance(data, dict):
        query = QueryDict(mutable=True)
        for key, value in data.items():
            query.setlist(key, value if isinstance(value, list) else [value])
        data = query
    return StepForm(
        SECTIONS[section_id],
        page=page,
        thresholds=Thresholds(),
        age_years=age_years,
        stored=stored or {},
        partial=partial,
        data=data,
    )


def bleeding_data(**overrides):
    data = {"bleeding_disorder__answer": "no", "blood_thinner_use__answer": "no"}
    data.update(overrides)
    return data


def test_step_form_keeps_enabled_follow_ups_typed():
    form = make_step_form(
        "bleeding",
        bleeding_data(
            blood_thinner_use__answer="yes",
            blood_thinner_use__agents=["warfarin", "aspirin"],
            blood_thinner_use__latest_inr="2,5",
            blood_thinner_use__inr_days_ago="3",
        ),
    )

    assert form.is_valid(), form.errors
    assert form.item_values["blood_thinner_use"] == {
        "answer": True,
        "agents": ["warfarin", "aspirin"],
        "latest_inr": 2.5,
        "inr_days_ago": 3,
    }


def test_step_form_drops_follow_ups_when_the_answer_changes_to_no():
    # The browser hides the follow-ups but still posts their inputs.
    form = make_step_form(
        "bleeding",
        bleeding_data(
            blood_thinner_use__answer="no",
            blood_thinner_use__agents=["warfarin"],
            blood_thinner_use__latest_inr="2.5",
            blood_thinner_use__inr_days_ago="3",
            blood_thinner_use__inr_target_range="2 to 3",
        ),
        stored={"blood_thinner_use": WARFARIN_WITH_INR},
    )

    assert form.is_valid(), form.errors
    assert form.item_values["blood_thinner_use"] == {"answer": False}


def test_step_form_drops_inr_when_the_agent_changes_to_a_non_vka():
    form = make_step_form(
        "bleeding",
        bleeding_data(
            blood_thinner_use__answer="yes",
            blood_thinner_use__agents=["apixaban"],
            blood_thinner_use__latest_inr="2.5",
            blood_thinner_use__inr_days_ago="3",
        ),
        stored={"blood_thinner_use": WARFARIN_WITH_INR},
    )

    assert form.is_valid(), form.errors
    assert form.item_values["blood_thinner_use"] == {"answer": True, "agents": ["apixaban"]}


@pytest.mark.parametrize(
    "hidden",
    [
        {"blood_thinner_use__latest_inr": "not a number"},
        {"blood_thinner_use__latest_inr": "NaN", "blood_thinner_use__inr_days_ago": "inf"},
        {"blood_thinner_use__agents": ["rat-poison", "<script>"]},
        {"blood_thinner_use__inr_target_range": "x" * 10_000},
        {"blood_thinner_use__missed_or_extra_doses": "maybe"},
    ],
    ids=["text-for-number", "nan-inf", "unknown-choices", "10k-text", "bad-yes-no"],
)
def test_step_form_ignores_a_malformed_value_in_a_hidden_follow_up(hidden):
    form = make_step_form("bleeding", bleeding_data(**hidden))

    assert form.is_valid(), form.errors
    assert form.item_values["blood_thinner_use"] == {"answer": False}


def test_step_form_ignores_a_malformed_inr_while_inr_is_disabled_by_the_agent():
    form = make_step_form(
        "bleeding",
        bleeding_data(
            blood_thinner_use__answer="yes",
            blood_thinner_use__agents=["clopidogrel"],
            blood_thinner_use__latest_inr="1e999",
            blood_thinner_use__inr_days_ago="-5",
        ),
    )

    assert form.is_valid(), form.errors
    assert form.item_values["blood_thinner_use"] == {"answer": True, "agents": ["clopidogrel"]}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "Please enter a number"),
        ("nan", "Please enter a number"),
        ("1e999", "Please enter a number"),
        ("12", "between 0.5 and 10"),
        ("1" * 21, "at most 20 characters"),
        ("2,500", "without a comma between thousands"),
        ("1,000,000", "without a comma between thousands"),
    ],
)
def test_step_form_rejects_a_malformed_value_in_an_enabled_follow_up(value, message):
    form = make_step_form(
        "bleeding",
        bleeding_data(
            blood_thinner_use__answer="yes",
            blood_thinner_use__agents=["warfarin"],
            blood_thinner_use__latest_inr=value,
        ),
    )

    assert not form.is_valid()
    assert message in " ".join(form.errors["blood_thinner_use__latest_inr"])


def test_step_form_requires_the_follow_ups_of_a_yes():
    form = make_step_form("bleeding", bleeding_data(blood_thinner_use__answer="yes"))

    assert not form.is_valid()
    assert form.errors["blood_thinner_use__agents"] == ["Please choose at least one answer"]


def test_step_form_partial_accepts_missing_answers_and_saves_only_what_is_answered():
    form = make_step_form(
        "bleeding",
        {"blood_thinner_use__answer": "yes", "blood_thinner_use__agents": ["warfarin"]},
        partial=True,
    )

    assert form.is_valid(), form.errors
    # bleeding_disorder has no answer yet: it is not saved (and not an error).
    assert form.item_values == {"blood_thinner_use": {"answer": True, "agents": ["warfarin"]}}


def test_step_form_partial_still_rejects_a_malformed_answer():
    form = make_step_form(
        "bleeding",
        {"blood_thinner_use__answer": "yes", "blood_thinner_use__agents": ["warfarin", "bogus"]},
        partial=True,
    )

    assert not form.is_valid()
    assert "blood_thinner_use__agents" in form.errors


def test_step_form_derives_bmi_and_the_minor_answer_from_inputs():
    form = make_step_form(
        "about_you",
        {
            "cognitive_impairment__answer": "no",
            "interpreter_needed__answer": "no",
            "frailty__answer": "no",
            "low_body_weight__height_cm": "160",
            "low_body_weight__weight_kg": "45",
            # A derived value posted by a hostile client is not a field and is ignored.
            "low_body_weight__bmi": "40",
            "minor_patient__age_years": "12",
        },
        age_years=40,
    )

    assert form.is_valid(), form.errors
    assert form.item_values["low_body_weight"] == {
        "height_cm": 160,
        "weight_kg": 45,
        "bmi": pytest.approx(45 / 1.6**2),  # compared unrounded (§13.9)
        "answer": True,
    }
    # The age is on the first page of "About you" (the BMI on the third).
    first_page = make_step_form(
        "about_you",
        {"cognitive_impairment__answer": "no", "minor_patient__age_years": "12"},
        age_years=40,
    )
    assert first_page.is_valid(), first_page.errors
    assert first_page.item_values["minor_patient"] == {"age_years": 40, "answer": False}


@pytest.mark.parametrize(
    ("height", "weight"),
    [("1E-200", "2.0"), ("1E+200", "60"), ("0.0000001", "1E+300")],
)
def test_step_form_refuses_a_height_no_body_has_without_failing(height, weight):
    # Found by the fuzz test: a tiny height made the BMI divide by zero, a huge one overflow.
    form = make_step_form(
        "about_you",
        {"low_body_weight__height_cm": height, "low_body_weight__weight_kg": weight},
        partial=True,
    )

    assert not form.is_valid()
    assert {"low_body_weight__height_cm", "low_body_weight__weight_kg"} & set(form.errors)
    assert "low_body_weight" not in form.item_values


def test_step_form_asks_a_minor_for_guardian_consent():
    data = {"cognitive_impairment__answer": "no"}

    form = make_step_form("about_you", data, age_years=15)

    assert not form.is_valid()
    assert "minor_patient__guardian_consent" in form.errors
    assert "minor_patient__patient_assent" in form.errors


def test_step_form_unbound_shows_stored_values():
    form = make_step_form("bleeding", stored={"blood_thinner_use": WARFARIN_WITH_INR})

    assert form.initial["blood_thinner_use__answer"] == "yes"
    assert form.initial["blood_thinner_use__agents"] == ["warfarin"]
    assert form.initial["blood_thinner_use__latest_inr"] == "2.5"
    assert form.initial["blood_thinner_use__inr_days_ago"] == "3"
    # "Do you have a bleeding disorder?" is on the page before, also unanswered.
    assert "bleeding_disorder__answer" not in form.fields
    assert make_step_form("bleeding").initial["bleeding_disorder__answer"] is None


def test_step_form_display_hides_follow_ups_of_a_no():
    form = make_step_form("bleeding", bleeding_data(blood_thinner_use__agents=["warfarin"]))

    blocks = {block["item"].id: block for block in form.display_blocks()}

    visible = [
        fu["field"].name for fu in blocks["blood_thinner_use"]["follow_ups"] if fu["visible"]
    ]
    assert visible == []


def test_identity_form_rejects_a_date_that_does_not_exist():
    form = IdentityForm({"day": "31", "month": "2", "year": "1990"})

    assert not form.is_valid()
    assert "That date does not exist" in str(form.non_field_errors())


def test_identity_form_builds_the_date_of_birth():
    form = IdentityForm({"day": "7", "month": "3", "year": "1985"})

    assert form.is_valid()
    assert form.cleaned_data["date_of_birth"] == datetime.date(1985, 3, 7)


@pytest.mark.django_db
def test_intake_create_form_normalises_spaces_in_the_name():
    form = IntakeCreateForm(
        {
            "full_name": "  Ana   María  López ",
            "date_of_birth": "1980-01-02",
            "appointment_date": datetime.date.today().isoformat(),
            "appointment_time": "09:30",
        }
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data["full_name"] == "Ana María López"


def platelet_data(count: str) -> dict:
    return bleeding_data(
        bleeding_disorder__answer="yes",
        bleeding_disorder__diagnosis="low_platelets",
        bleeding_disorder__platelet_count_x10e9_per_l=count,
        bleeding_disorder__recent_major_bleed="no",
    )


@pytest.mark.parametrize(("typed", "stored"), [("150", 150), ("1500", 1500), ("2,0", 2)])
def test_integer_follow_up_reads_plain_digits_and_a_decimal_comma(typed, stored):
    form = make_step_form("bleeding", platelet_data(typed))

    assert form.is_valid(), form.errors
    assert form.item_values["bleeding_disorder"]["platelet_count_x10e9_per_l"] == stored


@pytest.mark.parametrize("typed", ["1,000", "150,000", "+1,000", "-1,000", "1,000.5"])
def test_thousands_separator_is_refused_not_guessed(typed):
    """ "1,000" used to be read as 1.0: a platelet count of 1 that no patient meant."""
    form = make_step_form("bleeding", platelet_data(typed))

    assert not form.is_valid()
    errors = " ".join(form.errors["bleeding_disorder__platelet_count_x10e9_per_l"])
    assert "without a comma between thousands" in errors
