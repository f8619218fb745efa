"""Clinic admin pages: clinic details and thresholds, staff accounts, the audit trail."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from screening import services
from screening.forms import ClinicSettingsForm, StaffCreateForm
from screening.models import AuditEvent, ClinicSettings, User
from screening.permissions import Perm, require_perm
from screening.services import second_factor


@require_perm(Perm.MANAGE_CLINIC)
def clinic_settings(request):
    current = ClinicSettings.load()
    if request.method == "POST":
        form = ClinicSettingsForm(request.POST, instance=ClinicSettings.load())
        if form.is_valid():
            try:
                services.clinic_settings_update(
                    actor=request.user,
                    changes=form.changes(),
                    expected_version=form.cleaned_data["version"],
                    request=request,
                )
            except services.ConflictError as exc:
                messages.error(request, str(exc))
                return redirect("manage:settings")
            messages.success(request, "Clinic settings saved.")
            return redirect("manage:settings")
    else:
        form = ClinicSettingsForm(instance=current)
    return render(
        request,
        "screening/manage/settings.html",
        {
            "form": form,
            "threshold_fields": ClinicSettings.THRESHOLD_FIELDS,
            "missing_clinic_details": ClinicSettings.load().missing_document_details(),
        },
    )


@require_perm(Perm.MANAGE_STAFF)
def staff_list(request):
    form = StaffCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_create(created_by=request.user, **form.cleaned_data)
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Account {form.cleaned_data['username']} created.")
            return redirect("manage:staff")
    staff = User.objects.order_by("role", "username").annotate(
        has_second_factor=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
    )
    return render(request, "screening/manage/staff.html", {"form": form, "staff": staff})


@require_perm(Perm.MANAGE_STAFF)
@require_POST
def staff_reset_second_factor(request, user_id):
    person = get_object_or_404(User, pk=user_id)
    second_factor.second_factor_reset(actor=request.user, user=person, request=request)
    messages.success(
        request,
        f"Two-step sign-in reset for {person.username}: they set it up again at their next "
        "sign-in.",
    )
    return redirect("manage:staff")


@require_perm(Perm.VIEW_AUDIT)
def audit_list(request):
    events = AuditEvent.objects.select_related("intake").order_by("-at", "-pk")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "screening/manage/audit.html", {"page": page})
