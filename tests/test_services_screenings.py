"""`screening_run`: the stored snapshot quotes the patient's answers and counts only flags."""

import pytest

from screening import selectors
from tests.factories import make_submitted_intake

pytestmark = pytest.mark.django_db


def test_stored_finding_trigger_quotes_the_answer_as_given():
    intake = make_submitted_intake({"frailty": {"answer": True}})

    findings = selectors.latest_screening(intake).findings

    frailty = next(f for f in findings if f["item"] == "frailty")
    assert frailty["trigger"] == "answer: yes"


def test_stored_snapshot_holds_the_prepared_answers_and_counts_only_flags():
    intake = make_submitted_intake(
        {
            "diabetes": {"answer": False, "neuropathy_regions": ["knee_left"]},
            "previous_needling_reaction": {"answer": False, "previous_experience": "never"},
        }
    )

    snapshot = selectors.latest_screening(intake)

    assert snapshot.answers["diabetes"] == {"answer": False}
    assert [(f["item"], f["level"]) for f in snapshot.findings] == [
        ("previous_needling_reaction", "info")
    ]
    intake.refresh_from_db()
    assert (intake.latest_outcome, intake.latest_flag_count) == ("clear", 0)
