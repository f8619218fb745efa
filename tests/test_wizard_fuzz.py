"""Random and hostile posts to every wizard step never crash and never store a bad answer.

Each example starts from empty answers, posts one step, and checks what the server kept: every
stored value is valid for its field, the answers are already pruned, an invalid post stores
nothing, and only a complete "next" marks the step done.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening import selectors
from screening.engine import questionnaire
from screening.engine.rules import Thresholds
from screening.forms import StepForm
from screening.models import Intake
from tests.conftest import make_intake, open_as_patient, question_pages, step_url

pytestmark = pytest.mark.django_db

SECTIONS = {section.id: section for section in questionnaire.SECTIONS}
PARTIAL_ACTIONS = ("later", "back")

# Text the test client can encode (no lone surrogates), including NUL and other controls.
any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
hostile_scalar = st.one_of(
    any_text,
    st.sampled_from(
        [
            "",
            " ",
            "NaN",
            "nan",
            "inf",
            "-Infinity",
            "1e309",
            "-1e309",
            "1e-320",
            "0x1F",
            "١٢",  # Arabic-Indic digits
            "12,5",
            "1_000",
            "-0",
            "9" * 20,
            "9" * 21,
            "yes",
            "no",
            "true",
            "None",
            "null",
            "[]",
            '{"answer": true}',
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "\x00",
            "😀" * 5,
            "x" * 10_000,
        ]
    ),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def _field_specs(section_id: str, page: int) -> dict:
    """Each HTML field of the page with its questionnaire spec (None for a main answer)."""
    form = StepForm(
        SECTIONS[section_id], page=page, thresholds=Thresholds(), age_years=40, stored={}
    )
    specs = {}
    for name, field in form.fields.items():
        item_id, field_id = name.split("__", 1)
        item = questionnaire.item(item_id)
        spec = None if field_id == "answer" else item.follow_up(field_id)
        choices = [str(value) for value, _ in getattr(field, "choices", [])]
        specs[name] = (spec, choices)
    return specs


def _valid(spec, choices) -> st.SearchStrategy:
    """Values a patient could really send for this field."""
    if spec is None or spec.kind in (questionnaire.YES_NO, questionnaire.CHOICE):
        return st.sampled_from(choices)
    if spec.kind in (questionnaire.MULTI_CHOICE, questionnaire.REGIONS):
        return st.lists(st.sampled_from(choices), min_size=1, max_size=3, unique=True)
    if spec.kind == questionnaire.INTEGER:
        return st.integers(int(spec.min), int(spec.max)).map(str)
    if spec.kind == questionnaire.DECIMAL:
        return st.decimals(spec.min, spec.max, places=1).map(str)
    return any_text


@st.composite
def step_posts(draw, section_id: str, page: int) -> dict:
    """A POST body for one page of a step.

    Mostly what a browser sends (every field valid, follow-ups included whether shown or not),
    with some fields left out or replaced by hostile values (text for numbers, NaN, huge
    numbers, lists for single answers, 10k characters), plus unknown field names and actions.
    """
    specs = _field_specs(section_id, page)
    names = sorted(specs)
    hostile_names = draw(
        st.one_of(
            st.just(set()),
            st.sets(st.sampled_from(names), max_size=2),
            st.sets(st.sampled_from(names), max_size=len(names)),
        )
    )
    data = {}
    for name in names:
        spec, choices = specs[name]
        if name in hostile_names:
            value = draw(
                st.one_of(
                    st.none(),
                    hostile_scalar,
                    st.lists(st.one_of(_valid(spec, choices), hostile_scalar), max_size=4),
                )
            )
        else:
            value = draw(_valid(spec, choices))
        if value is not None:
            data[name] = value
    extra = draw(
        st.dictionaries(
            st.one_of(
                any_text.filter(bool),
                st.sampled_from(["minor_patient__age_years", "low_body_weight__bmi", "answers"]),
            ),
            hostile_scalar,
            max_size=3,
        )
    )
    data.update({key: value for key, value in extra.items() if key not in data})
    data["action"] = draw(st.one_of(st.sampled_from(["next", "next", *PARTIAL_ACTIONS]), any_text))
    return data


def _post_and_check(client, intake, section_id, page, data):
    Intake.objects.filter(pk=intake.pk).update(answers={}, completed_steps=[])

    response = client.post(step_url(intake, section_id, page), data)

    assert response.status_code in (400, 302), response.status_code
    intake.refresh_from_db()
    stored = intake.answers
    assert stored == questionnaire.prune(stored)
    assert set(stored) <= set(SECTIONS[section_id].pages[page - 1])
    complete = selectors.page_done(intake, SECTIONS[section_id], page)
    for item_id, values in stored.items():
        errors = questionnaire.validate_item(item_id, values)
        if complete:
            assert errors == {}, (item_id, values, errors)
        else:
            # A partial save may leave questions unanswered, never an answer malformed.
            assert all(field_id not in values for field_id in errors), (item_id, values, errors)
    if response.status_code == 400:
        assert stored == {}
        assert not complete
    if complete:
        assert data["action"] == "next"


@pytest.mark.parametrize(("section_id", "page"), question_pages())
def test_wizard_step_survives_random_and_hostile_posts(client, section_id, page):
    intake = make_intake()
    open_as_patient(client, intake)

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=step_posts(section_id, page))
    def check(data):
        _post_and_check(client, intake, section_id, page, data)

    check()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(completed_by=st.one_of(hostile_scalar, st.lists(hostile_scalar, max_size=3)))
def test_wizard_welcome_survives_random_and_hostile_posts(completed_by):
    # Built inside the test (no function-scoped fixtures): the outer test holds the database.
    from django.test import Client

    client = Client()
    intake = make_intake()
    open_as_patient(client, intake)

    response = client.post(
        step_url(intake, "welcome"), {"completed_by": completed_by, "action": "next"}
    )

    intake.refresh_from_db()
    assert response.status_code in (302, 400)
    assert intake.completed_by in ("", "self", "guardian", "helper")
    assert ("welcome" in intake.completed_steps) == (response.status_code == 302)
