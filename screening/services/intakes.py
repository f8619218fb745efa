"""Patients, intakes, invitation links, the patient's identity check, wizard steps and submit."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from screening import codes, selectors
from screening.engine import course, questionnaire
from screening.models import (
    ClinicSettings,
    CodeEntryFailure,
    Intake,
    IntakeLink,
    Patient,
    ScreeningResult,
    User,
)
from screening.roles import Role
from screening.services import prepared
from screening.services.audit import PATIENT_ACTOR, audit_record
from screening.services.base import ConflictError, ServiceError
from screening.services.screenings import screening_run

IDENTITY_CHECK_LIMIT = 5


class SameDayIntake(ServiceError):
    """The patient already has an intake for an appointment that day (``existing``)."""

    def __init__(self, message: str, existing: Intake):
        super().__init__(message)
        self.existing = existing


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _lock_identity(name: str) -> None:
    """Serialise, until the transaction ends, every writer that names the same identity.

    A row lock cannot guard a patient who does not exist yet: two desks creating the same new
    patient at once would each find nobody, each create one, and neither would see the other's
    same-day intake. On PostgreSQL a transaction-level advisory lock on a hash of the identity
    makes the second wait; SQLite's IMMEDIATE transactions already serialise all writers.
    """
    if connection.vendor != "postgresql":
        return
    lock_id = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])


def patient_find_or_create(
    *, full_name: str, date_of_birth, email: str = "", phone: str = ""
) -> tuple[Patient, bool]:
    """The existing patient with this name and date of birth, or a new one.

    Must run inside the caller's transaction. New contact details replace old ones; blank ones
    never erase what is on file.
    """
    full_name = " ".join(full_name.split())
    key = Patient.make_name_key(full_name)
    _lock_identity(f"patient:{key}:{date_of_birth.isoformat()}")
    patient = (
        Patient.objects.select_for_update()
        .filter(name_key=key, date_of_birth=date_of_birth)
        .order_by("pk")
        .first()
    )
    if patient is None:
        patient = Patient.objects.create(
            full_name=full_name,
            name_key=key,
            date_of_birth=date_of_birth,
            email=email,
            phone=phone,
        )
        return patient, True
    changed = []
    for name, value in (("email", email), ("phone", phone)):
        if value and getattr(patient, name) != value:
            setattr(patient, name, value)
            changed.append(name)
    if changed:
        patient.save(update_fields=changed)
    return patient, False


START_AUTO, START_CHECKIN, START_FULL = "auto", "checkin", "full"
FULL, CHECKIN = Intake.Kind.FULL, Intake.Kind.CHECKIN


def intake_create(
    *,
    actor: User,
    full_name: str,
    date_of_birth,
    appointment_at,
    practitioner: User | None = None,
    email: str = "",
    phone: str = "",
    allow_same_day: bool = False,
    start: str = START_AUTO,
    request=None,
) -> Intake:
    """Create a draft intake for an appointment, matching a returning patient.

    A returning patient starts from their last sent questionnaire (``start``, see
    ``returning_start``): a check-in to confirm or change it, or the full questionnaire with it
    filled in. The "today" questions are never carried over.

    A second intake for the same patient on the same day is usually a slip (a double click, or
    a colleague who already made one) that would leave the patient answering one intake while
    the desk prints from the other; it raises `SameDayIntake` unless ``allow_same_day``.
    """
    if date_of_birth > timezone.localdate():
        raise ServiceError("The date of birth cannot be in the future.")
    with transaction.atomic():
        patient, created = patient_find_or_create(
            full_name=full_name, date_of_birth=date_of_birth, email=email, phone=phone
        )
        day_start, day_end = selectors.day_bounds(timezone.localtime(appointment_at).date())
        same_day = (
            Intake.objects.filter(
                patient=patient,
                appointment_at__gte=day_start,
                appointment_at__lt=day_end,
            )
            .exclude(status__in=(Intake.Status.CANCELLED, Intake.Status.EXPIRED))
            .order_by("appointment_at")
            .first()
        )
        if same_day is not None and not allow_same_day:
            when = timezone.localtime(same_day.appointment_at)
            raise SameDayIntake(
                f"{patient.full_name} already has an intake for an appointment that day, at "
                f"{when:%H:%M}. Open that intake instead, or tick the box below to make a "
                "second one.",
                same_day,
            )
        kind, previous = returning_start(
            patient, start, today=timezone.localtime(appointment_at).date()
        )
        intake = Intake.objects.create(
            patient=patient,
            appointment_at=appointment_at,
            practitioner=practitioner,
            created_by=actor,
            questionnaire_version=questionnaire.VERSION,
            kind=kind,
            previous=previous,
            **_carried_answers(previous, patient, appointment_at),
        )
        audit_record(
            actor=actor,
            action="intake.create",
            request=request,
            intake=intake,
            obj=intake,
            detail={"patient_matched": not created, "kind": kind, "from_previous": bool(previous)},
        )
    return intake


def last_sent_intake(patient) -> Intake | None:
    """The patient's most recently sent questionnaire (not a cancelled appointment's)."""
    return (
        Intake.objects.filter(patient=patient, submitted_at__isnull=False)
        .exclude(status=Intake.Status.CANCELLED)
        .order_by("-submitted_at", "-pk")
        .first()
    )


def returning_start(patient, start: str = START_AUTO, *, today=None) -> tuple[str, Intake | None]:
    """(kind, previous intake) for a new intake of ``patient``.

    With a sent questionnaire younger than the clinic's ``full_questionnaire_months`` on
    ``today`` (the appointment's day), "auto" gives a check-in; older, the full questionnaire
    filled in with it. The desk may choose either kind for a returning patient; a patient with
    nothing sent gets the full questionnaire, empty.
    """
    if start not in (START_AUTO, START_CHECKIN, START_FULL):
        raise ServiceError("Choose a check-in or the full questionnaire.")
    previous = last_sent_intake(patient)
    if previous is None:
        if start == START_CHECKIN:
            raise ServiceError(
                "This patient has not sent a questionnaire before, so there is nothing to "
                "check in against: they answer the full questionnaire."
            )
        return FULL, None
    if start == START_AUTO:
        months = ClinicSettings.load().full_questionnaire_months
        sent_on = timezone.localdate(previous.submitted_at)
        recent = course.add_months(sent_on, months) > (today or timezone.localdate())
        return (CHECKIN if recent else FULL), previous
    return (CHECKIN if start == START_CHECKIN else FULL), previous


def _carried_answers(previous: Intake | None, patient, appointment_at) -> dict:
    """The answers a returning patient starts from: the previous questionnaire's, without the
    "today" questions, recomputed for today's age; with when each was given."""
    if previous is None:
        return {}
    today_items = set(questionnaire.SECTIONS_BY_ID[selectors.TODAY_SECTION].items)
    # Items a later questionnaire dropped are not carried over.
    kept = {
        k: v
        for k, v in previous.answers.items()
        if k not in today_items and k in questionnaire.ITEMS
    }
    age = (
        patient.age_on(timezone.localtime(appointment_at).date())
        if "minor_patient" in kept
        else None
    )
    thresholds = selectors.clinic_thresholds()
    answers = questionnaire.prune(questionnaire.derive(kept, thresholds=thresholds, age_years=age))
    given = previous.submitted_at.isoformat()
    answered_at = {k: (previous.answered_at or {}).get(k, given) for k in answers}
    return {"answers": answers, "answered_at": answered_at}


@dataclass(frozen=True)
class IssuedLink:
    link: IntakeLink
    token: str  # shown once to the front desk; only its hash is stored
    code: str = ""  # the short code for the handout (no separator); only its hash is stored


TOKEN_BYTES = 32  # 256 bits


def _new_code() -> tuple[str, str]:
    """A typed code no other link has, and its hash."""
    while True:
        code = codes.generate()
        digest = codes.code_hash(code)
        if not IntakeLink.objects.filter(code_hash=digest).exists():
            return code, digest


def link_issue(*, actor: User, intake: Intake, request=None) -> IssuedLink:
    """A new invitation link for a draft intake; earlier links stop working (a patient using
    one is told it was replaced; their saved answers stay)."""
    if intake.status != Intake.Status.DRAFT:
        raise ServiceError("This intake has already been sent; a new link is not needed.")
    lifetime = datetime.timedelta(days=ClinicSettings.load().link_lifetime_days)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    with transaction.atomic():
        code, code_digest = _new_code()
        IntakeLink.objects.filter(intake=intake, revoked_at__isnull=True).update(revoked_at=now)
        link = IntakeLink.objects.create(
            intake=intake,
            token_hash=_token_hash(token),
            code_hash=code_digest,
            expires_at=now + lifetime,
            created_by=actor,
        )
        audit_record(actor=actor, action="link.issue", request=request, intake=intake, obj=link)
    return IssuedLink(link=link, token=token, code=code)


class LinkProblem(ServiceError):
    """Why an invitation link cannot be used: ``reason`` is one of
    ``selectors.link_problem``'s ("cancelled", "replaced", "locked", "expired", "closed") or
    "unknown"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TooManyCodes(ServiceError):
    """Too many typed codes that matched nothing came from this address lately."""


# Typed codes that match nothing, per client address: this many within the window refuse
# every further try from that address until the window has passed.
CODE_FAILURE_LIMIT = 10
CODE_FAILURE_WINDOW = datetime.timedelta(minutes=15)


def link_current(*, intake: Intake, token: str) -> IntakeLink | None:
    """The intake's link for ``token`` if it is still the one in force (not revoked); reads
    only."""
    if not token or len(token) > 100:
        return None
    return IntakeLink.objects.filter(
        intake=intake, token_hash=_token_hash(token), revoked_at__isnull=True
    ).first()


def link_open(*, token: str, request=None) -> IntakeLink:
    """Check a token from an invitation URL and record its use; raises LinkProblem.

    For an intake already sent (and for SENT_LINK_HOURS only) the link is returned without
    counting as the patient's activity: the caller shows a thank-you page and no session.
    """
    if not token or len(token) > 100:
        raise LinkProblem("unknown")
    return _open(IntakeLink.objects.filter(token_hash=_token_hash(token)), request=request)


def link_open_by_code(*, code: str, request=None) -> IntakeLink:
    """The link whose handout code this is (already normalised: ``codes.normalise``), opened as
    ``link_open`` opens a token. A code that matches nothing counts against the client's
    address; CODE_FAILURE_LIMIT of them within CODE_FAILURE_WINDOW raise TooManyCodes for every
    try from there, right or wrong, until the window has passed."""
    address = getattr(request, "client_address", "") or None
    now = timezone.now()
    recent = CodeEntryFailure.objects.filter(
        client_address=address, at__gte=now - CODE_FAILURE_WINDOW
    ).count()
    if recent >= CODE_FAILURE_LIMIT:
        raise TooManyCodes(
            "Too many codes that did not match were typed from this connection. Please wait "
            f"{int(CODE_FAILURE_WINDOW.total_seconds() // 60)} minutes and try again, or scan "
            "the QR code on your letter."
        )
    links = IntakeLink.objects.filter(code_hash=codes.code_hash(code))
    if not links.exists():
        with transaction.atomic():
            # Old rows go as new ones come: the table holds about a day at most.
            CodeEntryFailure.objects.filter(at__lt=now - datetime.timedelta(days=1)).delete()
            CodeEntryFailure.objects.create(client_address=address, at=now)
            audit_record(
                actor=None,
                action="link.code_refused",
                request=request,
                detail={"recent_failures": recent + 1},
            )
        raise LinkProblem("unknown")
    return _open(links, request=request)


def _open(links, *, request=None) -> IntakeLink:
    with transaction.atomic():
        link = links.select_for_update(of=("self",)).select_related("intake").first()
        if link is None:
            raise LinkProblem("unknown")
        problem = selectors.link_problem(link, link.intake)
        if problem is not None:
            raise LinkProblem(problem)
        sent = link.intake.status != Intake.Status.DRAFT
        if link.first_used_at is None:
            link.first_used_at = timezone.now()
            link.save(update_fields=["first_used_at"])
        if not sent:
            # The intake's version is not bumped: opening the link changes no answer.
            Intake.objects.filter(pk=link.intake_id).update(patient_active_at=timezone.now())
        audit_record(
            actor=None,
            actor_role=PATIENT_ACTOR,
            action="link.open",
            request=request,
            intake=link.intake,
            obj=link,
            detail={"after_submit": True} if sent else None,
        )
    return link


def identity_check(*, link: IntakeLink | None, intake: Intake, date_of_birth, request=None) -> bool:
    """Does the date of birth match? Five wrong tries lock the link until it is reissued."""
    with transaction.atomic():
        matches = date_of_birth == intake.patient.date_of_birth
        detail = {"result": "match" if matches else "mismatch"}
        if link is not None:
            link = IntakeLink.objects.select_for_update().get(pk=link.pk)
            if link.locked_at is not None:
                raise LinkProblem("locked")
            if not matches:
                link.failed_identity_checks += 1
                if link.failed_identity_checks >= IDENTITY_CHECK_LIMIT:
                    link.locked_at = timezone.now()
                    detail["locked"] = True
                link.save(update_fields=["failed_identity_checks", "locked_at"])
        audit_record(
            actor=None,
            actor_role=PATIENT_ACTOR,
            action="intake.identity_check",
            request=request,
            intake=intake,
            detail=detail,
        )
    if link is not None and link.locked_at is not None:
        raise LinkProblem("locked")
    return matches


def intake_handover(*, actor: User, intake: Intake, request=None) -> None:
    """Record that staff handed the clinic tablet to the patient for this intake."""
    if intake.status != Intake.Status.DRAFT:
        raise ServiceError("This questionnaire has already been sent.")
    audit_record(actor=actor, action="intake.handover", request=request, intake=intake)


# An intake whose consent is signed records a visit that took place: its appointment and
# practitioner are what the signed consent says, and it cannot be cancelled.
EDITABLE_STATUSES = (Intake.Status.DRAFT, Intake.Status.SUBMITTED, Intake.Status.REVIEWED)
CANCEL_REASON_MAX = 500


def _lock_for_desk(intake: Intake) -> Intake:
    return (
        Intake.objects.select_for_update(of=("self",))
        .select_related("patient", "practitioner")
        .get(pk=intake.pk)
    )


def _check_version(locked: Intake, expected_version: int) -> None:
    if locked.version != expected_version:
        raise ConflictError(
            "This intake changed since you opened the page (someone else edited it, or the "
            "patient saved answers), so nothing was saved. Check the details below and save "
            "again."
        )


def _when(value) -> str:
    return timezone.localtime(value).strftime("%a %d %b %Y %H:%M")


def intake_update(
    *,
    actor: User,
    intake: Intake,
    appointment_at,
    practitioner: User | None,
    expected_version: int,
    request=None,
) -> tuple[Intake, list[str]]:
    """Move the appointment or change the practitioner. Returns (intake, what changed), and
    changes nothing (no audit, no new version) when nothing differs.

    Refused for a signed, cancelled or expired intake, and, once the answers were sent, for a
    new date on which the patient's age differs from the age they were screened at (the
    screening and the minor's questions depend on it): that needs a new intake.
    """
    if practitioner is not None and (
        practitioner.role != Role.PRACTITIONER or not practitioner.is_active
    ):
        raise ServiceError("Choose a practitioner from the list.")
    with transaction.atomic():
        locked = _lock_for_desk(intake)
        _check_version(locked, expected_version)
        if locked.status not in EDITABLE_STATUSES:
            raise ServiceError(
                f"This intake is {locked.get_status_display().lower()}: its appointment and "
                "practitioner can no longer be changed."
            )
        changed: dict[str, dict] = {}
        if locked.appointment_at != appointment_at:
            if locked.status != Intake.Status.DRAFT:
                before_age = selectors.intake_age(locked)
                after_age = locked.patient.age_on(timezone.localtime(appointment_at).date())
                if before_age != after_age:
                    raise ServiceError(
                        f"On the new date the patient is {after_age}, not {before_age} as when "
                        "their answers were screened. Cancel this intake and create a new one "
                        "for the new date, so that the questionnaire fits their age."
                    )
            changed["appointment_at"] = {
                "from": _when(locked.appointment_at),
                "to": _when(appointment_at),
            }
            locked.appointment_at = appointment_at
        if locked.practitioner_id != (practitioner.pk if practitioner else None):
            changed["practitioner"] = {
                "from": locked.practitioner.display_name() if locked.practitioner else "",
                "to": practitioner.display_name() if practitioner else "",
            }
            locked.practitioner = practitioner
        if not changed:
            return locked, []
        locked.version += 1
        locked.save(update_fields=["appointment_at", "practitioner", "version", "updated_at"])
        audit_record(
            actor=actor,
            action="intake.update",
            request=request,
            intake=locked,
            obj=locked,
            detail={"changed": changed},
        )
        if locked.status == Intake.Status.REVIEWED:
            # The documents print the appointment and the practitioner.
            prepared.documents_changed(locked)
    return locked, list(changed)


def intake_cancel(
    *, actor: User, intake: Intake, reason: str, expected_version: int, request=None
) -> Intake:
    """Cancel the appointment: the intake leaves the board and keeps its record, and its link
    tells the patient the appointment was cancelled. The reason is kept on the intake (it may
    name a health matter), the audit event holds the status it had. Cancelling a cancelled
    intake again returns it unchanged (a double click)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ServiceError("Please say why the appointment is cancelled.")
    if len(reason) > CANCEL_REASON_MAX:
        raise ServiceError(f"Please keep the reason under {CANCEL_REASON_MAX} characters.")
    with transaction.atomic():
        locked = _lock_for_desk(intake)
        if locked.status == Intake.Status.CANCELLED:
            return locked
        _check_version(locked, expected_version)
        if locked.status == Intake.Status.SIGNED:
            raise ServiceError(
                "The consent for this appointment is signed, so the visit took place: it "
                "cannot be cancelled."
            )
        previous = locked.status
        locked.status = Intake.Status.CANCELLED
        locked.cancelled_at = timezone.now()
        locked.cancelled_by = actor
        locked.cancel_reason = reason
        locked.version += 1
        locked.save(
            update_fields=[
                "status",
                "cancelled_at",
                "cancelled_by",
                "cancel_reason",
                "version",
                "updated_at",
            ]
        )
        audit_record(
            actor=actor,
            action="intake.cancel",
            request=request,
            intake=locked,
            obj=locked,
            detail={"from_status": previous},
        )
    return locked


def _check_draft(intake: Intake) -> None:
    if intake.status != Intake.Status.DRAFT:
        raise ServiceError("These answers have already been sent to the clinic.")


def intake_save_step(
    *,
    intake: Intake,
    section_id: str,
    values: dict,
    page: int | None = None,
    complete: bool = True,
    draft: bool = False,
    expected_version: int | None = None,
    completed_by: str = "",
    request=None,
    already_locked: bool = False,
) -> Intake:
    """Store one wizard page's answers (already validated) and mark the page done.

    ``page`` is 1-based; ``None`` stores the whole section at once (every page of it).
    ``values`` maps the page's item ids to their item values; items of this page that are
    absent are cleared, except for a ``draft`` (saved as the patient types, never marking the
    page done), which only replaces the items it holds: an item still being typed (a number
    half entered) keeps what was stored. The section counts as done once all its pages are.
    The derived answers are recomputed and the answers pruned over the whole questionnaire,
    as the screening reads them (§13.9), so a follow-up that an earlier change disabled is never
    kept, and one that a derived "yes" enables (a minor's guardian) is.

    With ``expected_version`` (drafts) a save made against an older version of the intake is
    refused with ``ConflictError``: a draft still on its way when the patient pressed Next
    must not overwrite what Next stored.

    ``already_locked``: the caller read ``intake`` with ``select_for_update`` in the transaction
    it is in now (the patient's step, whose access check locks the row), so it is not read again
    and no savepoint is made; an error then ends the caller's transaction, which must not go on.
    """
    section = questionnaire.SECTIONS_BY_ID[section_id]
    if page is None or not section.items:
        page_items = section.items
    elif 1 <= page <= len(section.pages):
        page_items = section.pages[page - 1]
    else:
        raise ServiceError("That page does not exist.")
    thresholds = selectors.clinic_thresholds()
    if already_locked and not transaction.get_connection().in_atomic_block:
        raise ServiceError("A locked intake is saved inside the transaction that locked it.")
    with transaction.atomic(savepoint=not already_locked):
        if already_locked:
            locked = intake
        else:
            locked = (
                Intake.objects.select_for_update(of=("self",))
                .select_related("patient")
                .get(pk=intake.pk)
            )
        _check_draft(locked)
        if expected_version is not None and locked.version != expected_version:
            raise ConflictError("The answers changed since this page was loaded.")
        answers = dict(locked.answers)
        answered_at = dict(locked.answered_at or {})
        stamp = timezone.now().isoformat()
        for item_id in page_items:
            item_values = values.get(item_id)
            if item_values:
                answers[item_id] = item_values
                answered_at[item_id] = stamp
            elif not draft:
                answers.pop(item_id, None)
                answered_at.pop(item_id, None)
        # The age comes from the date of birth once "About you" is answered; never earlier.
        age = selectors.intake_age(locked) if "minor_patient" in answers else None
        derived = questionnaire.derive(answers, thresholds=thresholds, age_years=age)
        locked.answers = questionnaire.prune(derived)
        locked.answered_at = {k: v for k, v in answered_at.items() if k in locked.answers}
        if complete and not draft:
            locked.completed_steps = _with_page_done(locked.completed_steps, section, page)
        if completed_by:
            locked.completed_by = completed_by
        locked.questionnaire_version = questionnaire.VERSION
        locked.patient_active_at = timezone.now()
        locked.version += 1
        locked.save(
            update_fields=[
                "answers",
                "answered_at",
                "completed_steps",
                "completed_by",
                "questionnaire_version",
                "patient_active_at",
                "version",
                "updated_at",
            ]
        )
        audit_record(
            actor=None,
            actor_role=PATIENT_ACTOR,
            action="intake.save_draft" if draft else "intake.save_step",
            request=request,
            intake=locked,
            detail={"step": section_id, "page": page, "complete": complete and not draft},
        )
    return locked


def checkin_sections() -> tuple:
    """The sections a returning patient confirms or changes at check-in: every section with
    questions except "How you are today", which is always asked afresh."""
    return tuple(
        section
        for section in questionnaire.SECTIONS
        if section.items and section.id != selectors.TODAY_SECTION
    )


def intake_checkin(
    *,
    intake: Intake,
    still_true: list[str],
    changed: list[str],
    completed_by: str,
    request=None,
) -> Intake:
    """A returning patient's check-in: each section is "still true" (its earlier answers are
    kept and count as confirmed now) or "something changed" (the section stays open, filled in
    with the earlier answers, for the patient to change). Every section needs one of the two."""
    ids = {section.id for section in checkin_sections()}
    if set(still_true) & set(changed) or set(still_true) | set(changed) != ids:
        raise ServiceError("Tell us for every part whether it is still true or has changed.")
    with transaction.atomic():
        locked = (
            Intake.objects.select_for_update(of=("self",))
            .select_related("patient")
            .get(pk=intake.pk)
        )
        _check_draft(locked)
        if locked.kind != Intake.Kind.CHECKIN:
            raise ServiceError("This questionnaire is not a check-in.")
        stamp = timezone.now().isoformat()
        done = [
            step
            for step in locked.completed_steps
            if step.split("/")[0] not in ids and step != "welcome"
        ]
        done.append("welcome")
        answered_at = dict(locked.answered_at or {})
        for section in checkin_sections():
            if section.id not in still_true:
                continue
            for number in range(1, len(section.pages) + 1):
                done = _with_page_done(done, section, number)
            for item_id in section.items:
                if item_id in locked.answers:
                    answered_at[item_id] = stamp
        locked.completed_steps = done
        locked.answered_at = answered_at
        locked.completed_by = completed_by
        locked.patient_active_at = timezone.now()
        locked.version += 1
        locked.save(
            update_fields=[
                "completed_steps",
                "answered_at",
                "completed_by",
                "patient_active_at",
                "version",
                "updated_at",
            ]
        )
        audit_record(
            actor=None,
            actor_role=PATIENT_ACTOR,
            action="intake.checkin",
            request=request,
            intake=locked,
            detail={"still_true": len(still_true), "changed": sorted(changed)},
        )
    return locked


def _with_page_done(completed: list, section, page: int | None) -> list:
    """``completed_steps`` with this page done, and its section once all its pages are."""
    done = list(completed)
    if page is None:
        return done if section.id in done else [*done, section.id]
    if len(section.pages) > 1:
        key = selectors.page_key(section.id, page)
        if key not in done:
            done.append(key)
    all_pages = all(
        selectors.page_key(section.id, number) in done
        for number in range(1, len(section.pages) + 1)
    )
    if section.id not in done and (len(section.pages) <= 1 or all_pages):
        done.append(section.id)
    return done


def intake_submit(*, intake: Intake, request=None) -> tuple[Intake, bool]:
    """Send the answers to the clinic and screen them. Idempotent: returns (intake, created).

    The row lock (PostgreSQL) or the immediate write lock (SQLite) makes a double click or a
    retried request see the first submission and return it unchanged.
    """
    with transaction.atomic():
        locked = Intake.objects.select_for_update().select_related("patient").get(pk=intake.pk)
        if locked.status != Intake.Status.DRAFT:
            if locked.status == Intake.Status.SUBMITTED or locked.submitted_at:
                return locked, False
            raise ServiceError("This questionnaire can no longer be sent.")
        missing = selectors.missing_steps(locked)
        if missing:
            raise ServiceError("Some sections are not finished yet.")
        locked.status = Intake.Status.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.version += 1
        locked.save(update_fields=["status", "submitted_at", "version", "updated_at"])
        audit_record(
            actor=None,
            actor_role=PATIENT_ACTOR,
            action="intake.submit",
            request=request,
            intake=locked,
        )
        screening_run(intake=locked, trigger=ScreeningResult.Trigger.SUBMIT, request=request)
    return locked, True
