"""The patient's wording of each rule's modification, and how it reaches the consent form.

Every rule with a clinician-facing ``modification`` carries a ``patient_modification``: plain
English for a reading age of about 12, addressed to the patient, with no jargon, abbreviations,
ids or source tags. Findings merge it like the modification, the stored screening JSON carries
it, and the consent prints it (or the practitioner's own wording) instead of the mitigation.
"""

from __future__ import annotations

import random
import re

import pytest

from screening import documents, selectors, services
from screening.engine import questionnaire, regions, synthetic
from screening.engine.rules import RULES, RULES_BY_CODE, Plan, evaluate
from screening.forms import ResolutionForm
from screening.models import AuditEvent, FlagResolution
from tests.factories import make_submitted_intake, resolve_and_clear, set_plan

WORDED_RULES = [rule for rule in RULES if rule.modification]

# Clinical terms and abbreviations a patient should not have to know. Matched as whole words or
# phrases, case-insensitively.
JARGON = (
    "INR",
    "DVT",
    "e-stim",
    "estim",
    "pistoning",
    "web space",
    "trapezius",
    "pleura",
    "pleural",
    "contraindication",
    "contraindicated",
    "mitigation",
    "precaution",
    "precautions",
    "pneumothorax",
    "haematology",
    "hematology",
    "obstetric",
    "oncology",
    "asepsis",
    "aseptic",
    "antiseptic",
    "anticoagulant",
    "antithrombotic",
    "antiplatelet",
    "platelet",
    "platelets",
    "neutropenia",
    "lymphoedema",
    "quadrant",
    "limb",
    "capsule",
    "hardware",
    "medial",
    "lateral",
    "anterior",
    "posterior",
    "lumbar",
    "sacral",
    "thoracic",
    "cervical",
    "abdomen",
    "trimester",
    "tangential",
    "bracketing",
    "pincer",
    "ultrasound",
    "varicose",
    "aneurysm",
    "thrombophlebitis",
    "metastasis",
    "allodynia",
    "hyperalgesia",
    "vasovagal",
    "syncope",
    "capacity check",
    "incision",
    "defer",
    "monitor",
    "BMI",
    "ICD",
    "VKA",
    "DOAC",
    "clearance",
    "sign-off",
    "region",
)
# Every id the app uses: items, regions and their aliases, techniques (as written, and with
# the underscores read as spaces).
IDS = sorted(
    {*questionnaire.ITEMS, *regions.REGIONS, *regions.ALIASES, *regions.TECHNIQUES},
    key=len,
    reverse=True,
)
OPENERS = ("Your practitioner ", "We ", "You ")
MAX_WORDS = 40


def _words_pattern(phrases) -> re.Pattern:
    return re.compile(
        r"(?<![\w-])(" + "|".join(re.escape(p) for p in phrases) + r")(?![\w-])", re.IGNORECASE
    )


JARGON_PATTERN = _words_pattern(JARGON)
ID_PATTERN = _words_pattern({*IDS, *(i.replace("_", " ") for i in IDS)})
SOURCE_TAG = re.compile(r"\[|\]|\b[GRC]\d+[a-z]?\b")
ABBREVIATION = re.compile(r"\b[A-Z]{2,}\b")


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=\.)\s+", text.strip()) if s]


# ---------------------------------------------------------------------------------------------
# The rule table


def test_every_rule_with_a_modification_has_patient_wording():
    missing = [rule.code for rule in WORDED_RULES if not rule.patient_modification.strip()]

    assert missing == []
    # ...and no rule has patient wording for a modification it does not have.
    assert [r.code for r in RULES if r.patient_modification and not r.modification] == []


@pytest.mark.parametrize("rule", WORDED_RULES, ids=lambda rule: rule.code)
def test_patient_wording_uses_no_jargon_ids_tags_or_abbreviations(rule):
    text = rule.patient_modification

    assert JARGON_PATTERN.findall(text) == [], text
    assert ID_PATTERN.findall(text) == [], text
    assert "_" not in text
    assert SOURCE_TAG.findall(text) == [], text
    assert ABBREVIATION.findall(text) == [], text
    assert rule.code not in text and "DN-" not in text


@pytest.mark.parametrize("rule", WORDED_RULES, ids=lambda rule: rule.code)
def test_patient_wording_speaks_to_the_patient_in_short_full_sentences(rule):
    text = rule.patient_modification

    assert text.startswith(("Your practitioner ", "We ")), text
    assert text == text.strip() and "  " not in text
    assert re.search(r"\b(you|your)\b", text, re.IGNORECASE), text
    for sentence in sentences(text):
        assert sentence.startswith(OPENERS), sentence
        assert sentence.endswith("."), sentence
        assert len(sentence.split()) <= MAX_WORDS, sentence


def test_patient_wording_says_why_for_most_rules():
    """What the practitioner does differently and why: most sentences give their reason."""
    with_reason = [
        rule.code
        for rule in WORDED_RULES
        if re.search(r"\b(because|so that|to keep)\b", rule.patient_modification)
    ]

    assert len(with_reason) >= 0.8 * len(WORDED_RULES)


def test_the_jargon_check_catches_clinician_wording():
    """The checks above are not vacuous: the clinician's own wording fails them."""
    caught = [
        rule.code
        for rule in WORDED_RULES
        if JARGON_PATTERN.search(rule.modification)
        or ID_PATTERN.search(rule.modification)
        or ABBREVIATION.search(rule.modification)
    ]

    assert {"DN-BLEED-VKA", "DN-PREG", "DN-LUNG-DISEASE", "DN-BLEED-INR"} <= set(caught)


# ---------------------------------------------------------------------------------------------
# Findings: merged like the modification, serialised with the finding


def test_a_single_hit_carries_its_rules_patient_wording():
    result = evaluate({"frailty": {"answer": True}}, Plan(frozenset({"manual_static"}), {"lumbar"}))

    (finding,) = result.findings
    assert finding.patient_modification == RULES_BY_CODE["DN-FRAILTY"].patient_modification
    assert finding.as_dict()["patient_modification"] == finding.patient_modification


def test_merged_finding_carries_every_rules_patient_wording_in_order_without_repeats():
    answers = {"blood_thinner_use": {"answer": True, "agents": ["warfarin", "aspirin"]}}

    (finding,) = evaluate(answers, Plan(frozenset({"manual_static"}), {"lumbar"})).findings

    assert finding.codes == ("DN-BLEED-INR-UNKNOWN", "DN-BLEED-DUAL")
    assert finding.patient_modification == (
        RULES_BY_CODE["DN-BLEED-INR-UNKNOWN"].patient_modification
        + " "
        + RULES_BY_CODE["DN-BLEED-DUAL"].patient_modification
    )


def test_merged_finding_drops_a_repeated_patient_sentence():
    # Two rules of the same item share one sentence: it is printed once.
    answers = {
        "bleeding_disorder": {
            "answer": True,
            "diagnosis": "haemophilia",
            "severity": "severe",
            "platelet_count_x10e9_per_l": 30,
        }
    }

    (finding,) = evaluate(answers, Plan(frozenset({"manual_static"}), {"lumbar"})).findings

    assert len(finding.codes) == 2
    assert (
        finding.patient_modification
        == RULES_BY_CODE["DN-BLEED-DISORDER-SEVERE"].patient_modification
    )


def test_every_finding_merges_patient_wording_like_the_modification():
    rng = random.Random(23)
    seen_merged = False
    for answers, planned in synthetic.build_cases(300, seed=23):
        for finding in evaluate(answers, planned if rng.random() < 0.8 else None).findings:
            hit_rules = [RULES_BY_CODE[code] for code in finding.codes]
            seen_merged = seen_merged or len({r.patient_modification for r in hit_rules}) > 1
            for rule in hit_rules:
                assert rule.patient_modification in finding.patient_modification
            assert bool(finding.modification) == bool(finding.patient_modification)
    assert seen_merged


@pytest.mark.django_db
def test_the_stored_screening_carries_patient_wording(practitioner):
    intake = make_submitted_intake({"frailty": {"answer": True}}, practitioner=practitioner)
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])

    (stored,) = selectors.latest_screening(intake).findings

    assert stored["patient_modification"] == RULES_BY_CODE["DN-FRAILTY"].patient_modification
    assert stored["modification"] == RULES_BY_CODE["DN-FRAILTY"].modification


# ---------------------------------------------------------------------------------------------
# The practitioner's own wording: form, service, audit


def test_resolution_form_has_an_optional_patient_wording_field():
    form = ResolutionForm({"version": 1, "item": "frailty", "mitigation": "Lying down."})
    field = ResolutionForm.base_fields["patient_wording"]

    assert form.is_valid(), form.errors
    assert form.cleaned_data["patient_wording"] == ""
    assert field.required is False
    assert field.max_length == ResolutionForm.base_fields["mitigation"].max_length
    assert field.label == "Wording for the patient (printed on the consent)"
    assert field.help_text == (
        "Plain words the patient will read. Leave empty to use the suggested wording."
    )
    too_long = ResolutionForm(
        {"version": 1, "item": "frailty", "patient_wording": "x" * (field.max_length + 1)}
    )
    assert not too_long.is_valid() and "patient_wording" in too_long.errors


@pytest.mark.django_db
def test_flag_resolve_stores_patient_wording_stripped_and_audits_that_there_is_some(
    practitioner,
):
    intake = make_submitted_intake({"frailty": {"answer": True}}, practitioner=practitioner)
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake.refresh_from_db()

    resolution = services.flag_resolve(
        actor=practitioner,
        intake=intake,
        item="frailty",
        mitigation="Supine, max 4 needles, obs.",
        patient_wording="  You will lie down and we will use only a few needles.  ",
        expected_version=intake.version,
    )

    resolution.refresh_from_db()
    assert resolution.patient_wording == "You will lie down and we will use only a few needles."
    event = AuditEvent.objects.get(action="review.resolve", object_id=str(resolution.pk))
    assert event.object_type == "FlagResolution"
    assert event.detail == {
        "item": "frailty",
        "level": "relative",
        "kind": "acknowledged",
        "patient_wording": True,
    }
    # The audit records that there is wording, never the words (nor the mitigation).
    assert "few needles" not in str(event.detail) and "Supine" not in str(event.detail)


@pytest.mark.django_db
def test_flag_resolve_without_patient_wording_stores_an_empty_string(practitioner):
    intake = make_submitted_intake({"frailty": {"answer": True}}, practitioner=practitioner)
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    intake.refresh_from_db()

    resolution = services.flag_resolve(
        actor=practitioner,
        intake=intake,
        item="frailty",
        mitigation="Supine.",
        expected_version=intake.version,
    )

    assert FlagResolution.objects.get(pk=resolution.pk).patient_wording == ""
    event = AuditEvent.objects.get(action="review.resolve", object_id=str(resolution.pk))
    assert event.detail["patient_wording"] is False


# ---------------------------------------------------------------------------------------------
# What the consent prints for each flag


def _cleared(practitioner, extra, *, wording=None, justification="", mitigation="Supine only."):
    intake = make_submitted_intake(extra, practitioner=practitioner)
    set_plan(intake, practitioner, ["manual_static"], ["lumbar"])
    return resolve_and_clear(
        intake, practitioner, mitigation=mitigation, justification=justification, wording=wording
    )


def _risk(intake, item):
    risks = documents.consent_context(intake)["personal_risks"]
    return next(risk for risk in risks if risk["item"] == item)


@pytest.mark.django_db
def test_consent_prints_the_rules_patient_wording_not_the_mitigation(practitioner):
    intake = _cleared(practitioner, {"frailty": {"answer": True}})

    risk = _risk(intake, "frailty")

    assert risk["patient_wording"] == RULES_BY_CODE["DN-FRAILTY"].patient_modification
    assert "Supine only." not in str(documents.consent_context(intake))


@pytest.mark.django_db
def test_consent_prefers_the_practitioners_own_patient_wording(practitioner):
    own = "We will keep your treatment short and you will lie down."
    intake = _cleared(practitioner, {"frailty": {"answer": True}}, wording={"frailty": own})

    assert _risk(intake, "frailty")["patient_wording"] == own


@pytest.mark.django_db
def test_consent_falls_back_to_a_generic_sentence_for_findings_stored_without_the_key(
    practitioner,
):
    intake = _cleared(practitioner, {"frailty": {"answer": True}})
    screening = selectors.latest_screening(intake)
    # A snapshot stored before the patient wording existed.
    screening.findings = [
        {k: v for k, v in f.items() if k != "patient_modification"} for f in screening.findings
    ]
    screening.save(update_fields=["findings"])

    assert _risk(intake, "frailty")["patient_wording"] == documents.GENERIC_PATIENT_WORDING
    assert documents.GENERIC_PATIENT_WORDING == (
        "Your practitioner will adapt the treatment for this and will explain how before starting."
    )


@pytest.mark.django_db
def test_an_override_prints_a_plain_statement_never_the_justification(practitioner):
    justification = "INR 3.6 but stable on repeat; superficial compressible sites only."
    intake = _cleared(
        practitioner,
        {"blood_thinner_use": {"answer": True, "agents": ["warfarin"], "latest_inr": 3.6}},
        justification=justification,
    )

    risk = _risk(intake, "blood_thinner_use")

    assert risk["override"] is True
    assert risk["patient_wording"] == documents.GENERIC_OVERRIDE_WORDING
    # Not the rule's wording for an absolute flag, which says what happens when not going ahead.
    assert risk["patient_wording"] != RULES_BY_CODE["DN-BLEED-INR"].patient_modification
    assert justification not in str(documents.consent_context(intake))


@pytest.mark.django_db
def test_an_override_prints_the_practitioners_own_patient_wording(practitioner):
    own = "Your blood test today was in the safe range, so your practitioner will go ahead gently."
    intake = _cleared(
        practitioner,
        {"blood_thinner_use": {"answer": True, "agents": ["warfarin"], "latest_inr": 3.6}},
        justification="INR 3.6 but stable on repeat; superficial compressible sites only.",
        wording={"blood_thinner_use": own},
    )

    assert _risk(intake, "blood_thinner_use")["patient_wording"] == own
