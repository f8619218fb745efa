"""Front-desk pages: the day's board, creating an intake, links and the tablet hand-over."""

import datetime

import segno
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from screening import codes, course_state, link_status, messaging, selectors, services, sms
from screening.documents import DocumentError, documents_available, pdf_filename
from screening.forms import (
    IntakeCancelForm,
    IntakeCreateForm,
    IntakeEditForm,
    InvitationSendForm,
    PaperConsentForm,
)
from screening.models import ClinicSettings, Consent, Intake
from screening.permissions import Perm, access_intake_for_staff, require_perm
from screening.services import prepared
from screening.views.patient import start_patient_session


def _day_from(request) -> datetime.date:
    raw = request.GET.get("day", "")
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        return timezone.localdate()


def board_state(intake: Intake, cover: course_state.ConsentCover | None = None) -> tuple[str, str]:
    """(state, next action) for the front desk, from an intake annotated by
    ``link_status.with_link_status`` (a draft's state is its link status); ``cover`` is whether
    a consent signed at an earlier visit of the course covers this one."""
    status = intake.status
    if status == Intake.Status.CANCELLED:
        return "Cancelled", ""
    if status == Intake.Status.EXPIRED:
        return "Link expired", "Create a new link"
    if status == Intake.Status.DRAFT:
        if selectors.today_check_pending(intake):
            return "Today check pending", "Hand over the tablet for today's questions"
        state = link_status.link_status(intake)
        return state.label, state.next_action
    if status == Intake.Status.SUBMITTED:
        flagged = intake.latest_outcome in ("precaution", "contraindicated")
        return ("Flagged" if flagged else "Submitted"), "Awaiting practitioner review"
    if status == Intake.Status.SIGNED:
        return "Signed", "Print aftercare"
    if intake.decision in (Intake.Decision.NOT_TODAY, Intake.Decision.REFER):
        return intake.get_decision_display(), "No needling today"
    if intake.awaiting_cosignature:
        return "Cleared", "Waiting for the practitioner's signature"
    if cover is not None and cover.in_place:
        return cover.label, "Print aftercare"
    if cover is not None and cover.consent is not None:
        return "Cleared", "New consent needed"
    return "Cleared", "Ready to sign"


@require_perm(Perm.VIEW_BOARD)
def board(request):
    """The day's appointments with each intake's state and the next action; refreshes itself."""
    day = _day_from(request)
    start, end = selectors.day_bounds(day)
    # One query for every row: the link status and the consent waiting for a co-signature are
    # subqueries (the frozen PDFs and signature images stay in the database).
    intakes = (
        link_status.with_link_status(Intake.objects.select_related("patient", "practitioner"))
        .annotate(
            awaiting_cosignature=Exists(
                Consent.objects.filter(
                    intake=OuterRef("pk"), status=Consent.Status.AWAITING_PRACTITIONER
                )
            )
        )
        .filter(appointment_at__gte=start, appointment_at__lt=end)
        .order_by("appointment_at", "pk")
        .defer("answers", "clinician_answers")
    )
    # Cancelled appointments leave the board (their records stay); one link shows them.
    show_cancelled = request.GET.get("cancelled") == "1"
    cancelled_count = Intake.objects.filter(
        appointment_at__gte=start, appointment_at__lt=end, status=Intake.Status.CANCELLED
    ).count()
    if not show_cancelled:
        intakes = intakes.exclude(status=Intake.Status.CANCELLED)
    now = timezone.now()
    intakes = list(intakes)
    # A cleared visit of a course may be covered by a consent signed at an earlier one: one
    # query for the day's patients.
    cleared = [i for i in intakes if i.status == Intake.Status.REVIEWED]
    consents = course_state.course_consents({i.patient_id for i in cleared}) if cleared else {}
    covers = {
        i.pk: course_state.consent_cover(i, consent=consents[i.patient_id])
        for i in cleared
        if i.patient_id in consents
    }
    rows = [
        {
            "intake": intake,
            "state": board_state(intake, covers.get(intake.pk)),
            "link": link_status.link_status(intake, now),
            "today_pending": selectors.today_check_pending(intake),
        }
        for intake in intakes
    ]
    # The board shows names and states: each view of it is recorded (the day, not who was on it).
    services.audit_record(
        actor=request.user,
        action="desk.board_view",
        request=request,
        detail={"day": day.isoformat(), "rows": len(rows)},
    )
    return render(
        request,
        "screening/desk/board.html",
        {
            "day": day,
            "rows": rows,
            "show_cancelled": show_cancelled,
            "cancelled_count": cancelled_count,
            "previous_day": day - datetime.timedelta(days=1),
            "next_day": day + datetime.timedelta(days=1),
        },
    )


@require_perm(Perm.MANAGE_INTAKES)
@require_http_methods(["GET", "POST"])
def intake_new(request):
    # "New intake" on the board carries the board's day: the appointment date starts there
    # (today for a day already past, which could not be booked), the time is left to type.
    board_day = _day_from(request)
    day = max(board_day, timezone.localdate())
    form = IntakeCreateForm(
        request.POST if request.method == "POST" else None, initial={"appointment_date": day}
    )
    same_day = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            intake = services.intake_create(
                actor=request.user,
                full_name=data["full_name"],
                date_of_birth=data["date_of_birth"],
                email=data["email"],
                phone=data["phone"],
                appointment_at=form.appointment_at(),
                practitioner=data["practitioner"],
                allow_same_day=data["allow_same_day"],
                start=data["start"] or "auto",
                request=request,
            )
        except services.SameDayIntake as exc:
            form.add_error(None, str(exc))
            same_day = exc.existing
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Intake created.")
            return redirect("desk:intake", intake.public_id)
    return render(
        request,
        "screening/desk/intake_new.html",
        {"form": form, "same_day": same_day, "board_day": board_day},
    )


@require_perm(Perm.VIEW_BOARD)
def intake_detail(request, public_id):
    intake = access_intake_for_staff(request.user, public_id, Perm.VIEW_BOARD)
    services.audit_record(actor=request.user, action="intake.view_desk", intake=intake)
    return render(
        request,
        "screening/desk/intake.html",
        {
            "intake": intake,
            "links": intake.links.order_by("-created_at")[:5],
            "today_pending": selectors.today_check_pending(intake),
            **_send_context(intake),
        },
    )


# ---------------------------------------------------------------------------------------------
# Editing and cancelling an intake


@require_perm(Perm.MANAGE_INTAKES)
@require_http_methods(["GET", "POST"])
def intake_edit(request, public_id):
    """Move the appointment or change the practitioner."""
    intake = access_intake_for_staff(request.user, public_id, Perm.MANAGE_INTAKES)
    form = IntakeEditForm(request.POST if request.method == "POST" else None, intake=intake)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _updated, changed = services.intake_update(
                actor=request.user,
                intake=intake,
                appointment_at=form.appointment_at(),
                practitioner=data["practitioner"],
                expected_version=data["version"],
                request=request,
            )
        except services.ConflictError as exc:
            form.add_error(None, str(exc))
            intake.refresh_from_db()
            form = _fresh_version(form, IntakeEditForm, intake, intake=intake)
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                "Saved: the appointment and practitioner are updated."
                if changed
                else "Nothing was changed.",
            )
            return redirect("desk:intake", intake.public_id)
    return render(
        request,
        "screening/desk/intake_edit.html",
        {"intake": intake, "form": form},
        status=400 if form.errors else 200,
    )


@require_perm(Perm.MANAGE_INTAKES)
@require_http_methods(["GET", "POST"])
def intake_cancel(request, public_id):
    """Cancel the appointment, with a reason: restates what happens, then asks."""
    intake = access_intake_for_staff(request.user, public_id, Perm.MANAGE_INTAKES)
    if intake.status == Intake.Status.CANCELLED:
        messages.info(request, "This appointment is already cancelled.")
        return redirect("desk:intake", intake.public_id)
    form = IntakeCancelForm(
        request.POST if request.method == "POST" else None, initial={"version": intake.version}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.intake_cancel(
                actor=request.user,
                intake=intake,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
                request=request,
            )
        except services.ConflictError as exc:
            form.add_error(None, str(exc))
            intake.refresh_from_db()
            form = _fresh_version(form, IntakeCancelForm, intake)
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "The appointment is cancelled. Its record stays here.")
            return redirect("desk:intake", intake.public_id)
    return render(
        request,
        "screening/desk/intake_cancel.html",
        {"intake": intake, "form": form},
        status=400 if form.errors else 200,
    )


def _fresh_version(form, form_class, current, **kwargs):
    """The same form, with what the user typed, the error shown, and the intake's current
    version: saving again after reading the page goes through."""
    data = form.data.copy()
    data["version"] = str(current.version)
    fresh = form_class(data, **kwargs)
    fresh.is_valid()
    for error in form.non_field_errors():
        fresh.add_error(None, error)
    return fresh


# ---------------------------------------------------------------------------------------------
# Sending the link by e-mail or text message


def _contact_on_file(intake) -> dict:
    return {"email": intake.patient.email, "mobile": intake.patient.phone}


def _send_context(intake, form=None) -> dict:
    """The intake page's "Send the link" card and the status of the patient's link."""
    return {
        "link_state": link_status.status_for(intake),
        "sent_messages": list(intake.messages.select_related("created_by")[:8]),
        "send_form": form or InvitationSendForm(initial=_contact_on_file(intake)),
        "sms_ready": sms.is_configured(),
    }


@require_perm(Perm.MANAGE_INTAKES)
@require_POST
def invitation_send(request, public_id):
    """Save the contact details, then send a new link by e-mail, text message or both; asks
    first when the patient was active in the last 15 minutes."""
    intake = access_intake_for_staff(request.user, public_id, Perm.MANAGE_INTAKES)
    form = InvitationSendForm(request.POST, initial=_contact_on_file(intake))
    in_use = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            sent = services.invitation_send(
                actor=request.user,
                intake=intake,
                channels=form.channels(),
                email=data["email"],
                mobile=data["mobile"],
                base_url=messaging.site_url(request),
                replace_in_use=data["replace_in_use"],
                request=request,
            )
        except services.LinkInUse as exc:
            in_use = str(exc)
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            for message in sent:
                how = message.get_channel_display()
                if message.status == message.Status.FAILED:
                    messages.error(request, f"Sending by {how} failed: {message.error}")
                elif message.status == message.Status.SENT:
                    messages.success(request, f"The link was sent by {how}.")
                else:
                    messages.info(request, f"The link is on its way by {how}.")
            return redirect("desk:intake", intake.public_id)
    return render(
        request,
        "screening/desk/send.html",
        {"intake": intake, "in_use": in_use, **_send_context(intake, form)},
        status=200 if in_use else 400,
    )


# The new link travels from the POST that makes it to the page that shows it in a signed,
# short-lived cookie (never in a URL, never stored on the server: only its hash is kept). The
# page reads the cookie once and deletes it, so refreshing the page, or coming back to it,
# cannot make a second link that would silently stop the first one from working.
LINK_COOKIE = "dn_new_link"
LINK_COOKIE_SALT = "screening.desk.link_show"
LINK_COOKIE_SECONDS = 120


@require_perm(Perm.MANAGE_INTAKES)
@require_POST
def link_issue(request, public_id):
    """Create a link, then show it once on the next page (only its hash is kept). When the
    patient was active in the last 15 minutes, a confirmation page first: the new link stops
    the one they are using."""
    intake = access_intake_for_staff(request.user, public_id, Perm.MANAGE_INTAKES)
    if (
        intake.status == Intake.Status.DRAFT
        and selectors.link_in_use(intake)
        and request.POST.get("replace_in_use") != "1"
    ):
        return render(
            request,
            "screening/desk/link_confirm.html",
            {"intake": intake, "minutes": selectors.minutes_since_active(intake)},
        )
    try:
        issued = services.link_issue(actor=request.user, intake=intake, request=request)
    except services.ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("desk:intake", intake.public_id)
    show_url = reverse("desk:link_show", args=[intake.public_id])
    response = redirect(show_url)
    response.set_cookie(
        LINK_COOKIE,
        signing.dumps(
            {
                "intake": str(intake.public_id),
                "user": request.user.pk,
                "token": issued.token,
                "code": issued.code,
            },
            salt=LINK_COOKIE_SALT,
        ),
        max_age=LINK_COOKIE_SECONDS,
        path=show_url,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )
    return response


@require_perm(Perm.MANAGE_INTAKES)
@require_GET
def link_show(request, public_id):
    """The link just made, with a copy button and a printable handout; shown once."""
    intake = access_intake_for_staff(request.user, public_id, Perm.MANAGE_INTAKES)
    show_url = reverse("desk:link_show", args=[intake.public_id])
    try:
        data = signing.loads(
            request.COOKIES.get(LINK_COOKIE, ""), salt=LINK_COOKIE_SALT, max_age=LINK_COOKIE_SECONDS
        )
        fresh = data["intake"] == str(intake.public_id) and data["user"] == request.user.pk
        token = data["token"] if fresh else None
        code = str(data.get("code") or "") if fresh else ""
    except (signing.BadSignature, KeyError, TypeError, AttributeError):
        token, code = None, ""
    link = services.link_current(intake=intake, token=token) if token else None
    if link is None:
        messages.info(
            request,
            "For safety, a link is shown only once, just after it is made. If the patient did "
            "not get it, make a new link: the earlier one then stops working.",
        )
        response = redirect("desk:intake", intake.public_id)
    else:
        url = request.build_absolute_uri(reverse("patient:open", args=[token]))
        qr = segno.make(url, error="m").svg_data_uri(scale=5, border=2)
        context = {
            "intake": intake,
            "url": url,
            "qr": qr,
            # The handout's typed way in: a short address and a code, neither of which holds
            # an I, l, 1, O or 0 to misread.
            "start_address": _start_address(request),
            "code": codes.printed(code) if code else "",
            "expires_at": link.expires_at,
            "clinic": ClinicSettings.load(),
        }
        response = render(request, "screening/desk/link.html", context)
    response.delete_cookie(LINK_COOKIE, path=show_url, samesite="Strict")
    return response


def _start_address(request) -> str:
    """The typed-code page's address as printed: host and path, no scheme (``https://`` is
    what a browser adds by itself), e.g. ``clinic.example.org/start``."""
    return f"{request.get_host()}{reverse('patient:start')}".rstrip("/")


@require_perm(Perm.MANAGE_INTAKES)
@require_POST
def handover(request, public_id):
    """Turn this browser (the clinic tablet) into the patient's session for this intake."""
    intake = access_intake_for_staff(request.user, public_id, Perm.MANAGE_INTAKES)
    try:
        services.intake_handover(actor=request.user, intake=intake, request=request)
    except services.ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("desk:intake", intake.public_id)
    start_patient_session(request, intake=intake, link_id=None, kiosk=True)
    return redirect("patient:verify", intake.public_id)


# ---------------------------------------------------------------------------------------------
# Documents and consent


def _render(kind: str, intake) -> bytes:
    """The unsigned document: stored bytes prepared in the background, or rendered now once
    and stored (services.prepared)."""
    return prepared.document_bytes(intake, kind)


def _pdf_response(data: bytes, filename: str, *, as_attachment: bool = False) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment, filename)
    return response


def _documents_refused(request, intake, reason):
    return render(
        request,
        "screening/desk/documents_unavailable.html",
        {"intake": intake, "reason": reason},
        status=409,
    )


@require_perm(Perm.PRINT_DOCUMENTS)
def documents(request, public_id):
    """Everything the desk does with the documents of one intake."""
    intake = access_intake_for_staff(request.user, public_id, Perm.PRINT_DOCUMENTS)
    services.audit_record(actor=request.user, action="documents.view", intake=intake)
    return _documents_page(request, intake, PaperConsentForm())


def _documents_page(request, intake, paper_form, status=200):
    """The documents page; each signed consent's stored PDF is checked against its SHA-256,
    and a mismatch is audited where it is seen, as a download of it would be."""
    available, reason = documents_available(intake)
    consents = list(
        intake.consents.select_related("practitioner", "recorded_by").order_by("-created_at")
    )
    for consent in consents:
        consent.intact = consent.pdf_intact() if consent.sha256 else None
        if consent.intact is False:
            services.audit_record(
                actor=request.user,
                action="document.integrity_failure",
                intake=intake,
                obj=consent,
                detail={"sha256": consent.sha256, "seen_on": "documents page"},
            )
    return render(
        request,
        "screening/desk/documents.html",
        {
            "intake": intake,
            "available": available,
            "reason": reason,
            "consents": consents,
            "signed": next((c for c in consents if c.status == Consent.Status.SIGNED), None),
            "awaiting": next(
                (c for c in consents if c.status == Consent.Status.AWAITING_PRACTITIONER), None
            ),
            "paper_form": paper_form,
            "course_cover": course_state.consent_cover(intake),
            "missing_clinic_details": ClinicSettings.load().missing_document_details(),
            "preparation_failures": prepared.preparation_failures(intake) if available else [],
        },
        status=status,
    )


def _print(request, public_id, kind: str):
    intake = access_intake_for_staff(request.user, public_id, Perm.PRINT_DOCUMENTS)
    # Prepared ahead: the stored bytes of the intake as it is now are printable as they are
    # (services.prepared.stored_bytes). Otherwise check, then render once and store.
    data = prepared.stored_bytes(intake, kind)
    if data is None:
        available, reason = documents_available(intake)
        if not available:
            return _documents_refused(request, intake, reason)
    try:
        data = data if data is not None else _render(kind, intake)
    except DocumentError as exc:
        return _documents_refused(
            request,
            intake,
            f"The document could not be produced just now ({exc}). "
            "Please try again in a minute; if it keeps failing, tell the clinic's admin.",
        )
    services.audit_record(actor=request.user, action=f"document.print_{kind}", intake=intake)
    # Downloaded, and named for the patient and the visit ("consent-kemp-2026-12-02.pdf"), so
    # that a saved or printed file says whose it is.
    return _pdf_response(data, pdf_filename(kind, intake), as_attachment=True)


@require_perm(Perm.PRINT_DOCUMENTS)
@require_GET
def consent_pdf(request, public_id):
    """The consent for printing (unsigned): the paper path, or to read before signing."""
    return _print(request, public_id, "consent")


@require_perm(Perm.PRINT_DOCUMENTS)
@require_GET
def aftercare_pdf(request, public_id):
    return _print(request, public_id, "aftercare")


@require_perm(Perm.PRINT_DOCUMENTS)
@require_GET
def signed_consent_pdf(request, public_id, consent_id):
    """A signed consent exactly as it was frozen: the stored bytes, never re-rendered."""
    intake = access_intake_for_staff(request.user, public_id, Perm.PRINT_DOCUMENTS)
    consent = intake.consents.filter(pk=consent_id, pdf__isnull=False).first()
    if consent is None:
        raise Http404
    intact = consent.pdf_intact()
    services.audit_record(
        actor=request.user,
        action="document.download_signed_consent" if intact else "document.integrity_failure",
        intake=intake,
        obj=consent,
        detail={"sha256": consent.sha256},
    )
    if not intact:
        # The stored bytes no longer match the fingerprint taken when they were signed: never
        # hand out a record that may have been altered.
        return _documents_refused(
            request,
            intake,
            "This signed consent no longer matches the fingerprint (SHA-256) recorded when it "
            "was signed, so it is not shown. Tell the clinic admin; the audit log has a record "
            "of this check.",
        )
    return _pdf_response(bytes(consent.pdf), f"consent-signed-{consent.pk}.pdf")


@require_perm(Perm.COLLECT_SIGNATURES)
@require_POST
def consent_handover(request, public_id):
    """Hand the tablet to the patient to sign the consent (staff are signed out)."""
    intake = access_intake_for_staff(request.user, public_id, Perm.COLLECT_SIGNATURES)
    try:
        services.consent_handover(actor=request.user, intake=intake, request=request)
    except services.ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("desk:documents", intake.public_id)
    start_patient_session(request, intake=intake, link_id=None, kiosk=True, purpose="sign")
    return redirect("patient:verify", intake.public_id)


@require_perm(Perm.COLLECT_SIGNATURES)
@require_POST
def consent_paper(request, public_id):
    intake = access_intake_for_staff(request.user, public_id, Perm.COLLECT_SIGNATURES)
    form = PaperConsentForm(request.POST)
    if form.is_valid():
        try:
            services.consent_record_paper(
                actor=request.user,
                intake=intake,
                form_token=form.cleaned_data["form_token"],
                signer_name=form.cleaned_data["signer_name"],
                request=request,
            )
        except services.ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Paper consent recorded.")
        return redirect("desk:documents", intake.public_id)
    return _documents_page(request, intake, form, status=400)
