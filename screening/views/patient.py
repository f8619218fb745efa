"""Patient pages: the invitation link, the identity check, the wizard, review and submit.

A patient has no account. Their browser holds a session that reaches one intake; every page
here loads that intake through ``access_intake_for_patient`` (404 for anything else).
"""

from django.conf import settings
from django.contrib import auth
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from screening import selectors, services
from screening.answers_display import section_summaries
from screening.documents import consent_context, documents_available
from screening.engine import questionnaire
from screening.forms import DeclarationForm, IdentityForm, PatientSignForm, StepForm
from screening.models import ClinicSettings, Intake, IntakeLink
from screening.permissions import PATIENT_SESSION_KEY, access_intake_for_patient

STEPS = tuple(section for section in questionnaire.SECTIONS if section.id != "review")
STEP_INDEX = {section.id: index for index, section in enumerate(STEPS)}
REVIEW = next(section for section in questionnaire.SECTIONS if section.id == "review")
TOTAL_STEPS = len(STEPS) + 1  # the review page is the last step
COMPLETED_BY_CHOICES = (
    ("self", "I am the patient"),
    ("guardian", "I am the patient's parent or guardian"),
    ("helper", "I am helping the patient"),
)
LINK_PROBLEM_STATUS = {"unknown": 404, "expired": 410, "locked": 403}


def start_patient_session(
    request, *, intake: Intake, link_id, kiosk: bool, purpose: str = "questionnaire"
) -> None:
    """Turn this browser into a patient session for one intake (ends any staff sign-in)."""
    if request.user.is_authenticated:
        auth.logout(request)
    request.session.cycle_key()
    # Long enough to answer a page slowly; renewed on every request like staff sessions.
    request.session.set_expiry(settings.PATIENT_SESSION_IDLE_MINUTES * 60)
    request.session[PATIENT_SESSION_KEY] = {
        "intake": intake.pk,
        "link": link_id,
        "kiosk": kiosk,
        "verified": False,
        "purpose": purpose,
    }


def _resume_url(intake: Intake) -> str:
    """Where a returning patient continues: the first unfinished step, or the review page."""
    if intake.status != Intake.Status.DRAFT:
        return reverse("patient:done", args=[intake.public_id])
    if "welcome" not in intake.completed_steps:
        return reverse("patient:step", args=[intake.public_id, "welcome"])
    missing = selectors.missing_steps(intake)
    if missing:
        return reverse("patient:step", args=[intake.public_id, missing[0]])
    return reverse("patient:review", args=[intake.public_id])


def _next_url(intake: Intake, state: dict) -> str:
    """After the identity check: the consent to sign, or the questionnaire."""
    if state.get("purpose") == "sign":
        return reverse("patient:sign", args=[intake.public_id])
    return _resume_url(intake)


def _load(request, public_id):
    """The session's intake, or a redirect to the identity check when it is not confirmed."""
    intake, state = access_intake_for_patient(request, public_id, require_verified=False)
    if not state.get("verified"):
        return None, state, redirect("patient:verify", public_id)
    return intake, state, None


def _context(intake, state, **extra):
    return {
        "intake": intake,
        "kiosk": state.get("kiosk", False),
        "clinic": ClinicSettings.load(),
        "total_steps": TOTAL_STEPS,
        **extra,
    }


@require_http_methods(["GET"])
def open_link(request, token):
    """The invitation link: exchange the token for a session, then drop it from the URL."""
    try:
        link = services.link_open(token=token, request=request)
    except services.LinkProblem as problem:
        return _link_problem(request, problem.reason)
    state = request.session.get(PATIENT_SESSION_KEY)
    same = isinstance(state, dict) and state.get("link") == link.pk and state.get("verified")
    # A staff member signed in on this browser is always signed out, even when it already
    # holds this patient's session (staff signed in after the patient had started).
    if not same or request.user.is_authenticated:
        start_patient_session(request, intake=link.intake, link_id=link.pk, kiosk=False)
    return redirect("patient:verify", link.intake.public_id)


def _link_problem(request, reason: str):
    return render(
        request,
        "screening/patient/link_problem.html",
        {"reason": reason, "clinic": ClinicSettings.load()},
        status=LINK_PROBLEM_STATUS[reason],
    )


def _session_link_locked(request, public_id) -> bool:
    """Is this browser's invitation link for this intake locked (too many wrong birth dates)?"""
    state = request.session.get(PATIENT_SESSION_KEY)
    if not isinstance(state, dict) or state.get("link") is None:
        return False
    return IntakeLink.objects.filter(
        pk=state["link"],
        intake_id=state.get("intake"),
        intake__public_id=public_id,
        locked_at__isnull=False,
    ).exists()


@require_http_methods(["GET", "POST"])
def verify(request, public_id):
    # A locked link keeps answering with the locked page (not a bare 404), so that a patient
    # who tries again learns what happened and that reception can send a new link.
    if _session_link_locked(request, public_id):
        return _link_problem(request, "locked")
    intake, state = access_intake_for_patient(request, public_id, require_verified=False)
    if state.get("verified"):
        return redirect(_next_url(intake, state))
    form = IdentityForm(request.POST if request.method == "POST" else None)
    mismatch = False
    if request.method == "POST" and form.is_valid():
        link = intake.links.filter(pk=state.get("link")).first() if state.get("link") else None
        try:
            matches = services.identity_check(
                link=link,
                intake=intake,
                date_of_birth=form.cleaned_data["date_of_birth"],
                request=request,
            )
        except services.LinkProblem:
            # The session stays (unverified, so it reaches nothing) to keep showing this page.
            return _link_problem(request, "locked")
        if matches:
            state["verified"] = True
            # A new session key once the identity is confirmed: a key seen before (on a
            # shared tablet, say) never reaches the answers.
            request.session.cycle_key()
            request.session[PATIENT_SESSION_KEY] = state
            return redirect(_next_url(intake, state))
        mismatch = True
        if link is None:
            # A tablet hand-over has no link to lock: after as many wrong tries the tablet's
            # patient session ends and staff must hand it over again.
            state["failed_checks"] = state.get("failed_checks", 0) + 1
            request.session[PATIENT_SESSION_KEY] = state
            if state["failed_checks"] >= services.IDENTITY_CHECK_LIMIT:
                request.session.flush()
                return render(
                    request,
                    "screening/patient/left.html",
                    {"clinic": ClinicSettings.load(), "identity_failed": True},
                    status=403,
                )
    return render(
        request,
        "screening/patient/verify.html",
        _context(intake, state, form=form, mismatch=mismatch),
    )


@require_http_methods(["GET", "POST"])
def step(request, public_id, section_id):
    intake, state, redirect_response = _load(request, public_id)
    if redirect_response:
        return redirect_response
    if section_id not in STEP_INDEX:
        raise Http404
    if intake.status != Intake.Status.DRAFT:
        return redirect("patient:done", intake.public_id)
    section = STEPS[STEP_INDEX[section_id]]
    if not section.items:
        return _welcome(request, intake, state, section)
    action = request.POST.get("action", "next")
    form = StepForm(
        section,
        thresholds=selectors.clinic_thresholds(),
        age_years=selectors.intake_age(intake),
        stored=intake.answers,
        partial=action != "next",
        data=request.POST if request.method == "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.intake_save_step(
                intake=intake,
                section_id=section.id,
                values=form.item_values,
                complete=action == "next",
                request=request,
            )
        except services.ServiceError:
            return redirect("patient:done", intake.public_id)
        return redirect(_after_save(intake, section, action))
    index = STEP_INDEX[section.id]
    return render(
        request,
        "screening/patient/step.html",
        _context(
            intake,
            state,
            form=form,
            section=section,
            step_number=index + 1,
            previous=STEPS[index - 1].id if index else None,
        ),
    )


def _after_save(intake, section, action) -> str:
    index = STEP_INDEX[section.id]
    if action == "later":
        return reverse("patient:saved", args=[intake.public_id])
    if action == "back" and index:
        return reverse("patient:step", args=[intake.public_id, STEPS[index - 1].id])
    if action == "back":
        return reverse("patient:step", args=[intake.public_id, section.id])
    if index + 1 < len(STEPS):
        return reverse("patient:step", args=[intake.public_id, STEPS[index + 1].id])
    return reverse("patient:review", args=[intake.public_id])


def _welcome(request, intake, state, section):
    """Step 1: what dry needling is, and who is filling in the form."""
    error = ""
    if request.method == "POST":
        completed_by = request.POST.get("completed_by", "")
        if completed_by in dict(COMPLETED_BY_CHOICES):
            services.intake_save_step(
                intake=intake,
                section_id=section.id,
                values={},
                completed_by=completed_by,
                request=request,
            )
            return redirect(_after_save(intake, section, request.POST.get("action", "next")))
        error = "Please tell us who is filling in this form."
    return render(
        request,
        "screening/patient/welcome.html",
        _context(
            intake,
            state,
            section=section,
            step_number=1,
            choices=COMPLETED_BY_CHOICES,
            selected=request.POST.get("completed_by", intake.completed_by),
            error=error,
        ),
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
def review(request, public_id):
    intake, state, redirect_response = _load(request, public_id)
    if redirect_response:
        return redirect_response
    if intake.status != Intake.Status.DRAFT:
        return redirect("patient:done", intake.public_id)
    form = DeclarationForm(request.POST if request.method == "POST" else None)
    missing = selectors.missing_steps(intake)
    if request.method == "POST" and form.is_valid() and not missing:
        try:
            services.intake_submit(intake=intake, request=request)
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("patient:done", intake.public_id)
    return render(
        request,
        "screening/patient/review.html",
        _context(
            intake,
            state,
            form=form,
            section=REVIEW,
            step_number=TOTAL_STEPS,
            summary=answer_summary(intake),
            missing=[STEPS[STEP_INDEX[s]] for s in missing],
        ),
    )


def answer_summary(intake: Intake) -> list[dict]:
    """Every question of every section with the patient's answer (or "Not answered")."""
    return section_summaries(intake.answers, thresholds=selectors.clinic_thresholds(), patient=True)


@require_http_methods(["GET"])
def done(request, public_id):
    intake, state, redirect_response = _load(request, public_id)
    if redirect_response:
        return redirect_response
    return render(request, "screening/patient/done.html", _context(intake, state))


@require_http_methods(["GET"])
def saved(request, public_id):
    intake, state, redirect_response = _load(request, public_id)
    if redirect_response:
        return redirect_response
    return render(
        request, "screening/patient/saved.html", _context(intake, state, resume=_resume_url(intake))
    )


@require_POST
def leave(request, public_id):
    """ "Save and finish later" on a clinic tablet ends the patient's session on that tablet."""
    access_intake_for_patient(request, public_id, require_verified=False)
    request.session.flush()
    return redirect("patient:left")


def left(request):
    return render(request, "screening/patient/left.html", {"clinic": ClinicSettings.load()})


@require_http_methods(["GET", "POST"])
def sign(request, public_id):
    """The consent on screen at tablet size, signed with a finger by the patient or guardian."""
    intake, state, redirect_response = _load(request, public_id)
    if redirect_response:
        return redirect_response
    if state.get("purpose") != "sign":
        raise Http404
    available, reason = documents_available(intake)
    minor_answers = intake.answers.get("minor_patient", {})
    interpreter_answers = intake.answers.get("interpreter_needed", {})
    minor = minor_answers.get("answer") is True
    interpreter = interpreter_answers.get("answer") is True
    form = PatientSignForm(
        request.POST if request.method == "POST" else None,
        minor=minor,
        interpreter=interpreter,
        # What the questionnaire already told us, to check rather than type again.
        initial={
            "signer_role": "guardian" if minor else "patient",
            "guardian_relationship": minor_answers.get("guardian_relationship", ""),
            "interpreter_language": interpreter_answers.get("language", ""),
        },
    )
    if request.method == "POST" and available and form.is_valid():
        data = form.cleaned_data
        try:
            services.consent_patient_sign(
                intake=intake,
                signer_name=data["signer_name"],
                signer_role=data["signer_role"],
                signature=services.signature_from_data_url(data["signature"], what="patient"),
                guardian_relationship=data.get("guardian_relationship", ""),
                assent_words=data.get("assent_words", ""),
                interpreter_name=data.get("interpreter_name", ""),
                interpreter_language=data.get("interpreter_language", ""),
                interpreter_mode=data.get("interpreter_mode", ""),
                interpreter_signature=services.signature_from_data_url(
                    data["interpreter_signature"], what="interpreter"
                )
                if interpreter
                else None,
                request=request,
            )
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            state["purpose"] = "signed"
            request.session[PATIENT_SESSION_KEY] = state
            return redirect("patient:signed", intake.public_id)
    return render(
        request,
        "screening/patient/sign.html",
        _context(
            intake,
            state,
            form=form,
            available=available,
            reason=reason,
            consent=consent_context(intake) if available else None,
        ),
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET"])
def signed(request, public_id):
    intake, state, redirect_response = _load(request, public_id)
    if redirect_response:
        return redirect_response
    return render(request, "screening/patient/signed.html", _context(intake, state))
