"""Clinic admin pages: clinic details and thresholds, staff accounts, the audit trail."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from screening import services, signin
from screening.forms import ClinicSettingsForm, StaffCreateForm, StaffEditForm
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


ONE_TIME_PASSWORD_SESSION_KEY = "one_time_password_to_show"  # noqa: S105 - a session key name


@require_perm(Perm.MANAGE_STAFF)
def staff_list(request):
    form = StaffCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_create(
                created_by=request.user, must_change_password=True, **form.cleaned_data
            )
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Account {form.cleaned_data['username']} created.")
            return redirect("manage:staff")
    locked = signin.locked_usernames()
    staff = [
        {"person": person, "locked": person.username in locked}
        for person in User.objects.order_by("-is_active", "role", "username").annotate(
            has_second_factor=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
        )
    ]
    return render(
        request,
        "screening/manage/staff.html",
        {"form": form, "staff": staff, "locked_addresses": signin.locked_addresses()},
    )


@require_perm(Perm.MANAGE_STAFF)
@require_POST
def staff_unlock_address(request):
    address = request.POST.get("address", "")
    if address in signin.locked_addresses():
        services.staff_unlock_address(actor=request.user, address=address, request=request)
        messages.success(request, f"Sign-in from {address} is possible again.")
    return redirect("manage:staff")


def _one_time_password_for(request, person) -> str | None:
    """The one-time password just made for this person, once, on their own page only."""
    shown = request.session.get(ONE_TIME_PASSWORD_SESSION_KEY)
    if request.method != "GET" or not isinstance(shown, dict) or shown.get("user") != person.pk:
        return None
    del request.session[ONE_TIME_PASSWORD_SESSION_KEY]
    return shown.get("password")


def _staff_member(user_id) -> User:
    return get_object_or_404(User, pk=user_id)


@require_perm(Perm.MANAGE_STAFF)
def staff_edit(request, user_id):
    person = _staff_member(user_id)
    initial = {name: getattr(person, name) for name in StaffEditForm.base_fields}
    form = StaffEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_update(
                actor=request.user, user=person, changes=form.cleaned_data, request=request
            )
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Details of {person.username} saved.")
            return redirect("manage:staff_edit", person.pk)
    return render(
        request,
        "screening/manage/staff_edit.html",
        {
            "form": form,
            "person": person,
            "locked": person.username in signin.locked_usernames(),
            "has_second_factor": second_factor.has_second_factor(person),
            "one_time_password": _one_time_password_for(request, person),
        },
    )


def _staff_action(request, user_id, act, done: str):
    """Run one staff action from the edit page and come back to it with its outcome."""
    person = _staff_member(user_id)
    try:
        result = act(person)
    except services.ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done.format(name=person.username))
        return result, person
    return None, person


@require_perm(Perm.MANAGE_STAFF)
@require_POST
def staff_set_active(request, user_id):
    active = request.POST.get("active") == "1"
    _result, person = _staff_action(
        request,
        user_id,
        lambda person: services.staff_set_active(
            actor=request.user, user=person, active=active, request=request
        ),
        "{name} can sign in again." if active else "{name} is deactivated and signed out.",
    )
    return redirect("manage:staff_edit", person.pk)


@require_perm(Perm.MANAGE_STAFF)
@require_POST
def staff_reset_password(request, user_id):
    password, person = _staff_action(
        request,
        user_id,
        lambda person: services.staff_reset_password(
            actor=request.user, user=person, request=request
        ),
        "A one-time password was made for {name}; their sessions have ended.",
    )
    if password:
        request.session[ONE_TIME_PASSWORD_SESSION_KEY] = {"user": person.pk, "password": password}
    return redirect("manage:staff_edit", person.pk)


@require_perm(Perm.MANAGE_STAFF)
@require_POST
def staff_unlock(request, user_id):
    _result, person = _staff_action(
        request,
        user_id,
        lambda person: services.staff_unlock(actor=request.user, user=person, request=request),
        "The sign-in lock on {name} is lifted.",
    )
    return redirect("manage:staff_edit", person.pk)


@require_perm(Perm.MANAGE_STAFF)
@require_POST
def staff_reset_second_factor(request, user_id):
    _result, person = _staff_action(
        request,
        user_id,
        lambda person: second_factor.second_factor_reset(
            actor=request.user, user=person, request=request
        ),
        "Two-step sign-in reset for {name}: they set it up again at their next sign-in.",
    )
    return redirect("manage:staff_edit", person.pk)


@require_perm(Perm.VIEW_AUDIT)
def audit_list(request):
    events = AuditEvent.objects.select_related("intake").order_by("-at", "-pk")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "screening/manage/audit.html", {"page": page})
