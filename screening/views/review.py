"""Practitioner pages: the risk-ordered queue and the review of one intake."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from screening import answers_display, selectors, services
from screening.documents import consent_context
from screening.engine import questionnaire, regions, rules, sources
from screening.forms import (
    DecisionForm,
    PlanForm,
    PractitionerSignForm,
    QueueFilterForm,
    ReopenForm,
    ResolutionForm,
)
from screening.models import Consent, Intake
from screening.permissions import Perm, access_intake_for_staff, require_perm

PAGE_SIZE = 50
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
    intakes = intakes.annotate(risk=RISK_RANK).order_by("appointment_at", "risk", "pk")
    # Bounded pagination without a COUNT: fetch one row more than a page to know if there is
    # a next page.
    start = (page - 1) * PAGE_SIZE
    rows = list(intakes[start : start + PAGE_SIZE + 1])
    majority = selectors.clinic_thresholds().age_of_majority
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "day": day,
        "rows": [_queue_row(intake, majority) for intake in rows[:PAGE_SIZE]],
        "page": page,
        "has_next": len(rows) > PAGE_SIZE,
        "query": query.urlencode(),
    }
    return render(request, "screening/review/queue.html", context)


def _queue_row(intake: Intake, majority: int) -> dict:
    age = selectors.intake_age(intake)
    return {"intake": intake, "age": age, "minor": age < majority}


def _flag_groups(
    findings: list[dict], resolutions: dict, errors: dict, answers: dict, thresholds
) -> list[dict]:
    """Findings by level, each with its item's answers in words (the patient's answer and the
    follow-ups that apply), its citations and its active resolution."""
    groups = []
    for level, title in (
        (rules.ABSOLUTE, "Absolute contraindications"),
        (rules.RELATIVE, "Precautions"),
        (rules.INFO, "For information"),
    ):
        entries = []
        for finding in findings:
            if finding["level"] != level:
                continue
            entries.append(
                {
                    "finding": finding,
                    "title": questionnaire.item(finding["item"]).title,
                    "answer": _answer_words(finding["item"], answers, thresholds),
                    "citations": [_citation(tag) for tag in finding["sources"]],
                    "resolution": resolutions.get((finding["item"], level)),
                    "error": errors.get(finding["item"], ""),
                }
            )
        groups.append({"level": level, "title": title, "entries": entries})
    return groups


def _flag_answers(intake: Intake, screening, thresholds) -> tuple[dict, rules.Thresholds]:
    """The answers and thresholds a flag is explained with: the screening's own snapshot, so a
    flag quotes what fired it even if the patient or the clinic settings changed since."""
    if screening is None:
        return selectors.screening_answers(intake, thresholds), thresholds
    return screening.answers, rules.Thresholds.from_dict(screening.thresholds)


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


def _citation(tag: str) -> dict:
    try:
        source = sources.cite(tag)
    except sources.UnknownSource:
        return {"tag": tag, "text": "(citation missing)", "urls": ()}
    return {"tag": tag, "text": source.citation, "urls": source.urls}


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
    return {
        "intake": intake,
        "summary": _summary(intake),
        "screening": screening,
        "flag_groups": _flag_groups(
            findings,
            resolutions,
            forms.get("resolution_errors", {}),
            *_flag_answers(intake, screening, thresholds),
        ),
        "open_flags": open_flags,
        "overrides": [r for r in resolutions.values() if r.kind == "override"],
        "plan_form": plan_form,
        "decision_form": forms.get("decision_form")
        or DecisionForm(initial={"version": intake.version}),
        "reopen_form": forms.get("reopen_form") or ReopenForm(initial={"version": intake.version}),
        "lung_regions": [regions.label(r) for r in lung_regions],
        "plan_techniques": [regions.TECHNIQUES[t].label for t in intake.plan_techniques],
        "plan_regions": [regions.label(r) for r in intake.plan_regions],
        "answers": answers_display.section_summaries(
            intake.answers, thresholds=thresholds, patient=False
        ),
        "history": {
            "screenings": intake.screenings.select_related("created_by").order_by("-created_at")[
                :20
            ],
            "resolutions": intake.resolutions.select_related("created_by").order_by("-created_at"),
            "decisions": intake.decisions.select_related("decided_by", "reopened_by"),
        },
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
    messages.success(request, _describe_changes(changes))
    return redirect("review:intake", intake.public_id)


def _describe_changes(changes: dict) -> str:
    def titles(items):
        return ", ".join(questionnaire.item(i).title for i in items)

    parts = ["Plan saved and screening re-run."]
    if changes["appeared"]:
        parts.append(f"New flags: {titles(changes['appeared'])}.")
    if changes["disappeared"]:
        parts.append(f"No longer flagged: {titles(changes['disappeared'])}.")
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
    try:
        services.flag_resolve(
            actor=request.user,
            intake=intake,
            item=data["item"],
            mitigation=data["mitigation"],
            justification=data["justification"],
            expected_version=data["version"],
            request=request,
        )
    except services.ConflictError as exc:
        return _conflict(request, intake, exc)
    except services.ServiceError as exc:
        return _rerender(request, intake, resolution_errors={data["item"]: str(exc)})
    messages.success(request, f"Resolution recorded: {questionnaire.item(data['item']).title}.")
    return redirect(reverse("review:intake", args=[intake.public_id]) + "#flags")


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
