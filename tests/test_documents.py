"""Consent form and aftercare sheet: availability, content per case, escaping, asset fetching.

Every intake is built through the app's own services (submit, plan, resolve, decide), and the
PDFs are read back with pypdf, so these tests check what a patient would actually read.
"""

from __future__ import annotations

import base64
import datetime
import io
import logging
import re

import pytest
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from screening import documents, pdf, selectors, services
from screening.engine.rules import RULES_BY_CODE
from screening.models import ClinicSettings, Consent, Intake, ScreeningResult
from screening.services.retention import years_before
from tests.conftest import make_patient
from tests.factories import make_submitted_intake, resolve_and_clear, set_plan

pytestmark = pytest.mark.django_db

MITIGATION = "Superficial needling only and firm pressure for three minutes after each needle."
JUSTIFICATION = "Discussed in detail with the patient; benefit clearly outweighs the small risk."

WARFARIN = {
    "blood_thinner_use": {
        "answer": True,
        "agents": ["warfarin"],
        "latest_inr": 2.4,
        "inr_days_ago": 3,
    }
}
PREGNANT_20_WEEKS = {"pregnancy": {"answer": "yes", "weeks": 20, "complications": False}}
MINOR = {
    "minor_patient": {
        "guardian_consent": True,
        "guardian_relationship": "mother",
        "patient_assent": True,
    }
}
INTERPRETER = {"interpreter_needed": {"answer": True, "language": "Polish"}}
INTERPRETER_BOOKED = {"interpreter_needed": {"qualified_interpreter_available": True}}
FIRST_TIME = {"previous_needling_reaction": {"previous_experience": "never"}}

# The rule's patient wording for a controlled INR (clinical reference §5 element 6: the flags
# and how the plan was modified, in the patient's words).
BLEED_PATIENT_WORDING = RULES_BY_CODE["DN-BLEED-VKA"].patient_modification

PNEUMOTHORAX = "collapsed lung"
ESTIM_ADDENDUM = "Extra information: electrical stimulation"
PREGNANCY_ADDENDUM = "Extra information: needling during pregnancy"
INTERPRETER_BLOCK = "Interpreter's name"
GUARDIAN_BLOCK = "Parent or guardian"


# ---------------------------------------------------------------------------------------------
# Helpers


def clear_intake(
    practitioner,
    extra=None,
    techniques=("manual_static",),
    regions=("lumbar",),
    clinician=None,
    **intake_fields,
) -> Intake:
    """A submitted intake, planned, every flag resolved, and cleared with modifications."""
    intake = make_submitted_intake(extra or {}, practitioner=practitioner, **intake_fields)
    set_plan(intake, practitioner, list(techniques), list(regions), clinician=clinician)
    return resolve_and_clear(
        intake, practitioner, mitigation=MITIGATION, justification=JUSTIFICATION
    )


def pages_text(data: bytes) -> list[str]:
    """The text of each page, whitespace collapsed (pypdf breaks lines where the PDF does)."""
    reader = PdfReader(io.BytesIO(data))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def text_of(data: bytes) -> str:
    return " ".join(pages_text(data))


def png_bytes(colour: str = "white") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 20), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def data_uri_png() -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes()).decode("ascii")


def html_page(body: str) -> str:
    return f"<!doctype html><html><head><meta charset='utf-8'></head><body>{body}</body></html>"


# ---------------------------------------------------------------------------------------------
# Content by case


def test_consent_bleeding_risk_prints_flag_patient_wording_and_frequencies(practitioner):
    intake = clear_intake(practitioner, WARFARIN)

    text = text_of(pdf.render_consent(intake))

    assert "Blood-thinning medicine" in text
    assert "You take warfarin. Your latest INR was 2.4, 3 days ago." in text
    # What the practitioner will do, in the patient's words; the mitigation is for staff.
    assert "What your practitioner will do: " + BLEED_PATIENT_WORDING in text
    assert MITIGATION not in text
    assert "(7.6%)" in text and "(4.7%)" in text and "(19%)" in text
    assert "1 moderate bleed" in text and "This applies to you" in text
    assert PNEUMOTHORAX not in text.lower() and "pneumothorax" not in text.lower()
    assert ESTIM_ADDENDUM not in text
    assert PREGNANCY_ADDENDUM not in text
    assert INTERPRETER_BLOCK not in text
    assert GUARDIAN_BLOCK not in text and "young person" not in text


def test_aftercare_bleeding_risk_adds_pressure_and_medicine_advice(practitioner):
    intake = clear_intake(practitioner, WARFARIN)

    text = text_of(pdf.render_aftercare(intake))

    assert "Because you take a blood thinner or bleed easily" in text
    assert "at least 2 to 3 minutes" in text
    assert "Do not stop it or change the dose" in text
    assert "hard swelling that keeps growing" in text
    assert "treated near the lungs" not in text
    assert "After electrical stimulation" not in text
    assert "maternity team" not in text


def test_pregnancy_20_weeks_adds_addendum_and_maternity_advice(practitioner):
    intake = clear_intake(practitioner, PREGNANT_20_WEEKS, regions=("neck_posterior",))

    consent = text_of(pdf.render_consent(intake))
    aftercare = text_of(pdf.render_aftercare(intake))

    assert PREGNANCY_ADDENDUM in consent
    assert "about 20 weeks pregnant (second trimester)" in consent
    assert "the belly, the lower back, and the base of the spine and pelvis" in consent
    assert "roughly 1 in every 4 or 5 pregnancies" in consent
    assert "Contact your maternity team urgently" in aftercare
    assert "pneumothorax" not in consent.lower()


def test_estim_on_lung_risk_region_adds_pneumothorax_and_estim_sections(practitioner):
    intake = clear_intake(
        practitioner, techniques=("manual_static", "estim"), regions=("shoulder_girdle_left",)
    )

    consent = text_of(pdf.render_consent(intake))
    aftercare = text_of(pdf.render_aftercare(intake))

    assert "Collapsed lung (pneumothorax)" in consent
    assert "left shoulder and top of shoulder blade" in consent
    assert "about 1 in every 100,000 patients" in consent
    assert "Signs can start hours later" in consent
    assert ESTIM_ADDENDUM in consent
    assert "Electrical stimulation (e-stim)." in consent  # the technique, described separately
    assert "no pacemaker, defibrillator or other implanted electrical device" in consent
    assert "You were treated near the lungs" in aftercare
    assert "Do not fly or scuba dive" in aftercare
    assert "After electrical stimulation (e-stim)" in aftercare
    assert PREGNANCY_ADDENDUM not in consent


def test_minor_prints_guardian_and_assent_blocks(practitioner):
    today = timezone.localdate()
    born = years_before(today, 15) - datetime.timedelta(days=30)
    intake = clear_intake(
        practitioner,
        MINOR,
        regions=("knee_left",),
        patient=make_patient(full_name="Sam Young", date_of_birth=born),
    )

    consent = text_of(pdf.render_consent(intake))
    aftercare = text_of(pdf.render_aftercare(intake))

    assert "(age 15)" in consent
    assert GUARDIAN_BLOCK in consent and "Relationship to the patient" in consent
    assert "mother" in consent
    assert "The young person's agreement" in consent
    assert "They told us they are happy to try it" in consent
    assert "For the parent or guardian" in aftercare


def test_interpreter_block_prints_language_mode_and_signature_lines(practitioner):
    intake = clear_intake(practitioner, INTERPRETER, clinician=INTERPRETER_BOOKED)

    consent = text_of(pdf.render_consent(intake))

    assert INTERPRETER_BLOCK in consent
    assert "into Polish" in consent
    assert "In person, by phone or by video" in consent
    assert "or had it interpreted for me" in consent


def test_plain_lumbar_case_has_no_optional_sections(practitioner):
    intake = clear_intake(practitioner)

    consent = pages_text(pdf.render_consent(intake))
    aftercare = text_of(pdf.render_aftercare(intake))
    text = " ".join(consent)

    assert "did not show anything that needs extra care" in text
    for absent in (PNEUMOTHORAX, "pneumothorax", ESTIM_ADDENDUM.lower()):
        assert absent not in text.lower()
    assert PREGNANCY_ADDENDUM not in text
    assert INTERPRETER_BLOCK not in text
    assert GUARDIAN_BLOCK not in text
    assert "treated near the lungs" not in aftercare
    assert "After electrical stimulation" not in aftercare
    assert "Feeling faint" not in aftercare  # not a first session, no fainting flag


def test_consent_contains_every_required_element(practitioner):
    intake = clear_intake(practitioner, WARFARIN)

    text = text_of(pdf.render_consent(intake))

    for phrase in (
        "Jamie Example",  # identification
        "12 April 1985",
        "Priya Shah, Physiotherapist",
        "Your clinic",
        "very thin, solid needles",  # nature of the procedure
        "Nothing is injected",
        "Needle left in place.",  # technique described
        "Where on your body: lower back.",  # region in plain words
        "we cannot promise a result",  # purpose, no guarantee
        "several sessions",
        "Mild: common, short-lived",  # grouped by severity
        "More unpleasant: uncommon",
        "Serious: rare",
        "These feelings are normal and are not signs of harm",  # sensations apart from harms
        "Nerve injury",  # rare serious risks
        "Other choices",  # alternatives
        "no treatment for now",
        "change your mind at any time",  # right to withdraw
        "will not change the rest of your care",
        "Keep still while the needles are in",  # responsibilities
        "answered to my satisfaction",  # questions answered
        "written aftercare sheet",  # aftercare and safety net
        "Date and time",  # signature blocks
        "Name, profession and registration",
        documents.CONSENT_TEXT_VERSION,
        "Sources",
    ):
        assert phrase in text, phrase
    assert "[R1]" not in text.split("Sources")[0]  # tags only in the sources line


def test_every_page_has_page_number_name_and_date_of_birth(practitioner):
    intake = clear_intake(practitioner, WARFARIN)

    pages = pages_text(pdf.render_consent(intake))

    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Patient: Jamie Example · born 12 April 1985" in page


def test_info_findings_are_not_printed_as_risks(practitioner):
    intake = clear_intake(practitioner, {"bloodborne_virus": {"answer": True}})
    findings = selectors.latest_screening(intake).findings

    text = text_of(pdf.render_consent(intake))

    assert any(f["item"] == "bloodborne_virus" and f["level"] == "info" for f in findings)
    assert "Blood-borne virus" not in text
    assert "did not show anything that needs extra care" in text


def test_override_says_plainly_the_practitioner_went_ahead_and_why(practitioner):
    intake = clear_intake(
        practitioner,
        {"blood_thinner_use": {"answer": True, "agents": ["warfarin"], "latest_inr": 3.6}},
    )

    text = text_of(pdf.render_consent(intake))

    assert "Special care" in text.title() or "SPECIAL CARE" in text
    assert (
        "Why your practitioner thinks it is safe to go ahead: usually this is a reason not to use "
        "needles under this plan, but your practitioner has decided that going ahead is "
        "reasonable for you. " + documents.GENERIC_OVERRIDE_WORDING
    ) in text
    # The written clinical justification stays in the record, not on the patient's form.
    assert JUSTIFICATION not in text and MITIGATION not in text


def test_override_prints_the_practitioners_patient_wording(practitioner):
    own = "Your blood test today was in the safe range, so we will needle gently near the surface."
    intake = make_submitted_intake(
        {"blood_thinner_use": {"answer": True, "agents": ["warfarin"], "latest_inr": 3.6}},
        practitioner=practitioner,
    )
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake = resolve_and_clear(
        intake, practitioner, justification=JUSTIFICATION, wording={"blood_thinner_use": own}
    )

    text = text_of(pdf.render_consent(intake))

    assert "going ahead is reasonable for you. " + own in text
    assert documents.GENERIC_OVERRIDE_WORDING not in text
    assert JUSTIFICATION not in text


def test_consent_with_many_flags_prints_no_clinician_wording(practitioner):
    intake = clear_intake(
        practitioner,
        {
            **WARFARIN,
            **PREGNANT_20_WEEKS,
            "anxiety_mental_health": {"answer": True},
            "fainting_history": {"answer": True},
            "lung_disease_or_previous_pneumothorax": {"answer": True},
            "metal_allergy": {"answer": True},
        },
        techniques=("manual_static", "pistoning"),
        regions=("shoulder_girdle_left",),
    )
    findings = selectors.flags_of(selectors.latest_screening(intake))

    text = text_of(pdf.render_consent(intake))

    assert len(findings) == 6
    for finding in findings:
        assert finding["patient_modification"] in text, finding["item"]
        assert finding["modification"] not in text, finding["item"]
    for jargon in ("pistoning", "web space", "trapezius", "bracketing", "pleura", "tangential"):
        assert jargon not in text.lower()
    assert MITIGATION not in text


def test_aftercare_first_session_adds_fainting_advice(practitioner):
    intake = clear_intake(practitioner, FIRST_TIME)

    text = text_of(pdf.render_aftercare(intake))

    assert "Feeling faint" in text
    assert "rest for 10 to 15 minutes" in text


def test_aftercare_always_block_and_clinic_numbers(practitioner):
    intake = clear_intake(practitioner)
    ClinicSettings.objects.filter(pk=1).update(phone="01234 567 890", emergency_number="112")

    text = text_of(pdf.render_aftercare(intake))

    assert "When to get urgent help" in text
    assert "Call 112 or go to the nearest emergency department" in text
    assert "01234 567 890" in text
    assert "What is normal" in text and "What helps" in text and "Please avoid today" in text
    assert "soreness is getting worse after 2 days" in text


def test_paper_size_follows_clinic_settings(practitioner):
    intake = clear_intake(practitioner)
    ClinicSettings.objects.filter(pk=1).update(paper_size=ClinicSettings.PaperSize.LETTER)

    letter = PdfReader(io.BytesIO(pdf.render_aftercare(intake))).pages[0].mediabox
    ClinicSettings.objects.filter(pk=1).update(paper_size=ClinicSettings.PaperSize.A4)
    a4 = PdfReader(io.BytesIO(pdf.render_aftercare(intake))).pages[0].mediabox

    assert (round(float(letter.width)), round(float(letter.height))) == (612, 792)
    assert (round(float(a4.width)), round(float(a4.height))) == (595, 842)


def test_signed_consent_embeds_signatures_and_times(practitioner):
    intake = clear_intake(practitioner, INTERPRETER, clinician=INTERPRETER_BOOKED)
    signed_at = timezone.make_aware(datetime.datetime(2026, 11, 20, 14, 5))
    consent = Consent(
        intake=intake,
        status=Consent.Status.SIGNED,
        method=Consent.Method.TABLET,
        consent_text_version=documents.CONSENT_TEXT_VERSION,
        screening=selectors.latest_screening(intake),
        signer_name="Jamie Example",
        signer_role=Consent.SignerRole.PATIENT,
        patient_signature=png_bytes("navy"),
        patient_signed_at=signed_at,
        interpreter_name="Ola Nowak",
        interpreter_language="Polish",
        interpreter_mode=Consent.InterpreterMode.PHONE,
        interpreter_signature=memoryview(png_bytes("teal")),  # as PostgreSQL returns it
        practitioner=practitioner,
        practitioner_signature=png_bytes("black"),
        practitioner_signed_at=signed_at,
        signed_at=signed_at,
    )

    data = pdf.render_consent(intake, consent)
    text = text_of(data)
    # Pages share one resource dictionary, so count distinct images, not per page.
    images = {image.name for page in PdfReader(io.BytesIO(data)).pages for image in page.images}

    assert len(images) == 3
    assert "Ola Nowak" in text and "By phone" in text
    assert "20 November 2026, 14:05" in text


def test_not_a_png_is_not_embedded():
    assert documents.png_data_uri(b"GIF89a...") == ""
    assert documents.png_data_uri(None) == ""
    assert documents.png_data_uri(png_bytes()).startswith("data:image/png;base64,")


def test_consent_body_partial_on_screen_leaves_out_signature_blocks(practitioner):
    intake = clear_intake(practitioner, WARFARIN)
    context = documents.consent_context(intake)

    screen = render_to_string("screening/pdf/_consent_body.html", {"c": context, "on_screen": True})

    assert "Your own health: what needs extra care" in screen
    assert BLEED_PATIENT_WORDING in screen
    assert MITIGATION not in screen
    assert "I agree to dry needling as described in this form." in screen
    assert 'id="patient-block"' not in screen and 'id="practitioner-block"' not in screen
    assert 'id="patient-block"' in pdf.consent_html(intake)


def test_list_bullets_are_printed_as_text_in_the_pdf_only(practitioner):
    """The PDF starts list items with a text bullet (cheaper to lay out than ::before); the
    signing screens keep the browser's list markers and print no bullet of their own."""
    intake = clear_intake(practitioner, WARFARIN)
    context = documents.consent_context(intake)

    screen = render_to_string("screening/pdf/_consent_body.html", {"c": context, "on_screen": True})
    consent = text_of(pdf.render_consent(intake))
    aftercare = text_of(pdf.render_aftercare(intake))

    assert "•" not in screen
    assert "• Needle left in place." in consent.replace("\u2002", " ")
    assert "• Bruising where a needle went in" in consent.replace("\u2002", " ")
    assert "• Small bruises, or a drop of blood" in aftercare.replace("\u2002", " ")
    # The agreement's statements are check boxes, not bullets.
    assert "• I agree to dry needling" not in consent.replace("\u2002", " ")


# ---------------------------------------------------------------------------------------------
# Page layout: no page of a few stray lines


LAYOUT_CASES = {
    "no flags": ({}, ("manual_static",), ("lumbar",)),
    # Once printed its sources alone on a fourth page.
    "one flag": (
        {"skin_prep_or_adhesive_allergy": {"answer": True}},
        ("manual_static",),
        ("lumbar",),
    ),
    "many flags": (
        {
            **WARFARIN,
            "anxiety_mental_health": {"answer": True},
            "fainting_history": {"answer": True},
            "diabetes": {"answer": True},
            "metal_allergy": {"answer": True},
            "latex_allergy": {"answer": True},
            "frailty": {"answer": True},
            "lung_disease_or_previous_pneumothorax": {"answer": True},
        },
        ("manual_static", "pistoning"),
        ("shoulder_girdle_left", "lumbar"),
    ),
    # Once printed its aftercare sources alone on page 2.
    "e-stim, no flags": ({}, ("manual_static", "estim"), ("knee_left", "thigh_left")),
}
MIN_LINES_PER_PAGE = 8


def page_lines(data: bytes) -> list[list[str]]:
    """Each page's text lines, without the running footer (patient, version and page number)."""
    reader = PdfReader(io.BytesIO(data))
    pages = []
    for page in reader.pages:
        lines = [line.strip() for line in page.extract_text().splitlines() if line.strip()]
        pages.append([line for line in lines if "Page " not in line and "Patient: " not in line])
    return pages


@pytest.mark.parametrize("case", list(LAYOUT_CASES))
def test_consent_pages_are_never_a_few_stray_lines(practitioner, case):
    extra, techniques, regions = LAYOUT_CASES[case]
    intake = clear_intake(practitioner, extra, techniques=techniques, regions=regions)

    pages = page_lines(pdf.render_consent(intake))
    last = " ".join(pages[-1])

    assert min(len(lines) for lines in pages) >= MIN_LINES_PER_PAGE, [len(p) for p in pages]
    # The agreement, the signature blocks under it and the sources end the form together.
    assert "10. Your agreement" in last
    assert "I agree to dry needling as described in this form." in last
    assert "Name, profession and registration" in last
    assert "Sources (marked R1, R5" in last


@pytest.mark.parametrize("case", list(LAYOUT_CASES))
def test_aftercare_sources_never_stand_alone_on_a_page(practitioner, case):
    extra, techniques, regions = LAYOUT_CASES[case]
    intake = clear_intake(practitioner, extra, techniques=techniques, regions=regions)

    pages = page_lines(pdf.render_aftercare(intake))
    last = " ".join(pages[-1])

    assert len(pages) <= 2
    assert "Based on: Brady" in last
    assert last.index("Based on: Brady") > 0  # something of the sheet itself comes first
    assert min(len(lines) for lines in pages) >= MIN_LINES_PER_PAGE - 2, [len(p) for p in pages]


def test_with_an_interpreter_the_agreement_stays_with_the_patients_signature(practitioner):
    intake = clear_intake(practitioner, INTERPRETER, clinician=INTERPRETER_BOOKED)

    pages = [" ".join(lines) for lines in page_lines(pdf.render_consent(intake))]
    agreement = next(page for page in pages if "10. Your agreement" in page)

    assert agreement.index("I agree to dry needling") < agreement.index("Patient Name:")
    assert "Sources (marked R1, R5" in pages[-1] and "Practitioner" in pages[-1]


# ---------------------------------------------------------------------------------------------
# Escaping and long text


def test_patient_typed_script_and_long_word_are_escaped_and_wrap(practitioner):
    long_word = "W" * 2000
    typed = f"<script>alert(1)</script> {long_word}"
    intake = clear_intake(
        practitioner,
        {"interpreter_needed": {"answer": True, "language": typed}},
        clinician=INTERPRETER_BOOKED,
    )

    html = pdf.consent_html(intake)
    data = pdf.render_consent(intake)
    reader = PdfReader(io.BytesIO(data))
    lines = [line for page in reader.pages for line in page.extract_text().splitlines()]

    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" in text_of(data)
    longest_run = max(len(run) for line in lines for run in re.findall(r"W+", line))
    assert longest_run < 200  # the 2,000-character word was broken across many lines
    assert sum(line.count("W") for line in lines) >= 2 * 2000  # flag detail and interpreter


# ---------------------------------------------------------------------------------------------
# Availability


def test_documents_unavailable_before_review(practitioner):
    intake = make_submitted_intake({}, practitioner=practitioner)

    available, reason = documents.documents_available(intake)

    assert available is False
    assert reason == "The practitioner has not cleared this patient yet."
    with pytest.raises(pdf.DocumentUnavailable, match="not cleared"):
        pdf.render_consent(intake)
    with pytest.raises(pdf.DocumentError):
        pdf.render_aftercare(intake)


def test_documents_unavailable_for_not_today(practitioner):
    intake = make_submitted_intake({}, practitioner=practitioner)
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake.refresh_from_db()
    services.review_decide(
        actor=practitioner,
        intake=intake,
        decision=Intake.Decision.NOT_TODAY,
        note="Feverish today; rebook next week.",
        expected_version=intake.version,
    )
    intake.refresh_from_db()

    available, reason = documents.documents_available(intake)

    assert available is False
    assert "decided not to needle today" in reason


def test_documents_unavailable_when_a_later_screening_raised_an_unresolved_flag(practitioner):
    intake = clear_intake(practitioner)
    assert documents.documents_available(intake) == (True, "")
    # A later re-screen (for example after a clinician check) finds a new flag.
    answers = {**intake.answers, "anxiety_mental_health": {"answer": True}}
    Intake.objects.filter(pk=intake.pk).update(answers=answers)
    intake.refresh_from_db()
    with transaction.atomic():
        services.screening_run(
            intake=intake, trigger=ScreeningResult.Trigger.CLINICIAN, actor=practitioner
        )

    available, reason = documents.documents_available(intake)

    assert available is False
    assert "not resolved" in reason
    assert "Anxiety or other mental-health condition" in reason


def test_documents_available_for_cleared_intake(practitioner):
    intake = clear_intake(practitioner, WARFARIN)

    assert documents.documents_available(intake) == (True, "")


# ---------------------------------------------------------------------------------------------
# The asset fetcher and the error boundary


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/font.ttf",
        "https://example.com/style.css",
        "file:///etc/passwd",
        (pdf.STATIC_DIR / "screening" / ".." / ".." / "pyproject.toml").as_uri(),
        pdf.STATIC_DIR.as_uri() + "/screening/../../pyproject.toml",
        pdf.STATIC_DIR.as_uri() + "/screening/css/missing.css",
        "file://otherhost" + str(pdf.STATIC_DIR / "screening" / "css" / "print.css"),
        "ftp://example.com/x",
        "javascript:alert(1)",
    ],
)
def test_fetcher_refuses_everything_but_bundled_files(url):
    with pytest.raises(pdf.AssetRefused):
        pdf.AssetFetcher().fetch(url)


def test_fetcher_serves_bundled_static_files_and_data_uris():
    fetcher = pdf.AssetFetcher()

    css = fetcher.fetch((pdf.STATIC_DIR / "screening" / "css" / "print.css").as_uri())
    data = fetcher.fetch("data:text/plain;base64," + base64.b64encode(b"hello").decode())

    assert b"@font-face" in css.read()
    assert data.read() == b"hello"


@pytest.mark.parametrize(
    "body",
    [
        '<img src="http://example.com/tracker.png">',
        '<img src="https://example.com/tracker.png">',
        '<img src="file:///etc/passwd">',
        '<img src="../../pyproject.toml">',
        '<img src="screening/missing.png">',
        '<link rel="stylesheet" href="https://example.com/x.css">',
    ],
)
def test_refused_asset_stops_rendering_with_an_ordinary_exception(body):
    with pytest.raises(pdf.DocumentError) as caught:
        pdf.render_html(html_page(body))

    assert isinstance(caught.value, Exception)
    assert isinstance(caught.value.__cause__, pdf.AssetRefused)


def test_data_uri_image_renders():
    data = pdf.render_html(html_page(f'<p>Signed</p><img src="{data_uri_png()}" alt="">'))

    assert data.startswith(b"%PDF")
    assert len(PdfReader(io.BytesIO(data)).pages[0].images) == 1


def test_plain_two_page_baseline_has_two_pages():
    assert len(PdfReader(io.BytesIO(pdf.plain_two_page_pdf())).pages) == 2


def test_rendering_logs_nothing_at_the_app_default_info_level(practitioner, caplog):
    intake = clear_intake(practitioner)

    with caplog.at_level(logging.INFO):
        pdf.render_consent(intake)
        pdf.render_aftercare(intake)

    noisy = [r for r in caplog.records if r.name.startswith(("weasyprint", "fontTools"))]
    assert noisy == []


def test_documents_word_the_pregnancy_with_the_thresholds_the_screening_used(practitioner):
    intake = clear_intake(
        practitioner, {"pregnancy": {"answer": "yes", "weeks": 13, "complications": False}}
    )
    settings_row = ClinicSettings.load()
    services.clinic_settings_update(
        actor=practitioner,
        changes={"first_trimester_weeks": 12},
        expected_version=settings_row.version,
        reason="Adviser's letter",
    )

    context = documents.consent_context(intake)

    # Screened with the 14-week threshold: 13 weeks is the first trimester, as its flag says.
    assert context["pregnancy"]["trimester"] == "first"
