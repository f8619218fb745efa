"""The screening engine: a table of cited rules, clinic thresholds and `evaluate`.

Pure Python: no Django, no clock. Answers and a plan go in, findings come out.

How a rule is built. Each `Rule` has a permanent code (retire a code, never reuse it), the item
it belongs to, a level, a message template, a rationale and the source tags of clinical
reference §11. Its `check` reads the answers (only through `questionnaire.Answers`) and the
thresholds, never the plan, and returns `Facts` (template values and, for site rules, the
affected regions) or None. What the plan must contain is declared, not coded:

* ``technique``: the plan must include this technique (technique-specific scope);
* ``region_set``: a planned region must be a member of this set (lung-risk regions, "trunk or
  neck", the pregnancy trunk regions; §13.2: membership, not adjacency);
* ``site``: ``"near"`` means an affected region must be at or near a planned region,
  ``"away"`` that none is (the INFO "lesion elsewhere").

`evaluate` applies the plan generically, which is how §13.3 (no plan yet) is implemented in one
place: site rules are reported at their own level with the note "pending plan" (they count
toward the outcome); technique and region-set rules are reported as INFO "pending plan" with
the level they would have.

A rule's ``modification`` is written for the practitioner; its ``patient_modification`` says the
same in plain words for the patient's consent form (reading age about 12, no ids, tags or
clinical terms). tests/test_patient_wording.py holds every rule to that.

Per item, all hits are merged into one finding at the highest level; the message lists every
reason, highest level first. Findings follow §3 item order. INFO never changes the outcome.

Readings of the reference that are decisions, not quotations:

* §13.4 lists the deciding follow-ups that default to the higher level when unanswered. Other
  unanswered follow-ups (feels_affected_now, severity, platelet count, recent_major_bleed,
  known_neutropenia, infection_signs, complications) read as "not reported"; an item answered
  yes still fires at its default level. The wizard marks all of them required.
* An INR with no date (``inr_days_ago`` missing) is treated like an INR older than the window.
* Radiotherapy regions with no ``radiotherapy_months_ago`` count as recent, because the
  question asks for fields treated now or in the window.
* Cancer answered yes with no status is treated as active (its default RELATIVE level).
* Pregnancy rule 5 (trunk regions) and the e-stim rules are plan-dependent escalations: with no
  plan they are INFO "pending plan"; the global pregnancy levels are decided at once.
* ``lymph_nodes_removed`` answered yes with no at-risk region gives an INFO finding, since the
  site rule cannot apply (§13.4).
* ``reduced_sensation`` counts ``diabetes.neuropathy_regions`` only when diabetes is answered
  yes: `prepare` drops the follow-ups of a "no" before any rule runs (§13.9).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from types import MappingProxyType
from typing import Any, NamedTuple

from screening.engine import regions as region_data
from screening.engine.prepare import prepare
from screening.engine.questionnaire import (
    ITEM_ORDER,
    ITEMS,
    UNANSWERED,
    VKA_AGENTS,
    Answers,
    ItemAnswers,
    is_number,
    number_text,
)

RULESET_VERSION = "2026.12-1"

ABSOLUTE = "absolute"
RELATIVE = "relative"
INFO = "info"
LEVELS = (ABSOLUTE, RELATIVE, INFO)
_RANK = {ABSOLUTE: 2, RELATIVE: 1, INFO: 0}

CLEAR = "clear"
PRECAUTION = "precaution"
CONTRAINDICATED = "contraindicated"

PENDING_PLAN = "pending plan"
CLINICIAN_CHECK_PENDING = "clinician check pending"

NEAR = "near"
AWAY = "away"

# Display only: §3.15 names trimesters in messages; no decision depends on this number.
THIRD_TRIMESTER_WEEKS = 28


# ----------------------------------------------------------------------------------------------
# Clinic thresholds and the plan


@dataclass(frozen=True)
class Thresholds:
    """Every APP DEFAULT of the clinical reference; a clinic may change each one."""

    age_of_majority: int = 18
    max_hours_since_meal: float = 4
    alcohol_lookback_hours: float = 12
    inr_ceiling: float = 3.0
    inr_max_age_days: int = 7
    min_platelets: float = 50
    major_bleed_days: int = 14
    joint_surgery_months: float = 12
    surgery_weeks: float = 12
    radiotherapy_months: float = 3
    min_bmi: float = 18.5
    seizure_free_months: float = 12
    first_trimester_weeks: float = 14
    node_at_risk_level: str = ABSOLUTE
    accept_representative_consent: bool = False

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if spec.name == "node_at_risk_level":
                if value not in (ABSOLUTE, RELATIVE):
                    raise ValueError(f"node_at_risk_level must be absolute or relative: {value!r}")
            elif spec.name == "accept_representative_consent":
                if not isinstance(value, bool):
                    raise ValueError(f"accept_representative_consent must be a boolean: {value!r}")
            elif not is_number(value) or value <= 0:
                raise ValueError(f"{spec.name} must be a positive number: {value!r}")

    def as_dict(self) -> dict[str, Any]:
        """The thresholds as a JSON-ready dict (stored with every screening snapshot)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Thresholds:
        """Build from stored values; missing keys take the default, unknown keys are an error."""
        known = {spec.name for spec in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown threshold {unknown[0]!r}")
        return cls(**data)


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Plan:
    """The treatment plan: techniques and regions (aliases are expanded on construction)."""

    techniques: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "techniques", region_data.technique_set(self.techniques))
        object.__setattr__(self, "regions", region_data.expand(self.regions))

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "techniques": [t for t in region_data.TECHNIQUES if t in self.techniques],
            "regions": list(region_data.ordered(self.regions)),
        }


def plan_of(techniques: Iterable[str] | None, regions: Iterable[str] | None) -> Plan | None:
    """The treatment plan, or None for "no plan yet": a plan exists once a region is planned.

    Absent plan keys, empty lists and techniques without any region all mean no plan (§13.9),
    whichever path they come from.
    """
    region_ids = tuple(regions or ())
    if not region_ids:
        return None
    return Plan(techniques=frozenset(techniques or ()), regions=frozenset(region_ids))


@dataclass(frozen=True)
class RegionSet:
    """A named list of regions a rule tests by membership."""

    label: str
    regions: frozenset[str]


LUNG_RISK = RegionSet("lung-risk region", region_data.LUNG_RISK_REGIONS)
TRUNK_AND_NECK = RegionSet("trunk or neck region", region_data.TRUNK_AND_NECK_REGIONS)
# §3.15 rule 5.
PREGNANCY_TRUNK = RegionSet(
    "abdominal, lumbar or sacral-pelvic region", frozenset({"abdomen", "lumbar", "sacral_pelvic"})
)


# ----------------------------------------------------------------------------------------------
# Rules, findings, results


# Facts and _Hit are NamedTuples rather than frozen dataclasses only because a screening creates
# many of them and tuples are several times cheaper to build; both are just as immutable.
class Facts(NamedTuple):
    """What a rule's check found: message values, affected regions (None = none given)."""

    values: Mapping[str, Any] = MappingProxyType({})
    regions: frozenset[str] | None = None
    clinician_pending: bool = False
    trigger: str = ""


Check = Callable[[Answers, Thresholds], Facts | None]


@dataclass(frozen=True)
class Rule:
    """One row of the rule table."""

    code: str
    item: str
    level: str
    message: str
    rationale: str
    sources: tuple[str, ...]
    check: Check
    modification: str = ""
    technique: str | None = None
    region_set: RegionSet | None = None
    site: str | None = None
    level_setting: str | None = None
    # The modification in the patient's words, printed on the consent form: plain English at
    # a reading age of about 12, addressed to the patient, saying what the practitioner will
    # do differently and why. No ids, source tags, abbreviations or clinical terms.
    patient_modification: str = ""

    @property
    def scope(self) -> str:
        """global, site, technique, lung, or a combination such as technique+site."""
        parts = []
        if self.technique:
            parts.append("technique")
        if self.site or (self.region_set and self.region_set is not LUNG_RISK):
            parts.append("site")
        if self.region_set is LUNG_RISK:
            parts.append("lung")
        return "+".join(parts) or "global"


class Finding(NamedTuple):
    """The screening result for one item: its level, the reasons, and where they come from.

    Immutable like the rest; a NamedTuple because every screening builds several and a tuple
    costs a fraction of a frozen dataclass to build.
    """

    code: str
    codes: tuple[str, ...]
    item: str
    ref: str
    level: str
    message: str
    rationale: str
    sources: tuple[str, ...]
    modification: str
    # The modification in the patient's words (merged like ``modification``). Snapshots stored
    # before this field existed lack the key: readers use ``.get("patient_modification", "")``.
    patient_modification: str
    pending_plan: bool
    note: str
    trigger: str

    @property
    def is_flag(self) -> bool:
        """Absolute and relative findings are flags; INFO is not (§13.1)."""
        return self.level != INFO

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields (tuples as lists)."""
        data = self._asdict()
        data["codes"] = list(self.codes)
        data["sources"] = list(self.sources)
        return data


@dataclass(frozen=True)
class Result:
    """Outcome and findings of one evaluation, with what is needed to reproduce it."""

    outcome: str
    findings: tuple[Finding, ...]
    thresholds: Thresholds
    ruleset_version: str = RULESET_VERSION

    @property
    def flags(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.is_flag)

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "findings": [finding.as_dict() for finding in self.findings],
            "thresholds": self.thresholds.as_dict(),
            "ruleset_version": self.ruleset_version,
        }


# ----------------------------------------------------------------------------------------------
# Formatting helpers (messages never quote free text typed by the patient)


def _article(noun_phrase: str) -> str:
    """'a lung-risk region', 'an abdominal ... region'."""
    return f"{'an' if noun_phrase[:1] in 'aeiou' else 'a'} {noun_phrase}"


def _num(value: float) -> str:
    return number_text(value)


def _decimal(value: float) -> str:
    """At least one decimal, as INR and BMI are written: 3 -> 3.0, 3.45 -> 3.45."""
    text = number_text(value)
    return text if "." in text else f"{value:.1f}"


def _days_ago(days: float) -> str:
    if days == 0:
        return "today"
    return f"{_num(days)} day{'' if days == 1 else 's'} ago"


def _regions_text(region_ids: frozenset[str] | set[str]) -> str:
    return ", ".join(region_data.ordered(region_ids))


def _joined(values: tuple[str, ...] | list[str], separator: str = " + ") -> str:
    return separator.join(values)


# ----------------------------------------------------------------------------------------------
# Generic checks


def _yes(item_id: str) -> Check:
    """Fires when the item is answered positively."""

    def check(answers: Answers, thresholds: Thresholds) -> Facts | None:
        return Facts() if answers[item_id].positive else None

    return check


def _site(item_id: str, field_id: str) -> Check:
    """A site problem; no region given means "affects the planned regions" (§13.4)."""

    def check(answers: Answers, thresholds: Thresholds) -> Facts | None:
        item = answers[item_id]
        if not item.positive:
            return None
        return Facts(regions=item.regions(field_id) or None)

    return check


def _listed_site(item_id: str, field_id: str) -> Check:
    """A site problem decided only by its own region list (cancer, nodes; §13.4)."""

    def check(answers: Answers, thresholds: Thresholds) -> Facts | None:
        item = answers[item_id]
        affected = item.regions(field_id)
        if not item.positive or not affected:
            return None
        return Facts(regions=affected)

    return check


def _unless(check: Check, *overriding: Check) -> Check:
    """`check`, but only when none of the overriding (higher-level) checks fires."""

    def combined(answers: Answers, thresholds: Thresholds) -> Facts | None:
        facts = check(answers, thresholds)
        if facts is None or any(other(answers, thresholds) for other in overriding):
            return None
        return facts

    return combined


# ----------------------------------------------------------------------------------------------
# Item-specific checks, in §3 order

# 3.1 minor_patient


def _minor_age(item: ItemAnswers, thresholds: Thresholds) -> str:
    age = item.number("age_years")
    limit = _num(thresholds.age_of_majority)
    if age is None:
        return f"under {limit} (age not recorded)"
    return f"age {_num(age)} (< {limit})"


def _minor_consent_missing(answers: Answers, thresholds: Thresholds) -> Facts | None:
    minor = answers["minor_patient"]
    if not minor.positive:
        return None
    missing = []
    consent = minor.flag("guardian_consent")
    if consent is not True:
        missing.append(
            "no guardian consent" if consent is False else "guardian consent not recorded"
        )
    assent = minor.flag("patient_assent")
    if assent is not True:
        missing.append(
            "the young person does not assent" if assent is False else "assent not recorded"
        )
    if not missing:
        return None
    return Facts({"age": _minor_age(minor, thresholds), "missing": " and ".join(missing)})


def _minor_with_consent(answers: Answers, thresholds: Thresholds) -> Facts | None:
    minor = answers["minor_patient"]
    if not minor.positive:
        return None
    return Facts({"age": _minor_age(minor, thresholds)})


# 3.2 cognitive_impairment


def _representative_accepted(item: ItemAnswers, thresholds: Thresholds) -> bool:
    present = item.flag("substitute_decision_maker_present") is True
    return present and thresholds.accept_representative_consent


def _lacks_capacity(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["cognitive_impairment"]
    if not item.positive or item.flag("able_to_understand_and_decide") is not False:
        return None
    if _representative_accepted(item, thresholds):
        return None
    detail = ""
    if item.flag("substitute_decision_maker_present") is True:
        detail = "; a substitute decision-maker is present, but the clinic does not accept "
        detail += "representative consent"
    return Facts({"detail": detail})


def _capacity_condition(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["cognitive_impairment"]
    if not item.positive:
        return None
    able = item.flag("able_to_understand_and_decide")
    if able is None:
        return Facts({"state": "capacity check not yet recorded"}, clinician_pending=True)
    if able:
        return Facts({"state": "clinician confirmed the patient can understand and decide"})
    return Facts(
        {
            "state": "patient cannot decide; a substitute decision-maker is present and the "
            "clinic accepts representative consent"
        }
    )


# 3.3 interpreter_needed


def _no_interpreter(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["interpreter_needed"]
    if not item.positive or item.flag("qualified_interpreter_available") is not False:
        return None
    return Facts()


def _interpreter(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["interpreter_needed"]
    if not item.positive:
        return None
    if item.flag("qualified_interpreter_available") is None:
        return Facts({"state": "availability not yet checked"}, clinician_pending=True)
    return Facts({"state": "qualified interpreter available"})


# 3.5 needle_phobia


def _strong_fear(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["needle_phobia"]
    level = item.get("fear_level")
    if not item.positive or level == "mild":
        return None
    if level is None:
        return Facts({"fear": "fear of needles, level not recorded (taken as strong)"})
    return Facts({"fear": "strong fear of needles (phobia)"})


def _mild_fear(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["needle_phobia"]
    return Facts() if item.positive and item.get("fear_level") == "mild" else None


# 3.7 acute_illness_today


def _unwell(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["acute_illness_today"]
    if not item.positive:
        return None
    temperature = item.number("temperature_c")
    detail = f" (temperature {_num(temperature)} °C)" if temperature is not None else ""
    return Facts({"detail": detail})


# 3.9 not_eaten_recently


def _fasting(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["not_eaten_recently"]
    if not item.positive:
        return None
    hours = item.number("hours_since_meal")
    if hours is None:
        return Facts({"detail": "has not eaten recently (hours not recorded)"})
    limit = _num(thresholds.max_hours_since_meal)
    return Facts({"detail": f"{_num(hours)} h since the last meal (> {limit} h)"})


# 3.10 alcohol_or_drugs_recent


def _affected_now(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["alcohol_or_drugs_recent"]
    return Facts() if item.positive and item.flag("feels_affected_now") is True else None


def _recent_substance(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["alcohol_or_drugs_recent"]
    if not item.positive:
        return None
    hours = item.number("hours_ago")
    limit = _num(thresholds.alcohol_lookback_hours)
    if hours is not None and hours > thresholds.alcohol_lookback_hours:
        return None
    when = "time not recorded" if hours is None else f"{_num(hours)} h ago (≤ {limit} h)"
    affected = item.flag("feels_affected_now")
    state = {False: "not feeling affected", None: "whether affected now not recorded"}
    return Facts({"when": when, "state": state.get(affected, "")})


# 3.12 previous_needling_reaction


def _first_needling(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["previous_needling_reaction"]
    return Facts() if item.get("previous_experience") == "never" else None


# 3.13 bleeding_disorder

_DIAGNOSIS_NAMES = {"haemophilia": "haemophilia", "von_willebrand": "von Willebrand disease"}


def _severe_bleeding_disorder(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["bleeding_disorder"]
    diagnosis = item.get("diagnosis")
    if not item.positive or diagnosis not in _DIAGNOSIS_NAMES:
        return None
    if item.get("severity") != "severe":
        return None
    return Facts({"diagnosis": _DIAGNOSIS_NAMES[diagnosis]})


def _low_platelets(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["bleeding_disorder"]
    count = item.number("platelet_count_x10e9_per_l")
    if not item.positive or count is None or count >= thresholds.min_platelets:
        return None
    return Facts({"count": _num(count), "limit": _num(thresholds.min_platelets)})


def _recent_major_bleed(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["bleeding_disorder"]
    if not item.positive or item.flag("recent_major_bleed") is not True:
        return None
    return Facts({"days": _num(thresholds.major_bleed_days)})


def _bleeding_disorder(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["bleeding_disorder"]
    if not item.positive:
        return None
    diagnosis = item.get("diagnosis") or "diagnosis not recorded"
    severity = item.get("severity")
    return Facts({"diagnosis": f"{diagnosis} ({severity})" if severity else diagnosis})


# 3.14 blood_thinner_use


def _vka(item: ItemAnswers) -> tuple[str, ...]:
    return tuple(agent for agent in item.choices("agents") if agent in VKA_AGENTS)


def _inr_above_ceiling(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["blood_thinner_use"]
    inr = item.number("latest_inr")
    if not item.positive or not _vka(item) or inr is None or inr <= thresholds.inr_ceiling:
        return None
    return Facts(
        {
            "agent": _joined(_vka(item)),
            "inr": _decimal(inr),
            "ceiling": _decimal(thresholds.inr_ceiling),
        }
    )


def _inr_unknown(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["blood_thinner_use"]
    if not item.positive or not _vka(item):
        return None
    inr, days = item.number("latest_inr"), item.number("inr_days_ago")
    if inr is None:
        detail = "no INR recorded"
    elif inr > thresholds.inr_ceiling:
        return None
    elif days is None:
        detail = f"INR {_decimal(inr)} of unknown date"
    elif days > thresholds.inr_max_age_days:
        limit = _num(thresholds.inr_max_age_days)
        detail = f"INR {_decimal(inr)} from {_days_ago(days)} (> {limit} days)"
    else:
        return None
    return Facts({"agent": _joined(_vka(item)), "detail": detail})


def _inr_in_range(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["blood_thinner_use"]
    if not item.positive or not _vka(item):
        return None
    inr, days = item.number("latest_inr"), item.number("inr_days_ago")
    if inr is None or days is None:
        return None
    if inr > thresholds.inr_ceiling or days > thresholds.inr_max_age_days:
        return None
    return Facts(
        {
            "agent": _joined(_vka(item)),
            "inr": _decimal(inr),
            "ceiling": _decimal(thresholds.inr_ceiling),
            "when": _days_ago(days),
        }
    )


def _dual_therapy(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["blood_thinner_use"]
    agents = item.choices("agents")
    return Facts({"agents": _joined(agents)}) if item.positive and len(agents) >= 2 else None


def _single_other_agent(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["blood_thinner_use"]
    agents = item.choices("agents")
    if not item.positive or len(agents) >= 2 or _vka(item):
        return None
    return Facts({"agent": agents[0] if agents else "agent not recorded"})


# 3.15 pregnancy


def _later_trimester(weeks: float) -> str:
    """The trimester of a pregnancy past the first (the first has a rule of its own)."""
    return "2nd trimester" if weeks < THIRD_TRIMESTER_WEEKS else "3rd trimester"


def _pregnancy_unsure(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["pregnancy"]
    if item.answer != "unsure":
        return None
    weeks = item.number("last_period_weeks_ago")
    detail = f" (last period {_num(weeks)} weeks ago)" if weeks is not None else ""
    return Facts({"detail": detail})


def _first_trimester(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["pregnancy"]
    if item.answer != "yes":
        return None
    weeks = item.number("weeks")
    if weeks is None:
        return Facts({"detail": "weeks not recorded (taken as 1st trimester)"})
    if weeks >= thresholds.first_trimester_weeks:
        return None
    limit = _num(thresholds.first_trimester_weeks)
    return Facts({"detail": f"{_num(weeks)} weeks (< {limit}: 1st trimester)"})


def _pregnancy_complications(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["pregnancy"]
    return Facts() if item.answer == "yes" and item.flag("complications") is True else None


def _later_pregnancy(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["pregnancy"]
    weeks = item.number("weeks")
    if item.answer != "yes" or weeks is None or weeks < thresholds.first_trimester_weeks:
        return None
    return Facts({"weeks": _num(weeks), "trimester": _later_trimester(weeks)})


# 3.16 skin_lesion_or_local_infection


# The INFO "elsewhere" rule needs a recorded region to be away from.
_lesion_with_regions = _listed_site("skin_lesion_or_local_infection", "regions")


# 3.17 immunocompromised


def _neutropenia(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["immunocompromised"]
    return Facts() if item.positive and item.flag("known_neutropenia") is True else None


# 3.18 diabetes


def _diabetes(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["diabetes"]
    if not item.positive:
        return None
    extras = [
        text
        for field_id, text in (
            ("recent_hypoglycaemia", "low blood sugar in the last week"),
            ("foot_ulcers", "foot ulcers"),
        )
        if item.flag(field_id) is True
    ]
    return Facts({"detail": "".join(f"; {extra}" for extra in extras)})


# 3.21 lymph_nodes_removed


def _nodes_without_region(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["lymph_nodes_removed"]
    return Facts() if item.positive and not item.regions("at_risk_regions") else None


# 3.22 cancer

ACTIVE_CANCER = "active_or_under_treatment"


def _radiotherapy_field(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["cancer"]
    fields_treated = item.regions("radiotherapy_regions")
    if not item.positive or not fields_treated:
        return None
    months = item.number("radiotherapy_months_ago")
    if months is not None and months > thresholds.radiotherapy_months:
        return None
    limit = _num(thresholds.radiotherapy_months)
    when = "current or recent" if months is None else f"{_num(months)} months ago, ≤ {limit}"
    return Facts({"when": when}, regions=fields_treated)


def _active_cancer(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["cancer"]
    status = item.get("status")
    if not item.positive or status not in (ACTIVE_CANCER, None):
        return None
    state = "active cancer or under treatment" if status else "cancer, status not recorded"
    treatments = item.choices("current_treatment")
    detail = f" ({_joined(treatments, ', ')})" if treatments else ""
    return Facts({"state": state, "detail": detail})


def _cancer_in_remission(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["cancer"]
    status = item.get("status")
    if not item.positive or status in (ACTIVE_CANCER, None):
        return None
    return Facts({"status": status})


# 3.23 vascular_disease

_CLOT_TYPES = {
    "dvt_or_thrombophlebitis_recent": "recent DVT or thrombophlebitis",
    "aneurysm": "aneurysm",
}


def _clot_or_aneurysm(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["vascular_disease"]
    kinds = [_CLOT_TYPES[kind] for kind in item.choices("types") if kind in _CLOT_TYPES]
    affected = item.regions("regions")
    if not item.positive or not kinds or not affected:
        return None
    return Facts({"kinds": " or ".join(kinds)}, regions=affected)


def _vascular(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["vascular_disease"]
    if not item.positive:
        return None
    kinds = item.choices("types")
    return Facts({"kinds": _joined(kinds, ", ") if kinds else "type not recorded"})


# 3.24 heart_condition


def _heart(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["heart_condition"]
    if not item.positive:
        return None
    state = {
        True: " (controlled)",
        False: " (reported not controlled: see unstable_medical_condition)",
    }.get(item.flag("controlled"), "")
    return Facts({"state": state})


# 3.27 joint_replacement_or_metal_hardware


def _hardware_within_window(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["joint_replacement_or_metal_hardware"]
    months = item.number("months_since_surgery")
    if not item.positive:
        return None
    limit = _num(thresholds.joint_surgery_months)
    if months is None:
        when = f"surgery date not recorded (taken as < {limit} months)"
    elif months < thresholds.joint_surgery_months:
        when = f"surgery {_num(months)} months ago (< {limit})"
    else:
        return None
    return Facts({"detail": when}, regions=item.regions("regions") or None)


def _hardware_infection_signs(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["joint_replacement_or_metal_hardware"]
    if not item.positive or item.flag("infection_signs") is not True:
        return None
    return Facts(
        {"detail": "red, hot, swollen or more painful than usual"},
        regions=item.regions("regions") or None,
    )


def _hardware_settled(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["joint_replacement_or_metal_hardware"]
    months = item.number("months_since_surgery")
    if not item.positive or months is None:
        return None
    limit = _num(thresholds.joint_surgery_months)
    return Facts(
        {"detail": f"surgery {_num(months)} months ago (≥ {limit})"},
        regions=item.regions("regions") or None,
    )


# 3.29 recent_surgery


def _unhealed_incision(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["recent_surgery"]
    healed = item.flag("incision_healed")
    if not item.positive or healed is True:
        return None
    detail = "incision not fully healed" if healed is False else "healing not recorded"
    if healed is None:
        detail += " (taken as not healed)"
    return Facts({"detail": detail}, regions=item.regions("regions") or None)


def _healed_recent_surgery(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["recent_surgery"]
    weeks = item.number("weeks_since")
    if not item.positive or item.flag("incision_healed") is not True:
        return None
    limit = _num(thresholds.surgery_weeks)
    if weeks is None:
        when = f"weeks since surgery not recorded (taken as < {limit})"
    elif weeks < thresholds.surgery_weeks:
        when = f"{_num(weeks)} weeks after surgery (< {limit})"
    else:
        return None
    return Facts({"detail": when}, regions=item.regions("regions") or None)


# 3.30 epilepsy


def _uncontrolled_epilepsy(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["epilepsy"]
    if not item.positive:
        return None
    reasons = []
    controlled = item.flag("controlled")
    if controlled is False:
        reasons.append("seizures not controlled")
    elif controlled is None:
        reasons.append("control not recorded (taken as not controlled)")
    months = item.number("last_seizure_months_ago")
    if months is not None and months <= thresholds.seizure_free_months:
        limit = _num(thresholds.seizure_free_months)
        reasons.append(f"last seizure {_num(months)} months ago (≤ {limit})")
    return Facts({"detail": "; ".join(reasons)}) if reasons else None


def _controlled_epilepsy(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["epilepsy"]
    if not item.positive:
        return None
    months = item.number("last_seizure_months_ago")
    detail = f", last seizure {_num(months)} months ago" if months is not None else ""
    return Facts({"detail": detail})


# 3.31 reduced_sensation


def _numb_area(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["reduced_sensation"]
    neuropathy = answers["diabetes"].regions("neuropathy_regions")
    if not item.positive and not neuropathy:
        return None
    affected = item.regions("regions") | neuropathy
    trigger = f"diabetes.neuropathy_regions: {_regions_text(neuropathy)}" if neuropathy else ""
    return Facts(regions=affected or None, trigger=trigger)


# 3.37 low_body_weight


def _low_bmi(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["low_body_weight"]
    if not item.positive:
        return None
    bmi = item.number("bmi")
    if bmi is None:
        return Facts({"detail": "low body weight (BMI not recorded)"})
    return Facts({"detail": f"BMI {_decimal(bmi)} (< {_decimal(thresholds.min_bmi)})"})


# 3.39 acute_injury_at_site


def _acute_injury(answers: Answers, thresholds: Thresholds) -> Facts | None:
    item = answers["acute_injury_at_site"]
    if not item.positive:
        return None
    detail = "; possible fracture" if item.flag("suspected_fracture") is True else ""
    return Facts({"detail": detail}, regions=item.regions("regions") or None)


# ----------------------------------------------------------------------------------------------
# The rule table, in §3 order. Sources: "[G1 via C6]" is written ("G1", "C6").

_APTA = ("G1", "C6")
_BLEED_CARE = (
    "Reduce intensity (no pistoning), avoid deep muscles that cannot be compressed until the "
    "bleeding response is known, press longer after each needle; ultrasound guidance where "
    "available."
)
_LUNG_CARE = (
    "Bracketing or pincer technique, shorter needles at tangential angles; do not needle both "
    "sides of the chest in one session."
)
_AVOID_SITE = "Choose another region; do not needle at or near the affected area."

# The patient's wording of the shared modifications above (printed on the consent form).
_PATIENT_BLEED_THINNER = (
    "Your practitioner will use a gentler technique and press on each spot for longer "
    "afterwards, because you take a blood thinner. Your practitioner will also keep away from "
    "deep muscles that cannot be pressed on from outside, until they know how much you bleed "
    "after needling."
)
_PATIENT_BLEED_SPECIALIST = (
    "Your practitioner will wait until a blood specialist says that needling is safe for you, "
    "because you could bleed much more than usual."
)


def _patient_lung_care(why: str) -> str:
    """The lung-care modification in the patient's words, with this item's reason."""
    return (
        "Your practitioner will hold the muscle between their fingers and use shorter needles "
        f"at a flatter angle near your chest, because {why}. Your practitioner will not needle "
        "both sides of your chest on the same day."
    )


def _patient_avoid_site(area: str, why: str) -> str:
    """The "choose another region" modification in the patient's words."""
    return (
        f"Your practitioner will not put needles in or near {area}, because {why}. Your "
        "practitioner will treat a different area instead."
    )


RULES: tuple[Rule, ...] = (
    # 3.1 minor_patient
    Rule(
        "DN-MINOR-CONSENT",
        "minor_patient",
        ABSOLUTE,
        "{age}: {missing}",
        "Inability to consent, including age-related inability, is absolute in the APTA list.",
        (*_APTA, "R16", "C12"),
        _minor_consent_missing,
        "Do not needle without a guardian's consent and the young person's assent.",
        patient_modification=(
            "Your practitioner will not use needles unless a parent or guardian agrees to the "
            "treatment and you are happy to go ahead yourself."
        ),
    ),
    Rule(
        "DN-MINOR",
        "minor_patient",
        RELATIVE,
        "{age}, with guardian consent and the young person's assent",
        "Children are a relative contraindication in the APTA list; emotional maturity and "
        "needle fear are the practical barriers.",
        (*_APTA, "R16", "R20", "C12"),
        _unless(_minor_with_consent, _minor_consent_missing),
        "Guardian present throughout; explain in simple words; lying down, few needles; record "
        "assent in the young person's words.",
        patient_modification=(
            "Your practitioner will keep your parent or guardian with you the whole time, explain "
            "each step in simple words, and treat you lying down with only a few needles, because "
            "you are young. We will also write down, in your own words, that you are happy to go "
            "ahead."
        ),
    ),
    # 3.2 cognitive_impairment
    Rule(
        "DN-CAPACITY-LACKING",
        "cognitive_impairment",
        ABSOLUTE,
        "clinician recorded that the patient cannot understand and decide{detail}",
        "A valid consent needs a patient who understands and can report symptoms; APTA treats "
        "cognitive inability to consent as absolute.",
        (*_APTA, "R16", "C13", "C7b"),
        _lacks_capacity,
        "Do not needle; the clinic default does not accept a representative's consent.",
        patient_modification=(
            "Your practitioner will not use needles, because we must be sure that you understand "
            "the treatment and can decide about it yourself, and this clinic does not let someone "
            "else agree for you."
        ),
    ),
    Rule(
        "DN-CAPACITY",
        "cognitive_impairment",
        RELATIVE,
        "condition affecting understanding or decisions: {state}",
        "The patient must understand the procedure and be able to report a change during needling.",
        (*_APTA, "R16", "C13", "C7b"),
        _capacity_condition,
        "Complete the capacity check before consent; keep instructions simple; no e-stim if "
        "the patient cannot give feedback.",
        patient_modification=(
            "Your practitioner will check that you understand the treatment before you agree to "
            "it, and will keep every instruction short and simple. Your practitioner will use "
            "electrical stimulation only if you can tell them how it feels."
        ),
    ),
    # 3.3 interpreter_needed
    Rule(
        "DN-INTERPRETER-UNAVAILABLE",
        "interpreter_needed",
        ABSOLUTE,
        "interpreter needed and no qualified interpreter available",
        "Inability to communicate directly or through an interpreter sits beside inability to "
        "consent in the APTA-derived table.",
        ("R16", "G1"),
        _no_interpreter,
        "Rebook with a qualified interpreter.",
        patient_modification=(
            "Your practitioner will book a new appointment with a trained interpreter, so that you "
            "can understand the treatment and this form before you decide."
        ),
    ),
    Rule(
        "DN-INTERPRETER",
        "interpreter_needed",
        RELATIVE,
        "interpreter needed: {state}",
        "Consent must be understood; the form records interpreter name and language.",
        ("R16", "G1"),
        _interpreter,
        "Use a qualified interpreter, not family; record name, language and mode on the consent "
        "form.",
        patient_modification=(
            "Your practitioner will use a trained interpreter, not a family member or friend, and "
            "will write the interpreter's name and language on this form, so that you fully "
            "understand the treatment before you decide."
        ),
    ),
    # 3.4 declines_needling
    Rule(
        "DN-DECLINES",
        "declines_needling",
        ABSOLUTE,
        "patient does not want needle treatment",
        "An unwilling patient is an absolute contraindication; consent must be voluntary.",
        (*_APTA, "C1l", "C1k"),
        _yes("declines_needling"),
        "Offer non-needle treatment.",
        patient_modification=(
            "Your practitioner will offer you a treatment without needles, because you told us you "
            "may not want needles."
        ),
    ),
    # 3.5 needle_phobia
    Rule(
        "DN-PHOBIA-STRONG",
        "needle_phobia",
        ABSOLUTE,
        "{fear}",
        "Needle phobia heads the APTA absolute list.",
        (*_APTA, "R16"),
        _strong_fear,
        "Offer non-needle alternatives.",
        patient_modification=(
            "Your practitioner will offer you treatments without needles, because needles make you "
            "very afraid."
        ),
    ),
    Rule(
        "DN-PHOBIA-MILD",
        "needle_phobia",
        RELATIVE,
        "mild nervousness about needles",
        "Mild apprehension is a psychological precaution; distress goes with more "
        "post-needling pain.",
        ("G8", "R13", "R29a"),
        _mild_fear,
        "Explain first, treat lying down, start with few needles.",
        patient_modification=(
            "Your practitioner will explain everything first, treat you lying down and start with "
            "only a few needles, because feeling nervous can make you feel faint."
        ),
    ),
    # 3.6 anxiety_mental_health
    Rule(
        "DN-ANXIETY",
        "anxiety_mental_health",
        RELATIVE,
        "anxiety or mental-health condition that makes procedures difficult",
        "Psychological status is a relative contraindication; anxiety goes with more "
        "post-needling pain and vasovagal reactions.",
        (*_APTA, "R29a", "R13"),
        _yes("anxiety_mental_health"),
        "Explain each step, treat lying down, watch for signs of fainting.",
        patient_modification=(
            "Your practitioner will explain each step before doing it, treat you lying down and "
            "watch for signs that you feel faint, because feeling anxious can make treatment "
            "harder."
        ),
    ),
    # 3.7 acute_illness_today
    Rule(
        "DN-ACUTE-ILLNESS",
        "acute_illness_today",
        ABSOLUTE,
        "unwell today{detail}",
        "An acute medical condition is absolute in the APTA list; unwell patients faint more "
        "easily.",
        (*_APTA, "R16", "C5"),
        _unwell,
        "Reschedule when well.",
        patient_modification=(
            "Your practitioner will move your needling to another day when you feel well again, "
            "because being unwell puts your body under strain and makes fainting more likely."
        ),
    ),
    # 3.8 unstable_medical_condition
    Rule(
        "DN-UNSTABLE",
        "unstable_medical_condition",
        ABSOLUTE,
        "condition currently unstable or under urgent investigation",
        "Acute or unstable medical conditions are absolute; systemic disease can masquerade as "
        "musculoskeletal pain.",
        (*_APTA, "R12", "C1e", "C6b"),
        _yes("unstable_medical_condition"),
        "Defer until medically cleared.",
        patient_modification=(
            "Your practitioner will wait until a doctor says your health condition has settled "
            "before using needles."
        ),
    ),
    # 3.9 not_eaten_recently
    Rule(
        "DN-FASTING",
        "not_eaten_recently",
        RELATIVE,
        "{detail}",
        "Hunger is a listed risk factor for needle fainting.",
        ("C5", "G8", "C18"),
        _fasting,
        "Offer a snack and treat lying down.",
        patient_modification=(
            "Your practitioner will offer you a snack and treat you lying down, because an empty "
            "stomach makes feeling faint more likely."
        ),
    ),
    # 3.10 alcohol_or_drugs_recent
    Rule(
        "DN-ALCOHOL-AFFECTED",
        "alcohol_or_drugs_recent",
        ABSOLUTE,
        "feels affected by alcohol, drugs or a sedating medicine now",
        "An impaired patient cannot give valid consent or report symptoms.",
        ("C5", *_APTA),
        _affected_now,
        "Defer until no longer affected.",
        patient_modification=(
            "Your practitioner will wait until the alcohol, drug or medicine has worn off before "
            "using needles, because until then you may not notice a problem or be able to tell us."
        ),
    ),
    Rule(
        "DN-ALCOHOL-RECENT",
        "alcohol_or_drugs_recent",
        RELATIVE,
        "alcohol, drugs or a sedating medicine {when}, {state}",
        "Alcohol use is a listed syncope risk factor; the look-back window is an APP DEFAULT.",
        ("C5", *_APTA),
        _unless(_recent_substance, _affected_now),
        "Treat lying down and watch for fainting; confirm the patient understands.",
        patient_modification=(
            "Your practitioner will treat you lying down, watch for signs that you feel faint and "
            "check that you understand everything, because alcohol, drugs and medicines that make "
            "you sleepy can make fainting more likely."
        ),
    ),
    # 3.11 fainting_history
    Rule(
        "DN-FAINTING",
        "fainting_history",
        RELATIVE,
        "has fainted or nearly fainted with needles or blood",
        "Needle fainting happens mostly upright and on first visits.",
        ("R8", "R9", "G8"),
        _yes("fainting_history"),
        "Treat lying down, fewer needles on the first visit, monitor.",
        patient_modification=(
            "Your practitioner will treat you lying down, use fewer needles at your first visit "
            "and keep a close eye on you, because you have fainted or nearly fainted before."
        ),
    ),
    # 3.12 previous_needling_reaction
    Rule(
        "DN-PREVIOUS-PROBLEM",
        "previous_needling_reaction",
        RELATIVE,
        "problem with earlier dry needling or acupuncture",
        "A previous adverse reaction to acupuncture or DN is a listed screening item.",
        ("C1e",),
        _yes("previous_needling_reaction"),
        "Ask what happened and adapt position, dose and needle count.",
        patient_modification=(
            "Your practitioner will ask what happened last time and change how you lie, how strong "
            "the treatment is and how many needles are used, so that it does not happen again."
        ),
    ),
    Rule(
        "DN-PREVIOUS-NEVER",
        "previous_needling_reaction",
        INFO,
        "first dry needling or acupuncture treatment",
        "First-time patients faint more often.",
        ("R8",),
        _first_needling,
        "Treat lying down with a small first dose.",
        patient_modification=(
            "Your practitioner will treat you lying down and start gently with only a few needles, "
            "because this is your first time."
        ),
    ),
    # 3.13 bleeding_disorder
    Rule(
        "DN-BLEED-DISORDER-SEVERE",
        "bleeding_disorder",
        ABSOLUTE,
        "severe {diagnosis}",
        "Acupuncture reviews exclude haemophilia and severe bleeding disorders; conservative "
        "default over APTA's caution.",
        ("R26", "C6d", "R11", "G1"),
        _severe_bleeding_disorder,
        "Defer pending haematology clearance.",
        patient_modification=_PATIENT_BLEED_SPECIALIST,
    ),
    Rule(
        "DN-BLEED-DISORDER-PLATELETS",
        "bleeding_disorder",
        ABSOLUTE,
        "platelets {count} ×10⁹/L (< {limit})",
        "Very low platelets make bleeding likely; the cut-off is a conservative APP DEFAULT "
        "with weak support.",
        ("C3b", "R11"),
        _low_platelets,
        "Defer pending haematology clearance.",
        patient_modification=_PATIENT_BLEED_SPECIALIST,
    ),
    Rule(
        "DN-BLEED-DISORDER-MAJOR-BLEED",
        "bleeding_disorder",
        ABSOLUTE,
        "major bleed in the last {days} days",
        "A recent major bleed is an APP DEFAULT reason to wait for haematology clearance.",
        ("R11", "R26"),
        _recent_major_bleed,
        "Defer pending haematology clearance.",
        patient_modification=_PATIENT_BLEED_SPECIALIST,
    ),
    Rule(
        "DN-BLEED-DISORDER",
        "bleeding_disorder",
        RELATIVE,
        "bleeding disorder: {diagnosis}",
        "APTA: needle patients with an abnormal bleeding tendency cautiously; avoid deep "
        "muscles that cannot be compressed.",
        ("R11", "G1", "R26", "C6d"),
        _unless(_bleeding_disorder, _severe_bleeding_disorder, _low_platelets, _recent_major_bleed),
        _BLEED_CARE,
        patient_modification=(
            "Your practitioner will use a gentler technique and press on each spot for longer "
            "afterwards, because you bleed or bruise easily. Your practitioner will also keep away "
            "from deep muscles that cannot be pressed on from outside, until they know how much "
            "you bleed after needling."
        ),
    ),
    # 3.14 blood_thinner_use
    Rule(
        "DN-BLEED-INR",
        "blood_thinner_use",
        ABSOLUTE,
        "{agent} with INR {inr} (> {ceiling})",
        "No DN guideline sets an INR ceiling; clinic protocols postpone above about 3.0. "
        "Conservative APP DEFAULT, whatever the patient's own target range.",
        ("R11", "C3a", "C3b", "C3c"),
        _inr_above_ceiling,
        "Defer until the INR is back in range.",
        patient_modification=(
            "Your practitioner will wait until your blood clotting test is back in the safe range "
            "before using needles, because right now your blood takes too long to clot."
        ),
    ),
    Rule(
        "DN-BLEED-INR-UNKNOWN",
        "blood_thinner_use",
        RELATIVE,
        "{agent}, {detail}: INR unknown — superficial, compressible sites only",
        "When the INR is not known, ask about bleeding after blood tests and avoid deep muscles "
        "until the bleeding response is known.",
        ("R11",),
        _inr_unknown,
        "Superficial, compressible sites only until a recent INR is known.",
        patient_modification=(
            "Your practitioner will only needle close to the surface, in places they can press on "
            "firmly, until they know the result of a recent blood clotting test, because you take "
            "a blood thinner."
        ),
    ),
    Rule(
        "DN-BLEED-VKA",
        "blood_thinner_use",
        RELATIVE,
        "{agent} with INR {inr} (≤ {ceiling}) measured {when}",
        "Antithrombotic medication is not an absolute contraindication when the INR is controlled.",
        ("R11", "R10", "G19b"),
        _inr_in_range,
        _BLEED_CARE,
        patient_modification=_PATIENT_BLEED_THINNER,
    ),
    Rule(
        "DN-BLEED-DUAL",
        "blood_thinner_use",
        RELATIVE,
        "dual therapy: {agents}",
        "Combined antithrombotics add to bleeding risk.",
        ("R11",),
        _dual_therapy,
        _BLEED_CARE,
        patient_modification=_PATIENT_BLEED_THINNER,
    ),
    Rule(
        "DN-BLEED-ANTITHROMBOTIC",
        "blood_thinner_use",
        RELATIVE,
        "antithrombotic: {agent}",
        "Antithrombotic medication is a precaution: one moderate bleed in 3,974 treatments of "
        "anticoagulated patients.",
        ("R11", "R10", "G19b"),
        _single_other_agent,
        _BLEED_CARE,
        patient_modification=_PATIENT_BLEED_THINNER,
    ),
    # 3.15 pregnancy
    Rule(
        "DN-PREG-UNSURE",
        "pregnancy",
        ABSOLUTE,
        "pregnancy not ruled out (answered not sure){detail}",
        "A first-trimester pregnancy cannot be ruled out (APP DEFAULT).",
        ("C4a", "C4b"),
        _pregnancy_unsure,
        "Defer until pregnancy is excluded.",
        patient_modification=(
            "Your practitioner will wait until it is certain that you are not pregnant before "
            "using needles, because needling is avoided in the first months of being pregnant."
        ),
    ),
    Rule(
        "DN-PREG-FIRST-TRIMESTER",
        "pregnancy",
        ABSOLUTE,
        "pregnant, {detail}",
        "Australian DN teaching treats the first trimester as contraindicated; natural "
        "miscarriage is common then.",
        ("C4a", "C4b", "R16", *_APTA, "G4", "C4c"),
        _first_trimester,
        "Do not needle in the first trimester.",
        patient_modification=(
            "Your practitioner will not use needles until you are past the first three months of "
            "being pregnant, because needling is avoided at this early stage."
        ),
    ),
    Rule(
        "DN-PREG-COMPLICATIONS",
        "pregnancy",
        ABSOLUTE,
        "pregnancy with complications",
        "Conservative default: complications need obstetric clearance first.",
        ("G3a", "C4c", "C4a"),
        _pregnancy_complications,
        "Defer pending obstetric clearance.",
        patient_modification=(
            "Your practitioner will wait until your maternity team says that needling is safe for "
            "you, because of the problems you have had while pregnant."
        ),
    ),
    Rule(
        "DN-PREG-ESTIM",
        "pregnancy",
        ABSOLUTE,
        "pregnancy",
        "E-stim over the trunk, low back or pelvis in pregnancy is contraindicated in e-stim "
        "sources; strong electro-stimulation is advised against.",
        ("C7d", "C7e", "G3a"),
        _yes("pregnancy"),
        "No e-stim in pregnancy.",
        technique="estim",
        patient_modification=(
            "Your practitioner will not use electrical stimulation while you are pregnant, because "
            "strong stimulation is avoided then."
        ),
    ),
    Rule(
        "DN-PREG-TRUNK",
        "pregnancy",
        ABSOLUTE,
        "pregnancy",
        "Australian DN teaching avoids the abdomen, lumbar spine and sacrum in pregnancy.",
        ("C4a", "C4b", "C4d", "G4", "G3a"),
        _yes("pregnancy"),
        "Do not needle the abdomen, lumbar or sacral-pelvic regions in pregnancy.",
        region_set=PREGNANCY_TRUNK,
        patient_modification=(
            "Your practitioner will not put needles in your belly, your lower back or the base of "
            "your spine and pelvis, because these areas are avoided while you are pregnant."
        ),
    ),
    Rule(
        "DN-PREG",
        "pregnancy",
        RELATIVE,
        "pregnant, {weeks} weeks ({trimester})",
        "Second and third trimester outside the avoided regions is a precaution; adverse events "
        "in pregnancy are mostly mild.",
        ("G3a", "C4a", "R17", "R19", "R16", *_APTA),
        _later_pregnancy,
        "Avoid the first web space of the hand and the medial lower leg above the ankle; upper "
        "trapezius with care; no strong stimulation; side-lying rather than flat on the back "
        "later in pregnancy.",
        patient_modification=(
            "Your practitioner will keep needles away from the skin between your thumb and first "
            "finger and from the inside of your lower leg just above the ankle, because these "
            "areas are usually avoided while you are pregnant. Your practitioner will also take "
            "extra care at the tops of your shoulders and will not use strong stimulation. You "
            "will lie on your side rather than flat on your back as your baby grows."
        ),
    ),
    # 3.16 skin_lesion_or_local_infection
    Rule(
        "DN-SKIN-SITE",
        "skin_lesion_or_local_infection",
        ABSOLUTE,
        "lesion {where}",
        "Needling through infected or broken skin can carry bacteria into deeper tissue.",
        ("C6d", "R16", "R26", "R31", "G8"),
        _site("skin_lesion_or_local_infection", "regions"),
        _AVOID_SITE,
        site=NEAR,
        patient_modification=_patient_avoid_site(
            "the area with the skin problem", "needling there could spread infection"
        ),
    ),
    Rule(
        "DN-SKIN-ELSEWHERE",
        "skin_lesion_or_local_infection",
        INFO,
        "lesion {where}",
        "A lesion away from the plan does not stop needling; the systemically unwell are caught "
        "by the question about being unwell today.",
        ("R16",),
        _lesion_with_regions,
        site=AWAY,
    ),
    # 3.17 immunocompromised
    Rule(
        "DN-IMMUNE-NEUTROPENIA",
        "immunocompromised",
        ABSOLUTE,
        "weakened immune system with a low white cell count now",
        "Cancer-care recommendations expect blood counts to be used; low counts are an APP "
        "DEFAULT reason to wait for medical clearance.",
        ("G15", "R16"),
        _neutropenia,
        "Defer pending medical clearance.",
        patient_modification=(
            "Your practitioner will wait until your doctor says that needling is safe, because "
            "your body cannot fight germs well while your white blood cell count is low."
        ),
    ),
    Rule(
        "DN-IMMUNE",
        "immunocompromised",
        RELATIVE,
        "weakened immune system",
        "A compromised immune system is a relative contraindication in the APTA list.",
        (*_APTA, "R16", "C14", "G15"),
        _unless(_yes("immunocompromised"), _neutropenia),
        "Strict asepsis; check recent blood counts where available.",
        patient_modification=(
            "Your practitioner will take extra care to keep everything clean and will look at your "
            "recent blood test results if they have them, because a weaker immune system makes "
            "infection more likely."
        ),
    ),
    # 3.18 diabetes
    Rule(
        "DN-DIABETES",
        "diabetes",
        RELATIVE,
        "diabetes{detail}",
        "Diabetes is a relative contraindication: poor circulation and wound healing in the "
        "extremities.",
        (*_APTA, "G3a", "C6d"),
        _diabetes,
        "Check today's meal and glucose; extra care with the legs and feet.",
        patient_modification=(
            "Your practitioner will ask what you have eaten today and about your blood sugar, and "
            "will take extra care with your legs and feet, because they can heal more slowly."
        ),
    ),
    # 3.19 bloodborne_virus
    Rule(
        "DN-BBV",
        "bloodborne_virus",
        INFO,
        "blood-borne virus reported",
        "Matters for the needle-stick protocol; standard precautions apply to every patient.",
        ("G8", "C1a", "C1b"),
        _yes("bloodborne_virus"),
        "Standard precautions; know the needle-stick protocol.",
        patient_modification=(
            "We use the same safety steps for you as for every patient, including careful "
            "handling of every used needle."
        ),
    ),
    # 3.20 lymphoedema
    Rule(
        "DN-LYMPHOEDEMA-SITE",
        "lymphoedema",
        ABSOLUTE,
        "lymphoedema {where}",
        "Needling a limb or area with lymphoedema may raise the risk of cellulitis.",
        (*_APTA, "R16", "G3a", "C6b", "G20"),
        _site("lymphoedema", "regions"),
        _AVOID_SITE,
        site=NEAR,
        patient_modification=_patient_avoid_site(
            "the swollen area", "it gets infected more easily"
        ),
    ),
    # 3.21 lymph_nodes_removed
    Rule(
        "DN-NODES-SITE",
        "lymph_nodes_removed",
        ABSOLUTE,
        "lymph-node at-risk area {where}",
        "Limbs at risk of lymphoedema are avoided for needle puncture; the evidence is weak "
        "(clinic setting node_at_risk_level).",
        ("G20", "G17", "G18", *_APTA),
        _listed_site("lymph_nodes_removed", "at_risk_regions"),
        "Do not needle the at-risk limb or quadrant; choose another region.",
        site=NEAR,
        level_setting="node_at_risk_level",
        patient_modification=_patient_avoid_site(
            "the arm, leg or part of your body whose lymph nodes were removed or treated",
            "it could swell or get infected more easily",
        ),
    ),
    Rule(
        "DN-NODES-NO-REGION",
        "lymph_nodes_removed",
        INFO,
        "lymph nodes removed or irradiated; no at-risk area recorded",
        "Only the recorded at-risk area decides the site rule.",
        ("G17",),
        _nodes_without_region,
        "Ask which limb or quadrant the nodes drained and record it.",
        patient_modification=(
            "Your practitioner will ask which arm, leg or side of your body the removed or treated "
            "lymph nodes drained, and will write it down."
        ),
    ),
    # 3.22 cancer
    Rule(
        "DN-CANCER-TUMOUR-SITE",
        "cancer",
        ABSOLUTE,
        "tumour or metastasis {where}",
        "Local malignancy is absolute in DN teaching; e-stim through malignant tissue is "
        "contraindicated.",
        ("C6d", "C7a", "C7b", "G15"),
        _listed_site("cancer", "tumour_regions"),
        _AVOID_SITE + " No e-stim near the tumour.",
        site=NEAR,
        patient_modification=_patient_avoid_site(
            "the tumour", "needles are never placed over a tumour"
        )
        + " Your practitioner will not use electrical stimulation near it either.",
    ),
    Rule(
        "DN-CANCER-RADIOTHERAPY-SITE",
        "cancer",
        ABSOLUTE,
        "radiotherapy field ({when}) {where}",
        "Skin weakened by recent radiotherapy is not needled or stimulated.",
        ("C7a", "C7b", "G15"),
        _radiotherapy_field,
        _AVOID_SITE,
        site=NEAR,
        patient_modification=_patient_avoid_site(
            "skin that had radiotherapy recently", "that skin is weaker while it heals"
        ),
    ),
    Rule(
        "DN-CANCER-ACTIVE",
        "cancer",
        RELATIVE,
        "{state}{detail}",
        "Cancer-care recommendations set cautions and red/amber flags during treatment.",
        ("G15", "G16", "C1c", "C1i"),
        _active_cancer,
        "Oncology clearance; check recent blood counts.",
        patient_modification=(
            "Your practitioner will check with the doctors treating you and look at your latest "
            "blood test results before needling, because your treatment can make bleeding and "
            "infection more likely."
        ),
    ),
    Rule(
        "DN-CANCER-REMISSION",
        "cancer",
        INFO,
        "cancer in remission ({status})",
        "Remission alone is not a flag; lymph issues are handled by their own items.",
        ("G15",),
        _cancer_in_remission,
    ),
    # 3.23 vascular_disease
    Rule(
        "DN-VASC-CLOT-SITE",
        "vascular_disease",
        ABSOLUTE,
        "{kinds} {where}",
        "Needling at a recent clot or an aneurysm is avoided (APP DEFAULT); vessels must be "
        "located and avoided.",
        ("G3a", "C7f", "G8"),
        _clot_or_aneurysm,
        _AVOID_SITE,
        site=NEAR,
        patient_modification=_patient_avoid_site(
            "the blood clot or the weak, bulging blood vessel",
            "a needle there could harm the blood vessel",
        ),
    ),
    Rule(
        "DN-VASC",
        "vascular_disease",
        RELATIVE,
        "vascular disease: {kinds}",
        "Vascular disease, including varicose veins, is a relative contraindication.",
        ("R16", *_APTA, "G3a", "G8"),
        _vascular,
        "Locate and avoid vessels; do not needle into varicose veins.",
        patient_modification=(
            "Your practitioner will find and keep away from blood vessels and will never put a "
            "needle into a swollen vein, because you have a blood vessel problem."
        ),
    ),
    # 3.24 heart_condition
    Rule(
        "DN-HEART-ESTIM-TRUNK",
        "heart_condition",
        ABSOLUTE,
        "heart condition",
        "Current through the chest can disturb heart rhythm in arrhythmia, heart failure or "
        "after infarction.",
        ("C7a", "C7b"),
        _heart,
        "No e-stim on the trunk or neck.",
        technique="estim",
        region_set=TRUNK_AND_NECK,
        patient_modification=(
            "Your practitioner will not use electrical stimulation on your neck, shoulders, chest, "
            "back or belly, because current near the heart could upset its rhythm."
        ),
    ),
    Rule(
        "DN-HEART",
        "heart_condition",
        RELATIVE,
        "heart condition{state}",
        "Heart conditions appear on DN screening lists; many cardiac patients take blood thinners.",
        ("C1e", "C6b"),
        _heart,
        "Monitor during treatment; check for blood thinners.",
        patient_modification=(
            "Your practitioner will keep a close eye on you during treatment and will check "
            "whether you take a blood thinner, because you have a problem with your heart."
        ),
    ),
    # 3.25 heart_valve_or_endocarditis
    Rule(
        "DN-VALVE",
        "heart_valve_or_endocarditis",
        RELATIVE,
        "artificial heart valve or past endocarditis",
        "Valve disease is a listed precaution; no professional guideline makes it absolute.",
        ("C1e", "C6a", "C6b"),
        _yes("heart_valve_or_endocarditis"),
        "Strict asepsis; physician sign-off.",
        patient_modification=(
            "Your practitioner will take extra care to keep everything clean and will get a "
            "doctor's agreement before treating you, because germs that get into the blood can "
            "settle on heart valves."
        ),
    ),
    # 3.26 implanted_electrical_device
    Rule(
        "DN-DEVICE-ESTIM",
        "implanted_electrical_device",
        ABSOLUTE,
        "implanted electronic device",
        "Pacemakers and ICDs can sense stimulation as cardiac signals (pacing inhibition, "
        "shocks); conservative default: any e-stim anywhere.",
        ("G14", "C7a", "C7b", "C7c", "R25", "R26"),
        _yes("implanted_electrical_device"),
        "No e-stim; manual needling only.",
        technique="estim",
        patient_modification=(
            "Your practitioner will use needles without any electrical current, because current "
            "could upset your implanted device."
        ),
    ),
    Rule(
        "DN-DEVICE-SITE",
        "implanted_electrical_device",
        RELATIVE,
        "implanted device {where}",
        "Manual needling has no electrical risk but must avoid the device and its leads.",
        ("C3a", "R25"),
        _site("implanted_electrical_device", "device_regions"),
        "Keep needles away from the device and its leads.",
        site=NEAR,
        patient_modification=(
            "Your practitioner will keep needles well away from your implanted device and its "
            "wires, so that they cannot damage it."
        ),
    ),
    # 3.27 joint_replacement_or_metal_hardware
    Rule(
        "DN-HARDWARE-RECENT",
        "joint_replacement_or_metal_hardware",
        ABSOLUTE,
        "metal hardware {where}; {detail}",
        "A hip prosthesis became infected after DN seven months after surgery (APP DEFAULT "
        "window).",
        ("R21", "C15", "R16", "C6c"),
        _hardware_within_window,
        _AVOID_SITE,
        site=NEAR,
        patient_modification=_patient_avoid_site(
            "your joint replacement or metal implant",
            "the operation was recent and the implant must be kept safe from infection",
        ),
    ),
    Rule(
        "DN-HARDWARE-INFECTION",
        "joint_replacement_or_metal_hardware",
        ABSOLUTE,
        "metal hardware {where}; {detail}",
        "Signs of infection at a joint replacement need medical review, not needling.",
        ("R21", "C15"),
        _hardware_infection_signs,
        _AVOID_SITE + " Refer for review of possible infection.",
        site=NEAR,
        patient_modification=_patient_avoid_site(
            "your joint replacement or metal implant", "it may be infected"
        )
        + " Your practitioner will also ask a doctor to check it.",
    ),
    Rule(
        "DN-HARDWARE-SITE",
        "joint_replacement_or_metal_hardware",
        RELATIVE,
        "metal hardware {where}; {detail}",
        "Needling near a joint replacement is a precaution: the joint capsule was opened.",
        ("R16", "C6c", "R21"),
        _unless(_hardware_settled, _hardware_within_window, _hardware_infection_signs),
        "Do not needle into the joint capsule or down to the hardware.",
        site=NEAR,
        patient_modification=(
            "Your practitioner will not put needles into the joint or down to the metal, to keep "
            "your joint replacement or implant safe from infection."
        ),
    ),
    Rule(
        "DN-HARDWARE-ESTIM",
        "joint_replacement_or_metal_hardware",
        RELATIVE,
        "metal hardware {where}",
        "E-stim should not touch metal such as staples or pins.",
        ("C7b",),
        _site("joint_replacement_or_metal_hardware", "regions"),
        "Keep the current path away from the metal.",
        technique="estim",
        site=NEAR,
        patient_modification=(
            "Your practitioner will keep the electrical current away from the metal in your body."
        ),
    ),
    # 3.28 breast_or_cosmetic_implant
    Rule(
        "DN-IMPLANT-SITE",
        "breast_or_cosmetic_implant",
        RELATIVE,
        "cosmetic implant {where}",
        "Do not needle into breast tissue or an implant; over the chest, plan needle length "
        "and angle away from the pleura too.",
        ("C1e", "C6c", "G3a", "G8"),
        _site("breast_or_cosmetic_implant", "regions"),
        "Angle and depth away from the implant (and the pleura over the chest).",
        site=NEAR,
        patient_modification=(
            "Your practitioner will choose the angle and depth of each needle to keep it away from "
            "your implant, and away from your lungs when treating near the chest."
        ),
    ),
    # 3.29 recent_surgery
    Rule(
        "DN-SURGERY-UNHEALED",
        "recent_surgery",
        ABSOLUTE,
        "surgical site {where}; {detail}",
        "Open wounds carry infection into deeper tissue; infection leads acupuncture "
        "complications.",
        ("C1e", "R31", "C6d", "R16"),
        _unhealed_incision,
        _AVOID_SITE + " Wait until the incision is fully closed.",
        site=NEAR,
        patient_modification=_patient_avoid_site(
            "the area that was operated on", "an open wound could let germs in"
        )
        + " Your practitioner will wait until the wound has fully closed.",
    ),
    Rule(
        "DN-SURGERY-RECENT",
        "recent_surgery",
        RELATIVE,
        "surgical site {where}; healed, {detail}",
        "Recent surgery is a relative contraindication (APP DEFAULT window).",
        ("C6d", "R16", "C16"),
        _healed_recent_surgery,
        "Needle gently around the site; winding on the scar follows the same rule.",
        site=NEAR,
        patient_modification=(
            "Your practitioner will needle gently around the area that was operated on, and take "
            "the same care with the scar, because it is still healing."
        ),
    ),
    # 3.30 epilepsy
    Rule(
        "DN-EPILEPSY-UNCONTROLLED",
        "epilepsy",
        ABSOLUTE,
        "epilepsy: {detail}",
        "Uncontrolled epilepsy is excluded by clinic lists; seizures after acupuncture are "
        "reported.",
        ("C6b", "G19a", "R28"),
        _uncontrolled_epilepsy,
        "Defer until seizures are controlled.",
        patient_modification=(
            "Your practitioner will wait until your seizures are under control before using "
            "needles."
        ),
    ),
    Rule(
        "DN-EPILEPSY-ESTIM",
        "epilepsy",
        ABSOLUTE,
        "epilepsy",
        "No electro-acupuncture in epilepsy; manufacturers require precautions.",
        ("G19a", "C7c"),
        _yes("epilepsy"),
        "No e-stim.",
        technique="estim",
        patient_modification=(
            "Your practitioner will not use electrical stimulation, because it could set off a "
            "seizure."
        ),
    ),
    Rule(
        "DN-EPILEPSY",
        "epilepsy",
        RELATIVE,
        "epilepsy, controlled{detail}",
        "Epilepsy is a relative contraindication in the APTA list; fainting can mimic a seizure.",
        (*_APTA, "G19a", "R9"),
        _unless(_controlled_epilepsy, _uncontrolled_epilepsy),
        "Treat lying down and monitor.",
        patient_modification=(
            "Your practitioner will treat you lying down and keep a close eye on you, because you "
            "have had seizures."
        ),
    ),
    # 3.31 reduced_sensation
    Rule(
        "DN-SENSATION-ESTIM",
        "reduced_sensation",
        ABSOLUTE,
        "numb area {where}",
        "A patient who cannot feel cannot give feedback on e-stim (conservative default).",
        ("C7b", "C7c"),
        _numb_area,
        "No e-stim at or near the numb area.",
        technique="estim",
        site=NEAR,
        patient_modification=(
            "Your practitioner will not use electrical stimulation in or near the numb area, "
            "because you might not feel it if the current were too strong."
        ),
    ),
    Rule(
        "DN-SENSATION-SITE",
        "reduced_sensation",
        RELATIVE,
        "numb area {where}",
        "A patient who cannot feel the needle cannot report warning pain from a nerve or vessel.",
        ("C1a", "G8"),
        _numb_area,
        "Needle gently; the patient may not feel warning pain.",
        site=NEAR,
        patient_modification=(
            "Your practitioner will needle gently in or near the numb area, because you might not "
            "feel the pain that would warn of a problem."
        ),
    ),
    # 3.32 severe_touch_sensitivity
    Rule(
        "DN-ALLODYNIA-SITE",
        "severe_touch_sensitivity",
        RELATIVE,
        "severe touch sensitivity {where}",
        "Severe hyperalgesia and allodynia are in the APTA-derived precaution table.",
        ("R16",),
        _site("severe_touch_sensitivity", "regions"),
        "Start very gently and monitor flare-ups.",
        site=NEAR,
        patient_modification=(
            "Your practitioner will start very gently and check whether the area flares up, "
            "because it is very sensitive to touch."
        ),
    ),
    # 3.33-3.35 allergies
    Rule(
        "DN-METAL-ALLERGY",
        "metal_allergy",
        RELATIVE,
        "metal allergy",
        "Stainless needles usually contain nickel; nickel dermatitis from needles is reported.",
        (*_APTA, "R16", "R27a", "R27b"),
        _yes("metal_allergy"),
        "Consider coated or alternative needles, or a test needle.",
        patient_modification=(
            "Your practitioner may use coated needles or a different kind of needle, or try one "
            "needle first, because you are allergic to metal."
        ),
    ),
    Rule(
        "DN-LATEX-ALLERGY",
        "latex_allergy",
        RELATIVE,
        "latex allergy",
        "Gloves are recommended during DN, so glove material matters.",
        (*_APTA, "G8"),
        _yes("latex_allergy"),
        "Latex-free gloves and supplies.",
        patient_modification=(
            "Your practitioner will use gloves and supplies that contain no latex, because you are "
            "allergic to it."
        ),
    ),
    Rule(
        "DN-ANTISEPTIC-ALLERGY",
        "skin_prep_or_adhesive_allergy",
        RELATIVE,
        "allergy to skin cleaners or medical tape",
        "Skin must be disinfected before needling.",
        ("G8", *_APTA, "C7e"),
        _yes("skin_prep_or_adhesive_allergy"),
        "Use an alternative antiseptic and dressing.",
        patient_modification=(
            "Your practitioner will use a different skin cleaner and plaster, because you are "
            "allergic to some skin wipes or tape."
        ),
    ),
    # 3.36-3.38 chest and lung
    Rule(
        "DN-LUNG-DISEASE",
        "lung_disease_or_previous_pneumothorax",
        RELATIVE,
        "lung disease or previous collapsed lung",
        "Chest disease makes needling over the thorax riskier; a pneumothorax may present "
        "hours later.",
        ("C5", "G8"),
        _yes("lung_disease_or_previous_pneumothorax"),
        _LUNG_CARE,
        region_set=LUNG_RISK,
        patient_modification=_patient_lung_care("a collapsed lung would be more serious for you"),
    ),
    Rule(
        "DN-LOW-BMI",
        "low_body_weight",
        RELATIVE,
        "{detail}",
        "Reported pneumothoraces after shoulder and upper-back needling involved low BMI and a "
        "short skin-to-pleura distance.",
        ("R22", "R23", "R32", "R33"),
        _low_bmi,
        _LUNG_CARE + " Consider ultrasound skin-to-rib measurement.",
        region_set=LUNG_RISK,
        patient_modification=_patient_lung_care("there is less tissue over your lungs")
        + " Your practitioner may also use a scan to measure how deep your ribs are.",
    ),
    Rule(
        "DN-CHEST-WALL",
        "chest_wall_deformity",
        RELATIVE,
        "scoliosis or chest-wall deformity",
        "Spinal curvature can make back muscles thin over the thorax; the NZ HDC decision "
        "faulted an undocumented discussion of this risk.",
        ("G13", "C5"),
        _yes("chest_wall_deformity"),
        _LUNG_CARE + " Discuss and record the extra risk.",
        region_set=LUNG_RISK,
        patient_modification=_patient_lung_care(
            "the shape of your chest makes the distance to your lungs harder to judge"
        )
        + " Your practitioner will also talk with you about this extra risk and write it down.",
    ),
    # 3.39 acute_injury_at_site
    Rule(
        "DN-ACUTE-INJURY-SITE",
        "acute_injury_at_site",
        ABSOLUTE,
        "acute injury {where}{detail}",
        "Very swollen or acutely inflamed areas and unstable bone injuries are not needled.",
        ("C6b", "G3a", "C6c", "C7c"),
        _acute_injury,
        _AVOID_SITE + " Refer for imaging if a fracture is suspected.",
        site=NEAR,
        patient_modification=_patient_avoid_site(
            "the injured area", "a fresh injury needs time to settle"
        )
        + " Your practitioner will also send you for an X-ray if a bone might be broken.",
    ),
    # 3.40 frailty
    Rule(
        "DN-FRAILTY",
        "frailty",
        RELATIVE,
        "frailty",
        "Frailty is a relative contraindication; older, comorbid patients bleed and faint more.",
        (*_APTA, "R11", "R8"),
        _yes("frailty"),
        "Treat lying down, fewer needles, monitor; check for blood thinners.",
        patient_modification=(
            "Your practitioner will treat you lying down, use fewer needles, keep a close eye on "
            "you and check whether you take a blood thinner, because you may bruise, faint or fall "
            "more easily."
        ),
    ),
)


# ----------------------------------------------------------------------------------------------
# Evaluation


class _Hit(NamedTuple):
    rule: Rule
    level: str
    message: str
    pending: bool
    clinician_pending: bool
    trigger: str
    # For a plan-bound rule with no plan yet: the level it would have once planned.
    would_be: str | None = None


def _technique_label(technique: str) -> str:
    return "e-stim" if technique == "estim" else technique


def _plan_condition(rule: Rule, plan: Plan | None) -> str:
    """The plan part of a technique or region-set rule, as decided or as still pending."""
    technique = _technique_label(rule.technique) if rule.technique else ""
    region_set = rule.region_set
    if plan is None:
        if technique and region_set:
            return f"if {technique} is planned on {_article(region_set.label)}"
        if technique:
            return f"if {technique} is planned"
        return f"if {_article(region_set.label)} is planned"
    matched = _regions_text(plan.regions & region_set.regions) if region_set else ""
    if technique and region_set:
        return f"with {technique} planned on {region_set.label} {matched}"
    if technique:
        return f"with {technique} planned"
    return f"with {region_set.label} {matched} planned"


def _where_pending(facts: Facts) -> str:
    if facts.regions is None:
        return "(no region recorded)"
    return f"at {_regions_text(facts.regions)}"


def _where_near(facts: Facts, pairs: tuple[tuple[str, str], ...]) -> str:
    planned = _regions_text({target for _, target in pairs})
    if facts.regions is None:
        return f"(no region recorded, so taken as the planned {planned})"
    affected = _regions_text({region for region, _ in pairs})
    return f"at {affected} is at or near the planned {planned}"


def _where_away(facts: Facts, plan: Plan) -> str:
    planned = _regions_text(plan.regions) or "nothing"
    return f"at {_regions_text(facts.regions)}, away from the planned {planned}"


def _apply(rule: Rule, facts: Facts, plan: Plan | None, thresholds: Thresholds) -> _Hit | None:
    """The hit of a rule whose check fired, once the plan is taken into account (or None)."""
    level = getattr(thresholds, rule.level_setting) if rule.level_setting else rule.level
    plan_bound = rule.technique is not None or rule.region_set is not None
    if plan is None:
        if rule.site == AWAY:
            return None
        where = _where_pending(facts) if rule.site else ""
        message = rule.message.format(where=where, **facts.values)
        if plan_bound:
            # §13.3: technique escalations and lung-risk items cannot count before a plan.
            message = f"{message} — {level} {_plan_condition(rule, None)}"
            return _Hit(rule, INFO, message, True, facts.clinician_pending, facts.trigger, level)
        pending = rule.site is not None
        return _Hit(rule, level, message, pending, facts.clinician_pending, facts.trigger)
    if rule.technique and rule.technique not in plan.techniques:
        return None
    if rule.region_set and plan.regions.isdisjoint(rule.region_set.regions):
        return None
    where = ""
    if rule.site:
        affected = facts.regions if facts.regions is not None else plan.regions
        pairs = region_data.near_matches(affected, plan.regions)
        if (rule.site == NEAR) != bool(pairs):
            return None
        where = _where_near(facts, pairs) if rule.site == NEAR else _where_away(facts, plan)
    message = rule.message.format(where=where, **facts.values)
    if plan_bound:
        message = f"{message} {_plan_condition(rule, plan)}"
    return _Hit(rule, level, message, False, facts.clinician_pending, facts.trigger)


def _value_text(value: Any) -> str:
    if value is True or value is False:
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(value)
    if is_number(value):
        return number_text(value)
    return str(value)


def _trigger(item: ItemAnswers, extra: str) -> str:
    """The item's answers that can trigger rules, without free text."""
    values = item.values
    parts = [
        f"{field_id}: {_value_text(values[field_id])}"
        for field_id in item.item.trigger_fields
        if field_id in values and values[field_id] not in UNANSWERED
    ]
    if extra:
        parts.append(extra)
    return "; ".join(parts)


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for value in values if value))


def _relevant(hits: list[_Hit]) -> list[_Hit]:
    """Drop pending escalations that would not raise the item above its decided level."""
    decided = [_RANK[hit.level] for hit in hits if hit.would_be is None]
    if not decided:
        return hits
    floor = max(decided)
    return [hit for hit in hits if hit.would_be is None or _RANK[hit.would_be] > floor]


def _note(pending: bool, clinician: bool) -> str:
    notes = [PENDING_PLAN] if pending else []
    if clinician:
        notes.append(CLINICIAN_CHECK_PENDING)
    return "; ".join(notes)


def _finding(item_id: str, hits: list[_Hit], answers: Answers) -> Finding:
    """One finding per item: the highest level, every reason, highest level first."""
    top = hits[0]
    if len(hits) == 1:
        # The common case, kept cheap: nothing to merge.
        message, sources, modification = top.message, top.rule.sources, top.rule.modification
        patient_modification = top.rule.patient_modification
        extra_trigger = top.trigger
    else:
        hits = sorted(_relevant(hits), key=lambda hit: -_RANK[hit.level])
        top = hits[0]
        message = "; ".join(_unique(hit.message for hit in hits))
        sources = _unique(tag for hit in hits for tag in hit.rule.sources)
        modification = " ".join(_unique(hit.rule.modification for hit in hits))
        patient_modification = " ".join(_unique(hit.rule.patient_modification for hit in hits))
        extra_trigger = "; ".join(_unique(hit.trigger for hit in hits))
    pending = any(hit.pending for hit in hits)
    clinician = any(hit.clinician_pending for hit in hits)
    return Finding(
        code=top.rule.code,
        codes=tuple(hit.rule.code for hit in hits),
        item=item_id,
        ref=ITEMS[item_id].ref,
        level=top.level,
        message=message,
        rationale=top.rule.rationale,
        sources=sources,
        modification=modification,
        patient_modification=patient_modification,
        pending_plan=pending,
        note=_note(pending, clinician),
        trigger=_trigger(answers[item_id], extra_trigger),
    )


def outcome_of(findings: tuple[Finding, ...] | list[Finding]) -> str:
    """§0.1: any absolute -> contraindicated; else any relative -> precaution; else clear."""
    levels = {finding.level for finding in findings}
    if ABSOLUTE in levels:
        return CONTRAINDICATED
    if RELATIVE in levels:
        return PRECAUTION
    return CLEAR


def evaluate(
    answers: Mapping[str, Mapping[str, Any]] | Answers,
    plan: Plan | None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Result:
    """Screen answers (canonical shape) against a plan, or None for "no plan yet".

    The answers are read through `prepare` (§13.9) whatever their origin, and a plan with no
    region is no plan yet.
    """
    raw = answers.raw if isinstance(answers, Answers) else answers
    view = Answers(prepare(raw, thresholds=thresholds))
    if plan is not None and not plan.regions:
        plan = None
    by_item: dict[str, list[_Hit]] = {}
    # Every rule runs on every call: no early exit, so every rule is exercised on every input.
    for rule in RULES:
        facts = rule.check(view, thresholds)
        hit = None if facts is None else _apply(rule, facts, plan, thresholds)
        if hit is not None:
            by_item.setdefault(rule.item, []).append(hit)
    findings = tuple(
        _finding(item_id, by_item[item_id], view)
        for item_id in sorted(by_item, key=ITEM_ORDER.__getitem__)
    )
    return Result(outcome=outcome_of(findings), findings=findings, thresholds=thresholds)


RULES_BY_CODE: Mapping[str, Rule] = MappingProxyType({rule.code: rule for rule in RULES})
