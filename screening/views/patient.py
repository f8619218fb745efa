"""Patient pages: the invitation link, the identity check, the wizard, review and submit.

A patient has no account. Their browser holds a session that reaches one intake; every page
here loads that intake through ``access_intake_for_patient`` (404 for anything else).
"""

from contextlib import nullcontext
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.db import transaction
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from screening import selectors, services
from screening.answers_display import section_summaries
from screening.documents import consent_context, documents_available
from screening.engine import questionnaire, regions
from screening.forms import (
    DeclarationForm,
    IdentityForm,
    PatientSignForm,
    StepForm,
    TypedCodeForm,
)
from screening.models import ClinicSettings, Intake, IntakeLink
from screening.permissions import PATIENT_SESSION_KEY, PatientLinkGone, access_intake_for_patient

STEPS = tuple(section for section in questionnaire.SECTIONS if section.id != "review")
STEP_INDEX = {section.id: index for index, section in enumerate(STEPS)}
# Every page of the wizard in order, as (section, page number); the welcome is one page.
PAGES = tuple((section, n) for section in STEPS for n in range(1, max(len(section.pages), 1) + 1))
PAGE_INDEX = {(section.id, n): index for index, (section, n) in enumerate(PAGES)}
REVIEW = next(section for section in questionnaire.SECTIONS if section.id == "review")
TOTAL_STEPS = len(STEPS) + 1  # the review page is the last step
COMPLETED_BY_CHOICES = (
    ("self", "I am the patient"),
    ("guardian", "I am the patient's parent or guardian"),
    ("helper", "I am helping the patient"),
)
LINK_PROBLEM_STATUS = {
    "unknown": 404,
    "expired": 410,
    "locked": 403,
    "replaced": 410,
    "cancelled": 410,
    "closed": 410,
}
# After a tablet's patient session ends (finish later, a failed date-of-birth check), the
# browser keeps only which intake it was, so that "Staff: sign in" can lead back to it.
TABLET_RETURN_KEY = "tablet_return"


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


def page_url(intake: Intake, section_id: str, page: int = 1) -> str:
    if page == 1:
        return reverse("patient:step", args=[intake.public_id, section_id])
    return reverse("patient:page", args=[intake.public_id, section_id, page])


def _resume_page(intake: Intake, *, skip_waiting_today: bool = False) -> tuple | None:
    """The first page not finished, as (section, page), or None when every page is.
    ``skip_waiting_today``: pass over "How you are today" while it waits for the day."""
    if "welcome" not in intake.completed_steps:
        return STEPS[0], 1
    missing = selectors.missing_pages(intake)
    if skip_waiting_today and not selectors.today_window_open(intake):
        missing = [page for page in missing if page[0] != selectors.TODAY_SECTION]
    if missing:
        section_id, page = missing[0]
        return questionnaire.SECTIONS_BY_ID[section_id], page
    return None


def _resume_url(intake: Intake, *, skip_waiting_today: bool = False) -> str:
    """Where a returning patient continues: the first unfinished page, or the review page."""
    if intake.status != Intake.Status.DRAFT:
        return reverse("patient:done", args=[intake.public_id])
    resume = _resume_page(intake, skip_waiting_today=skip_waiting_today)
    if resume is None:
        return reverse("patient:review", args=[intake.public_id])
    return page_url(intake, resume[0].id, resume[1])


def _next_url(request, intake: Intake, state: dict) -> str:
    """After the identity check: the consent to sign, or the questionnaire (welcome back)."""
    if state.get("purpose") == "sign":
        return reverse("patient:sign", args=[intake.public_id])
    if intake.status == Intake.Status.DRAFT and "welcome" in intake.completed_steps:
        resume = _resume_page(intake)
        where = resume[0].title if resume else REVIEW.title
        messages.info(
            request,
            _("Welcome back. You were on “%(where)s”. Everything you answered is saved.")
            % {"where": where},
        )
    return _resume_url(intake)


def patient_page(view):
    """A patient view whose session may have been overtaken (a newer link, a cancelled
    appointment, answers sent more than a day ago): answer with the page that says so (410)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PatientLinkGone as gone:
            # A page of answers posted after the link was replaced is not stored: the link
            # was replaced because someone else may hold it.
            unsaved = request.method == "POST" and view.__name__ == "step"
            return _link_problem(request, gone.reason, unsaved=unsaved)

    return wrapped


def _load(request, public_id, *, for_update: bool = False):
    """The session's intake, or a redirect to the identity check when it is not confirmed.
    ``for_update``: the intake row is locked in the caller's transaction."""
    intake, state = access_intake_for_patient(
        request, public_id, require_verified=False, for_update=for_update
    )
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
    return _enter(request, link)


def _enter(request, link: IntakeLink):
    """Into the questionnaire with a link (from its URL or its typed code): the date-of-birth
    check next. Once the answers are sent, only a thank-you page, and no session."""
    if link.intake.status != Intake.Status.DRAFT:
        return render(
            request, "screening/patient/link_sent.html", {"clinic": ClinicSettings.load()}
        )
    state = request.session.get(PATIENT_SESSION_KEY)
    same = isinstance(state, dict) and state.get("link") == link.pk and state.get("verified")
    # A staff member signed in on this browser is always signed out, even when it already
    # holds this patient's session (staff signed in after the patient had started).
    if not same or request.user.is_authenticated:
        start_patient_session(request, intake=link.intake, link_id=link.pk, kiosk=False)
    return redirect("patient:verify", link.intake.public_id)


@require_http_methods(["GET", "POST"])
def start(request):
    """The short address on the handout: type the code printed beside the QR code."""
    form = TypedCodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            link = services.link_open_by_code(code=form.cleaned_data["code"], request=request)
        except services.TooManyCodes as exc:
            form.add_error(None, str(exc))
            status = 429
        except services.LinkProblem as problem:
            if problem.reason != "unknown":
                return _link_problem(request, problem.reason)
            form.add_error(
                "code",
                _(
                    "This code does not match a letter from us. Please check it, or scan the "
                    "QR code on your letter instead."
                ),
            )
        else:
            return _enter(request, link)
    if form.errors and status == 200:
        status = 400
    return render(
        request,
        "screening/patient/start.html",
        {"form": form, "clinic": ClinicSettings.load()},
        status=status,
    )


def _link_problem(request, reason: str, *, unsaved: bool = False):
    return render(
        request,
        "screening/patient/link_problem.html",
        {"reason": reason, "clinic": ClinicSettings.load(), "unsaved": unsaved},
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
@patient_page
def verify(request, public_id):
    # A locked link keeps answering with the locked page (not a bare 404), so that a patient
    # who tries again learns what happened and that reception can send a new link.
    if _session_link_locked(request, public_id):
        return _link_problem(request, "locked")
    intake, state = access_intake_for_patient(request, public_id, require_verified=False)
    if state.get("verified"):
        return redirect(_next_url(request, intake, state))
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
            return redirect(_next_url(request, intake, state))
        mismatch = True
        if link is None:
            # A tablet hand-over has no link to lock: after as many wrong tries the tablet's
            # patient session ends and staff must hand it over again.
            state["failed_checks"] = state.get("failed_checks", 0) + 1
            request.session[PATIENT_SESSION_KEY] = state
            if state["failed_checks"] >= services.IDENTITY_CHECK_LIMIT:
                request.session.flush()
                request.session[TABLET_RETURN_KEY] = str(intake.public_id)
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


def _step_form(request, intake, section, page, *, partial):
    return StepForm(
        section,
        page=page,
        page_done=selectors.page_done(intake, section, page),
        thresholds=selectors.clinic_thresholds(),
        age_years=selectors.intake_age(intake),
        stored=intake.answers,
        partial=partial,
        data=request.POST if request.method == "POST" else None,
    )


def _page_or_404(section_id, page):
    if section_id not in STEP_INDEX:
        raise Http404
    section = STEPS[STEP_INDEX[section_id]]
    if (section.id, page) not in PAGE_INDEX:
        raise Http404
    return section


@require_http_methods(["GET", "POST"])
@patient_page
def step(request, public_id, section_id, page=1):
    posted = request.method == "POST"
    # A page of answers is checked and stored in one transaction, on the intake row that the
    # access check read and locked: the intake is read once. A page with a mistake is shown
    # again after the transaction.
    with transaction.atomic() if posted else nullcontext():
        intake, state, redirect_response = _load(request, public_id, for_update=posted)
        if redirect_response:
            return redirect_response
        section = _page_or_404(section_id, page)
        if intake.status != Intake.Status.DRAFT:
            return redirect("patient:done", intake.public_id)
        if not section.items:
            return _welcome(request, intake, state, section)
        if section.id == selectors.TODAY_SECTION and not selectors.today_window_open(intake):
            return _today_later(request, intake, state, section, page)
        action = request.POST.get("action", "next")
        # "Change" on "Check and send" edits this page and comes straight back there.
        changing = request.GET.get("change") == "1" or request.POST.get("change") == "1"
        form = _step_form(request, intake, section, page, partial=action != "next")
        if posted and form.is_valid():
            try:
                services.intake_save_step(
                    intake=intake,
                    section_id=section.id,
                    page=page,
                    values=form.item_values,
                    complete=action == "next",
                    request=request,
                    already_locked=True,
                )
            except services.ServiceError:
                return redirect("patient:done", intake.public_id)
            return redirect(_after_save(intake, section, page, action, changing=changing))
    index = PAGE_INDEX[(section.id, page)]
    previous = PAGES[index - 1] if index else None
    blocks = form.display_blocks()
    return render(
        request,
        "screening/patient/step.html",
        _context(
            intake,
            state,
            form=form,
            blocks=blocks,
            section=section,
            page=page,
            page_count=len(section.pages),
            # A page with one question makes that question its heading (the legend is the h1).
            single=len(blocks) == 1,
            step_number=STEP_INDEX[section.id] + 1,
            previous=previous,
            changing=changing,
            draft_url=reverse("patient:draft", args=[intake.public_id, section.id, page]),
        ),
        status=400 if form.errors else 200,
    )


def _today_later(request, intake, state, section, page):
    """ "How you are today" opened more than a day before the appointment: these questions are
    about the day itself, so they wait. The patient goes on with the rest."""
    index = PAGE_INDEX[(section.id, page)]
    following = next(
        (
            (s, n)
            for s, n in PAGES[index + 1 :]
            if s.id != section.id and not selectors.page_done(intake, s, n)
        ),
        None,
    )
    if request.method == "POST":
        if following is None:
            return redirect("patient:review", intake.public_id)
        return redirect(page_url(intake, following[0].id, following[1]))
    return render(
        request,
        "screening/patient/today_later.html",
        _context(
            intake,
            state,
            section=section,
            step_number=STEP_INDEX[section.id] + 1,
            opens=selectors.today_window_opens(intake),
        ),
    )


@require_POST
def draft(request, public_id, section_id, page):
    """Answers saved as the patient goes (JavaScript, on change): nothing typed is lost when
    the browser closes. The page is not marked done; an answer still being typed keeps what
    was stored. Answers with JSON: the intake's new version, or 409 when it changed meanwhile
    (410 when the link was replaced or the appointment cancelled: nothing is stored).
    """
    try:
        intake, state, redirect_response = _load(request, public_id)
    except PatientLinkGone as gone:
        return JsonResponse({"saved": False, "gone": gone.reason}, status=410)
    if redirect_response:
        return JsonResponse({"saved": False}, status=403)
    section = _page_or_404(section_id, page)
    if intake.status != Intake.Status.DRAFT or not section.items:
        return JsonResponse({"saved": False}, status=409)
    if section.id == selectors.TODAY_SECTION and not selectors.today_window_open(intake):
        return JsonResponse({"saved": False}, status=409)
    try:
        expected = int(request.POST.get("version", ""))
    except ValueError:
        return JsonResponse({"saved": False}, status=400)
    form = _step_form(request, intake, section, page, partial=True)
    form.is_valid()  # items with a mistake are left out of item_values; the rest are saved
    try:
        saved = services.intake_save_step(
            intake=intake,
            section_id=section.id,
            page=page,
            values=form.item_values,
            draft=True,
            expected_version=expected,
            request=request,
        )
    except services.ConflictError:
        intake.refresh_from_db(fields=["version"])
        return JsonResponse({"saved": False, "version": intake.version}, status=409)
    except services.ServiceError:
        return JsonResponse({"saved": False}, status=409)
    return JsonResponse({"saved": True, "version": saved.version})


def _after_save(intake, section, page, action, *, changing=False) -> str:
    index = PAGE_INDEX[(section.id, page)]
    if action == "later":
        return reverse("patient:saved", args=[intake.public_id])
    if changing:
        return reverse("patient:review", args=[intake.public_id])
    if action == "back":
        previous_section, previous_page = PAGES[max(index - 1, 0)]
        return page_url(intake, previous_section.id, previous_page)
    if intake.kind == Intake.Kind.CHECKIN:
        # A check-in walks only the parts the patient said had changed, and "today" (once it
        # can be answered; the page that says it waits is shown once, after the check-in).
        return _resume_url(intake, skip_waiting_today=True)
    if index + 1 < len(PAGES):
        next_section, next_page = PAGES[index + 1]
        return page_url(intake, next_section.id, next_page)
    return reverse("patient:review", args=[intake.public_id])


CHECKIN_CHOICES = (("same", "Yes, still true"), ("changed", "No, something has changed"))


def _checkin_lines(rows: list[dict]) -> dict:
    """A section's earlier answers, short enough to read on a phone in a minute: each answer
    that says something, with its details ("Blood-thinning medicine: Yes. Warfarin ..."), and
    the plain noes in one line."""
    said, noes = [], []
    for row in rows:
        label = questionnaire.ANSWER_LABELS.get(row["item"].id, row["item"].title)
        details = [d for d in row["details"] if d["answered"]]
        if not row["answered"] and not details:
            continue
        if row["answer"] == "No" and not details:
            noes.append(label)
        else:
            said.append({"label": label, "answer": row["answer"], "details": details})
    return {"said": said, "noes": noes}


def _checkin(request, intake, state, section):
    """Step 1 for a returning patient: each part of their earlier answers, in words, to
    confirm ("still true") or to open again filled in ("something has changed"). The "today"
    questions are asked afresh after it."""
    sections = services.checkin_sections()
    summaries = {
        entry["section"].id: entry
        for entry in section_summaries(
            intake.answers, thresholds=selectors.clinic_thresholds(), patient=True
        )
    }
    posted = request.POST if request.method == "POST" else {}
    chosen = {s.id: posted.get(f"part_{s.id}", "") for s in sections}
    completed_by = posted.get("completed_by", intake.completed_by)
    errors = []
    if request.method == "POST":
        if completed_by not in dict(COMPLETED_BY_CHOICES):
            errors.append(
                {"anchor": "completed_by_self", "text": _("Tell us who is filling in this form.")}
            )
        for part in sections:
            if chosen[part.id] not in dict(CHECKIN_CHOICES):
                errors.append(
                    {
                        "anchor": f"part_{part.id}_same",
                        "text": _("Tell us if “%(part)s” is still true.") % {"part": part.title},
                        "part": part.id,
                    }
                )
        if not errors:
            try:
                services.intake_checkin(
                    intake=intake,
                    still_true=[p.id for p in sections if chosen[p.id] == "same"],
                    changed=[p.id for p in sections if chosen[p.id] == "changed"],
                    completed_by=completed_by,
                    request=request,
                )
            except services.ServiceError:
                return redirect("patient:done", intake.public_id)
            intake.refresh_from_db()
            return redirect(_resume_url(intake))
    parts = [
        {
            "section": part,
            **_checkin_lines(summaries[part.id]["items"]),
            "chosen": chosen[part.id],
            "error": next((e["text"] for e in errors if e.get("part") == part.id), ""),
        }
        for part in sections
    ]
    previous = intake.previous
    return render(
        request,
        "screening/patient/checkin.html",
        _context(
            intake,
            state,
            section=section,
            step_number=1,
            parts=parts,
            choices=COMPLETED_BY_CHOICES,
            checkin_choices=CHECKIN_CHOICES,
            selected=completed_by,
            completed_by_error=next(
                (e["text"] for e in errors if e["anchor"] == "completed_by_self"), ""
            ),
            errors=errors,
            previous_sent=previous.submitted_at if previous else None,
        ),
        status=400 if errors else 200,
    )


def _welcome(request, intake, state, section):
    """Step 1: what dry needling is, and who is filling in the form."""
    if intake.kind == Intake.Kind.CHECKIN:
        return _checkin(request, intake, state, section)
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
            return redirect(_after_save(intake, section, 1, request.POST.get("action", "next")))
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
@patient_page
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
            missing=_missing_links(intake),
            today_waits=missing == [selectors.TODAY_SECTION]
            and not selectors.today_window_open(intake),
            today_opens=selectors.today_window_opens(intake),
        ),
        status=400 if request.method == "POST" and (form.errors or missing) else 200,
    )


def _missing_links(intake: Intake) -> list[dict]:
    """The unfinished pages, each named by its section (and part) with a link to it."""
    links = []
    for section_id, page in selectors.missing_pages(intake):
        section = questionnaire.SECTIONS_BY_ID[section_id]
        title = section.title
        if len(section.pages) > 1:
            title = _("%(title)s, part %(page)s of %(count)s") % {
                "title": section.title,
                "page": page,
                "count": len(section.pages),
            }
        links.append({"title": title, "url": page_url(intake, section_id, page)})
    return links


def answer_summary(intake: Intake) -> list[dict]:
    """Every question of every section with the patient's answer in words, and a link that
    changes it and comes straight back ("Not answered" where empty, "Prefer not to say" where
    the patient chose not to answer an optional question)."""
    summaries = section_summaries(
        intake.answers, thresholds=selectors.clinic_thresholds(), patient=True
    )
    for entry in summaries:
        section = entry["section"]
        for row in entry["items"]:
            page = section.page_of(row["item"].id)
            row["change_url"] = page_url(intake, section.id, page) + "?change=1"
            if (
                row["item"].optional
                and not row["answered"]
                and selectors.page_done(intake, section, page)
            ):
                row["answer"] = _("Prefer not to say")
                row["answered"] = True
    return summaries


@require_http_methods(["GET"])
@patient_page
def done(request, public_id):
    intake, state, redirect_response = _load(request, public_id)
    if redirect_response:
        return redirect_response
    return render(
        request,
        "screening/patient/done.html",
        _context(intake, state, planned_areas=_planned_areas(intake)),
    )


def _planned_areas(intake: Intake) -> str:
    """The areas to be treated, in words, when the clinic has planned them already."""
    return ", ".join(regions.label(region_id) for region_id in intake.plan_regions)


@require_http_methods(["GET"])
@patient_page
def saved(request, public_id):
    intake, state, redirect_response = _load(request, public_id)
    if redirect_response:
        return redirect_response
    return render(
        request, "screening/patient/saved.html", _context(intake, state, resume=_resume_url(intake))
    )


@require_POST
@patient_page
def leave(request, public_id):
    """ "Save and finish later" on a clinic tablet ends the patient's session on that tablet."""
    intake, _state = access_intake_for_patient(request, public_id, require_verified=False)
    request.session.flush()
    request.session[TABLET_RETURN_KEY] = str(intake.public_id)
    return redirect("patient:left")


def left(request):
    return render(request, "screening/patient/left.html", {"clinic": ClinicSettings.load()})


@require_POST
def staff_sign_in(request):
    """ "Staff: sign in" on a tablet's last page: end the patient's session, then the staff
    sign-in, which leads to that intake's documents page. The patient's page shows only the
    button; which intake it was comes from the session, never from the page."""
    public_id = request.session.get(TABLET_RETURN_KEY)
    state = request.session.get(PATIENT_SESSION_KEY)
    if isinstance(state, dict) and state.get("kiosk"):
        public_id = (
            Intake.objects.filter(pk=state.get("intake"))
            .values_list("public_id", flat=True)
            .first()
        )
    request.session.flush()
    if request.user.is_authenticated:
        auth.logout(request)
    login = reverse("accounts:login")
    if public_id:
        try:
            documents = reverse("desk:documents", args=[public_id])
        except NoReverseMatch:
            documents = ""
        if documents:
            login = f"{login}?{urlencode({REDIRECT_FIELD_NAME: documents})}"
    return HttpResponseRedirect(login)


def _repeats_the_signature(request, state: dict) -> bool:
    """A second tap of "I agree and sign" that arrives after the first was stored: this
    session has signed, with the very form this POST carries. (Two taps that arrive together
    both find the session still signing; the service's form token makes them one consent.)"""
    return (
        request.method == "POST"
        and state.get("purpose") == "signed"
        and request.POST.get("form_token", "") == state.get("signed_form_token")
    )


@require_http_methods(["GET", "POST"])
@patient_page
def sign(request, public_id):
    """The consent on screen at tablet size, signed with a finger by the patient or guardian."""
    intake, state, redirect_response = _load(request, public_id)
    if redirect_response:
        return redirect_response
    if _repeats_the_signature(request, state):
        return redirect("patient:signed", intake.public_id)
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
                form_token=data["form_token"],
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
            state["signed_form_token"] = str(data["form_token"])
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
@patient_page
def signed(request, public_id):
    intake, state, redirect_response = _load(request, public_id)
    if redirect_response:
        return redirect_response
    return render(request, "screening/patient/signed.html", _context(intake, state))
