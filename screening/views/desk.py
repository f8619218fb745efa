"""Front-desk pages: the day's board, creating an intake, links and the tablet hand-over."""

import datetime

import segno
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from screening import services
from screening.forms import IntakeCreateForm
from screening.models import ClinicSettings, Intake
from screening.permissions import Perm, access_intake_for_staff, require_perm
from screening.views.patient import start_patient_session


def _day_from(request) -> datetime.date:
    raw = request.GET.get("day", "")
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        return timezone.localdate()


@require_perm(Perm.VIEW_BOARD)
def board(request):
    day = _day_from(request)
    intakes = (
        Intake.objects.select_related("patient", "practitioner")
        .filter(appointment_at__date=day)
        .order_by("appointment_at", "pk")
    )
    return render(request, "screening/desk/board.html", {"day": day, "intakes": intakes})


@require_perm(Perm.MANAGE_INTAKES)
@require_http_methods(["GET", "POST"])
def intake_new(request):
    form = IntakeCreateForm(request.POST or None)
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
                request=request,
            )
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Intake created.")
            return redirect("desk:intake", intake.public_id)
    return render(request, "screening/desk/intake_new.html", {"form": form})


@require_perm(Perm.VIEW_BOARD)
def intake_detail(request, public_id):
    intake = access_intake_for_staff(request.user, public_id, Perm.VIEW_BOARD)
    services.audit_record(actor=request.user, action="intake.view_desk", intake=intake)
    return render(
        request,
        "screening/desk/intake.html",
        {"intake": intake, "links": intake.links.order_by("-created_at")[:5]},
    )


@require_perm(Perm.MANAGE_INTAKES)
@require_POST
def link_issue(request, public_id):
    """Create a link and show it once (only its hash is kept), with a printable handout."""
    intake = access_intake_for_staff(request.user, public_id, Perm.MANAGE_INTAKES)
    try:
        issued = services.link_issue(actor=request.user, intake=intake, request=request)
    except services.ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("desk:intake", intake.public_id)
    url = request.build_absolute_uri(reverse("patient:open", args=[issued.token]))
    qr = segno.make(url, error="m").svg_data_uri(scale=5, border=2)
    return render(
        request,
        "screening/desk/link.html",
        {
            "intake": intake,
            "url": url,
            "qr": qr,
            "expires_at": issued.link.expires_at,
            "clinic": ClinicSettings.load(),
        },
    )


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
