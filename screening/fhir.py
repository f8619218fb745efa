"""HL7 FHIR R4 (4.0.1) resources built from the questionnaire, the intakes and their screenings.

JSON-ready dicts, no FHIR library at run time (the tests validate every resource against
``fhir.resources``). The shapes, decided here and described in the README:

* **Questionnaire** ``dn-intake``, canonical ``{FHIR_BASE_URL}/Questionnaire/dn-intake`` with
  ``version`` = ``questionnaire.VERSION``. Every section with questions is a ``group``
  (``linkId`` ``section.<id>``); a yes/no or one-answer item is a question whose ``linkId`` is
  the item id, its follow-ups nested under it (``<item>.<follow-up>``); an item whose answer is
  derived (age, last meal, needling before, height and weight) is a ``group`` holding the
  derived answer (read-only, ``<item>.answer``) and its follow-ups. Enable conditions become
  ``enableWhen`` (``eq`` -> ``=``; ``in``/``any_of`` -> one ``=`` per value with
  ``enableBehavior: any``; ``answered`` -> ``exists``); a condition that another condition of
  the same follow-up already implies is left out, because FHIR cannot say "(a or b) and c".
* Body regions are the code system ``{base}/CodeSystem/body-regions``; the other answer options
  are codes local to their question (no system), with the patient's words as display.
* **QuestionnaireResponse** per submitted intake, id = the intake's public id, answers as the
  engine reads them (``selectors.screening_answers``: derived values recomputed, aliases of
  regions expanded, disabled follow-ups dropped), the patient a contained ``Patient``.
* **RiskAssessment** per screening: one ``prediction`` per flag, its ``outcome`` coded by the
  rule code(s) in ``{base}/CodeSystem/screening-rules`` at the rule-set version, and worded;
  ``qualitativeRisk`` in ``{base}/CodeSystem/screening-levels``.
* The practitioner's decision is a **Provenance** whose target is that RiskAssessment (see the
  README for why not an extension).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils import timezone

from screening import selectors
from screening.engine import questionnaire as q
from screening.engine import regions, rules
from screening.models import Decision, Intake, ScreeningResult
from screening.wording import item_title, plain_words

QUESTIONNAIRE_ID = "dn-intake"

EXT_MIN = "http://hl7.org/fhir/StructureDefinition/minValue"
EXT_MAX = "http://hl7.org/fhir/StructureDefinition/maxValue"
EXT_UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
EXT_HIDDEN = "http://hl7.org/fhir/StructureDefinition/questionnaire-hidden"
EXT_ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
UCUM = "http://unitsofmeasure.org"
PROVENANCE_PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"

# The questionnaire's units as UCUM codes (the display stays the patient's words).
_UCUM_CODES = {
    "years": "a",
    "hours": "h",
    "days": "d",
    "weeks": "wk",
    "months": "mo",
    "cm": "cm",
    "kg": "kg",
    "kg/m²": "kg/m2",
    "°C": "Cel",
    "×10⁹/L": "10*9/L",
}

LEVEL_CODES = {
    rules.ABSOLUTE: ("contraindication", "Contraindication"),
    rules.RELATIVE: ("precaution", "Precaution"),
}
OUTCOME_DISPLAY = {
    "clear": "Clear",
    "precaution": "Precaution",
    "contraindicated": "Contraindicated",
}

# Fixed, so that a resource's id stays the same however often it is generated.
_ID_NAMESPACE = uuid.UUID("5f0c7a52-8d1e-4a51-9a0a-3f2de8c1b6a1")


# ----------------------------------------------------------------------------------------------
# Addresses


def base_url() -> str:
    return settings.FHIR_BASE_URL


def questionnaire_url() -> str:
    return f"{base_url()}/Questionnaire/{QUESTIONNAIRE_ID}"


def code_system_url(name: str) -> str:
    return f"{base_url()}/CodeSystem/{name}"


def patient_identifier_system() -> str:
    return f"{base_url()}/NamingSystem/patient-id"


def _instant(value) -> str:
    return timezone.localtime(value, datetime.UTC).isoformat(timespec="milliseconds")


# ----------------------------------------------------------------------------------------------
# linkIds


def section_link_id(section_id: str) -> str:
    return f"section.{section_id}"


def answer_link_id(definition: q.Item) -> str:
    """Where an item's main answer lives: the item id, or ``<item>.answer`` when derived."""
    if definition.answer_kind == q.ANSWER_DERIVED:
        return f"{definition.id}.answer"
    return definition.id


def field_link_id(definition: q.Item, field_id: str) -> str:
    if field_id == "answer":
        return answer_link_id(definition)
    return f"{definition.id}.{field_id}"


# ----------------------------------------------------------------------------------------------
# Code systems


def regions_code_system() -> dict:
    """The body regions of clinical reference §2.1, with the labels patients read."""
    return _code_system(
        "body-regions",
        "BodyRegions",
        "Body regions",
        "Areas of the body map; left and right are the patient's own sides.",
        [{"code": code, "display": label} for code, label in regions.REGIONS.items()],
    )


def levels_code_system() -> dict:
    return _code_system(
        "screening-levels",
        "ScreeningLevels",
        "Screening flag levels",
        "How strongly a screening flag weighs against needling today.",
        [
            {
                "code": "contraindication",
                "display": "Contraindication",
                "definition": "Do not needle (here, or today) unless a practitioner overrides "
                "it with a written clinical justification.",
            },
            {
                "code": "precaution",
                "display": "Precaution",
                "definition": "Needling may go ahead with the modification the practitioner "
                "records.",
            },
        ],
    )


def decisions_code_system() -> dict:
    return _code_system(
        "review-decisions",
        "ReviewDecisions",
        "Practitioner decisions",
        "The practitioner's decision after reviewing a screened questionnaire.",
        [{"code": value, "display": str(label)} for value, label in Intake.Decision.choices],
    )


def outcomes_code_system() -> dict:
    return _code_system(
        "screening-outcomes",
        "ScreeningOutcomes",
        "Screening outcomes",
        "The overall outcome of one screening.",
        [{"code": code, "display": display} for code, display in OUTCOME_DISPLAY.items()],
    )


def rules_code_system() -> dict:
    """The screening rules: one code per rule (permanent, never reused), and ``ruleset`` for
    the rule set as a whole (RiskAssessment.method). The version is the rule-set version."""
    concepts = [
        {
            "code": "ruleset",
            "display": "Dry-needling contraindication screening rules",
        }
    ]
    concepts += [
        {
            "code": rule.code,
            "display": f"{item_title(rule.item)} ({rule.level})",
            "definition": plain_words(rule.rationale),
        }
        for rule in rules.RULES
    ]
    return _code_system(
        "screening-rules",
        "ScreeningRules",
        "Screening rules",
        "The rules that screen a questionnaire before dry needling, each with its rationale.",
        concepts,
    )


CODE_SYSTEMS = {
    "body-regions": regions_code_system,
    "screening-rules": rules_code_system,
    "screening-levels": levels_code_system,
    "review-decisions": decisions_code_system,
    "screening-outcomes": outcomes_code_system,
}


def _code_system(cs_id: str, name: str, title: str, description: str, concepts) -> dict:
    return {
        "resourceType": "CodeSystem",
        "id": cs_id,
        "url": code_system_url(cs_id),
        "version": q.VERSION if cs_id == "body-regions" else rules.RULESET_VERSION,
        "name": name,
        "title": title,
        "status": "active",
        "description": description,
        "caseSensitive": True,
        "content": "complete",
        "count": len(concepts),
        "concept": list(concepts),
    }


# ----------------------------------------------------------------------------------------------
# The Questionnaire


def questionnaire(thresholds: q.DerivationThresholds | None = None) -> dict:
    """The patient questionnaire as a FHIR Questionnaire, texts filled with the clinic's
    thresholds (the wizard asks "in the last 24 hours" with the clinic's own number)."""
    thresholds = thresholds or selectors.clinic_thresholds()
    groups = []
    for section in q.SECTIONS:
        if not section.items:
            continue
        children = [_display(f"{section_link_id(section.id)}.intro", section.intro)]
        children += [_item(q.item(item_id), thresholds) for item_id in section.items]
        groups.append(
            {
                "linkId": section_link_id(section.id),
                "text": section.title,
                "type": "group",
                "item": children,
            }
        )
    return {
        "resourceType": "Questionnaire",
        "id": QUESTIONNAIRE_ID,
        "url": questionnaire_url(),
        "version": q.VERSION,
        "name": "DryNeedlingIntake",
        "title": "Health questions before dry needling",
        "status": "active",
        "subjectType": ["Patient"],
        "description": "The questions a patient answers before dry needling, with the "
        "follow-ups each answer calls for.",
        "item": groups,
    }


def _display(link_id: str, text: str) -> dict:
    return {"linkId": link_id, "text": text, "type": "display"}


def _help(link_id: str, text: str) -> dict:
    return {
        **_display(f"{link_id}.help", text),
        "extension": [
            {
                "url": EXT_ITEM_CONTROL,
                "valueCodeableConcept": {
                    "coding": [{"system": ITEM_CONTROL_SYSTEM, "code": "help"}]
                },
            }
        ],
    }


def _item(definition: q.Item, thresholds) -> dict:
    follow_ups = [_follow_up(definition, f, thresholds) for f in definition.follow_ups]
    question_text = definition.question_text(thresholds)
    if definition.answer_kind == q.ANSWER_DERIVED:
        derived_answer = {
            "linkId": answer_link_id(definition),
            "text": definition.title,
            "type": "boolean",
            "readOnly": True,
            "extension": [{"url": EXT_HIDDEN, "valueBoolean": True}],
        }
        node = {"linkId": definition.id, "text": question_text, "type": "group"}
        children = [derived_answer, *follow_ups]
    else:
        node = {"linkId": definition.id, "text": question_text}
        if definition.answer_kind == q.ANSWER_CHOICE:
            node["type"] = "choice"
            node["answerOption"] = [_option(c) for c in definition.answer_choices]
        else:
            node["type"] = "boolean"
        node["required"] = not definition.optional
        children = follow_ups
    if definition.help:
        children = [_help(definition.id, definition.help), *children]
    if children:
        node["item"] = children
    return node


def _option(choice: q.Choice) -> dict:
    return {"valueCoding": {"code": choice.value, "display": choice.label}}


def _follow_up(definition: q.Item, follow_up: q.FollowUp, thresholds) -> dict:
    link_id = field_link_id(definition, follow_up.id)
    node: dict[str, Any] = {"linkId": link_id, "text": follow_up.label_text(thresholds)}
    extensions = []
    kind = follow_up.kind
    if kind == q.YES_NO:
        node["type"] = "boolean"
    elif kind in (q.CHOICE, q.MULTI_CHOICE):
        node["type"] = "choice"
        node["answerOption"] = [_option(c) for c in follow_up.choices]
    elif kind == q.REGIONS:
        node["type"] = "choice"
        system = code_system_url("body-regions")
        node["answerOption"] = [
            {"valueCoding": {"system": system, "code": code, "display": label}}
            for code, label in regions.REGIONS.items()
        ]
    elif kind in q.NUMBER_KINDS:
        node["type"] = "integer" if kind == q.INTEGER else "decimal"
        value_key = "valueInteger" if kind == q.INTEGER else "valueDecimal"
        cast = int if kind == q.INTEGER else _decimal
        extensions.append({"url": EXT_MIN, value_key: cast(follow_up.min)})
        extensions.append({"url": EXT_MAX, value_key: cast(follow_up.max)})
        if follow_up.unit:
            coding = {"display": follow_up.unit}
            if follow_up.unit in _UCUM_CODES:
                coding = {"system": UCUM, "code": _UCUM_CODES[follow_up.unit], **coding}
            extensions.append({"url": EXT_UNIT, "valueCoding": coding})
    else:
        node["type"] = "string"
    if kind in (q.MULTI_CHOICE, q.REGIONS):
        node["repeats"] = True
    if follow_up.derived or follow_up.clinician_only:
        node["readOnly"] = True
    if follow_up.clinician_only:
        # Staff record these; the patient never sees them.
        extensions.append({"url": EXT_HIDDEN, "valueBoolean": True})
    elif follow_up.required and not follow_up.derived:
        node["required"] = True
    if extensions:
        node["extension"] = extensions
    enable_when = _enable_when(definition, follow_up)
    if enable_when:
        node["enableWhen"] = enable_when
        if len(enable_when) > 1:
            multi = any(c.op in ("in", "any_of") for c in _needed_conditions(definition, follow_up))
            node["enableBehavior"] = "any" if multi else "all"
    if follow_up.help:
        node["item"] = [_help(link_id, follow_up.help)]
    return node


def _decimal(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _needed_conditions(definition: q.Item, follow_up: q.FollowUp) -> tuple[q.When, ...]:
    """The follow-up's conditions without those that another of them implies: a condition on
    a field holds only when that field is answered, hence enabled, hence its own conditions
    hold (``inr_days_ago`` needs a vitamin-K antagonist *and* an INR; the INR is asked only
    after such an agent, so the second condition says it all)."""
    conditions = follow_up.enable_when
    implied: set[q.When] = set()
    pending = [c.field for c in conditions if c.field != "answer"]
    seen: set[str] = set()
    while pending:
        field_id = pending.pop()
        if field_id in seen:
            continue
        seen.add(field_id)
        for condition in definition.follow_up(field_id).enable_when:
            implied.add(condition)
            if condition.field != "answer":
                pending.append(condition.field)
    needed = tuple(c for c in conditions if c not in implied)
    multi = [c for c in needed if c.op in ("in", "any_of")]
    if multi and len(needed) > 1:
        raise ValueError(
            f"{definition.id}.{follow_up.id}: FHIR enableWhen cannot combine a choice among "
            "several values with another condition"
        )
    return needed


def _enable_when(definition: q.Item, follow_up: q.FollowUp) -> list[dict]:
    entries = []
    for condition in _needed_conditions(definition, follow_up):
        question = field_link_id(definition, condition.field)
        source = _field_kind(definition, condition.field)
        if condition.op == "answered":
            entries.append({"question": question, "operator": "exists", "answerBoolean": True})
            continue
        values = (condition.value,) if condition.op == "eq" else tuple(condition.value)
        for value in values:
            entries.append({"question": question, "operator": "=", **_answer_value(source, value)})
    return entries


def _field_kind(definition: q.Item, field_id: str) -> str:
    """The follow-up kind of a field, the item's answer counting as yes/no or choice."""
    if field_id == "answer":
        return q.CHOICE if definition.answer_kind == q.ANSWER_CHOICE else q.YES_NO
    return definition.follow_up(field_id).kind


def _answer_value(kind: str, value: Any) -> dict:
    if kind == q.YES_NO:
        return {"answerBoolean": value}
    if kind == q.REGIONS:
        return {"answerCoding": {"system": code_system_url("body-regions"), "code": value}}
    return {"answerCoding": {"code": value}}


# ----------------------------------------------------------------------------------------------
# QuestionnaireResponse


def response_items(answers: Mapping[str, Mapping[str, Any]]) -> list[dict]:
    """Prepared answers (``prepare``'s shape) as QuestionnaireResponse items, nested exactly
    as the Questionnaire nests them; unanswered questions and empty groups are left out."""
    groups = []
    for section in q.SECTIONS:
        children = []
        for item_id in section.items:
            values = answers.get(item_id)
            if values:
                node = _response_item(q.item(item_id), values)
                if node is not None:
                    children.append(node)
        if children:
            groups.append({"linkId": section_link_id(section.id), "item": children})
    return groups


def _response_item(definition: q.Item, values: Mapping[str, Any]) -> dict | None:
    follow_ups = []
    for follow_up in definition.follow_ups:
        value = values.get(follow_up.id)
        answers = _answers(follow_up.kind, follow_up, value)
        if answers:
            follow_ups.append(
                {"linkId": field_link_id(definition, follow_up.id), "answer": answers}
            )
    answer = values.get("answer")
    if definition.answer_kind == q.ANSWER_DERIVED:
        children = []
        if isinstance(answer, bool):
            children.append({"linkId": answer_link_id(definition), "answer": [_bool(answer)]})
        children += follow_ups
        return {"linkId": definition.id, "item": children} if children else None
    kind = _field_kind(definition, "answer")
    choices = definition.answer_choices
    main = _answers(kind, q.FollowUp("answer", "", kind, choices=choices), answer)
    if not main:
        return None
    if follow_ups:
        main[0]["item"] = follow_ups
    return {"linkId": definition.id, "answer": main}


def _bool(value: bool) -> dict:
    return {"valueBoolean": value}


def _answers(kind: str, spec: q.FollowUp, value: Any) -> list[dict]:
    """One stored value as FHIR answers ([] when unanswered or not of the field's type)."""
    if value is None or value == "" or value == []:
        return []
    if kind == q.YES_NO:
        return [_bool(value)] if isinstance(value, bool) else []
    if kind in (q.CHOICE, q.MULTI_CHOICE):
        labels = {c.value: c.label for c in spec.choices}
        chosen = value if isinstance(value, list | tuple) else [value]
        return [
            {"valueCoding": {"code": v, "display": labels[v]}}
            for v in chosen
            if isinstance(v, str) and v in labels
        ]
    if kind == q.REGIONS:
        if not isinstance(value, list | tuple):
            return []
        system = code_system_url("body-regions")
        return [
            {"valueCoding": {"system": system, "code": code, "display": regions.label(code)}}
            for code in regions.ordered(regions.expand([v for v in value if _is_region(v)]))
        ]
    if kind == q.INTEGER:
        if not q.is_number(value) or not float(value).is_integer():
            return []
        return [{"valueInteger": int(value)}]
    if kind == q.DECIMAL:
        return [{"valueDecimal": value}] if q.is_number(value) else []
    return [{"valueString": value}] if isinstance(value, str) else []


def _is_region(value: Any) -> bool:
    return regions.is_region_or_alias(value)


def response_answers(intake: Intake, thresholds=None) -> dict:
    """The answers a response carries: the engine's reading of the intake."""
    return selectors.screening_answers(intake, thresholds)


def contained_patient(intake: Intake) -> dict:
    patient = intake.patient
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": "patient",
        "identifier": [{"system": patient_identifier_system(), "value": str(patient.public_id)}],
    }
    if patient.full_name:
        resource["name"] = [{"text": patient.full_name}]
    if patient.date_of_birth:
        resource["birthDate"] = patient.date_of_birth.isoformat()
    return resource


def questionnaire_response(intake: Intake, *, thresholds=None) -> dict:
    """The submitted intake's answers as a FHIR QuestionnaireResponse."""
    version = intake.questionnaire_version or q.VERSION
    resource = {
        "resourceType": "QuestionnaireResponse",
        "id": str(intake.public_id),
        "meta": {"lastUpdated": _instant(intake.updated_at)},
        "contained": [contained_patient(intake)],
        "identifier": {
            "system": f"{base_url()}/NamingSystem/intake-id",
            "value": str(intake.public_id),
        },
        "questionnaire": f"{questionnaire_url()}|{version}",
        "status": "completed",
        "subject": {"reference": "#patient"},
        "source": {"reference": "#patient"},
        "item": response_items(response_answers(intake, thresholds)),
    }
    if intake.submitted_at:
        resource["authored"] = _instant(intake.submitted_at)
    if not resource["item"]:
        del resource["item"]
    return resource


# ----------------------------------------------------------------------------------------------
# RiskAssessment and the decision


def risk_assessment_id(intake: Intake, screening: ScreeningResult) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, f"{intake.public_id}/screening/{screening.pk}"))


def patient_reference(intake: Intake) -> dict:
    return {
        "reference": f"Patient/{intake.patient.public_id}",
        "identifier": {
            "system": patient_identifier_system(),
            "value": str(intake.patient.public_id),
        },
    }


def flag_words(finding: Mapping[str, Any]) -> str:
    """A flag as people read it: the item's title, then the engine's message in plain words."""
    return f"{item_title(finding['item'])}: {plain_words(finding['message'])}"


def risk_assessment(intake: Intake, screening: ScreeningResult | None = None) -> dict | None:
    """A screening (the latest by default) as a FHIR RiskAssessment; None if never screened."""
    screening = screening or selectors.latest_screening(intake)
    if screening is None:
        return None
    rules_system = code_system_url("screening-rules")
    predictions = []
    for finding in selectors.flags_of(screening):
        code, display = LEVEL_CODES[finding["level"]]
        rule_codes = finding.get("codes") or [finding["code"]]
        prediction = {
            "outcome": {
                "coding": [
                    {"system": rules_system, "version": screening.ruleset_version, "code": c}
                    for c in rule_codes
                ],
                "text": flag_words(finding),
            },
            "qualitativeRisk": {
                "coding": [
                    {
                        "system": code_system_url("screening-levels"),
                        "code": code,
                        "display": display,
                    }
                ]
            },
        }
        if finding.get("rationale"):
            prediction["rationale"] = plain_words(finding["rationale"])
        predictions.append(prediction)
    resource = {
        "resourceType": "RiskAssessment",
        "id": risk_assessment_id(intake, screening),
        "meta": {"lastUpdated": _instant(screening.created_at)},
        "extension": [
            {
                "url": f"{base_url()}/StructureDefinition/screening-outcome",
                "valueCoding": {
                    "system": code_system_url("screening-outcomes"),
                    "code": screening.outcome,
                    "display": OUTCOME_DISPLAY.get(screening.outcome, screening.outcome),
                },
            }
        ],
        "status": "final",
        "method": {
            "coding": [
                {
                    "system": rules_system,
                    "version": screening.ruleset_version,
                    "code": "ruleset",
                    "display": "Dry-needling contraindication screening rules",
                }
            ],
            "text": f"Screening rules, version {screening.ruleset_version}",
        },
        "subject": patient_reference(intake),
        "occurrenceDateTime": _instant(screening.created_at),
        "basis": [{"reference": f"QuestionnaireResponse/{intake.public_id}"}],
    }
    if predictions:
        resource["prediction"] = predictions
    return resource


def decision_provenance(intake: Intake) -> dict | None:
    """The practitioner's standing decision as a FHIR Provenance of the RiskAssessment it was
    made on; None before a decision or after the review was reopened."""
    decision = (
        Decision.objects.filter(intake=intake, reopened_at__isnull=True)
        .select_related("decided_by", "screening")
        .order_by("-decided_at", "-pk")
        .first()
    )
    if decision is None:
        return None
    practitioner = decision.decided_by
    return {
        "resourceType": "Provenance",
        "id": str(uuid.uuid5(_ID_NAMESPACE, f"{intake.public_id}/decision/{decision.pk}")),
        "target": [
            {"reference": f"RiskAssessment/{risk_assessment_id(intake, decision.screening)}"},
            {"reference": f"QuestionnaireResponse/{intake.public_id}"},
        ],
        "recorded": _instant(decision.decided_at),
        "activity": {
            "coding": [
                {
                    "system": code_system_url("review-decisions"),
                    "code": decision.decision,
                    "display": str(Intake.Decision(decision.decision).label),
                }
            ]
        },
        "agent": [
            {
                "type": {
                    "coding": [
                        {"system": PROVENANCE_PARTICIPANT, "code": "author", "display": "Author"}
                    ]
                },
                "who": {"display": practitioner.get_full_name() or practitioner.username},
            }
        ],
    }


# ----------------------------------------------------------------------------------------------
# What the API offers


def capability_statement() -> dict:
    """The API's CapabilityStatement (GET /metadata): read-only, bearer token, these
    resources and search parameters."""

    def resource(kind: str, *, read: bool, search: dict[str, str] | None = None) -> dict:
        entry: dict[str, Any] = {"type": kind, "interaction": []}
        if read:
            entry["interaction"].append({"code": "read"})
        if search is not None:
            entry["interaction"].append({"code": "search-type"})
            entry["searchParam"] = [
                {"name": name, "type": kind_of} for name, kind_of in search.items()
            ]
        return entry

    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.now().date().isoformat(),
        "kind": "instance",
        "implementation": {
            "description": "Dry-needling intake: read-only FHIR API",
            "url": base_url(),
        },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "description": "Send a token from the clinic's Integrations page as "
                    "Authorization: Bearer <token>. Tokens can only read.",
                },
                "resource": [
                    resource("Questionnaire", read=True),
                    resource("CodeSystem", read=True),
                    resource("QuestionnaireResponse", read=True, search={"_lastUpdated": "date"}),
                    resource(
                        "RiskAssessment",
                        read=False,
                        search={"subject": "reference", "patient": "reference"},
                    ),
                ],
            }
        ],
    }
