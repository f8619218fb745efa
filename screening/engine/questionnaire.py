"""The patient questionnaire as data: sections, the 40 items of clinical reference §3, follow-ups.

Pure Python, no Django. Forms, review pages, documents and exports are built from this module;
item and follow-up ids are a contract shared with the rules and the stored answers.

Stored answers ("the canonical shape") are exactly the engine input of the vignettes::

    {item_id: {"answer": ..., follow_up_id: value, ...}, ...}

An item that is absent counts as a negative answer. An unanswered follow-up is absent (never
stored as None, "" or []); `prune` enforces this.

Decisions recorded here (the reference leaves them open):

* Sections follow §8. Step 13 "body map" is dropped: every region question (`kind="regions"`)
  stays next to the item that asks it, where the patient still knows what the area is for.
  `frailty`, which §8 does not place, is asked in "About you"; `immunocompromised` is asked in
  "Infection, skin, diabetes and immunity" (its §3 group), not under "Bleeding and medicines".
* Enable conditions are data (`When`), so they can be exported as FHIR ``enableWhen``: ``eq``
  -> ``=``; ``in`` and ``any_of`` -> one ``=`` per value with ``enableBehavior: any``;
  ``answered`` -> ``exists``. Several conditions on one follow-up must all hold.
* Four items are *derived*: the patient does not answer ``answer`` directly. Each names a
  `Derivation` (a small pure function with declared inputs and outputs) that `derive` runs:

  - ``minor_patient``: ``age_years`` comes from the clinic's date of birth
    (``derive(age_years=...)``), never typed by the patient; ``answer = age < age_of_majority``.
  - ``not_eaten_recently``: ``answer = hours_since_meal > max_hours_since_meal``.
  - ``previous_needling_reaction``: ``answer = previous_experience == "problems"``.
  - ``low_body_weight``: ``bmi`` is computed from ``height_cm`` and ``weight_kg`` without
    rounding when both are present (else a stored ``bmi`` is used); ``answer = bmi < min_bmi``.

  ``needle_phobia`` is asked as yes or no, with ``fear_level`` (``mild`` or ``strong``, a
  closed list) after a yes, like every other item (§13.9).

  As §13.5 says for the numeric ones, the derived value wins whenever its input is present;
  a stored ``answer`` is used only when the input is absent.
* Some patient texts name a clinic threshold (``{alcohol_lookback_hours}``,
  ``{major_bleed_days}``, ``{radiotherapy_months}``), so that the question always asks about
  the window the rules apply. Render them with `render_text` (or `Item.question_text`,
  `FollowUp.label_text`).
* Follow-ups marked ``clinician_only`` are never shown to the patient; ``derived`` follow-ups
  are computed and shown read-only.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import ROUND_DOWN, Decimal
from types import MappingProxyType
from typing import Any, Protocol

from screening.engine import regions as region_data

VERSION = "2026.12-2"  # 2026.12-2: pages within sections, wording of the asked-by questions

# Follow-up kinds.
YES_NO = "yes_no"
CHOICE = "choice"
MULTI_CHOICE = "multi_choice"
INTEGER = "integer"
DECIMAL = "decimal"
TEXT = "text"
REGIONS = "regions"  # kind: a list of body-map region ids or aliases
FOLLOW_UP_KINDS = (YES_NO, CHOICE, MULTI_CHOICE, INTEGER, DECIMAL, TEXT, REGIONS)
NUMBER_KINDS = (INTEGER, DECIMAL)

# How an item's main `answer` is obtained.
ANSWER_YES_NO = "yes_no"
ANSWER_CHOICE = "choice"
ANSWER_DERIVED = "derived"

UNANSWERED: tuple[Any, ...] = (None, "", [], ())


class UnknownItem(LookupError):
    """An item id that the questionnaire does not define (deliberately not a KeyError)."""

    def __init__(self, item_id: object) -> None:
        super().__init__(f"unknown questionnaire item {item_id!r}")
        self.item_id = item_id


class UnknownField(LookupError):
    """A follow-up id that the item does not define (deliberately not a KeyError)."""

    def __init__(self, item_id: str, field_id: object) -> None:
        super().__init__(f"item {item_id!r} has no follow-up {field_id!r}")
        self.item_id = item_id
        self.field_id = field_id


class DerivationThresholds(Protocol):
    """The clinic thresholds that derived answers and patient texts read (rules.Thresholds)."""

    age_of_majority: int
    max_hours_since_meal: float
    min_bmi: float


@dataclass(frozen=True)
class Choice:
    """One option: the stored value and its patient-facing label."""

    value: str
    label: str


@dataclass(frozen=True)
class When:
    """An enable condition on another field of the same item ("answer" or a follow-up id)."""

    field: str
    op: str  # "eq" | "in" | "any_of" | "answered"
    value: Any = None

    def holds(self, values: Mapping[str, Any]) -> bool:
        """True if the condition holds for these item values."""
        current = values.get(self.field)
        if self.op == "eq":
            return _same(current, self.value)
        if self.op == "in":
            return any(_same(current, option) for option in self.value)
        if self.op == "any_of":
            return isinstance(current, list | tuple) and any(v in self.value for v in current)
        if self.op == "answered":
            return not _unanswered(current)
        raise ValueError(f"unknown condition operator {self.op!r}")


def _same(current: Any, expected: Any) -> bool:
    # True == 1 in Python; a stored 1 must not satisfy a yes/no condition.
    if isinstance(expected, bool) or isinstance(current, bool):
        return current is expected
    return current == expected


def _unanswered(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


ANSWER_YES = (When("answer", "eq", True),)


@dataclass(frozen=True)
class FollowUp:
    """A follow-up question (or a derived or clinician-set field) of an item."""

    id: str
    label: str
    kind: str
    enable_when: tuple[When, ...] = ANSWER_YES
    choices: tuple[Choice, ...] = ()
    min: float | None = None
    max: float | None = None
    unit: str = ""
    required: bool = False
    clinician_only: bool = False
    derived: bool = False
    help: str = ""

    def enabled(self, values: Mapping[str, Any]) -> bool:
        """True if every enable condition holds for these item values."""
        return all(condition.holds(values) for condition in self.enable_when)

    def label_text(self, thresholds: DerivationThresholds) -> str:
        """The label with threshold placeholders filled in."""
        return render_text(self.label, thresholds)

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(choice.value for choice in self.choices)


@dataclass(frozen=True)
class DeriveContext:
    """What a derivation may read besides the item's own values."""

    thresholds: DerivationThresholds
    age_years: int | None = None


@dataclass(frozen=True)
class Derivation:
    """A named, pure computation of an item's derived fields from its inputs."""

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    description: str
    compute: Callable[[Mapping[str, Any], DeriveContext], dict[str, Any]]


@dataclass(frozen=True)
class Revisit:
    """Ask the patient to look again at another item when this item's answer calls for it."""

    when: tuple[When, ...]
    item: str
    message: str


@dataclass(frozen=True)
class Item:
    """One screening item of §3: staff title, patient question, answer kind and follow-ups."""

    id: str
    ref: str
    title: str
    question: str
    follow_ups: tuple[FollowUp, ...] = ()
    help: str = ""
    answer_kind: str = ANSWER_YES_NO
    answer_choices: tuple[Choice, ...] = ()
    positive_answers: tuple[Any, ...] = (True,)
    derivation: Derivation | None = None
    optional: bool = False
    revisits: tuple[Revisit, ...] = ()
    fields: Mapping[str, FollowUp] = dataclass_field(init=False, repr=False, compare=False)
    field_ids: frozenset[str] = dataclass_field(init=False, repr=False, compare=False)
    # "answer" and the follow-ups that are not free text, in order: what a finding may quote.
    trigger_fields: tuple[str, ...] = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", MappingProxyType({f.id: f for f in self.follow_ups}))
        object.__setattr__(self, "field_ids", frozenset({"answer", *self.fields}))
        quotable = ("answer", *(f.id for f in self.follow_ups if f.kind != TEXT))
        object.__setattr__(self, "trigger_fields", quotable)

    def follow_up(self, field_id: str) -> FollowUp:
        """The follow-up with this id; raise UnknownField."""
        try:
            return self.fields[field_id]
        except KeyError:
            raise UnknownField(self.id, field_id) from None

    def defines(self, field_id: str) -> bool:
        """True for "answer" and every follow-up id of this item."""
        return field_id in self.field_ids

    def question_text(self, thresholds: DerivationThresholds) -> str:
        """The patient question with threshold placeholders filled in."""
        return render_text(self.question, thresholds)


@dataclass(frozen=True)
class Section:
    """A wizard step: id, title, a short intro for patients, and its items in order.

    ``pages`` splits a long section into short screens (one topic each, so that a patient on a
    phone rarely scrolls more than a screen or two); each page lists item ids in section order
    and every item is on exactly one page. Without ``pages`` the section is one page.
    """

    id: str
    title: str
    intro: str
    items: tuple[str, ...] = ()
    pages: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        if not self.pages and self.items:
            object.__setattr__(self, "pages", (self.items,))
        flattened = tuple(item_id for page in self.pages for item_id in page)
        if flattened != self.items or any(not page for page in self.pages):
            raise ValueError(f"section {self.id}: pages must list its items once, in order")

    def page_of(self, item_id: str) -> int:
        """The 1-based page that asks ``item_id``."""
        for number, page in enumerate(self.pages, start=1):
            if item_id in page:
                return number
        raise KeyError(item_id)


def asked_by(item: Item) -> FollowUp | None:
    """The follow-up through which a derived item is asked, when that is a single choice
    ("Have you had dry needling before?" with its three answers): its label is the question."""
    if item.answer_kind != ANSWER_DERIVED:
        return None
    for follow_up in item.follow_ups:
        if not follow_up.enable_when and follow_up.kind == CHOICE:
            return follow_up
    return None


def render_text(text: str, thresholds: DerivationThresholds) -> str:
    """Fill ``{threshold_name}`` placeholders with the clinic's values (12.0 prints as 12)."""
    names = [name for _, name, _, _ in string.Formatter().parse(text) if name]
    values = {name: _plain_number(getattr(thresholds, name)) for name in names}
    return text.format(**values)


def _plain_number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# ----------------------------------------------------------------------------------------------
# Derivations


def _derive_age(values: Mapping[str, Any], ctx: DeriveContext) -> dict[str, Any]:
    age = ctx.age_years if ctx.age_years is not None else values.get("age_years")
    if not is_number(age):
        return {}
    return {"age_years": age, "answer": age < ctx.thresholds.age_of_majority}


def _derive_fasting(values: Mapping[str, Any], ctx: DeriveContext) -> dict[str, Any]:
    hours = values.get("hours_since_meal")
    if not is_number(hours):
        return {}
    return {"answer": hours > ctx.thresholds.max_hours_since_meal}


def _derive_experience(values: Mapping[str, Any], ctx: DeriveContext) -> dict[str, Any]:
    experience = values.get("previous_experience")
    if experience is None:
        return {}
    return {"answer": experience == "problems"}


def _derive_bmi(values: Mapping[str, Any], ctx: DeriveContext) -> dict[str, Any]:
    height, weight = values.get("height_cm"), values.get("weight_kg")
    bmi = values.get("bmi")
    if is_number(height) and is_number(weight) and height > 0:
        # Compared unrounded (§13.9): 41.62 kg at 150 cm is 18.498, below 18.5. Shown values
        # go through `number_text`, which never rounds across a threshold.
        try:
            bmi = weight / (height / 100) ** 2
        except (ZeroDivisionError, OverflowError):
            return {}  # no body has this height; the range check reports it to the person
    if not is_number(bmi):
        return {}
    return {"bmi": bmi, "answer": bmi < ctx.thresholds.min_bmi}


def number_text(value: float, places: int = 2) -> str:
    """A number as people read it: at most ``places`` decimals, cut rather than rounded, so a
    computed 18.498 reads 18.49 and never 18.5 beside the "< 18.5" it was compared with."""
    if isinstance(value, int):
        return str(value)
    cut = Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)
    return f"{cut.normalize():f}"


def is_number(value: Any) -> bool:
    """True for a finite int or float that is not a bool (JSON numbers as the rules read them)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


AGE = Derivation(
    "age",
    ("age_years",),
    ("age_years", "answer"),
    "age_years from the clinic's date of birth; positive when age_years < age_of_majority",
    _derive_age,
)
FASTING = Derivation(
    "hours_since_meal",
    ("hours_since_meal",),
    ("answer",),
    "positive when hours_since_meal > max_hours_since_meal",
    _derive_fasting,
)
EXPERIENCE = Derivation(
    "previous_experience",
    ("previous_experience",),
    ("answer",),
    "positive only when previous_experience is problems",
    _derive_experience,
)
BMI = Derivation(
    "bmi",
    ("height_cm", "weight_kg", "bmi"),
    ("bmi", "answer"),
    "bmi = weight_kg / (height_cm / 100)^2 when both are given; positive when bmi < min_bmi",
    _derive_bmi,
)

# ----------------------------------------------------------------------------------------------
# Enumerations shared with the rules (§13.6, §13.8)

VKA_AGENTS = ("warfarin", "acenocoumarol", "phenprocoumon", "phenindione", "fluindione")

_AGENT_CHOICES = (
    Choice("warfarin", "Warfarin"),
    Choice("acenocoumarol", "Acenocoumarol (Sintrom)"),
    Choice("phenprocoumon", "Phenprocoumon (Marcumar)"),
    Choice("phenindione", "Phenindione"),
    Choice("fluindione", "Fluindione (Previscan)"),
    Choice("apixaban", "Apixaban (Eliquis)"),
    Choice("rivaroxaban", "Rivaroxaban (Xarelto)"),
    Choice("dabigatran", "Dabigatran (Pradaxa)"),
    Choice("edoxaban", "Edoxaban (Lixiana, Savaysa)"),
    Choice("heparin", "Heparin injections (for example enoxaparin)"),
    Choice("aspirin", "Aspirin"),
    Choice("clopidogrel", "Clopidogrel (Plavix)"),
    Choice("ticagrelor", "Ticagrelor (Brilinta)"),
    Choice("prasugrel", "Prasugrel (Efient)"),
    Choice("other", "Another blood thinner"),
)

_YES_NO_CHOICES = (Choice("yes", "Yes"), Choice("no", "No"))


def _yes_no(field_id: str, label: str, **options: Any) -> FollowUp:
    return FollowUp(field_id, label, YES_NO, **options)


def _text(field_id: str, label: str, **options: Any) -> FollowUp:
    return FollowUp(field_id, label, TEXT, **options)


def _regions(field_id: str, label: str, **options: Any) -> FollowUp:
    options.setdefault("help", "Mark every area that applies. Left and right mean your own sides.")
    return FollowUp(field_id, label, REGIONS, **options)


def _number(
    field_id: str, label: str, kind: str, low: float, high: float, unit: str, **options: Any
) -> FollowUp:
    return FollowUp(field_id, label, kind, min=low, max=high, unit=unit, **options)


_WHERE = "Where on your body is it? Mark the areas."

# ----------------------------------------------------------------------------------------------
# The 40 items, in §3 order.

ITEM_LIST: tuple[Item, ...] = (
    # A. Consent, capacity and communication
    Item(
        "minor_patient",
        "3.1",
        "Patient under the age of consent",
        "Your age",
        help="We work out your age from the date of birth the clinic has for you, so you do "
        "not need to type it.",
        answer_kind=ANSWER_DERIVED,
        derivation=AGE,
        follow_ups=(
            _number("age_years", "Age", INTEGER, 0, 120, "years", enable_when=(), derived=True),
            _yes_no(
                "guardian_consent",
                "Is a parent or legal guardian here with you today to give permission for "
                "this treatment?",
                required=True,
            ),
            _text(
                "guardian_relationship",
                "How is this person related to you? For example mother, father or legal guardian.",
                enable_when=(When("guardian_consent", "eq", True),),
            ),
            _yes_no(
                "patient_assent",
                "A question just for you: are you happy to try this treatment?",
                required=True,
                help="It is fine to say no. Nobody will be cross with you.",
            ),
        ),
    ),
    Item(
        "cognitive_impairment",
        "3.2",
        "Condition affecting understanding or decisions",
        "Do you have a condition that affects your memory, your understanding or how you make "
        "decisions? For example dementia, a brain injury or a learning disability.",
        help="If someone is helping you fill in this form, they can answer for you.",
        follow_ups=(
            _text("condition", "What is the condition?"),
            _yes_no(
                "substitute_decision_maker_present",
                "Is someone with you today who is legally allowed to make health decisions "
                "for you?",
            ),
            _yes_no(
                "able_to_understand_and_decide",
                "Capacity check: the patient understands the procedure and can decide and "
                "report symptoms",
                clinician_only=True,
            ),
        ),
    ),
    Item(
        "interpreter_needed",
        "3.3",
        "Language support",
        "Would you like an interpreter to help you understand the treatment and the consent form?",
        help="We can arrange a trained interpreter. Please say yes even if a family member "
        "has come with you.",
        follow_ups=(
            _text("language", "Which language would you like?"),
            _yes_no(
                "qualified_interpreter_available",
                "A qualified interpreter is available for this visit",
                clinician_only=True,
            ),
        ),
    ),
    Item(
        "declines_needling",
        "3.4",
        "Patient unwilling to have needling",
        "Do you have a personal, cultural or religious reason for not wanting needle "
        "treatment, or would you simply rather not have it?",
        help="You can say no to needling at any time. It will not change the rest of your care.",
        follow_ups=(_text("details", "Would you like to tell us more? You do not have to."),),
    ),
    Item(
        "needle_phobia",
        "3.5",
        "Fear of needles",
        "Do needles make you nervous or afraid?",
        help="Many people feel nervous about needles. Telling us helps us make you comfortable.",
        follow_ups=(
            FollowUp(
                "fear_level",
                "How strong is the feeling?",
                CHOICE,
                required=True,
                choices=(
                    Choice("mild", "I feel a bit nervous"),
                    Choice("strong", "I am very afraid: I avoid needles or panic"),
                ),
            ),
        ),
    ),
    Item(
        "anxiety_mental_health",
        "3.6",
        "Anxiety or other mental-health condition",
        "Do you have anxiety, panic attacks or another mental health condition that makes "
        "medical treatments hard for you?",
        follow_ups=(_text("details", "Would you like to tell us more? You do not have to."),),
    ),
    # B. How the patient is today
    Item(
        "acute_illness_today",
        "3.7",
        "Unwell today or fever",
        "Are you unwell today? For example a fever, flu, being sick (vomiting), diarrhoea, or "
        "just feeling ill.",
        follow_ups=(
            _text("symptoms", "How are you feeling unwell?"),
            _number(
                "temperature_c",
                "If you have taken your temperature today, what was it?",
                DECIMAL,
                30,
                45,
                "°C",
            ),
        ),
    ),
    Item(
        "unstable_medical_condition",
        "3.8",
        "Condition unstable or under urgent investigation",
        "Has a doctor told you that one of your health conditions is unstable right now, or "
        "that it is being checked urgently? For example chest pain when you are resting, a "
        "recent heart attack or stroke, or very high blood pressure.",
        follow_ups=(
            _text("details", "What is the condition?"),
            _text("date", "When did it start, or when were you told?"),
        ),
    ),
    Item(
        "not_eaten_recently",
        "3.9",
        "Not eaten recently",
        "When did you last eat a meal or a snack?",
        help="Needling on an empty stomach can make you feel faint. If it has been a while, we "
        "will offer you a snack.",
        answer_kind=ANSWER_DERIVED,
        derivation=FASTING,
        follow_ups=(
            _number(
                "hours_since_meal",
                "About how many hours ago did you last eat?",
                DECIMAL,
                0,
                168,
                "hours",
                enable_when=(),
                required=True,
            ),
        ),
    ),
    Item(
        "alcohol_or_drugs_recent",
        "3.10",
        "Alcohol, recreational or sedating drugs",
        "In the last {alcohol_lookback_hours} hours, have you had any alcohol, recreational "
        "drugs, or a medicine that makes you sleepy?",
        help="We ask to keep you safe during the treatment.",
        follow_ups=(
            _text("substance", "What did you have?"),
            _number("hours_ago", "About how many hours ago?", DECIMAL, 0, 168, "hours"),
            _yes_no(
                "feels_affected_now",
                "Do you feel drunk, high or drowsy right now?",
                required=True,
            ),
        ),
    ),
    Item(
        "fainting_history",
        "3.11",
        "Fainting tendency",
        "Have you ever fainted, or nearly fainted, during a blood test, an injection or a "
        "vaccination, or when you saw blood?",
        follow_ups=(
            _text("context", "What were you having done when it happened?"),
            _text("last_episode", "When did it last happen?"),
        ),
    ),
    Item(
        "previous_needling_reaction",
        "3.12",
        "Earlier problem with dry needling or acupuncture",
        "Have you had dry needling or acupuncture before?",
        answer_kind=ANSWER_DERIVED,
        derivation=EXPERIENCE,
        follow_ups=(
            FollowUp(
                "previous_experience",
                "Have you had dry needling or acupuncture before?",
                CHOICE,
                enable_when=(),
                required=True,
                choices=(
                    Choice("never", "No, this will be my first time"),
                    Choice("no_problems", "Yes, and it went fine"),
                    Choice("problems", "Yes, and I had a problem"),
                ),
            ),
            _text(
                "reaction_description",
                "What happened?",
                enable_when=(When("previous_experience", "eq", "problems"),),
            ),
        ),
    ),
    # C. Bleeding risk
    Item(
        "bleeding_disorder",
        "3.13",
        "Bleeding or clotting disorder",
        "Do you have a bleeding or clotting problem, such as haemophilia, von Willebrand "
        "disease or a low platelet count? Or do you bruise or bleed very easily?",
        follow_ups=(
            FollowUp(
                "diagnosis",
                "Which of these is it?",
                CHOICE,
                required=True,
                choices=(
                    Choice("haemophilia", "Haemophilia"),
                    Choice("von_willebrand", "Von Willebrand disease"),
                    Choice("low_platelets", "Low platelet count"),
                    Choice("easy_bruising_undiagnosed", "I bruise or bleed easily (no diagnosis)"),
                    Choice("other", "Something else"),
                ),
            ),
            FollowUp(
                "severity",
                "How severe has your doctor said it is?",
                CHOICE,
                enable_when=(When("diagnosis", "in", ("haemophilia", "von_willebrand")),),
                required=True,
                choices=(
                    Choice("mild", "Mild"),
                    Choice("moderate", "Moderate"),
                    Choice("severe", "Severe"),
                ),
            ),
            _number(
                "platelet_count_x10e9_per_l",
                "If you know your latest platelet count, what was it?",
                INTEGER,
                0,
                2000,
                "×10⁹/L",
                help="It is on your blood test results, for example 150. Leave it empty if you "
                "do not know.",
            ),
            _yes_no(
                "recent_major_bleed",
                "Have you had a serious bleed in the last {major_bleed_days} days?",
                required=True,
                help="For example a bleed that needed hospital care or a blood transfusion.",
            ),
        ),
    ),
    Item(
        "blood_thinner_use",
        "3.14",
        "Anticoagulant or antiplatelet medicine",
        "Do you take a medicine that thins your blood?",
        help="For example warfarin, apixaban (Eliquis), rivaroxaban (Xarelto), dabigatran "
        "(Pradaxa), edoxaban, heparin injections, aspirin, clopidogrel (Plavix), ticagrelor or "
        "prasugrel.",
        follow_ups=(
            FollowUp(
                "agents",
                "Which ones do you take? Choose all that apply.",
                MULTI_CHOICE,
                required=True,
                choices=_AGENT_CHOICES,
            ),
            _number(
                "latest_inr",
                "What was your latest INR result?",
                DECIMAL,
                0.5,
                10,
                "",
                enable_when=(When("agents", "any_of", VKA_AGENTS),),
                help="INR is the blood test for warfarin-type medicines. Leave it empty if you "
                "do not know.",
            ),
            _number(
                "inr_days_ago",
                "How many days ago was that INR test?",
                INTEGER,
                0,
                1200,
                "days",
                enable_when=(
                    When("agents", "any_of", VKA_AGENTS),
                    When("latest_inr", "answered"),
                ),
            ),
            _text(
                "inr_target_range",
                "What INR range has your clinic asked you to stay in? For example 2 to 3.",
                enable_when=(When("agents", "any_of", VKA_AGENTS),),
            ),
            _yes_no(
                "bleeding_after_blood_test",
                "Do you keep bleeding for a long time after a blood test?",
            ),
            _yes_no(
                "missed_or_extra_doses",
                "In the last week, have you missed a dose or taken an extra dose?",
            ),
        ),
    ),
    # D. Pregnancy
    Item(
        "pregnancy",
        "3.15",
        "Pregnancy",
        "Are you pregnant, or is there any chance you could be pregnant?",
        help='If you cannot be pregnant, choose "This does not apply to me".',
        answer_kind=ANSWER_CHOICE,
        answer_choices=(
            Choice("yes", "Yes"),
            Choice("no", "No"),
            Choice("unsure", "I am not sure"),
            Choice("not_applicable", "This does not apply to me"),
        ),
        positive_answers=("yes", "unsure"),
        follow_ups=(
            _number(
                "weeks",
                "How many weeks pregnant are you?",
                INTEGER,
                1,
                42,
                "weeks",
                enable_when=(When("answer", "eq", "yes"),),
                required=True,
                help="Your best guess is fine.",
            ),
            _yes_no(
                "complications",
                "Has your pregnancy had any complications? For example bleeding, a previous "
                "miscarriage, high blood pressure or pre-eclampsia, problems with the placenta, "
                "or a risk of early labour.",
                enable_when=(When("answer", "eq", "yes"),),
                required=True,
            ),
            _number(
                "last_period_weeks_ago",
                "About how many weeks ago did your last period start?",
                INTEGER,
                0,
                1200,
                "weeks",
                enable_when=(When("answer", "eq", "unsure"),),
            ),
        ),
    ),
    # E. Infection, skin, immunity, metabolism
    Item(
        "skin_lesion_or_local_infection",
        "3.16",
        "Infection, wound or skin problem",
        "Do you have an infection, an open wound, a rash, cellulitis, eczema or psoriasis that "
        "is active, or any other skin problem anywhere on your body?",
        follow_ups=(
            _text("type", "What is it?"),
            _regions("regions", _WHERE),
            _yes_no("on_antibiotics", "Are you taking antibiotics for it?"),
        ),
    ),
    Item(
        "immunocompromised",
        "3.17",
        "Weakened immune system",
        "Do you have a condition, or take a medicine, that weakens your immune system? For "
        "example chemotherapy, steroid tablets taken for a long time, methotrexate or biologic "
        "injections, transplant medicines, HIV that is not treated, or having no spleen.",
        follow_ups=(
            _text("cause", "What is the condition or medicine?"),
            _yes_no(
                "known_neutropenia",
                "Has your care team told you that your white blood cell count is low right now?",
                required=True,
            ),
        ),
    ),
    Item(
        "diabetes",
        "3.18",
        "Diabetes",
        "Do you have diabetes?",
        follow_ups=(
            _text("type", "Which type of diabetes?"),
            _yes_no(
                "recent_hypoglycaemia",
                "Have you had a low blood sugar episode (a hypo) in the last week?",
            ),
            _regions(
                "neuropathy_regions",
                "Has diabetes made any part of your body numb, for example your feet? If so, "
                "mark those areas.",
            ),
            _yes_no("foot_ulcers", "Do you have any sores or ulcers on your feet?"),
        ),
    ),
    Item(
        "bloodborne_virus",
        "3.19",
        "Blood-borne virus (hepatitis B or C, HIV)",
        "Do you have a blood-borne infection such as hepatitis B, hepatitis C or HIV?",
        help="You do not have to answer this question. Your answer never stops your "
        "treatment: we use the same safety steps for everyone. It helps us act quickly if a "
        "needle ever pricks your practitioner by accident.",
        optional=True,
    ),
    # F. Lymphatic, oncology, vascular and cardiac
    Item(
        "lymphoedema",
        "3.20",
        "Lymphoedema",
        "Do you have lymphoedema? This is long-lasting swelling of an arm, a leg or another "
        "part of the body, caused by a problem with the lymph system.",
        follow_ups=(_regions("regions", "Where is the swelling? Mark the areas."),),
    ),
    Item(
        "lymph_nodes_removed",
        "3.21",
        "Lymph nodes removed or irradiated",
        "Have you had lymph nodes removed, or treated with radiotherapy? For example during "
        "treatment for breast cancer or melanoma.",
        follow_ups=(
            _regions(
                "at_risk_regions",
                "Which part of your body did those lymph nodes serve? For example your whole "
                "left arm and the left side of your chest.",
                help="If you are not sure, leave it empty and your practitioner will help.",
            ),
        ),
    ),
    Item(
        "cancer",
        "3.22",
        "Cancer",
        "Have you ever been told you have cancer?",
        follow_ups=(
            FollowUp(
                "status",
                "Which of these fits you best?",
                CHOICE,
                required=True,
                choices=(
                    Choice(
                        "active_or_under_treatment",
                        "I have cancer now, or I am still having treatment",
                    ),
                    Choice("remission_under_5y", "My treatment ended less than 5 years ago"),
                    Choice("remission_over_5y", "My treatment ended 5 or more years ago"),
                ),
            ),
            _regions(
                "tumour_regions",
                "Where in your body is the cancer, or where has it spread? Mark the areas.",
                enable_when=(When("status", "eq", "active_or_under_treatment"),),
            ),
            FollowUp(
                "current_treatment",
                "Which treatments are you having now? Choose all that apply.",
                MULTI_CHOICE,
                enable_when=(When("status", "eq", "active_or_under_treatment"),),
                choices=(
                    Choice("chemotherapy", "Chemotherapy"),
                    Choice("immunotherapy", "Immunotherapy"),
                    Choice("hormonal", "Hormone therapy"),
                    Choice("radiotherapy", "Radiotherapy"),
                    Choice("surgery", "Surgery"),
                    Choice("other", "Something else"),
                ),
            ),
            _regions(
                "radiotherapy_regions",
                "Are you having radiotherapy now, or have you had it in the last "
                "{radiotherapy_months} months? If so, mark the treated areas.",
            ),
            _number(
                "radiotherapy_months_ago",
                "How many months ago was your last radiotherapy? Enter 0 if you are still "
                "having it.",
                DECIMAL,
                0,
                1200,
                "months",
                enable_when=(When("radiotherapy_regions", "answered"),),
            ),
        ),
    ),
    Item(
        "vascular_disease",
        "3.23",
        "Blood-vessel disease",
        "Do you have a problem with your blood vessels? For example varicose veins, a blood "
        "clot in a vein now or in the last 3 months, an aneurysm, or poor blood flow in your "
        "legs.",
        follow_ups=(
            FollowUp(
                "types",
                "Which ones? Choose all that apply.",
                MULTI_CHOICE,
                required=True,
                choices=(
                    Choice("varicose_veins", "Varicose veins"),
                    Choice(
                        "dvt_or_thrombophlebitis_recent",
                        "A blood clot or an inflamed vein (DVT or thrombophlebitis) now or in "
                        "the last 3 months",
                    ),
                    Choice("aneurysm", "An aneurysm (a bulging blood vessel)"),
                    Choice(
                        "peripheral_arterial_disease",
                        "Poor blood flow in the legs (peripheral arterial disease)",
                    ),
                ),
            ),
            _regions("regions", _WHERE),
        ),
    ),
    Item(
        "heart_condition",
        "3.24",
        "Stable heart disease",
        "Do you have a heart condition, such as an irregular heartbeat, heart failure, angina "
        "or a past heart attack?",
        follow_ups=(
            _text("type", "Which heart condition?"),
            _yes_no("controlled", "Is it well controlled at the moment?"),
        ),
        revisits=(
            Revisit(
                (When("controlled", "eq", False),),
                "unstable_medical_condition",
                "You said your heart condition is not well controlled. Please look again at "
                "the question about health conditions that are unstable right now.",
            ),
        ),
    ),
    Item(
        "heart_valve_or_endocarditis",
        "3.25",
        "Artificial heart valve or past endocarditis",
        "Do you have an artificial heart valve, or have you ever had an infection of the heart "
        "(endocarditis)?",
    ),
    # G. Implants, devices and surgery
    Item(
        "implanted_electrical_device",
        "3.26",
        "Implanted electronic device",
        "Do you have an electronic device inside your body? For example a pacemaker, a "
        "defibrillator (ICD), a spinal cord or other nerve stimulator, a deep brain "
        "stimulator, a cochlear implant or a medicine pump.",
        follow_ups=(
            _text("device_type", "Which device?"),
            _regions(
                "device_regions",
                "Where is the device, and where do its wires run? Mark the areas.",
            ),
        ),
    ),
    Item(
        "joint_replacement_or_metal_hardware",
        "3.27",
        "Joint replacement or metal hardware",
        "Do you have a joint replacement, or metal plates, screws, rods or spinal fusion hardware?",
        follow_ups=(
            _regions("regions", "Where is it? Mark the areas."),
            _number(
                "months_since_surgery",
                "How many months ago was the operation? If there was more than one, give the "
                "most recent.",
                DECIMAL,
                0,
                1200,
                "months",
                required=True,
            ),
            _yes_no(
                "infection_signs",
                "Is the area red, hot, swollen or more painful than usual right now?",
                required=True,
            ),
        ),
    ),
    Item(
        "breast_or_cosmetic_implant",
        "3.28",
        "Breast or cosmetic implant",
        "Do you have breast implants or any other cosmetic implant? For example chest muscle "
        "(pectoral), buttock or calf implants.",
        follow_ups=(_regions("regions", "Where are they? Mark the areas."),),
    ),
    Item(
        "recent_surgery",
        "3.29",
        "Surgery in the last 3 months",
        "Have you had an operation in the last 3 months?",
        follow_ups=(
            _regions("regions", "Where on your body was the operation? Mark the areas."),
            _number("weeks_since", "How many weeks ago was it?", DECIMAL, 0, 1200, "weeks"),
            _yes_no(
                "incision_healed",
                "Is the wound fully closed, with no scab, leaking or redness?",
                required=True,
            ),
        ),
    ),
    # H. Neurological and sensory
    Item(
        "epilepsy",
        "3.30",
        "Epilepsy or seizures",
        "Do you have epilepsy, or have you ever had a seizure?",
        follow_ups=(
            _yes_no("controlled", "Are your seizures under control?", required=True),
            _number(
                "last_seizure_months_ago",
                "How many months ago was your last seizure?",
                DECIMAL,
                0,
                1200,
                "months",
            ),
            _yes_no(
                "triggered_by_procedures",
                "Has a medical procedure, such as an injection, ever set off a seizure?",
            ),
        ),
    ),
    Item(
        "reduced_sensation",
        "3.31",
        "Numbness or reduced sensation",
        "Do you have any areas of numbness or reduced feeling?",
        follow_ups=(
            _regions("regions", "Where? Mark the areas."),
            _text("cause", "Do you know what causes it?"),
        ),
    ),
    Item(
        "severe_touch_sensitivity",
        "3.32",
        "Severe touch sensitivity (allodynia)",
        "Is any part of your body so sensitive that a light touch or your clothes hurt? For "
        "example with complex regional pain syndrome (CRPS).",
        follow_ups=(_regions("regions", "Where? Mark the areas."),),
    ),
    # I. Allergies
    Item(
        "metal_allergy",
        "3.33",
        "Metal allergy",
        "Are you allergic to nickel, chromium or other metals? For example, do cheap "
        "jewellery, watch straps or belt buckles give you a rash?",
        follow_ups=(_text("metals", "Which metals, if you know?"),),
    ),
    Item(
        "latex_allergy",
        "3.34",
        "Latex allergy",
        "Are you allergic to latex? For example rubber gloves or balloons.",
    ),
    Item(
        "skin_prep_or_adhesive_allergy",
        "3.35",
        "Allergy to skin cleaners or medical tape",
        "Are you allergic to skin cleaners (such as alcohol wipes, chlorhexidine or iodine), "
        "or to medical tape or plasters?",
    ),
    # J. Chest and lung
    Item(
        "lung_disease_or_previous_pneumothorax",
        "3.36",
        "Lung disease or previous collapsed lung",
        "Do you have a lung condition such as COPD or emphysema, or have you ever had a "
        "collapsed lung or lung surgery?",
        follow_ups=(_text("type", "Which condition or operation?"),),
    ),
    Item(
        "low_body_weight",
        "3.37",
        "Low body weight (BMI)",
        "What is your height and weight?",
        help="We use these to work out your body mass index (BMI). In slim people the lungs "
        "can be closer to the skin, so this helps us choose the right needle.",
        answer_kind=ANSWER_DERIVED,
        derivation=BMI,
        follow_ups=(
            _number("height_cm", "Height", DECIMAL, 50, 250, "cm", enable_when=(), required=True),
            _number("weight_kg", "Weight", DECIMAL, 2, 400, "kg", enable_when=(), required=True),
            _number(
                "bmi", "Body mass index", DECIMAL, 5, 100, "kg/m²", enable_when=(), derived=True
            ),
        ),
    ),
    Item(
        "chest_wall_deformity",
        "3.38",
        "Scoliosis or chest-wall deformity",
        "Do you have scoliosis (a sideways curve of the spine), a strong forward curve of the "
        "upper back, or a chest that is shaped differently on one side?",
        follow_ups=(_text("type", "Which one?"),),
    ),
    # K. Local tissue and general vulnerability
    Item(
        "acute_injury_at_site",
        "3.39",
        "Acute injury at the site",
        "Has the area to be treated been injured in the last 3 days? Or is it very swollen, "
        "hot or bruised, or could a bone be broken?",
        follow_ups=(
            _regions("regions", "Where? Mark the areas."),
            _number("days_since", "How many days ago did it happen?", INTEGER, 0, 1200, "days"),
            _yes_no("suspected_fracture", "Do you think a bone might be broken?"),
        ),
    ),
    Item(
        "frailty",
        "3.40",
        "Frailty",
        "Do you need help with everyday activities, have you had a fall in the last year, or "
        "has a doctor said that you are frail?",
    ),
)

ITEMS: Mapping[str, Item] = MappingProxyType({item.id: item for item in ITEM_LIST})
ITEM_ORDER: Mapping[str, int] = MappingProxyType(
    {item.id: index for index, item in enumerate(ITEM_LIST)}
)

# The short label staff read beside an answer ("Blood-thinning medicine: Yes"). An item's
# ``title`` names the finding ("Anticoagulant or antiplatelet medicine") and belongs to flags.
ANSWER_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "minor_patient": "Age",
        "cognitive_impairment": "Memory, understanding or decisions",
        "interpreter_needed": "Interpreter",
        "declines_needling": "Would rather not have needling",
        "needle_phobia": "Fear of needles",
        "anxiety_mental_health": "Anxiety or mental health",
        "acute_illness_today": "Unwell today",
        "unstable_medical_condition": "Condition unstable or being checked urgently",
        "not_eaten_recently": "Last meal",
        "alcohol_or_drugs_recent": "Alcohol or drugs recently",
        "fainting_history": "Fainting",
        "previous_needling_reaction": "Needling or acupuncture before",
        "bleeding_disorder": "Bleeding or clotting disorder",
        "blood_thinner_use": "Blood-thinning medicine",
        "pregnancy": "Pregnancy",
        "skin_lesion_or_local_infection": "Skin problem or infection",
        "immunocompromised": "Immune system",
        "diabetes": "Diabetes",
        "bloodborne_virus": "Blood-borne virus",
        "lymphoedema": "Lymphoedema",
        "lymph_nodes_removed": "Lymph nodes removed or irradiated",
        "cancer": "Cancer",
        "vascular_disease": "Blood-vessel disease",
        "heart_condition": "Heart condition",
        "heart_valve_or_endocarditis": "Heart valve or endocarditis",
        "implanted_electrical_device": "Implanted electronic device",
        "joint_replacement_or_metal_hardware": "Joint replacement or metalwork",
        "breast_or_cosmetic_implant": "Breast or cosmetic implant",
        "recent_surgery": "Surgery in the last 3 months",
        "epilepsy": "Epilepsy or seizures",
        "reduced_sensation": "Numbness",
        "severe_touch_sensitivity": "Touch sensitivity",
        "metal_allergy": "Metal allergy",
        "latex_allergy": "Latex allergy",
        "skin_prep_or_adhesive_allergy": "Skin cleaner or tape allergy",
        "lung_disease_or_previous_pneumothorax": "Lung disease or collapsed lung",
        "low_body_weight": "Height and weight",
        "chest_wall_deformity": "Spine or chest-wall shape",
        "acute_injury_at_site": "Recent injury at the area",
        "frailty": "Frailty",
    }
)

DERIVED_ITEMS: tuple[str, ...] = tuple(i.id for i in ITEM_LIST if i.derivation is not None)

SECTIONS: tuple[Section, ...] = (
    Section(
        "welcome",
        "Welcome",
        "Dry needling uses very thin, sterile needles to relax tight muscles. These questions "
        "help your practitioner keep your treatment safe. Your answers go only to the clinic. "
        "You can stop and come back later; nothing you type is lost.",
    ),
    Section(
        "about_you",
        "About you",
        "A few questions about you and how we can best support you.",
        (
            "minor_patient",
            "cognitive_impairment",
            "interpreter_needed",
            "low_body_weight",
            "frailty",
        ),
        pages=(
            ("minor_patient", "cognitive_impairment"),
            ("interpreter_needed",),
            ("low_body_weight", "frailty"),
        ),
    ),
    Section(
        "wishes",
        "Your wishes about needle treatment",
        "How you feel about needles matters to us. There are no wrong answers.",
        (
            "declines_needling",
            "needle_phobia",
            "anxiety_mental_health",
            "fainting_history",
            "previous_needling_reaction",
        ),
        pages=(
            ("declines_needling", "needle_phobia"),
            ("anxiety_mental_health", "fainting_history"),
            ("previous_needling_reaction",),
        ),
    ),
    Section(
        "today",
        "How you are today",
        "Some things about today can change whether needling is a good idea right now.",
        (
            "acute_illness_today",
            "unstable_medical_condition",
            "not_eaten_recently",
            "alcohol_or_drugs_recent",
            "acute_injury_at_site",
        ),
        pages=(
            ("acute_illness_today", "unstable_medical_condition"),
            ("not_eaten_recently", "alcohol_or_drugs_recent"),
            ("acute_injury_at_site",),
        ),
    ),
    Section(
        "pregnancy",
        "Pregnancy",
        "We ask everyone this. If it does not apply to you, choose that answer.",
        ("pregnancy",),
    ),
    Section(
        "bleeding",
        "Bleeding and medicines",
        "Needles can cause small bruises. These questions tell us how easily you bleed.",
        ("bleeding_disorder", "blood_thinner_use"),
        pages=(("bleeding_disorder",), ("blood_thinner_use",)),
    ),
    Section(
        "heart_lungs",
        "Heart, lungs and circulation",
        "Questions about your heart, blood vessels and lungs.",
        (
            "heart_condition",
            "heart_valve_or_endocarditis",
            "vascular_disease",
            "lung_disease_or_previous_pneumothorax",
            "chest_wall_deformity",
        ),
        pages=(
            ("heart_condition", "heart_valve_or_endocarditis"),
            ("vascular_disease",),
            ("lung_disease_or_previous_pneumothorax", "chest_wall_deformity"),
        ),
    ),
    Section(
        "infection_skin",
        "Infection, skin, diabetes and immunity",
        "Questions about your skin and how well your body fights infection.",
        ("skin_lesion_or_local_infection", "immunocompromised", "diabetes", "bloodborne_virus"),
        pages=(
            ("skin_lesion_or_local_infection",),
            ("immunocompromised",),
            ("diabetes",),
            ("bloodborne_virus",),
        ),
    ),
    Section(
        "cancer_lymph",
        "Cancer and lymph",
        "Questions about cancer and its treatment, now or in the past.",
        ("cancer", "lymph_nodes_removed", "lymphoedema"),
        pages=(("cancer",), ("lymph_nodes_removed",), ("lymphoedema",)),
    ),
    Section(
        "implants_operations",
        "Implants, devices and operations",
        "Questions about anything inside your body and recent operations.",
        (
            "implanted_electrical_device",
            "joint_replacement_or_metal_hardware",
            "breast_or_cosmetic_implant",
            "recent_surgery",
        ),
        pages=(
            ("implanted_electrical_device",),
            ("joint_replacement_or_metal_hardware",),
            ("breast_or_cosmetic_implant",),
            ("recent_surgery",),
        ),
    ),
    Section(
        "nerves",
        "Nerves and feeling",
        "Questions about seizures, numbness and sensitive areas.",
        ("epilepsy", "reduced_sensation", "severe_touch_sensitivity"),
        pages=(("epilepsy",), ("reduced_sensation",), ("severe_touch_sensitivity",)),
    ),
    Section(
        "allergies",
        "Allergies",
        "Questions about allergies to things we use during treatment.",
        ("metal_allergy", "latex_allergy", "skin_prep_or_adhesive_allergy"),
    ),
    Section(
        "review",
        "Check and send",
        "Please check your answers. You can change any of them before you send the form. "
        "Your practitioner will go through them with you before any treatment.",
    ),
)

SECTIONS_BY_ID: Mapping[str, Section] = MappingProxyType({s.id: s for s in SECTIONS})
SECTION_OF: Mapping[str, str] = MappingProxyType(
    {item_id: section.id for section in SECTIONS for item_id in section.items}
)

# ----------------------------------------------------------------------------------------------
# Functions over answers


def item(item_id: str) -> Item:
    """The item with this id; raise UnknownItem."""
    try:
        return ITEMS[item_id]
    except (KeyError, TypeError):
        raise UnknownItem(item_id) from None


def _dependency_order(definition: Item) -> tuple[FollowUp, ...]:
    """The item's follow-ups with every field a condition reads before the follow-up itself."""
    placed: dict[str, FollowUp] = {}
    pending = list(definition.follow_ups)
    while pending:
        ready = [
            f
            for f in pending
            if all(c.field == "answer" or c.field in placed for c in f.enable_when)
        ]
        if not ready:
            raise ValueError(f"{definition.id}: enable conditions refer to each other in a circle")
        for follow_up in ready:
            placed[follow_up.id] = follow_up
            pending.remove(follow_up)
    return tuple(placed.values())


# Per item, its follow-ups in dependency order: one pass then prunes what a repeat-until-stable
# loop would (a follow-up counts only if every field its conditions read was kept).
_PRUNE_ORDER: Mapping[str, tuple[FollowUp, ...]] = MappingProxyType(
    {definition.id: _dependency_order(definition) for definition in ITEM_LIST}
)


def prune_values(definition: Item, values: Mapping[str, Any]) -> dict[str, Any]:
    """One item's values without unanswered values, undefined or disabled follow-ups (a new
    dict, empty when nothing is left)."""
    answer = values.get("answer")
    if answer is False and len(values) == 1:
        return {"answer": False}  # the plain "no" of most items: nothing to prune
    kept: dict[str, Any] = {}
    if not _unanswered(answer):
        kept["answer"] = answer
    for follow_up in _PRUNE_ORDER[definition.id]:
        value = values.get(follow_up.id)
        if value is None or _unanswered(value):
            continue
        if all(condition.holds(kept) for condition in follow_up.enable_when):
            kept[follow_up.id] = value
    return kept


def enabled_fields(item_id: str, values: Mapping[str, Any]) -> list[FollowUp]:
    """Follow-ups of the item that are enabled for these values (derived and clinician ones too)."""
    definition = item(item_id)
    current = prune_values(definition, values)
    return [follow_up for follow_up in definition.follow_ups if follow_up.enabled(current)]


def patient_fields(item_id: str, values: Mapping[str, Any]) -> list[FollowUp]:
    """Enabled follow-ups that the patient answers (not derived, not clinician-only)."""
    return [
        follow_up
        for follow_up in enabled_fields(item_id, values)
        if not follow_up.derived and not follow_up.clinician_only
    ]


def prune(answers: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Drop unanswered values, undefined or disabled follow-ups, and items left empty."""
    pruned: dict[str, dict[str, Any]] = {}
    for item_id, values in answers.items():
        kept = prune_values(item(item_id), values)
        if kept:
            pruned[item_id] = kept
    return pruned


def _check_item_ids(answers: Mapping[str, Any]) -> None:
    unknown = answers.keys() - ITEMS.keys()
    if unknown:
        raise UnknownItem(sorted(map(str, unknown))[0])


def derive(
    answers: Mapping[str, Mapping[str, Any]],
    *,
    thresholds: DerivationThresholds,
    age_years: int | None = None,
) -> dict[str, dict[str, Any]]:
    """A copy of the answers with every derived field (answer, bmi, age_years) recomputed.

    Items with a derivation are copied before they change; the others are shared with the input
    (treat both as read-only).
    """
    _check_item_ids(answers)
    derived = dict(answers)
    if age_years is not None:
        derived.setdefault("minor_patient", {})
    ctx = DeriveContext(thresholds=thresholds, age_years=age_years)
    for item_id in DERIVED_ITEMS:
        if item_id in derived:
            values = derived[item_id]
            derived[item_id] = {**values, **ITEMS[item_id].derivation.compute(values, ctx)}
    return derived


def revisits(answers: Mapping[str, Mapping[str, Any]]) -> list[Revisit]:
    """Prompts to look again at another item (e.g. heart not controlled -> unstable condition)."""
    prompts = []
    for item_id, values in answers.items():
        for revisit in item(item_id).revisits:
            target = answers.get(revisit.item, {})
            if all(c.holds(values) for c in revisit.when) and target.get("answer") is not True:
                prompts.append(revisit)
    return prompts


def _format_number(value: float) -> str:
    return f"{value:g}"


def _range_message(follow_up: FollowUp, whole: bool = False) -> str:
    return (
        f"Please enter a {'whole ' if whole else ''}number between "
        f"{_format_number(follow_up.min)} and {_format_number(follow_up.max)}"
    )


_REQUIRED_MESSAGES = {
    YES_NO: "Please choose an answer",
    CHOICE: "Please choose an answer",
    MULTI_CHOICE: "Please choose at least one answer",
    TEXT: "Please fill in this answer",
    REGIONS: "Please mark at least one area on the body map",
}


def _required_message(follow_up: FollowUp) -> str:
    if follow_up.kind in NUMBER_KINDS:
        return _range_message(follow_up)
    return _REQUIRED_MESSAGES[follow_up.kind]


def field_error(follow_up: FollowUp, value: Any) -> str | None:
    """A patient-facing message if this (answered) value is not valid for the follow-up."""
    kind = follow_up.kind
    if kind == YES_NO:
        return None if isinstance(value, bool) else "Please choose yes or no"
    if kind == CHOICE:
        return None if value in follow_up.choice_values else "Please choose one of the answers"
    if kind == MULTI_CHOICE:
        valid = isinstance(value, list | tuple) and all(
            isinstance(v, str) and v in follow_up.choice_values for v in value
        )
        return None if valid else "Please choose from the answers shown"
    if kind in NUMBER_KINDS:
        if not is_number(value) or not follow_up.min <= value <= follow_up.max:
            return _range_message(follow_up)
        if kind == INTEGER and not float(value).is_integer():
            return _range_message(follow_up, whole=True)
        return None
    if kind == REGIONS:
        valid = isinstance(value, list | tuple) and all(
            region_data.is_region_or_alias(v) for v in value
        )
        return None if valid else "Please choose areas from the body map"
    return None if isinstance(value, str) else "Please type your answer as text"


def validate_item(item_id: str, values: Mapping[str, Any]) -> dict[str, str]:
    """Patient-facing messages keyed by field id ("answer" or a follow-up); empty when valid.

    Values are typed JSON values (bool, int/float, str, list), as a form's cleaned data; for a
    derived item, pass them through `derive` first so that its ``answer`` is set. Disabled
    follow-ups are ignored (`prune` drops them); clinician-only and derived fields are never
    required of the patient.
    """
    definition = item(item_id)
    errors: dict[str, str] = {}
    answer = values.get("answer")
    if definition.answer_kind == ANSWER_YES_NO:
        if _unanswered(answer):
            if not definition.optional:
                errors["answer"] = "Please choose an answer"
        elif not isinstance(answer, bool):
            errors["answer"] = "Please choose yes or no"
    elif definition.answer_kind == ANSWER_CHOICE:
        choices = tuple(choice.value for choice in definition.answer_choices)
        if _unanswered(answer):
            errors["answer"] = "Please choose an answer"
        elif answer not in choices:
            errors["answer"] = "Please choose one of the answers"
    for follow_up in enabled_fields(item_id, values):
        value = values.get(follow_up.id)
        if _unanswered(value):
            patient_must_answer = not (follow_up.derived or follow_up.clinician_only)
            if follow_up.required and patient_must_answer:
                errors[follow_up.id] = _required_message(follow_up)
            continue
        message = field_error(follow_up, value)
        if message:
            errors[follow_up.id] = message
    return errors


# ----------------------------------------------------------------------------------------------
# Read-only access for the rules


class ItemAnswers:
    """One item's answers, read-only, with typed accessors that reject undefined follow-ups."""

    __slots__ = ("item", "values", "positive", "_regions")

    def __init__(self, definition: Item, values: Mapping[str, Any]) -> None:
        self.item = definition
        # A read-only view, not a copy: this runs for every item of every evaluation.
        self.values: Mapping[str, Any] = MappingProxyType(values)
        answer = values.get("answer")
        # Asked of every item many times per evaluation, so computed once. Only a bool or a
        # string can be positive (True == 1 must not count).
        self.positive: bool = (
            isinstance(answer, bool | str) and answer in definition.positive_answers
        )
        self._regions: dict[str, frozenset[str]] = {}

    def get(self, field_id: str) -> Any:
        """The stored value (None when unanswered); raise UnknownField for a typo."""
        if field_id not in self.item.field_ids:
            raise UnknownField(self.item.id, field_id)
        value = self.values.get(field_id)
        return None if value == "" or value == [] else value

    @property
    def answer(self) -> Any:
        return self.get("answer")

    def flag(self, field_id: str) -> bool | None:
        """A yes/no follow-up: True, False, or None when unanswered."""
        value = self.get(field_id)
        return value if isinstance(value, bool) else None

    def number(self, field_id: str) -> float | None:
        """A numeric follow-up, or None when unanswered."""
        value = self.get(field_id)
        return value if is_number(value) else None

    def choices(self, field_id: str) -> tuple[str, ...]:
        """A multi-choice follow-up as a tuple (empty when unanswered)."""
        value = self.get(field_id)
        return tuple(value) if isinstance(value, list | tuple) else ()

    def regions(self, field_id: str) -> frozenset[str]:
        """A region follow-up with aliases expanded (empty when unanswered)."""
        expanded = self._regions.get(field_id)
        if expanded is None:
            # Several rules read the same list; expand the aliases once.
            value = self.get(field_id)
            expanded = self._regions[field_id] = region_data.expand(value or ())
        return expanded


_EMPTY = {definition.id: ItemAnswers(definition, {}) for definition in ITEM_LIST}
_PLAIN_NO = {definition.id: ItemAnswers(definition, {"answer": False}) for definition in ITEM_LIST}


def _item_answers(item_id: str, values: Mapping[str, Any]) -> ItemAnswers:
    # Most answers are a plain "no"; those share one read-only instance per item.
    if len(values) == 1 and values.get("answer") is False:
        return _PLAIN_NO[item_id]
    return ItemAnswers(ITEMS[item_id], values)


class Answers(Mapping[str, ItemAnswers]):
    """All answers by item id; a defined but absent item reads as empty (negative).

    Looking up an id the questionnaire does not define raises UnknownItem, so a typo in a rule
    fails loudly instead of reading as "not answered".
    """

    __slots__ = ("_items", "raw")

    def __init__(self, raw: Mapping[str, Mapping[str, Any]]) -> None:
        _check_item_ids(raw)
        self.raw = raw
        # Every defined item has an entry (absent ones the shared empty answers), so a lookup
        # is one dict access: the rules make thousands per second.
        self._items = {
            **_EMPTY,
            **{item_id: _item_answers(item_id, values) for item_id, values in raw.items()},
        }

    def __getitem__(self, item_id: str) -> ItemAnswers:
        try:
            return self._items[item_id]
        except (KeyError, TypeError):
            raise UnknownItem(item_id) from None

    def __contains__(self, item_id: object) -> bool:
        return item_id in ITEMS

    def __iter__(self) -> Iterator[str]:
        return iter(ITEMS)

    def __len__(self) -> int:
        return len(ITEMS)
