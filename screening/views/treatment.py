"""After the needles (issue 18): the practitioner's treatment record and adverse events, the
aftercare calls (practitioner and desk), and the patient's one-use 48-hour aftercare check."""

from __future__ import annotations

from django.conf import settings
from django.contrib import auth, messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from screening import course_state, selectors, services
from screening.engine import regions
from screening.forms import (
    AFTERCARE_SYMPTOM_CHOICES,
    AdverseEventForm,
    AftercareCallForm,
    AftercareCheckForm,
    DeskCallForm,
    TreatmentForm,
)
from screening.models import AftercareCheck, ClinicSettings, TreatmentRecord
from screening.permissions import Perm, access_intake_for_staff, require_perm
from screening.services.treatment import aftercare_problem

# ---------------------------------------------------------------------------------------------
# The practitioner's page


def _treatment_initial(intake, record: TreatmentRecord | None, consent) -> dict:
    if record is not None:
        return {
            "version": record.version,
            "techniques": record.techniques,
            "regions": record.regions,
            "treated_at": timezone.localtime(record.treated_at).replace(second=0, microsecond=0),
            "duration_minutes": record.duration_minutes,
            "needle_count": record.needle_count,
            "note": record.note,
        }
    plan = (consent.screening.plan if consent is not None else None) or {}
    when = min(intake.appointment_at, timezone.now())
    return {
        "techniques": plan.get("techniques") or intake.plan_techniques,
        "regions": plan.get("regions") or intake.plan_regions,
        "treated_at": timezone.localtime(when).replace(second=0, microsecond=0),
    }


SYMPTOM_WORDS = dict(AFTERCARE_SYMPTOM_CHOICES)


def _symptom_words(symptoms) -> list[str]:
    return [str(SYMPTOM_WORDS[s]) for s in symptoms if s in SYMPTOM_WORDS]


def _page(request, intake, *, treatment_form=None, event_form=None, call_form=None, status=200):
    record = TreatmentRecord.objects.filter(intake=intake).first()
    consent = course_state.consent_in_force(intake)
    check = AftercareCheck.objects.filter(intake=intake).first()
    plan = (consent.screening.plan if consent is not None else None) or {}
    context = {
        "intake": intake,
        "record": record,
        "consent": consent,
        "consented_techniques": [regions.TECHNIQUES[t].label for t in plan.get("techniques", ())],
        "consented_regions": [regions.label(r) for r in plan.get("regions", ())],
        "treated_techniques": [regions.TECHNIQUES[t].label for t in record.techniques]
        if record
        else [],
        "treated_regions": [regions.label(r) for r in record.regions] if record else [],
        "events": list(intake.adverse_events.select_related("recorded_by")) if record else [],
        "check": check,
        "check_symptoms": _symptom_words(check.symptoms if check else ()),
        "check_red_flags": _symptom_words(check.red_flags if check else ()),
        "treatment_form": treatment_form
        or TreatmentForm(initial=_treatment_initial(intake, record, consent)),
        "event_form": event_form or AdverseEventForm(),
        "call_form": call_form or AftercareCallForm(),
    }
    return render(request, "screening/treatment/record.html", context, status=status)


@require_perm(Perm.RECORD_TREATMENT)
@require_http_methods(["GET", "POST"])
def treatment(request, public_id):
    intake = access_intake_for_staff(request.user, public_id, Perm.RECORD_TREATMENT)
    if request.method == "GET":
        services.audit_record(
            actor=request.user, action="treatment.view", request=request, intake=intake
        )
        return _page(request, intake)
    form = TreatmentForm(request.POST)
    if not form.is_valid():
        return _page(request, intake, treatment_form=form, status=400)
    data = form.cleaned_data
    try:
        services.treatment_record(
            actor=request.user,
            intake=intake,
            techniques=data["techniques"],
            regions_treated=data["regions"],
            treated_at=data["treated_at"],
            duration_minutes=data["duration_minutes"],
            needle_count=data["needle_count"],
            note=data["note"],
            expected_version=data["version"],
            request=request,
        )
    except services.ConflictError as exc:
        messages.error(request, str(exc))
        return redirect("review:treatment", intake.public_id)
    except services.ServiceError as exc:
        form.add_error(None, str(exc))
        return _page(request, intake, treatment_form=form, status=400)
    messages.success(request, "Treatment recorded. The 48-hour aftercare check is scheduled.")
    return redirect("review:treatment", intake.public_id)


@require_perm(Perm.RECORD_TREATMENT)
@require_POST
def adverse_event(request, public_id):
    intake = access_intake_for_staff(request.user, public_id, Perm.RECORD_TREATMENT)
    form = AdverseEventForm(request.POST)
    if not form.is_valid():
        return _page(request, intake, event_form=form, status=400)
    data = form.cleaned_data
    try:
        services.adverse_event_record(
            actor=request.user,
            intake=intake,
            type=data["type"],
            severity=data["severity"],
            onset=data["onset"],
            duration=data["duration"],
            action_taken=data["action_taken"],
            referred=data["referred"],
            referred_to=data["referred_to"],
            description=data["description"],
            request=request,
        )
    except services.ServiceError as exc:
        form.add_error(None, str(exc))
        return _page(request, intake, event_form=form, status=400)
    messages.success(request, "Adverse event recorded.")
    return redirect("review:treatment", intake.public_id)


@require_perm(Perm.RECORD_TREATMENT)
@require_POST
def aftercare_call(request, public_id):
    intake = access_intake_for_staff(request.user, public_id, Perm.RECORD_TREATMENT)
    form = AftercareCallForm(request.POST)
    if not form.is_valid():
        return _page(request, intake, call_form=form, status=400)
    try:
        services.aftercare_call_record(
            actor=request.user, intake=intake, note=form.cleaned_data["note"], request=request
        )
    except services.ServiceError as exc:
        form.add_error(None, str(exc))
        return _page(request, intake, call_form=form, status=400)
    messages.success(request, "Call recorded. The intake is no longer flagged for a call.")
    return redirect("review:treatment", intake.public_id)


# ---------------------------------------------------------------------------------------------
# The desk's list of aftercare checks to phone


def _calls_page(request, *, forms=None, status=200):
    checks = list(selectors.aftercare_calls_for_desk()[:200])
    forms = forms or {}
    rows = [
        {"check": check, "form": forms.get(check.intake_id) or DeskCallForm(prefix=f"c{check.pk}")}
        for check in checks
    ]
    return render(
        request, "screening/treatment/aftercare_calls.html", {"rows": rows}, status=status
    )


@require_perm(Perm.AFTERCARE_CALLS)
@require_GET
def aftercare_calls(request):
    services.audit_record(actor=request.user, action="aftercare.calls_view", request=request)
    return _calls_page(request)


@require_perm(Perm.AFTERCARE_CALLS)
@require_POST
def aftercare_desk_call(request, public_id):
    intake = access_intake_for_staff(request.user, public_id, Perm.AFTERCARE_CALLS)
    check = AftercareCheck.objects.filter(intake=intake).first()
    if check is None:
        raise Http404
    form = DeskCallForm(request.POST, prefix=f"c{check.pk}")
    if form.is_valid():
        try:
            services.aftercare_desk_call(
                actor=request.user,
                intake=intake,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                request=request,
            )
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Call recorded.")
            return redirect("desk:aftercare_calls")
    return _calls_page(request, forms={intake.pk: form}, status=400)


# ---------------------------------------------------------------------------------------------
# The patient's aftercare check (no account, no date of birth: the page shows nothing about
# the patient, and the link works once)

CHECK_SESSION_KEY = "aftercare_check"
DONE_SESSION_KEY = "aftercare_done"
PROBLEM_STATUS = {"unknown": 404, "used": 410, "expired": 410}


def _problem(request, reason: str):
    return render(
        request,
        "screening/patient/aftercare_check_problem.html",
        {"reason": reason, "clinic": ClinicSettings.load()},
        status=PROBLEM_STATUS[reason],
    )


@require_GET
def aftercare_open(request, token):
    """The link in the message: exchange the token for a session, then drop it from the URL."""
    try:
        check = services.aftercare_check_open(token=token, request=request)
    except services.AftercareLinkProblem as problem:
        return _problem(request, problem.reason)
    if request.user.is_authenticated:
        auth.logout(request)
    request.session.cycle_key()
    request.session.set_expiry(settings.PATIENT_SESSION_IDLE_MINUTES * 60)
    request.session[CHECK_SESSION_KEY] = check.pk
    return redirect("patient:aftercare")


def _session_check(request) -> AftercareCheck:
    check_id = request.session.get(CHECK_SESSION_KEY)
    if not isinstance(check_id, int):
        raise Http404
    check = AftercareCheck.objects.select_related("intake", "treatment").filter(pk=check_id).first()
    if check is None:
        raise Http404
    return check


@require_http_methods(["GET", "POST"])
def aftercare(request):
    check = _session_check(request)
    problem = aftercare_problem(check)
    if problem is not None:
        if problem == "used" and request.session.get(DONE_SESSION_KEY) == check.pk:
            return redirect("patient:aftercare_done")
        return _problem(request, problem)
    form = AftercareCheckForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.aftercare_check_answer(
                    check=check,
                    soreness=data["soreness"],
                    bruising=data["bruising"] == "yes",
                    symptoms=data["symptoms"],
                    other_symptoms=data["other_symptoms"],
                    request=request,
                )
            except services.AftercareLinkProblem as exc:
                return _problem(request, exc.reason)
            except services.ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                request.session[DONE_SESSION_KEY] = check.pk
                return redirect("patient:aftercare_done")
        status = 400
    clinic = ClinicSettings.load()
    return render(
        request,
        "screening/patient/aftercare_check.html",
        {"form": form, "clinic": clinic},
        status=status,
    )


@require_GET
def aftercare_done(request):
    check = _session_check(request)
    if request.session.get(DONE_SESSION_KEY) != check.pk or check.answered_at is None:
        raise Http404
    lung_risk = bool(set(check.treatment.regions) & regions.LUNG_RISK_REGIONS)
    return render(
        request,
        "screening/patient/aftercare_check_done.html",
        {
            "check": check,
            "clinic": ClinicSettings.load(),
            "red_flags": set(check.red_flags),
            "lung_risk": lung_risk,
        },
    )
