"""Practitioner pages: the risk-ordered queue and the review of one intake."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from screening import answers_display, course_state, review_display, selectors, services
from screening.documents import consent_context, consent_wording
from screening.engine import course, questionnaire, regions, rules, sources
from screening.forms import (
    DecisionForm,
    PlanForm,
    PractitionerSignForm,
    QueueFilterForm,
    ReopenForm,
    ResolutionForm,
    body_map_regions,
)
from screening.models import Consent, Intake
from screening.permissions import Perm, access_intake_for_staff, require_perm
from screening.services.screenings import shown_answers

PAGE_SIZE = 50
COSIGN_WAITING = Exists(
    Consent.objects.filter(intake=OuterRef("pk"), status=Consent.Status.AWAITING_PRACTITIONER)
)
CONSENT_GIVEN = Exists(
    Consent.objects.filter(
        intake=OuterRef("pk"), status__in=(Consent.Status.SIGNED, Consent.Status.SUPERSEDED)
    )
)
RISK_RANK = Case(
    When(latest_outcome="contraindicated", then=Value(0)),
    When(latest_outcome="precaution", then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


@require_perm(Perm.REVIEW)
def queue(request):
    """Intakes for a day, by appointment time then risk; one query whatever the table size."""
    form = QueueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    day = filters.get("day") or timezone.localdate()
    status = filters.get("status") or "submitted"
    page = filters.get("page") or 1
    start, end = selectors.day_bounds(day)
    intakes = Intake.objects.select_related("patient", "practitioner").filter(
        appointment_at__gte=start, appointment_at__lt=end
    )
    if status != "all":
        intakes = intakes.filter(status=status)
    if filters.get("mine"):
        intakes = intakes.filter(practitioner=request.user)
    if filters.get("outcome"):
        intakes = intakes.filter(latest_outcome=filters["outcome"])
    if filters.get("q"):
        intakes = intakes.filter(patient__full_name__icontains=filters["q"].strip())
    intakes = intakes.annotate(
        risk=RISK_RANK, cosign_waiting=COSIGN_WAITING, consent_given=CONSENT_GIVEN
    ).order_by("appointment_at", "risk", "pk")
    # Bounded pagination without a COUNT: fetch one row more than a page to know if there is
    # a next page.
    start = (page - 1) * PAGE_SIZE
    rows = list(intakes[start : start + PAGE_SIZE + 1])
    majority = selectors.clinic_thresholds().age_of_majority
    # The queue shows names and outcomes: each view of it is recorded.
    services.audit_record(
        actor=request.user,
        action="review.queue_view",
        request=request,
        detail={"day": day.isoformat(), "status": status, "page": page},
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "day": day,
        "rows": [_queue_row(intake, majority) for intake in rows[:PAGE_SIZE]],
        "page": page,
        "has_next": len(rows) > PAGE_SIZE,
        "query": query.urlencode(),
        "waiting": _waiting_for(request.user, day),
        # Patients whose 48-hour aftercare check asks for a practitioner's call (any day).
        "aftercare_calls": list(selectors.aftercare_calls_for_practitioners()[:20]),
    }
    return render(request, "screening/review/queue.html", context)


COSIGN_LISTED = 10


def _waiting_for(user, day) -> dict:
    """What waits for this practitioner: their patients to review on the day, and consents
    signed by a patient that wait for their co-signature (any day), the oldest first, each
    with its patient and appointment for a direct *Co-sign*."""
    start, end = selectors.day_bounds(day)
    mine = Intake.objects.filter(practitioner=user)
    # From the consents' side (indexed on status): never a scan of every intake. Only the
    # columns listed: the PDFs and signature images stay in the database.
    waiting = (
        # An intake with no practitioner assigned waits for whichever practitioner co-signs.
        Consent.objects.filter(
            Q(intake__practitioner=user) | Q(intake__practitioner__isnull=True),
            status=Consent.Status.AWAITING_PRACTITIONER,
        )
        .exclude(intake__status=Intake.Status.CANCELLED)
        .select_related("intake__patient")
        .only(
            "id",
            "signer_name",
            "patient_signed_at",
            "created_at",
            "intake__public_id",
            "intake__appointment_at",
            "intake__patient__full_name",
        )
        .order_by("patient_signed_at", "pk")
    )
    listed = list(waiting[: COSIGN_LISTED + 1])
    cosign = len(listed)
    if cosign > COSIGN_LISTED:
        cosign = waiting.values("intake").distinct().count()
    return {
        "review": mine.filter(
            status=Intake.Status.SUBMITTED, appointment_at__gte=start, appointment_at__lt=end
        ).count(),
        "cosign": cosign,
        "cosign_list": listed[:COSIGN_LISTED],
    }


def _queue_row(intake: Intake, majority: int) -> dict:
    age = selectors.intake_age(intake)
    return {
        "intake": intake,
        "age": age,
        "minor": age is not None and age < majority,
        "chips": review_display.flag_chips(intake.latest_flags, {}),
        # A consent was given, then the intake was reopened: the patient must consent again.
        "reconsent": intake.consent_given and intake.status != Intake.Status.SIGNED,
    }


def _flag_groups(
    findings: list[dict], resolutions: dict, errors: dict, typed: dict, answers: dict, thresholds
) -> list[dict]:
    """Findings by level, each with its item's answers in words (the patient's answer and the
    follow-ups that apply), its citations and its active resolution."""
    groups = []
    for level, title in (
        (rules.ABSOLUTE, "Absolute contraindications"),
        (rules.RELATIVE, "Precautions"),
        (rules.INFO, "Also noted"),
    ):
        entries = []
        for finding in findings:
            if finding["level"] != level:
                continue
            entries.append(
                {
                    "finding": finding,
                    "title": questionnaire.item(finding["item"]).title,
                    "anchor": f"flag-{finding['item'].replace('_', '-')}",
                    "answer": _answer_words(finding["item"], answers, thresholds),
                    "citations": [_citation(tag) for tag in finding["sources"]],
                    "resolution": resolutions.get((finding["item"], level)),
                    "suggested_wording": consent_wording(finding, override=level == rules.ABSOLUTE),
                    # What the patient's consent will say for this flag, shown before clearing.
                    "consent_wording": consent_wording(
                        finding,
                        getattr(resolutions.get((finding["item"], level)), "patient_wording", ""),
                        override=level == rules.ABSOLUTE,
                    ),
                    "error": errors.get(finding["item"], ""),
                    "typed": typed.get(finding["item"]),
                }
            )
        groups.append({"level": level, "title": title, "entries": entries})
    return groups


def _flag_answers(intake: Intake, screening, thresholds) -> tuple[dict, rules.Thresholds]:
    """The answers and thresholds a flag is explained with: the screening's own snapshot, so a
    flag quotes what fired it even if the patient or the clinic settings changed since."""
    if screening is None:
        return selectors.screening_answers(intake, thresholds), thresholds
    answers = shown_answers(screening.answers, intake.answers)
    return answers, rules.Thresholds.from_dict(screening.thresholds)


def _answer_words(item_id: str, answers: dict, thresholds) -> dict:
    """What the patient answered to a flagged item, in words: the main answer (None for an
    item without one, such as age) and the follow-ups that were answered."""
    summary = answers_display.item_summary(
        questionnaire.item(item_id), answers.get(item_id, {}), thresholds=thresholds, patient=False
    )
    main = summary["answer"]
    return {
        "main": None if main in (None, answers_display.NOT_ANSWERED) else main,
        "details": [d for d in summary["details"] if d["answered"]],
    }


def _legend(findings: list[dict]) -> list[dict]:
    """Every source cited on the page, once, in code order: the legend at its foot."""
    tags = sorted({tag for f in findings for tag in f["sources"]})
    return [_citation(tag) for tag in tags]


def _citation(tag: str) -> dict:
    try:
        source = sources.cite(tag)
    except sources.UnknownSource:
        return {"tag": tag, "text": "(citation missing)", "urls": ()}
    # The reference writes journal titles in Markdown italics (*Perm J*); shown as plain text.
    return {"tag": tag, "text": source.citation.replace("*", ""), "urls": source.urls}


def _summary(intake: Intake) -> dict:
    """The facts a practitioner needs before anything else: age, minor, interpreter."""
    answers = intake.answers
    minor = answers.get("minor_patient", {})
    interpreter = answers.get("interpreter_needed", {})
    return {
        "age": selectors.intake_age(intake),
        "minor": minor.get("answer") is True,
        "guardian_consent": minor.get("guardian_consent"),
        "guardian_relationship": minor.get("guardian_relationship", ""),
        "patient_assent": minor.get("patient_assent"),
        "interpreter": interpreter.get("answer") is True,
        "language": interpreter.get("language", ""),
        "completed_by": intake.completed_by,
    }


def _clinician_items(intake: Intake) -> set[str]:
    """Items whose clinician-set field applies: the patient answered yes to them."""
    return {
        item_id
        for item_id in PlanForm.CLINICIAN_FIELDS.values()
        if intake.answers.get(item_id, {}).get("answer") is True
    }


def _detail_context(request, intake: Intake, **forms) -> dict:
    screening = selectors.latest_screening(intake)
    resolutions = selectors.active_resolutions(intake)
    findings = screening.findings if screening else []
    relevant = _clinician_items(intake)
    clinician_initial = {}
    for field, item_id in PlanForm.CLINICIAN_FIELDS.items():
        value = intake.clinician_answers.get(item_id, {}).get(field)
        clinician_initial[field] = {True: "yes", False: "no"}.get(value, "")
    plan_form = forms.get("plan_form") or PlanForm(
        initial={
            "version": intake.version,
            "techniques": intake.plan_techniques,
            "regions": intake.plan_regions,
            **clinician_initial,
        },
        relevant_items=relevant,
    )
    open_flags = selectors.unresolved_flags(intake, screening)
    thresholds = selectors.clinic_thresholds()
    lung_regions = [r for r in intake.plan_regions if r in regions.LUNG_RISK_REGIONS]
    flag_answers, flag_thresholds = _flag_answers(intake, screening, thresholds)
    chips = review_display.flag_chips(findings, resolutions)
    state = review_display.decision_state(screening=screening, chips=chips)
    decision_initial = {"version": intake.version}
    if state["can_clear"]:
        decision_initial["decision"] = state["suggested"]
    return {
        "intake": intake,
        "summary": _summary(intake),
        "screening": screening,
        "chips": chips,
        "state": state,
        "flag_map": {
            "name": "flag-map",
            "body_map": body_map_regions(
                (),
                review_display.body_map_classes(findings, flag_answers, intake.plan_regions),
            ),
        },
        "flag_map_words": review_display.body_map_words(
            findings, flag_answers, intake.plan_regions
        ),
        "legend": _legend(findings),
        "flag_groups": _flag_groups(
            findings,
            resolutions,
            forms.get("resolution_errors", {}),
            forms.get("resolution_typed", {}),
            flag_answers,
            flag_thresholds,
        ),
        "open_flags": open_flags,
        "overrides": [r for r in resolutions.values() if r.kind == "override"],
        "plan_form": plan_form,
        "decision_form": forms.get("decision_form") or DecisionForm(initial=decision_initial),
        "reopen_form": forms.get("reopen_form") or ReopenForm(initial={"version": intake.version}),
        "lung_regions": [regions.label(r) for r in lung_regions],
        "plan_techniques": [regions.TECHNIQUES[t].label for t in intake.plan_techniques],
        "plan_regions": [regions.label(r) for r in intake.plan_regions],
        "answers": _answers_with_age(intake, thresholds),
        "since_last": _since_last(intake, findings, thresholds),
        # Sent, then the appointment moved later: today's answers are not from the day.
        "stale_today": [
            questionnaire.ANSWER_LABELS.get(item_id, item_id)
            for item_id in selectors.stale_today_items(intake)
        ]
        if intake.status != Intake.Status.DRAFT
        else [],
        "history": {
            "screenings": intake.screenings.select_related("created_by").order_by("-created_at")[
                :20
            ],
            "resolutions": intake.resolutions.select_related("created_by").order_by("-created_at"),
            "decisions": intake.decisions.select_related("decided_by", "reopened_by"),
        },
    }


OLD_ANSWER = datetime.timedelta(hours=24)


def _answers_with_age(intake: Intake, thresholds) -> list[dict]:
    """The answers in words, each marked with when it was given when that is over a day ago
    (a check-in's confirmed answers count from the confirmation)."""
    summaries = answers_display.section_summaries(
        intake.answers, thresholds=thresholds, patient=False
    )
    now = timezone.now()
    for entry in summaries:
        for row in entry["items"]:
            when = selectors.answered_when(intake, row["item"].id)
            row["answered_at"] = when if when is not None and now - when > OLD_ANSWER else None
    return summaries


def _since_last(intake: Intake, findings: list[dict], thresholds) -> dict | None:
    """What changed since the patient's previous visit: answers, flags, plan, and whether the
    consent signed then still covers this visit. None at a first visit."""
    previous = selectors.previous_visit(intake)
    if previous is None:
        return None
    previous_screening = selectors.latest_screening(previous)
    return {
        "previous": previous,
        "answers": review_display.answer_changes(
            previous.answers, intake.answers, thresholds=thresholds
        ),
        "flags": course.flag_differences(
            course.flag_levels(previous_screening.findings if previous_screening else []),
            course.flag_levels(findings),
        ),
        "plan": review_display.plan_changes(
            {"techniques": previous.plan_techniques, "regions": previous.plan_regions},
            intake.plan_techniques,
            intake.plan_regions,
        )
        if intake.plan_regions
        else None,
        "previous_plan": {
            "techniques": [regions.TECHNIQUES[t].label for t in previous.plan_techniques],
            "regions": [regions.label(r) for r in previous.plan_regions],
        },
        "consent": course_state.consent_cover(intake),
    }


@require_perm(Perm.REVIEW)
def intake_detail(request, public_id):
    intake = access_intake_for_staff(request.user, public_id, Perm.REVIEW)
    services.audit_record(actor=request.user, action="intake.view", request=request, intake=intake)
    return render(request, "screening/review/intake.html", _detail_context(request, intake))


def _rerender(request, intake, status=400, **forms):
    return render(
        request,
        "screening/review/intake.html",
        _detail_context(request, intake, **forms),
        status=status,
    )


def _conflict(request, intake, exc):
    messages.error(request, str(exc))
    return redirect("review:intake", intake.public_id)


@require_perm(Perm.REVIEW)
@require_POST
def plan(request, public_id):
    intake = access_intake_for_staff(request.user, public_id, Perm.REVIEW)
    form = PlanForm(request.POST, relevant_items=_clinician_items(intake))
    if not form.is_valid():
        return _rerender(request, intake, plan_form=form)
    try:
        _, changes = services.review_set_plan(
            actor=request.user,
            intake=intake,
            techniques=form.cleaned_data["techniques"],
            regions=form.cleaned_data["regions"],
            clinician=form.clinician_answers(),
            expected_version=form.cleaned_data["version"],
            request=request,
        )
    except services.ConflictError as exc:
        return _conflict(request, intake, exc)
    except services.ServiceError as exc:
        form.add_error(None, str(exc))
        return _rerender(request, intake, plan_form=form)
    messages.success(request, _describe_changes(changes, selectors.latest_screening(intake)))
    return redirect("review:intake", intake.public_id)


def _describe_changes(changes: dict, screening) -> str:
    def titles(items):
        return ", ".join(questionnaire.item(i).title for i in items)

    noted = {f["item"] for f in (screening.findings if screening else []) if f["level"] == "info"}
    parts = ["Plan saved and screening re-run."]
    if changes["appeared"]:
        parts.append(f"New flags: {titles(changes['appeared'])}.")
    gone = [item for item in changes["disappeared"] if item not in noted]
    kept = [item for item in changes["disappeared"] if item in noted]
    if gone:
        parts.append(f"No longer flagged: {titles(gone)}.")
    if kept:
        parts.append(f"No longer a flag, still listed under Also noted: {titles(kept)}.")
    for item, old, new in changes["changed"]:
        parts.append(f"{questionnaire.item(item).title}: {old} → {new}.")
    if len(parts) == 1:
        parts.append("The flags did not change.")
    return " ".join(parts)


@require_perm(Perm.REVIEW)
@require_POST
def resolve(request, public_id):
    intake = access_intake_for_staff(request.user, public_id, Perm.REVIEW)
    form = ResolutionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That resolution could not be read; please try again.")
        return redirect("review:intake", intake.public_id)
    data = form.cleaned_data
    flag = next(
        (
            f
            for f in selectors.flags_of(selectors.latest_screening(intake))
            if f["item"] == data["item"]
        ),
        None,
    )
    typed = {data["item"]: data}  # shown again with an error: nothing typed is lost
    if flag is not None and flag["level"] == rules.ABSOLUTE:
        # Overriding an absolute contraindication is a deliberate act: a justification, then a
        # page that restates what is overridden and asks for the password again.
        if len(data["justification"].strip()) < services.MIN_JUSTIFICATION:
            return _rerender(
                request,
                intake,
                resolution_errors={
                    data["item"]: "An absolute contraindication can be overridden only with a "
                    f"written clinical justification (at least {services.MIN_JUSTIFICATION} "
                    "characters). Otherwise change the plan so that it no longer applies."
                },
                resolution_typed=typed,
            )
        if request.POST.get("confirm") != "1":
            return _override_confirmation(request, intake, flag, data)
        if not request.user.check_password(request.POST.get("password", "")):
            services.audit_record(
                actor=request.user,
                action="review.override_password_refused",
                request=request,
                intake=intake,
                detail={"item": data["item"]},
            )
            return _override_confirmation(
                request, intake, flag, data, error="That password is not right. Please try again."
            )
    try:
        services.flag_resolve(
            actor=request.user,
            intake=intake,
            item=data["item"],
            mitigation=data["mitigation"],
            justification=data["justification"],
            patient_wording=data["patient_wording"],
            expected_version=data["version"],
            request=request,
        )
    except services.ConflictError as exc:
        return _conflict(request, intake, exc)
    except services.ServiceError as exc:
        return _rerender(
            request,
            intake,
            resolution_errors={data["item"]: str(exc)},
            resolution_typed=typed,
        )
    messages.success(request, f"Resolution recorded: {questionnaire.item(data['item']).title}.")
    return redirect(reverse("review:intake", args=[intake.public_id]) + "#flags")


def _override_confirmation(request, intake, flag, data, error: str = ""):
    """The page between the justification and the override: the flag, what the patient said,
    the justification, and the practitioner's password."""
    screening = selectors.latest_screening(intake)
    answers, thresholds = _flag_answers(intake, screening, selectors.clinic_thresholds())
    return render(
        request,
        "screening/review/override_confirm.html",
        {
            "intake": intake,
            "flag": flag,
            "title": questionnaire.item(flag["item"]).title,
            "answer": _answer_words(flag["item"], answers, thresholds),
            "data": data,
            "consent_wording": consent_wording(flag, data["patient_wording"], override=True),
            "error": error,
        },
        status=400 if error else 200,
    )


def _form_action(request, intake, form, form_key: str, act, done: str):
    """Validate, call the service, and answer: conflict -> reload, refusal -> the form again."""
    if not form.is_valid():
        return _rerender(request, intake, **{form_key: form})
    try:
        act(form.cleaned_data)
    except services.ConflictError as exc:
        return _conflict(request, intake, exc)
    except services.ServiceError as exc:
        form.add_error(None, str(exc))
        return _rerender(request, intake, **{form_key: form})
    messages.success(request, done)
    return redirect("review:intake", intake.public_id)


@require_perm(Perm.REVIEW)
@require_POST
def decide(request, public_id):
    intake = access_intake_for_staff(request.user, public_id, Perm.REVIEW)
    return _form_action(
        request,
        intake,
        DecisionForm(request.POST),
        "decision_form",
        lambda data: services.review_decide(
            actor=request.user,
            intake=intake,
            decision=data["decision"],
            note=data["note"],
            expected_version=data["version"],
            request=request,
        ),
        "Decision recorded.",
    )


@require_perm(Perm.REVIEW)
@require_POST
def reopen(request, public_id):
    intake = access_intake_for_staff(request.user, public_id, Perm.REVIEW)
    return _form_action(
        request,
        intake,
        ReopenForm(request.POST),
        "reopen_form",
        lambda data: services.review_reopen(
            actor=request.user,
            intake=intake,
            reason=data["reason"],
            expected_version=data["version"],
            request=request,
        ),
        "Intake reopened: update the plan and record a new decision.",
    )


@require_perm(Perm.COSIGN_CONSENT)
@require_http_methods(["GET", "POST"])
def cosign(request, public_id):
    """The practitioner reads what the patient signed and co-signs; the PDF is then frozen."""
    intake = access_intake_for_staff(request.user, public_id, Perm.COSIGN_CONSENT)
    pending = intake.consents.filter(status=Consent.Status.AWAITING_PRACTITIONER).first()
    form = PractitionerSignForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            consent = services.consent_cosign(
                actor=request.user,
                intake=intake,
                consent_id=form.cleaned_data["consent_id"],
                signature=services.signature_from_data_url(
                    form.cleaned_data["signature"], what="practitioner"
                ),
                request=request,
            )
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Consent signed. SHA-256 {consent.sha256[:16]}…")
            return redirect("desk:documents", intake.public_id)
    services.audit_record(actor=request.user, action="consent.view_pending", intake=intake)
    return render(
        request,
        "screening/review/cosign.html",
        {
            "intake": intake,
            "pending": pending,
            "form": form,
            "consent": consent_context(intake, consent=pending) if pending else None,
        },
        status=400 if form.errors else 200,
    )
