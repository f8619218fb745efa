"""The consent form and the aftercare sheet: who may print them, and what goes on them.

This module builds plain template contexts from an intake (patient, practitioner, clinic,
plan, the latest screening and the practitioner's resolutions); ``screening.pdf`` renders them.
Nothing here writes to the database.

Wording. The patient-facing text lives in the fixed paragraphs in ``templates/screening/pdf/``,
the tables below (flag titles and explanations, technique descriptions, aftercare blocks) and,
for what the practitioner will do about each flag, the rules' ``patient_modification`` or the
practitioner's own ``FlagResolution.patient_wording`` (see `consent_wording`); the
practitioner's mitigation and justification are clinical notes and never printed for the
patient. It is our own plain-English wording of clinical reference §5-§7, aimed at a reading
age of about 12 (US grade 7). Frequencies are the Brady [R1] and Witt [R5] figures of §6 (with
White [R6], Chen [R8] and McCulloch [R10] where Brady has none); the figures that circulate on
clinic forms could not be traced to a study and are never printed.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.text import slugify

from screening import selectors
from screening.engine import questionnaire, regions, rules
from screening.models import ClinicSettings, Consent, Intake
from screening.wording import item_title

# The version of the patient-facing consent wording, printed on every consent form and stored
# with every signed consent. Bump it whenever a change to consent.html, _consent_body.html,
# _base.html, the wording tables of this module or the rules' ``patient_modification`` could
# change what a patient reads or agrees to (a new risk, a new frequency, a reworded statement).
# Layout-only changes (spacing, fonts, colours) do not bump it. Format:
# "consent-<year>.<month>-<n>", n restarting at 1 each month.
CONSENT_TEXT_VERSION = "consent-2026.12-2"  # -2: the course lasts a set number of months

# Likewise for the aftercare sheet (printed in its footer, not stored).
AFTERCARE_TEXT_VERSION = "aftercare-2026.11-1"


class DocumentError(Exception):
    """A document could not be rendered (refused or missing asset, WeasyPrint failure)."""


class DocumentUnavailable(DocumentError):
    """The intake is not in a state where its documents may be printed; says why."""


CLEARING_DECISIONS = (Intake.Decision.CLEARED, Intake.Decision.CLEARED_WITH_MODIFICATIONS)
PRINTABLE_STATUSES = (Intake.Status.REVIEWED, Intake.Status.SIGNED)

# Items whose flag adds a block to the aftercare sheet (§7.4), by block.
BLEEDING_ITEMS = ("blood_thinner_use", "bleeding_disorder")
FAINT_ITEMS = ("fainting_history", "needle_phobia", "not_eaten_recently")
INFECTION_ITEMS = (
    "immunocompromised",
    "joint_replacement_or_metal_hardware",
    "heart_valve_or_endocarditis",
)
SKIN_CARE_ITEMS = ("skin_lesion_or_local_infection", "alcohol_or_drugs_recent")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FOOTER_NAME_LIMIT = 60


# ---------------------------------------------------------------------------------------------
# Patient-facing wording tables


@dataclass(frozen=True)
class FlagWording:
    """How one screening item reads on the consent form: a plain title and why it matters."""

    title: str
    why: str


FLAG_WORDING: dict[str, FlagWording] = {
    "minor_patient": FlagWording(
        "Your age",
        "Because you are under {age_of_majority}, a parent or guardian must agree to the "
        "treatment, and we also ask you whether you are happy to go ahead.",
    ),
    "cognitive_impairment": FlagWording(
        "A condition that affects memory or understanding",
        "We need to be sure the treatment is understood, and that any pain or worry can be "
        "told to us straight away.",
    ),
    "interpreter_needed": FlagWording(
        "Language support",
        "A trained interpreter helps make sure you understand the treatment, its risks and "
        "this form before you decide.",
    ),
    "declines_needling": FlagWording(
        "Your wishes about needle treatment",
        "You told us you might not want needle treatment. You can always say no, and other "
        "treatments are available.",
    ),
    "needle_phobia": FlagWording(
        "Feeling nervous about needles",
        "Feeling nervous can make fainting more likely. We will go slowly, and you can stop at "
        "any time.",
    ),
    "anxiety_mental_health": FlagWording(
        "Anxiety or another mental health condition",
        "Treatment can feel harder when you are anxious. We will explain each step, and you can "
        "stop at any time.",
    ),
    "acute_illness_today": FlagWording(
        "Feeling unwell today",
        "Needling is usually put off while you are unwell, because your body is already under "
        "strain.",
    ),
    "unstable_medical_condition": FlagWording(
        "A health condition that has not settled",
        "Needling is usually put off while a condition is unstable or still being checked.",
    ),
    "not_eaten_recently": FlagWording(
        "Not eaten for a while",
        "An empty stomach makes feeling faint more likely. Eating a snack before treatment helps.",
    ),
    "alcohol_or_drugs_recent": FlagWording(
        "Recent alcohol, drugs or a medicine that makes you sleepy",
        "These can make fainting more likely, and make it harder to notice and tell us about a "
        "problem.",
    ),
    "fainting_history": FlagWording(
        "Fainting with needles or blood in the past",
        "People who have fainted before are more likely to feel faint during needling.",
    ),
    "previous_needling_reaction": FlagWording(
        "A problem with needling in the past",
        "Knowing what happened before helps us stop it happening again.",
    ),
    "bleeding_disorder": FlagWording(
        "A bleeding or clotting problem",
        "Bleeding and bruising are more likely, so needling is gentler and each spot is pressed "
        "for longer.",
    ),
    "blood_thinner_use": FlagWording(
        "Blood-thinning medicine",
        "Blood thinners make bruising and bleeding more likely, so needling is gentler and each "
        "spot is pressed for longer. Do not stop your medicine for this treatment.",
    ),
    "pregnancy": FlagWording(
        "Pregnancy",
        "Some areas of the body and strong stimulation are avoided in pregnancy. See the "
        "pregnancy section of this form.",
    ),
    "skin_lesion_or_local_infection": FlagWording(
        "Infection, wound or skin problem",
        "Needles are never put through broken, infected or inflamed skin, because this could "
        "spread infection.",
    ),
    "immunocompromised": FlagWording(
        "Weakened immune system",
        "Infection after needling is rare, but a weaker immune system makes it more likely, so "
        "extra care is taken to keep everything clean.",
    ),
    "diabetes": FlagWording(
        "Diabetes",
        "Diabetes can slow healing, especially in the legs and feet, and can affect your blood "
        "sugar on the day of treatment.",
    ),
    "bloodborne_virus": FlagWording(
        "Blood-borne virus",
        "We use the same safety steps for everyone.",
    ),
    "lymphoedema": FlagWording(
        "Lymphoedema (long-term swelling)",
        "A swollen area gets infected more easily, so needles are kept out of it.",
    ),
    "lymph_nodes_removed": FlagWording(
        "Lymph nodes removed or treated with radiotherapy",
        "An arm or leg whose lymph nodes were removed or treated can swell or get infected more "
        "easily, so needles are kept out of it.",
    ),
    "cancer": FlagWording(
        "Cancer or cancer treatment",
        "Needles are never placed over a tumour, and cancer treatment can change the risk of "
        "bleeding and infection.",
    ),
    "vascular_disease": FlagWording(
        "A blood vessel problem",
        "Needles are kept away from areas with a blood clot, swollen veins or a weak blood vessel.",
    ),
    "heart_condition": FlagWording(
        "Heart condition",
        "Your heart condition is taken into account, for example when deciding whether to use "
        "electrical stimulation.",
    ),
    "heart_valve_or_endocarditis": FlagWording(
        "Heart valve problem or a past heart infection",
        "Germs that get into the blood can settle on heart valves, so keeping everything clean "
        "matters even more.",
    ),
    "implanted_electrical_device": FlagWording(
        "Implanted electrical device (such as a pacemaker)",
        "Needles and electrical current are kept well away from the device.",
    ),
    "joint_replacement_or_metal_hardware": FlagWording(
        "Joint replacement or metal implant",
        "Needles are kept away from the implant to protect it from infection.",
    ),
    "breast_or_cosmetic_implant": FlagWording(
        "Breast or cosmetic implant",
        "Needles are kept away from the implant so that it cannot be damaged.",
    ),
    "recent_surgery": FlagWording(
        "Recent surgery",
        "A scar or an area that was operated on must heal before needles are used near it.",
    ),
    "epilepsy": FlagWording(
        "Epilepsy or seizures",
        "Needling and electrical stimulation can rarely set off a seizure, so you are treated "
        "lying down and watched closely.",
    ),
    "reduced_sensation": FlagWording(
        "Numbness",
        "In a numb area you may not feel pain or heat, so it is treated very carefully or avoided.",
    ),
    "severe_touch_sensitivity": FlagWording(
        "Strong sensitivity to touch",
        "Needling could flare up an area that is already very sensitive, so it is done gently "
        "or avoided.",
    ),
    "metal_allergy": FlagWording(
        "Metal allergy",
        "Some needles contain nickel. A different kind of needle can be used.",
    ),
    "latex_allergy": FlagWording(
        "Latex allergy",
        "Latex-free gloves and supplies are used.",
    ),
    "skin_prep_or_adhesive_allergy": FlagWording(
        "Allergy to skin wipes or tape",
        "A different skin cleaner or plaster is used.",
    ),
    "lung_disease_or_previous_pneumothorax": FlagWording(
        "Lung disease or a collapsed lung in the past",
        "A collapsed lung would be more serious for you, so needling over the chest and upper "
        "back is done with extra care or avoided.",
    ),
    "low_body_weight": FlagWording(
        "Low body weight",
        "There is less tissue over the lungs, so needles are kept shallower near the chest.",
    ),
    "chest_wall_deformity": FlagWording(
        "Unusual chest shape",
        "The distance to the lungs is harder to judge, so needling near the chest is done with "
        "extra care or avoided.",
    ),
    "acute_injury_at_site": FlagWording(
        "A recent injury where you will be treated",
        "A fresh injury may need time to settle before it is needled.",
    ),
    "frailty": FlagWording(
        "Frailty",
        "Thin skin, weaker muscles and a higher chance of falls or fainting mean the treatment "
        "is gentler.",
    ),
}


@dataclass(frozen=True)
class TechniqueWording:
    name: str
    description: str


TECHNIQUE_WORDING: dict[str, TechniqueWording] = {
    "manual_static": TechniqueWording(
        "Needle left in place",
        "A needle is placed into a tight spot in the muscle and left there for a short time, or "
        "moved very gently.",
    ),
    "pistoning": TechniqueWording(
        "Quick in-and-out needling",
        "The needle is moved quickly up and down in the tight spot. This often makes the muscle "
        "twitch, which can feel like a short cramp. It tends to leave more soreness afterwards.",
    ),
    "winding": TechniqueWording(
        "Turning the needle",
        "The needle is turned slowly so that the tissue around it wraps onto it. This gives a "
        "pulling or stretching feeling. It is used on tight connective tissue and healed scars.",
    ),
    "estim": TechniqueWording(
        "Electrical stimulation (e-stim)",
        "Two needles are connected to a small machine that sends a mild electrical current "
        "between them. It feels like tapping, pulsing or a muscle squeezing. There is more "
        "about this in the e-stim section of this form.",
    ),
}


@dataclass(frozen=True)
class Block:
    """One section of the aftercare sheet."""

    id: str
    heading: str
    intro: str = ""
    points: tuple[str, ...] = ()
    urgent: bool = False


# What the consent says the practitioner will do about a flag, in the patient's words: the
# resolution's own patient wording, else the rule's suggested patient wording carried by the
# finding, else this. The practitioner's mitigation and justification are clinical notes for
# staff and are never printed for the patient.
GENERIC_PATIENT_WORDING = (
    "Your practitioner will adapt the treatment for this and will explain how before starting."
)
# An override of an absolute flag without the practitioner's own patient wording.
GENERIC_OVERRIDE_WORDING = (
    "Your practitioner explained this reason to you, and has written down in your records why "
    "they decided to go ahead."
)

# The short sources line printed in small type at the end of each document.
CONSENT_SOURCES = (
    "Figures: Brady et al., J Man Manip Ther 2014 (7,629 dry needling treatments) [R1]; "
    "Witt et al., Forsch Komplementmed 2009 (229,230 acupuncture patients) [R5]; White et al., "
    "BMJ 2001 [R6]; Taipei fainting study, Acupunct Electrother Res 1990 [R8]; McCulloch et al., "
    "Perm J 2015 [R10]; Park et al., Acupunct Med 2014 [R19]. Wording follows the clinic's "
    "clinical reference, sections 5 and 6."
)
AFTERCARE_SOURCES = (
    "Based on: Brady et al. 2014 [R1]; Witt et al. 2009 [R5]; MacPherson et al. 2004 [R7]; "
    "South African dry needling safety guideline, Board Notice 121 [G8]; reviews of needling "
    "soreness [R29b][R35]. Wording follows the clinic's clinical reference, section 7."
)


# Letters that Unicode does not decompose into an ASCII letter and an accent, so that slugify
# would drop them ("Łukasiewicz" -> "ukasiewicz"): spelled out first.
_ASCII_LETTERS = str.maketrans(
    {
        "Ł": "L",
        "ł": "l",
        "Ø": "O",
        "ø": "o",
        "Đ": "D",
        "đ": "d",
        "Ð": "D",
        "ð": "d",
        "Þ": "Th",
        "þ": "th",
        "ß": "ss",
        "Æ": "Ae",
        "æ": "ae",
        "Œ": "Oe",
        "œ": "oe",
        "ı": "i",
    }
)


def pdf_filename(kind: str, intake: Intake) -> str:
    """The download name of a document: ``<kind>-<surname>-<YYYY-MM-DD>.pdf``.

    The surname is the last word of the patient's full name in ASCII (slugified; "patient"
    when nothing is left, as for a name in another script), the date the appointment's local
    date, so that a printed or saved file says whose it is and for which visit.
    """
    words = intake.patient.full_name.split()
    surname = slugify(words[-1].translate(_ASCII_LETTERS)) if words else ""
    day = timezone.localtime(intake.appointment_at).date().isoformat()
    return f"{kind}-{surname or 'patient'}-{day}.pdf"


# ---------------------------------------------------------------------------------------------
# Availability


def documents_available(intake: Intake) -> tuple[bool, str]:
    """Can the consent form and aftercare sheet be printed? (True, "") or (False, why)."""
    status = intake.status
    if status == Intake.Status.DRAFT:
        return False, "The patient has not finished the questionnaire yet."
    if status == Intake.Status.CANCELLED:
        return False, "This intake was cancelled."
    if status == Intake.Status.EXPIRED:
        return False, "This intake expired before the patient finished it."
    if status not in PRINTABLE_STATUSES:
        return False, "The practitioner has not cleared this patient yet."
    if intake.decision == Intake.Decision.NOT_TODAY:
        return False, (
            "The practitioner decided not to needle today, so there is no consent form or "
            "aftercare sheet to print."
        )
    if intake.decision == Intake.Decision.REFER:
        return False, (
            "The practitioner referred this patient elsewhere, so there is no consent form or "
            "aftercare sheet to print."
        )
    if intake.decision not in CLEARING_DECISIONS:
        return False, "The practitioner has not cleared this patient yet."
    if not intake.plan_techniques or not intake.plan_regions:
        return False, "No treatment plan (techniques and body areas) has been recorded."
    screening = selectors.latest_screening(intake)
    if screening is None:
        return False, "This intake has not been screened yet."
    resolutions = selectors.active_resolutions(intake)
    open_flags = [f for f in _flags(screening) if (f["item"], f["level"]) not in resolutions]
    if open_flags:
        names = ", ".join(item_title(f["item"]) for f in open_flags)
        return False, (
            f"The latest screening raised flags that the practitioner has not resolved: {names}."
        )
    return True, ""


# ---------------------------------------------------------------------------------------------
# Context building


def consent_context(intake: Intake, *, consent: Consent | None = None) -> dict:
    """Everything consent.html prints, for this intake and (optionally) a signed consent."""
    base = _Base.build(intake, screening=consent.screening if consent is not None else None)
    answers = base.answers
    plan_regions = base.plan_regions
    lung_regions = [r for r in plan_regions if r in regions.LUNG_RISK_REGIONS]
    minor = _minor(intake, answers, base.thresholds)
    interpreter = _interpreter(answers, consent)
    context = {
        **base.common(),
        "document_title": "Consent to dry needling",
        "text_version": CONSENT_TEXT_VERSION,
        "valid_months": base.clinic.consent_valid_months,
        "techniques": [
            {
                "id": t,
                "name": TECHNIQUE_WORDING[t].name,
                "description": TECHNIQUE_WORDING[t].description,
            }
            for t in base.plan_techniques
        ],
        "regions_text": _inline_list([regions.label(r) for r in plan_regions]),
        "lung_risk": bool(lung_regions),
        "lung_regions_text": _inline_list([regions.label(r) for r in lung_regions]),
        "estim": "estim" in base.plan_techniques,
        "estim_device_flag": "implanted_electrical_device" in base.flag_items,
        "pregnancy": _pregnancy(answers, base.thresholds),
        "minor": minor,
        "interpreter": interpreter,
        "personal_risks": base.personal_risks(),
        "bleeding_risk": any(item in base.flag_items for item in BLEEDING_ITEMS),
        "signatures": _signatures(consent, minor=minor, interpreter=interpreter),
        "sources": CONSENT_SOURCES,
    }
    return context


def aftercare_context(intake: Intake) -> dict:
    """Everything aftercare.html prints: the §7 blocks this plan and these flags call for."""
    base = _Base.build(intake)
    answers = base.answers
    flags = base.flag_items
    lung_regions = [r for r in base.plan_regions if r in regions.LUNG_RISK_REGIONS]
    estim = "estim" in base.plan_techniques
    first_session = (answers.get("previous_needling_reaction") or {}).get(
        "previous_experience"
    ) == "never"
    pregnancy_answer = (answers.get("pregnancy") or {}).get("answer")
    pregnant = "pregnancy" in flags or pregnancy_answer == "yes"
    minor = _minor(intake, answers, base.thresholds)

    extra: list[Block] = []
    if any(item in flags for item in BLEEDING_ITEMS):
        extra.append(_BLEEDING_BLOCK)
    if first_session or any(item in flags for item in FAINT_ITEMS):
        extra.append(_FAINT_BLOCK)
    if "diabetes" in flags:
        extra.append(_DIABETES_BLOCK)
    if any(item in flags for item in INFECTION_ITEMS):
        extra.append(_INFECTION_BLOCK)
    if any(item in flags for item in SKIN_CARE_ITEMS):
        extra.append(_SKIN_BLOCK)

    urgent_points = list(_URGENT_POINTS)
    if any(item in flags for item in BLEEDING_ITEMS):
        urgent_points.append(
            "a hard swelling that keeps growing, or severe pain in an arm or leg with tightness "
            "or numbness (this can mean bleeding deep in the muscle)"
        )
    if any(item in flags for item in INFECTION_ITEMS):
        urgent_points.append(
            "fever, or redness and heat around a joint replacement or a needle site: call the "
            "same day"
        )

    return {
        **base.common(),
        "document_title": "After your dry needling",
        "text_version": AFTERCARE_TEXT_VERSION,
        "techniques_text": _inline_list([TECHNIQUE_WORDING[t].name for t in base.plan_techniques]),
        "regions_text": _inline_list([regions.label(r) for r in base.plan_regions]),
        "lung_risk": bool(lung_regions),
        "lung_regions_text": _inline_list([regions.label(r) for r in lung_regions]),
        "estim": estim,
        "blood_thinner": "blood_thinner_use" in flags,
        "pregnant": pregnant,
        "pregnancy_confirmed": pregnancy_answer == "yes",
        "minor": minor,
        "first_session": first_session,
        "extra_blocks": extra,
        "urgent_points": urgent_points,
        "sources": AFTERCARE_SOURCES,
    }


# ---------------------------------------------------------------------------------------------
# Aftercare blocks (§7). Our own wording; the fixed "always" part is in aftercare.html.

_URGENT_POINTS = (
    "new shortness of breath, or chest pain",
    "fainting after you have left the clinic",
    "spreading redness, heat, swelling, pus or red streaks around a needle site, or a fever, "
    "in the next few days (signs of infection)",
    "bleeding that has not stopped after 10 minutes of firm pressure, or a swelling that grows "
    "quickly and is very painful",
    "new weakness or numbness that does not go away",
)

_BLEEDING_BLOCK = Block(
    "bleeding",
    "Because you take a blood thinner or bleed easily",
    points=(
        "If a needle spot bleeds, press on it firmly for at least 2 to 3 minutes, and longer "
        "if it is still oozing.",
        "You may bruise more than other people. This is expected.",
        "Keep taking your medicine as prescribed. Do not stop it or change the dose unless the "
        "person who prescribes it tells you to.",
        "For pain, paracetamol is usually the safer choice. Ask a pharmacist or doctor before "
        "taking ibuprofen, aspirin or similar pain killers, as they add to the blood-thinning "
        "effect.",
    ),
)

_FAINT_BLOCK = Block(
    "faint",
    "Feeling faint",
    intro="Some people feel light-headed after needling, especially the first time.",
    points=(
        "Sit up slowly, and rest for 10 to 15 minutes before you leave.",
        "Eat something and have a drink.",
        "Do not drive if you feel light-headed or dizzy. Wait until it has fully passed.",
    ),
)

_DIABETES_BLOCK = Block(
    "diabetes",
    "Because you have diabetes",
    points=(
        "Check your blood sugar as you usually do.",
        "Look at the needle spots every day for the next 3 days, especially on your legs and feet.",
        "Tell us straight away about any redness, warmth or a sore that does not heal. Do not "
        "wait to see if it gets better.",
    ),
)

_INFECTION_BLOCK = Block(
    "infection",
    "Watch for signs of infection",
    intro="Because of your health (immune system, joint replacement or heart valve), an "
    "infection needs to be checked quickly.",
    points=(
        "Call us or your doctor the same day if you get a fever.",
        "Also call the same day if you notice redness, heat or swelling around a needle spot or "
        "around a joint replacement.",
    ),
)

_SKIN_BLOCK = Block(
    "skin",
    "Keep the needle spots clean",
    points=(
        "Keep the treated skin clean and dry for the rest of today.",
        "Do not scratch or pick at the needle spots.",
    ),
)


# ---------------------------------------------------------------------------------------------
# Helpers


@dataclass
class _Base:
    """What both documents share: clinic, patient, practitioner, plan, flags."""

    intake: Intake
    clinic: ClinicSettings
    screening: object
    resolutions: dict
    thresholds: rules.Thresholds
    plan_techniques: list[str]
    plan_regions: list[str]
    # The answers as the screening read them (clinical reference §13.9): the documents word the
    # same answers that raised the flags, never a differently read copy.
    answers: dict = field(default_factory=dict)
    flags: list[dict] = field(default_factory=list)

    @classmethod
    def build(cls, intake: Intake, *, screening=None) -> _Base:
        screening = screening if screening is not None else selectors.latest_screening(intake)
        plan_techniques = [t for t in regions.TECHNIQUES if t in set(intake.plan_techniques)]
        plan_regions = list(regions.ordered(regions.expand(intake.plan_regions or [])))
        return cls(
            intake=intake,
            clinic=ClinicSettings.load(),
            screening=screening,
            resolutions=selectors.active_resolutions(intake),
            # The thresholds the screening used, like its answers: the flags and the wording
            # beside them (trimester, age of majority) always agree.
            thresholds=rules.Thresholds.from_dict(screening.thresholds)
            if screening is not None
            else selectors.clinic_thresholds(),
            plan_techniques=plan_techniques,
            plan_regions=plan_regions,
            answers=screening.answers if screening is not None else {},
            flags=_flags(screening),
        )

    @property
    def flag_items(self) -> set[str]:
        return {f["item"] for f in self.flags}

    def common(self) -> dict:
        intake, clinic = self.intake, self.clinic
        patient = intake.patient
        practitioner = intake.practitioner
        dob = _date(patient.date_of_birth)
        footer_name = patient.full_name
        if len(footer_name) > FOOTER_NAME_LIMIT:
            footer_name = footer_name[: FOOTER_NAME_LIMIT - 1].rstrip() + "…"
        return {
            "paper_size": "letter"
            if clinic.paper_size == ClinicSettings.PaperSize.LETTER
            else "A4",
            "clinic": {
                "name": clinic.name,
                "address_lines": [line for line in clinic.address.splitlines() if line.strip()],
                "phone": clinic.phone,
                "emergency_number": clinic.emergency_number or "the emergency number",
                "registration_details": clinic.registration_details,
            },
            "patient": {
                "full_name": patient.full_name,
                "date_of_birth": dob,
                "age": selectors.intake_age(intake),
                "footer": f"{footer_name} · born {dob}",
            },
            "practitioner": {
                "name": practitioner.display_name() if practitioner else "",
                "profession": practitioner.profession if practitioner else "",
                "registration_number": practitioner.registration_number if practitioner else "",
            },
            "appointment": _datetime(intake.appointment_at),
            "prepared_at": _datetime(timezone.now()),
        }

    def personal_risks(self) -> list[dict]:
        """This patient's flags as the consent's boxed list, with the practitioner's answer."""
        risks = []
        age_of_majority = _plain(self.thresholds.age_of_majority)
        answers = self.answers
        for finding in self.flags:
            item_id = finding["item"]
            wording = FLAG_WORDING.get(item_id)
            if wording is None:
                wording = FlagWording(item_title(item_id), "")
            resolution = self.resolutions.get((item_id, finding["level"]))
            override = resolution is not None and resolution.kind == "override"
            risks.append(
                {
                    "item": item_id,
                    "title": wording.title,
                    "why": wording.why.format(age_of_majority=age_of_majority),
                    "detail": _flag_detail(item_id, answers.get(item_id) or {}, self.thresholds),
                    "serious": finding["level"] == rules.ABSOLUTE,
                    "override": override,
                    "patient_wording": consent_wording(
                        finding, getattr(resolution, "patient_wording", ""), override=override
                    ),
                }
            )
        return risks


def consent_wording(finding: dict, patient_wording: str = "", *, override: bool) -> str:
    """What the patient reads under "What your practitioner will do" for one flag.

    The practitioner's own patient wording comes first. Otherwise a relative flag prints the
    rule's suggested wording (findings stored before it existed have no
    ``patient_modification`` key and get the generic sentence); an override prints the generic
    override sentence, because the rule's wording for an absolute flag says what happens when
    the practitioner does not go ahead.
    """
    own = (patient_wording or "").strip()
    if own:
        return own
    if override:
        return GENERIC_OVERRIDE_WORDING
    return (finding.get("patient_modification") or "").strip() or GENERIC_PATIENT_WORDING


def _flags(screening) -> list[dict]:
    if screening is None:
        return []
    return [f for f in screening.findings if f.get("level") in (rules.ABSOLUTE, rules.RELATIVE)]


def _flag_detail(item_id: str, values: dict, thresholds: rules.Thresholds) -> str:
    """A short "what you told us" line for the items where it helps; else ""."""
    if item_id == "blood_thinner_use":
        spec = questionnaire.item(item_id).follow_up("agents")
        labels = {choice.value: choice.label for choice in spec.choices}
        agents = [_lower_first(labels.get(a, str(a))) for a in values.get("agents") or []]
        if not agents:
            return ""
        text = "You take " + _join(agents) + "."
        inr = values.get("latest_inr")
        if questionnaire.is_number(inr):
            text += f" Your latest INR was {inr:g}"
            days = values.get("inr_days_ago")
            if questionnaire.is_number(days):
                text += " today" if days == 0 else f", {days:g} day{'s' if days != 1 else ''} ago"
            text += "."
        return text
    if item_id == "pregnancy":
        weeks = values.get("weeks")
        if values.get("answer") == "yes" and questionnaire.is_number(weeks):
            return f"You are about {weeks:g} weeks pregnant."
        if values.get("answer") == "unsure":
            return "You are not sure whether you are pregnant."
        return ""
    if item_id == "interpreter_needed":
        language = values.get("language")
        return f"Language: {language}." if language else ""
    return ""


def _pregnancy(answers: dict, thresholds: rules.Thresholds) -> dict | None:
    values = answers.get("pregnancy") or {}
    if values.get("answer") != "yes":
        return None
    weeks = values.get("weeks")
    if not questionnaire.is_number(weeks):
        trimester = ""
    elif weeks < thresholds.first_trimester_weeks:
        trimester = "first"
    elif weeks < rules.THIRD_TRIMESTER_WEEKS:
        trimester = "second"
    else:
        trimester = "third"
    return {
        "weeks": f"{weeks:g}" if questionnaire.is_number(weeks) else "",
        "trimester": trimester,
        "later": trimester == "third",
    }


def _minor(intake: Intake, answers: dict, thresholds: rules.Thresholds) -> dict | None:
    age = (answers.get("minor_patient") or {}).get("age_years")
    if not questionnaire.is_number(age):
        age = selectors.intake_age(intake)
    if age >= thresholds.age_of_majority:
        return None
    values = answers.get("minor_patient") or {}
    return {
        "age": age,
        "age_of_majority": _plain(thresholds.age_of_majority),
        "guardian_relationship": values.get("guardian_relationship") or "",
        "assent": values.get("patient_assent") is True,
    }


def _interpreter(answers: dict, consent: Consent | None) -> dict | None:
    values = answers.get("interpreter_needed") or {}
    used = values.get("answer") is True or bool(consent and consent.interpreter_name)
    if not used:
        return None
    language = (consent.interpreter_language if consent else "") or values.get("language") or ""
    return {"language": language}


def _signatures(consent: Consent | None, *, minor, interpreter) -> dict:
    """Signature blocks: filled from a consent, or blank lines for signing on paper."""
    result = {
        "method": consent.get_method_display() if consent else "",
        "signer_name": "",
        "guardian_relationship": (minor or {}).get("guardian_relationship", ""),
        "assent_words": "",
        "patient_signature": "",
        "patient_signed_at": "",
        "interpreter_name": "",
        "interpreter_language": (interpreter or {}).get("language", ""),
        "interpreter_mode": "",
        "interpreter_signature": "",
        "practitioner_name": "",
        "practitioner_signature": "",
        "practitioner_signed_at": "",
        "recorded_by": "",
        "signed_at": "",
    }
    if consent is None:
        return result
    result.update(
        {
            "signer_name": consent.signer_name,
            "guardian_relationship": consent.guardian_relationship
            or result["guardian_relationship"],
            "assent_words": consent.assent_words,
            "patient_signature": png_data_uri(consent.patient_signature),
            "patient_signed_at": _datetime(consent.patient_signed_at),
            "interpreter_name": consent.interpreter_name,
            "interpreter_language": consent.interpreter_language or result["interpreter_language"],
            "interpreter_mode": consent.get_interpreter_mode_display()
            if consent.interpreter_mode
            else "",
            "interpreter_signature": png_data_uri(consent.interpreter_signature),
            "practitioner_name": consent.practitioner.display_name()
            if consent.practitioner
            else "",
            "practitioner_signature": png_data_uri(consent.practitioner_signature),
            "practitioner_signed_at": _datetime(consent.practitioner_signed_at),
            "recorded_by": consent.recorded_by.display_name() if consent.recorded_by else "",
            "signed_at": _datetime(consent.signed_at),
        }
    )
    return result


def png_data_uri(data) -> str:
    """A ``data:image/png;base64,...`` URI for stored PNG bytes; "" for none or not a PNG."""
    if not data:
        return ""
    data = bytes(data)  # PostgreSQL hands BinaryField values back as memoryview
    if not data.startswith(PNG_MAGIC):
        return ""
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _date(day) -> str:
    return date_format(day, "j F Y") if day else ""


def _datetime(moment) -> str:
    if not moment:
        return ""
    return date_format(timezone.localtime(moment), "j F Y, H:i")


def _plain(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _lower_first(text: str) -> str:
    """Lower-case a label's first letter for use inside a sentence; "INR ..." stays."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _inline_list(labels: list[str]) -> str:
    """Labels inside a sentence: lower-cased, separated by semicolons (labels hold commas)."""
    return "; ".join(_lower_first(label) for label in labels)


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
