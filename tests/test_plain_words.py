"""People read labels, never ids: every staff page and both PDFs, for the demo intakes, show no
questionnaire item id, region id or technique id in their visible text; and the practitioner's
override is a deliberate act (a confirmation page and the password)."""

import io
import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from screening import pdf, selectors
from screening.documents import documents_available
from screening.engine import questionnaire, regions
from screening.models import AuditEvent, FlagResolution, Intake, User
from screening.roles import Role
from screening.wording import plain_words
from tests.conftest import PASSWORD, make_user
from tests.factories import make_submitted_intake, set_plan

pytestmark = pytest.mark.django_db

# Ids with an underscore cannot be ordinary words; the others ("lumbar", "pregnancy",
# "cancer") are English and read correctly where they appear.
IDS = sorted(
    {
        *(i for i in questionnaire.ITEMS if "_" in i),
        *(r for r in (*regions.REGIONS, *regions.ALIASES) if "_" in r),
        *(t for t in regions.TECHNIQUES if "_" in t),
    },
    key=len,
    reverse=True,
)
ID_PATTERN = re.compile(r"\b(" + "|".join(map(re.escape, IDS)) + r")\b")


class _Visible(HTMLParser):
    """The text a person sees: no tags, attributes, scripts or styles."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(parser.parts)


def ids_in(text: str) -> list[str]:
    return sorted(set(ID_PATTERN.findall(text)))


def test_plain_words_replaces_ids_and_keeps_region_lists_readable():
    text = plain_words(
        "lesion at arm_elbow_left, forearm_hand_left is at or near the planned lumbar, "
        "forearm_hand_left; still open: needle_phobia; manual_static / neck_posterior"
    )

    assert text == (
        "lesion at left upper arm and elbow; left forearm, wrist and hand is at or near the "
        "planned lower back; left forearm, wrist and hand; still open: Fear of needles; "
        "Manual needling (static) / back of the neck"
    )
    # An ordinary word that is also an id is left alone outside a list of regions.
    assert plain_words("abdominal, lumbar or sacral-pelvic region") == (
        "abdominal, lumbar or sacral-pelvic region"
    )
    assert ids_in(text) == []


def test_every_staff_page_and_both_pdfs_show_labels_never_ids(client):
    call_command("seed_demo", "--allow-production", verbosity=0)
    staff = {role: User.objects.filter(role=role).order_by("pk").first() for role in Role.values}
    intakes = list(Intake.objects.select_related("patient").order_by("pk")[:12])
    assert intakes
    found = {}
    pdfs = []

    def check(user, url):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        leaked = ids_in(visible_text(response.content.decode()))
        if leaked:
            found[url] = leaked

    practitioner, desk, admin = (
        staff[Role.PRACTITIONER],
        staff[Role.FRONT_DESK],
        staff[Role.CLINIC_ADMIN],
    )
    days = {intake.appointment_at.date().isoformat() for intake in intakes}
    for day in days:
        check(practitioner, reverse("review:queue") + f"?day={day}&status=all")
        check(desk, reverse("desk:board") + f"?day={day}")
    for intake in intakes:
        check(practitioner, reverse("review:intake", args=[intake.public_id]))
        check(desk, reverse("desk:intake", args=[intake.public_id]))
        if documents_available(intake)[0]:
            check(desk, reverse("desk:documents", args=[intake.public_id]))
            for document in (pdf.render_consent(intake), pdf.render_aftercare(intake)):
                pdfs.append(intake.pk)
                text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(document)).pages)
                leaked = ids_in(text)
                if leaked:
                    found[f"PDF of intake {intake.pk}"] = leaked
    check(admin, reverse("manage:audit"))
    check(admin, reverse("manage:staff"))

    assert pdfs, "no demo intake had documents to read"
    assert found == {}


def test_the_review_page_of_the_phobia_forearm_warfarin_pregnancy_patient_reads_plainly(
    client, practitioner
):
    intake = make_submitted_intake(SCENARIO)
    set_plan(intake, practitioner, ["manual_static"], ["neck_posterior"])
    client.force_login(practitioner)

    html = client.get(reverse("review:intake", args=[intake.public_id])).content.decode()
    text = visible_text(html)

    assert ids_in(text) == []
    # The cut away from the plan stays in sight, under "Also noted".
    also_noted = text[text.index("Also noted") :]
    assert "Infection, wound or skin problem" in also_noted
    assert "right forearm, wrist and hand, away from the planned back of the neck" in also_noted
    # Answers are headed by the question's short label, not by the rule's finding.
    answers = text[text.index("Answers") :]
    assert "Blood-thinning medicine" in answers
    assert "Patient under the age of consent" not in answers
    # Item numbers are gone; a code expands in the legend at the foot.
    assert "(3.16)" not in text
    assert "Sources cited on this page" in text


SCENARIO = {
    "needle_phobia": {"answer": True, "fear_level": "strong"},
    "skin_lesion_or_local_infection": {
        "answer": True,
        "type": "infected cut",
        "regions": ["forearm_hand_right"],
    },
    "blood_thinner_use": {
        "answer": True,
        "agents": ["warfarin"],
        "latest_inr": 2.5,
        "inr_days_ago": 3,
    },
    "pregnancy": {"answer": "yes", "weeks": 20, "complications": False},
}


@pytest.fixture
def practitioner(db):
    return make_user(Role.PRACTITIONER, "prac-plain")


def _override_post(intake, **extra):
    return {
        "version": intake.version,
        "item": "needle_phobia",
        "justification": "Patient asked to go ahead; discussed, lying down, one needle only.",
        **extra,
    }


def _planned_intake(practitioner):
    intake = make_submitted_intake(SCENARIO)
    set_plan(intake, practitioner, ["manual_static"], ["neck_posterior"])
    intake.refresh_from_db()
    return intake


def test_an_override_first_restates_the_flag_and_asks_for_the_password(client, practitioner):
    intake = _planned_intake(practitioner)
    client.force_login(practitioner)
    url = reverse("review:resolve", args=[intake.public_id])

    response = client.post(url, _override_post(intake))

    text = visible_text(response.content.decode())
    assert response.status_code == 200
    assert "Override an absolute contraindication?" in text
    assert "Fear of needles" in text
    assert "How strong is the feeling?" in text  # what the patient answered
    assert "Patient asked to go ahead; discussed, lying down, one needle only." in text
    assert 'name="password"' in response.content.decode()
    assert not FlagResolution.objects.filter(intake=intake).exists()


def test_an_override_with_a_wrong_password_is_refused_and_audited(client, practitioner):
    intake = _planned_intake(practitioner)
    client.force_login(practitioner)
    url = reverse("review:resolve", args=[intake.public_id])

    response = client.post(url, _override_post(intake, confirm="1", password="not-my-password"))

    assert response.status_code == 400
    assert "That password is not right" in response.content.decode()
    assert not FlagResolution.objects.filter(intake=intake).exists()
    assert AuditEvent.objects.filter(
        intake=intake, action="review.override_password_refused"
    ).exists()


def test_an_override_with_the_password_is_recorded(client, practitioner):
    intake = _planned_intake(practitioner)
    client.force_login(practitioner)
    url = reverse("review:resolve", args=[intake.public_id])

    response = client.post(url, _override_post(intake, confirm="1", password=PASSWORD))

    assert response.status_code == 302
    resolution = FlagResolution.objects.get(intake=intake, item="needle_phobia")
    assert resolution.kind == FlagResolution.Kind.OVERRIDE


def test_a_short_justification_never_reaches_the_confirmation(client, practitioner):
    intake = _planned_intake(practitioner)
    client.force_login(practitioner)

    response = client.post(
        reverse("review:resolve", args=[intake.public_id]),
        _override_post(intake, justification="too short"),
    )

    assert response.status_code == 400
    assert "at least 20 characters" in response.content.decode()
    assert "Override an absolute contraindication?" not in response.content.decode()


def test_the_decision_suggests_cleared_with_modifications_once_flags_are_resolved(
    client, practitioner
):
    intake = make_submitted_intake(
        {"anxiety_mental_health": {"answer": True, "details": "panic attacks"}}
    )
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake.refresh_from_db()
    client.force_login(practitioner)
    page = client.get(reverse("review:intake", args=[intake.public_id])).content.decode()
    assert re.search(r'value="cleared"[^>]*disabled', page)
    assert "Resolve the flag: Anxiety or other mental-health condition." in visible_text(page)

    for flag in selectors.unresolved_flags(intake, selectors.latest_screening(intake)):
        client.post(
            reverse("review:resolve", args=[intake.public_id]),
            {"version": intake.version, "item": flag["item"], "mitigation": "Explain each step."},
        )
        intake.refresh_from_db()
    page = client.get(reverse("review:intake", args=[intake.public_id])).content.decode()

    assert "1 of 1 resolved" in visible_text(page)
    assert re.search(r'value="cleared_with_modifications"[^>]*checked', page)
    assert re.search(r'value="cleared"[^>]*disabled', page)


def test_a_refused_override_keeps_what_the_practitioner_typed(client, practitioner):
    intake = _planned_intake(practitioner)
    client.force_login(practitioner)

    response = client.post(
        reverse("review:resolve", args=[intake.public_id]),
        _override_post(intake, justification="too short", patient_wording="We talked it over."),
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert ">too short</textarea>" in html
    assert ">We talked it over.</textarea>" in html
