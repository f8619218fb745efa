"""A practitioner opens a flagged intake, changes the plan so that a site-specific flag
disappears, resolves the remaining flag and clears the patient."""

import pytest

from screening.models import Intake
from tests.conftest import PASSWORD, make_user
from tests.factories import make_submitted_intake

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_practitioner_replans_resolves_and_clears(live_server, page_factory):
    make_user("practitioner", "prac-review", first_name="Priya", last_name="Shah")
    intake = make_submitted_intake(
        {
            "skin_lesion_or_local_infection": {
                "answer": True,
                "type": "infected cut",
                "regions": ["forearm_hand_left"],
            },
            "anxiety_mental_health": {"answer": True},
        }
    )
    page = page_factory(1280, 900)
    base = live_server.url

    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill("prac-review")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name=intake.patient.full_name).click()

    # First plan: the infected forearm itself -> absolute, site-specific.
    page.get_by_label("Manual needling (static)").check()
    page.get_by_label("Left forearm, wrist and hand").check()
    page.get_by_role("button", name="Save plan and re-screen").click()
    page.get_by_text("Plan saved and screening re-run").wait_for()
    assert page.get_by_role("heading", name="Absolute contraindications (1)").is_visible()

    # New plan away from the lesion: it is no longer a flag, and stays in sight as noted.
    page.get_by_label("Left forearm, wrist and hand").uncheck()
    page.get_by_label("Lower back").check()
    page.get_by_role("button", name="Save plan and re-screen").click()
    page.get_by_text("No longer a flag, still listed under Also noted").wait_for()
    assert page.get_by_role("heading", name="Absolute contraindications (1)").count() == 0
    assert page.get_by_role("heading", name="Also noted (1)").is_visible()

    page.get_by_role("button", name="Acknowledge with this mitigation").click()
    page.get_by_text("Resolution recorded").wait_for()
    page.get_by_label("Cleared with modifications").check()
    page.get_by_role("button", name="Record decision").click()
    page.get_by_text("Decision recorded.").wait_for()

    intake.refresh_from_db()
    assert intake.status == Intake.Status.REVIEWED
    assert intake.decision == Intake.Decision.CLEARED_WITH_MODIFICATIONS
    assert intake.plan_regions == ["lumbar"]
