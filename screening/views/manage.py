"""Clinic admin pages: clinic details and thresholds, staff accounts, the audit trail."""

import csv
import dataclasses
import datetime

from django.contrib import messages
from django.db.models import Exists, OuterRef
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from screening import audit_display, messaging, selectors, services, signin
from screening.forms import (
    AuditFilterForm,
    ClinicSettingsForm,
    MessageTemplatesForm,
    StaffCreateForm,
    StaffEditForm,
    ThresholdReasonForm,
)
from screening.models import AuditEvent, ClinicSettings, Intake, User
from screening.permissions import Perm, has_perm, require_perm
from screening.services import safety, second_factor


@require_perm(Perm.MANAGE_CLINIC)
def clinic_settings(request):
    """Clinic details save at once. A change to any screening threshold first shows its
    before/after values and how the last 12 months' intakes would have screened, and needs a
    written reason; "Go back and edit" returns to the form with the typed values."""
    current = ClinicSettings.load()
    form = ClinicSettingsForm(request.POST or None, instance=ClinicSettings.load())
    if request.method == "POST" and form.is_valid() and "edit" not in request.POST:
        thresholds = form.threshold_changes(current)
        reason_form = None
        if thresholds:
            if "confirm" not in request.POST:
                return _confirm_thresholds(request, form, thresholds, ThresholdReasonForm())
            reason_form = ThresholdReasonForm(request.POST)
            if not reason_form.is_valid():
                return _confirm_thresholds(request, form, thresholds, reason_form)
        try:
            services.clinic_settings_update(
                actor=request.user,
                changes=form.changes(),
                expected_version=form.cleaned_data["version"],
                reason=reason_form.cleaned_data["reason"] if reason_form else "",
                request=request,
            )
        except services.ConflictError as exc:
            messages.error(request, str(exc))
            return redirect("manage:settings")
        messages.success(request, "Clinic settings saved.")
        return redirect("manage:settings")
    return render(
        request,
        "screening/manage/settings.html",
        {
            "form": form,
            "threshold_fields": ClinicSettings.THRESHOLD_FIELDS,
            "missing_clinic_details": current.missing_document_details(),
            "recent_significant_events": (
                safety.recent_significant_count()
                if has_perm(request.user, Perm.VIEW_SAFETY_REPORT)
                else 0
            ),
        },
    )


@require_perm(Perm.MANAGE_CLINIC)
def message_templates(request):
    """The invitation and reminder texts, with a preview rendered here with sample values:
    "Preview" shows the typed texts without saving; "Save" saves them once every one is
    usable (known placeholders only, {link} in each message text)."""
    form = MessageTemplatesForm(request.POST or None, instance=ClinicSettings.load())
    if request.method == "POST" and "preview" not in request.POST and form.is_valid():
        try:
            services.message_templates_update(
                actor=request.user,
                changes=form.changes(),
                expected_version=form.cleaned_data["version"],
                request=request,
            )
        except services.ServiceError as exc:
            messages.error(request, str(exc))
            return redirect("manage:messages")
        messages.success(request, "Message templates saved.")
        return redirect("manage:messages")
    clinic = ClinicSettings.load()
    templates = {
        name: (form[name].value() or "").replace("\r\n", "\n")
        for name in ClinicSettings.MESSAGE_TEMPLATE_FIELDS
    }
    labels = {name: form.fields[name].label for name in ClinicSettings.MESSAGE_TEMPLATE_FIELDS}
    uses_phone = any("{clinic_phone}" in text for text in templates.values())
    return render(
        request,
        "screening/manage/messages.html",
        {
            "form": form,
            "previews": messaging.previews(
                templates, labels, messaging.sample_values(clinic, messaging.site_url(request))
            ),
            "placeholders": messaging.PLACEHOLDERS,
            "phone_missing": uses_phone and not clinic.phone.strip(),
            "previewing": request.method == "POST",
        },
        status=400 if request.method == "POST" and form.errors else 200,
    )


def _confirm_thresholds(request, form, thresholds, reason_form):
    impact = selectors.threshold_impact({change["name"]: change["value"] for change in thresholds})
    outcome = dict(Intake.Outcome.choices)
    return render(
        request,
        "screening/manage/settings_confirm.html",
        {
            "form": form,
            "reason_form": reason_form,
            "thresholds": thresholds,
            "impact": impact,
            "outcome_changes": [
                {"before": outcome[before], "after": outcome[after], "count": count}
                for (before, after), count in sorted(impact.outcome_changes.items())
            ],
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


AUDIT_PAGE_SIZE = 50


@dataclasses.dataclass(frozen=True)
class SimplePage:
    """What the pagination partial reads, for a page found without counting every row."""

    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


@require_perm(Perm.VIEW_AUDIT)
def audit_list(request):
    """The audit trail, newest first, filtered by patient, staff member, action and dates;
    ``?format=csv`` downloads what the filters select. Both are audited themselves."""
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    events = _filtered_events(filters)
    names_visible = has_perm(request.user, Perm.VIEW_BOARD)
    described = {"patient": bool(filters.get("patient"))} | {
        key: str(value.pk if isinstance(value, User) else value)
        for key, value in filters.items()
        if value and key != "patient"
    }
    if request.GET.get("format") == "csv" and not form.errors:
        services.audit_record(
            actor=request.user, action="audit.export", request=request, detail=described
        )
        return _audit_csv(events, names_visible)
    try:
        number = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        number = 1
    start = (number - 1) * AUDIT_PAGE_SIZE
    # One row more than a page tells whether there is a next page, without a COUNT.
    rows = list(events[start : start + AUDIT_PAGE_SIZE + 1])
    services.audit_record(
        actor=request.user,
        action="audit.view",
        request=request,
        detail=described | {"page": number},
    )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(
        request,
        "screening/manage/audit.html",
        {
            "form": form,
            "rows": [_audit_row(event, names_visible) for event in rows[:AUDIT_PAGE_SIZE]],
            "page": SimplePage(number, has_next=len(rows) > AUDIT_PAGE_SIZE),
            "query": query.urlencode(),
            "csv_query": (query.urlencode() + "&" if query else "") + "format=csv",
        },
    )


def _filtered_events(filters: dict):
    events = AuditEvent.objects.select_related("intake__patient", "actor").order_by("-pk")
    if filters.get("patient"):
        events = events.filter(intake__patient__full_name__icontains=filters["patient"].strip())
    if filters.get("user"):
        events = events.filter(actor=filters["user"])
    if filters.get("action"):
        events = events.filter(action=filters["action"])
    if filters.get("date_from"):
        events = events.filter(at__gte=selectors.day_bounds(filters["date_from"])[0])
    if filters.get("date_to"):
        events = events.filter(at__lt=selectors.day_bounds(filters["date_to"])[1])
    return events


def _audit_row(event: AuditEvent, names_visible: bool) -> dict:
    patient = ""
    if event.intake_id:
        patient = event.intake.patient.full_name if names_visible else "(hidden)"
    return {
        "at": event.at,
        "who": audit_display.who(event),
        "role": audit_display.ROLE_LABELS.get(event.actor_role, event.actor_role),
        "what": audit_display.action_label(event.action),
        "patient": patient,
        "details": audit_display.details(event),
        "address": event.client_address or "",
        "request_id": audit_display.request_reference(event),
    }


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class _Echo:
    def write(self, value):
        return value


def _audit_csv(events, names_visible: bool):
    header = [
        "When (UTC)",
        "Who",
        "Role",
        "Action",
        "What",
        "Patient",
        "Details",
        "From",
        "Request",
    ]

    def lines():
        writer = csv.writer(_Echo())
        yield writer.writerow(header)
        for event in events.iterator(chunk_size=1000):
            row = _audit_row(event, names_visible)
            yield writer.writerow(
                [
                    event.at.astimezone(datetime.UTC).isoformat(timespec="seconds"),
                    _cell(row["who"]),
                    row["role"],
                    event.action,
                    row["what"],
                    _cell(row["patient"]),
                    _cell("; ".join(row["details"])),
                    row["address"],
                    row["request_id"],
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.csv"'
    return response
