"""Reads shared by views, services and documents: the intake's screening state, never a write."""

from __future__ import annotations

import dataclasses
import datetime

from django.utils import timezone

from screening.engine import questionnaire, rules
from screening.engine.prepare import prepare
from screening.models import ClinicSettings, FlagResolution, Intake, IntakeLink, ScreeningResult


def clinic_thresholds() -> rules.Thresholds:
    """The clinic's current thresholds as the engine takes them."""
    return rules.Thresholds.from_dict(ClinicSettings.load().threshold_values())


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The clinic-local day as an aware [start, end) range, so the appointment index is used
    (a ``__date`` lookup converts every row's time zone and cannot use it)."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, start + datetime.timedelta(days=1)


LINK_IN_USE_MINUTES = 15


def link_in_use(intake: Intake, now: datetime.datetime | None = None) -> bool:
    """Was the patient active on this intake (opened the link or saved a page) in the last
    15 minutes? A new link would then stop the one they are answering with: replacing it, or
    sending a message (which always carries a new link), asks first; reminders wait."""
    active = intake.patient_active_at
    if active is None:
        return False
    now = now or timezone.now()
    return now - active < datetime.timedelta(minutes=LINK_IN_USE_MINUTES)


def minutes_since_active(intake: Intake, now: datetime.datetime | None = None) -> int | None:
    """Whole minutes since the patient last opened the link or saved a page (None if never)."""
    if intake.patient_active_at is None:
        return None
    elapsed = (now or timezone.now()) - intake.patient_active_at
    return max(int(elapsed.total_seconds() // 60), 0)


# After the patient sends their answers, their link opens only a thank-you page for this long;
# then it answers 410.
SENT_LINK_HOURS = 24


def link_problem(
    link: IntakeLink | None, intake: Intake, *, now: datetime.datetime | None = None
) -> str | None:
    """Why a patient cannot go on with this link (or, with ``link`` None, a tablet hand-over):
    "cancelled", "replaced", "locked", "expired" (never used in time) or "closed" (sent more than
    SENT_LINK_HOURS ago). None when it works; for an intake already sent that means the
    thank-you page only. The first reason that applies wins, the one that helps the patient most.
    """
    now = now or timezone.now()
    if intake.status == Intake.Status.CANCELLED:
        return "cancelled"
    if link is None:
        return None
    if link.revoked_at is not None:
        return "replaced"
    if link.locked_at is not None:
        return "locked"
    if intake.status == Intake.Status.EXPIRED:
        return "expired"
    if intake.status != Intake.Status.DRAFT:
        sent = intake.submitted_at
        if sent is None or now - sent >= datetime.timedelta(hours=SENT_LINK_HOURS):
            return "closed"
        return None
    if link.expires_at <= now:
        return "expired"
    return None


def intake_age(intake: Intake) -> int:
    """The patient's age on the day of the appointment."""
    day = timezone.localtime(intake.appointment_at).date()
    return intake.patient.age_on(day)


def screening_answers(intake: Intake, thresholds: rules.Thresholds | None = None) -> dict:
    """The answers the engine sees: the patient's, the clinician-set fields, and the age."""
    return prepare(
        intake.answers,
        thresholds=thresholds or clinic_thresholds(),
        age_years=intake_age(intake),
        clinician=intake.clinician_answers,
    )


def intake_plan(intake: Intake) -> rules.Plan | None:
    """The practitioner's plan, or None before one is set ("pending plan" semantics)."""
    return rules.plan_of(intake.plan_techniques, intake.plan_regions)


def latest_screening(intake: Intake) -> ScreeningResult | None:
    return intake.screenings.order_by("-created_at", "-pk").first()


def active_resolutions(intake: Intake) -> dict[tuple[str, str], FlagResolution]:
    """The standing resolution of each (item, level)."""
    found = {}
    for resolution in intake.resolutions.filter(superseded_at__isnull=True).select_related(
        "created_by"
    ):
        found[(resolution.item, resolution.level)] = resolution
    return found


def flags_of(screening: ScreeningResult | None) -> list[dict]:
    if screening is None:
        return []
    return [f for f in screening.findings if f["level"] in (rules.ABSOLUTE, rules.RELATIVE)]


def unresolved_flags(intake: Intake, screening: ScreeningResult | None) -> list[dict]:
    resolutions = active_resolutions(intake)
    return [f for f in flags_of(screening) if (f["item"], f["level"]) not in resolutions]


def flag_changes(before: ScreeningResult | None, after: ScreeningResult) -> dict[str, list]:
    """Which flags appeared, disappeared or changed level between two screenings."""
    old = {f["item"]: f["level"] for f in flags_of(before)}
    new = {f["item"]: f["level"] for f in flags_of(after)}
    return {
        "appeared": [item for item in new if item not in old],
        "disappeared": [item for item in old if item not in new],
        "changed": [
            (item, old[item], new[item]) for item in new if item in old and old[item] != new[item]
        ],
    }


def page_key(section_id: str, page: int) -> str:
    """How ``completed_steps`` names one page of a section split into several pages."""
    return f"{section_id}/{page}"


def page_done(intake: Intake, section, page: int) -> bool:
    """Has the patient pressed Next on this page (or on the whole section, before pages)?"""
    done = intake.completed_steps
    return section.id in done or page_key(section.id, page) in done


TODAY_SECTION = "today"
# The "How you are today" questions count when answered within this time before the
# appointment (on the check-in tablet, or through the link on the day).
TODAY_WINDOW = datetime.timedelta(hours=24)


def today_window_opens(intake: Intake) -> datetime.datetime:
    """From when the "today" questions can be answered for this appointment."""
    return intake.appointment_at - TODAY_WINDOW


def today_window_open(intake: Intake, now: datetime.datetime | None = None) -> bool:
    return (now or timezone.now()) >= today_window_opens(intake)


def answered_when(intake: Intake, item_id: str) -> datetime.datetime | None:
    """When the patient last gave or confirmed this answer; None when not recorded (answers
    stored before the time was kept)."""
    raw = (intake.answered_at or {}).get(item_id)
    if not raw:
        return None
    try:
        return datetime.datetime.fromisoformat(raw)
    except ValueError:
        return None


def stale_today_items(intake: Intake) -> list[str]:
    """The "today" items answered before the day of the appointment (say the appointment was
    moved later): they no longer count and are asked again."""
    opens = today_window_opens(intake)
    return [
        item_id
        for item_id in questionnaire.SECTIONS_BY_ID[TODAY_SECTION].items
        if (when := answered_when(intake, item_id)) is not None and when < opens
    ]


def missing_pages(intake: Intake) -> list[tuple[str, int]]:
    """(section id, page) of every question page not completed, or whose stored answers are no
    longer complete and valid, in wizard order (the server's check before anything is sent).
    A "today" page answered before the day of the appointment is not complete."""
    missing = []
    stale = set(stale_today_items(intake))
    for section in questionnaire.SECTIONS:
        for number, items in enumerate(section.pages, start=1):
            if (
                not page_done(intake, section, number)
                or any(
                    questionnaire.validate_item(item_id, intake.answers.get(item_id, {}))
                    for item_id in items
                )
                or stale.intersection(items)
            ):
                missing.append((section.id, number))
    return missing


def today_check_pending(intake: Intake) -> bool:
    """A draft whose only unfinished questions are "How you are today": the rest was answered
    ahead, and these wait for the day (the board's "Today check pending")."""
    done = intake.completed_steps
    if intake.status != Intake.Status.DRAFT or "welcome" not in done:
        return False
    rest_done = all(
        section.id in done
        for section in questionnaire.SECTIONS
        if section.items and section.id != TODAY_SECTION
    )
    return rest_done and (TODAY_SECTION not in done or bool(stale_today_items(intake)))


def missing_steps(intake: Intake) -> list[str]:
    """Question sections with a page not completed or no longer valid, in wizard order."""
    return list(dict.fromkeys(section_id for section_id, _ in missing_pages(intake)))


@dataclasses.dataclass(frozen=True)
class ThresholdImpact:
    """How the intakes of a period would screen under proposed thresholds, against the current
    ones: nothing stored, the engine run twice in memory per intake."""

    screened: int
    # (current outcome, proposed outcome) -> how many intakes, outcome changes only
    outcome_changes: dict[tuple[str, str], int]
    # same outcome, but a flag appears, goes or changes level
    flags_changed: int

    @property
    def outcome_changed(self) -> int:
        return sum(self.outcome_changes.values())


def _flag_set(result: rules.Result) -> frozenset[tuple[str, str]]:
    return frozenset((flag.item, flag.level) for flag in result.flags)


def threshold_impact(proposed: dict, *, months: int = 12) -> ThresholdImpact:
    """Re-screen every intake sent in the last ``months`` with the clinic's current thresholds
    and with ``proposed`` (threshold name -> value, the others as now), with each intake's own
    answers, clinician fields and plan as they stand."""
    current_values = ClinicSettings.load().threshold_values()
    current = rules.Thresholds.from_dict(current_values)
    changed = rules.Thresholds.from_dict({**current_values, **proposed})
    since = timezone.now() - datetime.timedelta(days=round(months * 30.44))
    intakes = (
        Intake.objects.filter(submitted_at__gte=since)
        .select_related("patient")
        .only(
            "answers",
            "clinician_answers",
            "plan_techniques",
            "plan_regions",
            "appointment_at",
            "patient__date_of_birth",
        )
        .order_by("pk")
    )
    screened = flags_changed = 0
    outcome_changes: dict[tuple[str, str], int] = {}
    for intake in intakes.iterator(chunk_size=500):
        plan = intake_plan(intake)
        before = rules.evaluate(screening_answers(intake, current), plan, current)
        after = rules.evaluate(screening_answers(intake, changed), plan, changed)
        screened += 1
        if before.outcome != after.outcome:
            key = (before.outcome, after.outcome)
            outcome_changes[key] = outcome_changes.get(key, 0) + 1
        elif _flag_set(before) != _flag_set(after):
            flags_changed += 1
    return ThresholdImpact(screened, outcome_changes, flags_changed)


# ---------------------------------------------------------------------------------------------
# Treatment records and aftercare checks (issue 18)


def signed_consent(intake: Intake):
    """The intake's consent in force (signed, not superseded) with its screening, or None."""
    from screening.models import Consent

    return (
        Consent.objects.filter(intake=intake, status=Consent.Status.SIGNED)
        .select_related("screening")
        .only("id", "status", "signed_at", "screening__plan", "intake_id")
        .order_by("-signed_at", "-pk")
        .first()
    )


def previous_visit(intake: Intake) -> Intake | None:
    """The patient's last submitted intake before this one (the one a check-in started from,
    or else the latest earlier appointment that was sent)."""
    if intake.previous_id is not None:
        previous = (
            Intake.objects.filter(pk=intake.previous_id)
            .exclude(status=Intake.Status.CANCELLED)
            .first()
        )
        if previous is not None:
            return previous
    return (
        Intake.objects.filter(
            patient_id=intake.patient_id,
            submitted_at__isnull=False,
            appointment_at__lt=intake.appointment_at,
        )
        .exclude(pk=intake.pk)
        .exclude(status=Intake.Status.CANCELLED)
        .order_by("-appointment_at", "-pk")
        .first()
    )


CLINIC_RECORD_PREFIX = "Recorded by the clinic: "
_ONSET_WORDS = {
    "during": "during treatment on {day}",
    "within_24h": "within 24 hours of treatment on {day}",
    "later": "after treatment on {day}",
}


def recorded_reactions(intake: Intake) -> list[str]:
    """What the clinic recorded after this patient's earlier appointments that the next
    screening must show (a fainting or any significant adverse event), one sentence each, like
    "Recorded by the clinic: fainting or near-fainting (vasovagal) during treatment on 3 Nov
    2026". Oldest first; [] for a first visit."""
    from django.db.models import Q
    from django.utils import dateformat

    from screening.models import AdverseEvent

    events = (
        AdverseEvent.objects.filter(
            Q(type__in=AdverseEvent.SIGNIFICANT_TYPES)
            | Q(severity=AdverseEvent.Severity.SIGNIFICANT),
            intake__patient_id=intake.patient_id,
            intake__appointment_at__lt=intake.appointment_at,
        )
        .exclude(intake_id=intake.pk)
        .select_related("treatment")
        .only("type", "onset", "severity", "treatment__treated_at")
        .order_by("treatment__treated_at", "pk")
    )
    sentences = []
    for event in events:
        what = str(event.get_type_display())
        what = what[:1].lower() + what[1:]
        day = dateformat.format(timezone.localtime(event.treatment.treated_at), "j M Y")
        when = _ONSET_WORDS.get(event.onset, "after treatment on {day}").format(day=day)
        sentences.append(f"{CLINIC_RECORD_PREFIX}{what} {when}")
    return list(dict.fromkeys(sentences))


def aftercare_calls_for_practitioners():
    """Aftercare checks whose answers (or the desk's call) ask a practitioner to call the
    patient, and no practitioner has recorded the call yet; the oldest first."""
    from screening.models import AftercareCheck

    return (
        AftercareCheck.objects.filter(call_needed_at__isnull=False, call_recorded_at__isnull=True)
        .exclude(intake__status=Intake.Status.CANCELLED)
        .select_related("intake__patient")
        .order_by("call_needed_at", "pk")
    )


# A check sent but not answered this long after it went joins the desk's list to phone.
AFTERCARE_ANSWER_HOURS = 24


def aftercare_calls_for_desk(now: datetime.datetime | None = None):
    """Aftercare checks due that the desk should phone: no message could carry the link (no
    e-mail or mobile on file, or every message failed), it was not sent AFTERCARE_ANSWER_HOURS
    after it was due, or it went out more than AFTERCARE_ANSWER_HOURS ago and is not answered;
    the desk has not reached the patient yet. The oldest first."""
    from django.db.models import Q

    from screening.models import AftercareCheck

    now = now or timezone.now()
    no_contact = Q(sent_at__isnull=True, intake__patient__email="", intake__patient__phone="")
    # Not sent a day after it was due: the scheduled command is not running.
    not_sent = Q(
        sent_at__isnull=True,
        due_at__lte=now - datetime.timedelta(hours=AFTERCARE_ANSWER_HOURS),
    )
    undelivered = Q(sent_at__isnull=False, delivered=False)
    unanswered = Q(
        delivered=True,
        sent_at__lte=now - datetime.timedelta(hours=AFTERCARE_ANSWER_HOURS),
    )
    return (
        AftercareCheck.objects.filter(
            no_contact | not_sent | undelivered | unanswered,
            due_at__lte=now,
            answered_at__isnull=True,
        )
        .exclude(desk_outcome__in=("well", "problem"))
        .exclude(intake__status=Intake.Status.CANCELLED)
        .select_related("intake__patient", "treatment")
        .order_by("due_at", "pk")
    )
