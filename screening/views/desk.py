"""Front-desk pages: the day's board, creating an intake, links and the tablet hand-over."""

import datetime

import segno
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from screening import selectors, services
from screening.documents import documents_available, pdf_filename
from screening.forms import IntakeCreateForm, PaperConsentForm
from screening.models import ClinicSettings, Consent, Intake
from screening.permissions import Perm, access_intake_for_staff, require_perm
from screening.views.patient import start_patient_session


def _day_from(request) -> datetime.date:
    raw = request.GET.get("day", "")
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        return timezone.localdate()


def board_state(intake: Intake) -> tuple[str, str]:
    """(state, next action) for the front desk; uses prefetched links and consents."""
    status = intake.status
    if status == Intake.Status.CANCELLED:
        return "Cancelled", ""
    if status == Intake.Status.EXPIRED:
        return "Link expired", "Create a new link"
    if status == Intake.Status.DRAFT:
        links = list(intake.links.all())
        opened = any(link.first_used_at for link in links)
        if intake.completed_steps or opened:
            return "Patient answering", "Waiting for patient"
        if any(link.revoked_at is None for link in links):
            return "Link sent", "Waiting for patient"
        return "Not started", "Send link or hand over the tablet"
    if status == Intake.Status.SUBMITTED:
        flagged = intake.latest_outcome in ("precaution", "contraindicated")
        return ("Flagged" if flagged else "Submitted"), "Awaiting practitioner review"
    if status == Intake.Status.SIGNED:
        return "Signed", "Print aftercare"
    if intake.decision in (Intake.Decision.NOT_TODAY, Intake.Decision.REFER):
        return intake.get_decision_display(), "No needling today"
    consents = list(intake.consents.all())
    if any(c.status == "awaiting_practitioner" for c in consents):
        return "Cleared", "Waiting for the practitioner's signature"
    return "Cleared", "Ready to sign"


@require_perm(Perm.VIEW_BOARD)
def board(request):
    """The day's appointments with each intake's state and the next action; refreshes itself."""
    day = _day_from(request)
    start, end = selectors.day_bounds(day)
    intakes = (
        Intake.objects.select_related("patient", "practitioner")
        .prefetch_related(
            "links",
            # Only the status: the frozen PDFs and signature images stay in the database.
            Prefetch("consents", queryset=Consent.objects.only("id", "intake_id", "status")),
        )
        .filter(appointment_at__gte=start, appointment_at__lt=end)
        .order_by("appointment_at", "pk")
        .defer("answers", "clinician_answers")
    )
    rows = [{"intake": intake, "state": board_state(intake)} for intake in intakes]
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
            "previous_day": day - datetime.timedelta(days=1),
            "next_day": day + datetime.timedelta(days=1),
        },
    )


@require_perm(Perm.MANAGE_INTAKES)
@require_http_methods(["GET", "POST"])
def intake_new(request):
    form = IntakeCreateForm(request.POST if request.method == "POST" else None)
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
    return render(request, "screening/desk/intake_new.html", {"form": form, "same_day": same_day})


@require_perm(Perm.VIEW_BOARD)
def intake_detail(request, public_id):
    intake = access_intake_for_staff(request.user, public_id, Perm.VIEW_BOARD)
    services.audit_record(actor=request.user, action="intake.view_desk", intake=intake)
    return render(
        request,
        "screening/desk/intake.html",
        {"intake": intake, "links": intake.links.order_by("-created_at")[:5]},
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
    """Create a link, then show it once on the next page (only its hash is kept)."""
    intake = access_intake_for_staff(request.user, public_id, Perm.MANAGE_INTAKES)
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
            {"intake": str(intake.public_id), "user": request.user.pk, "token": issued.token},
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
    except (signing.BadSignature, KeyError, TypeError):
        token = None
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
            "expires_at": link.expires_at,
            "clinic": ClinicSettings.load(),
        }
        response = render(request, "screening/desk/link.html", context)
    response.delete_cookie(LINK_COOKIE, path=show_url, samesite="Strict")
    return response


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
    # Imported on use: WeasyPrint takes most of a second to load; only printing needs it.
    from screening import pdf

    return pdf.render_consent(intake, None) if kind == "consent" else pdf.render_aftercare(intake)


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
            "missing_clinic_details": ClinicSettings.load().missing_document_details(),
        },
        status=status,
    )


def _print(request, public_id, kind: str):
    intake = access_intake_for_staff(request.user, public_id, Perm.PRINT_DOCUMENTS)
    available, reason = documents_available(intake)
    if not available:
        return _documents_refused(request, intake, reason)
    data = _render(kind, intake)
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
