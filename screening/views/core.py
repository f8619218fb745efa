"""Home redirect, health check, sign-in lockout and error pages."""

import sys

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.exceptions import SessionInterrupted
from django.db import InterfaceError, NotSupportedError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from screening import services, signin
from screening.models import ClinicSettings
from screening.permissions import PATIENT_SESSION_KEY, home_url_name, staff_gate
from screening.views.patient import TABLET_RETURN_KEY


def home(request):
    """Send each user to the home page their permissions give them."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    gate = staff_gate(request)
    if gate is not None:
        return gate
    url_name = home_url_name(request.user)
    if url_name is None:
        # A superuser without a clinic role, or an account whose role was removed.
        return render(request, "screening/no_role.html", status=403)
    return redirect(url_name)


@require_GET
@never_cache
def healthz(request):
    """Is the database answering? Says nothing about anyone."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def lockout(request, original_response=None, credentials=None):
    """django-axes calls this when a (username, address) pair or an address is locked."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    address_locked = signin.address_failures(request) >= settings.SIGN_IN_ADDRESS_FAILURE_LIMIT
    return render(
        request,
        "registration/locked.html",
        {"minutes": minutes, "address_locked": address_locked},
        status=429,
    )


# Paths that only patients use: the invitation link, the typed-code page, the questionnaire.
PATIENT_PATHS = ("/i/", "/p/", "/start/")


def patient_facing(request) -> bool:
    """Is this error page for a patient? On a patient's path, or from a browser that holds a
    patient's session (or the end of one on a tablet) without a staff sign-in. A patient's
    error page leads nowhere near the staff sign-in."""
    if request.path.startswith(PATIENT_PATHS):
        return True
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    session = getattr(request, "session", None)
    try:
        return session is not None and (
            PATIENT_SESSION_KEY in session or TABLET_RETURN_KEY in session
        )
    except DATABASE_FAULTS:
        return False


def _error_page(request, template: str, status: int):
    if not patient_facing(request):
        return render(request, template, status=status)
    try:
        clinic = ClinicSettings.load()
    except DATABASE_FAULTS:
        clinic = None
    return render(
        request,
        "screening/patient/error.html",
        {"status": status, "clinic": clinic},
        status=status,
    )


def bad_request(request, exception=None):
    # The session could not be saved because the database dropped the connection: the
    # request's own work may well be stored, so say "try again", not "bad request".
    if isinstance(exception, SessionInterrupted) and _database_fault(exception):
        return database_unavailable(request)
    return _error_page(request, "400.html", 400)


def permission_denied(request, exception=None):
    _record_refusal(request, "forbidden")
    return _error_page(request, "403.html", 403)


def page_not_found(request, exception=None):
    # Only a URL that named a page (an intake that is not yours, or that does not exist) is
    # a refusal worth recording; a path that matches nothing is noise from scanners.
    if getattr(request, "resolver_match", None) is not None:
        _record_refusal(request, "not_found")
    return _error_page(request, "404.html", 404)


def _record_refusal(request, reason: str) -> None:
    """Refused access in the audit trail: who, which page (its URL name, never the path or its
    ids) and why."""
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    services.audit_record(
        actor=user if user is not None and user.is_authenticated else None,
        action="access.refused",
        request=request,
        detail={
            "reason": reason,
            "url_name": match.view_name if match is not None else "",
            "method": request.method,
        },
    )


def server_error(request):
    # Django calls this inside its exception handler, so the exception is still at hand.
    if _database_fault(sys.exc_info()[1]):
        return database_unavailable(request)
    # Rendered without context processors touching the database: the fault may be there.
    return HttpResponse(
        "<!doctype html><title>Something went wrong</title><h1>Something went wrong</h1>"
        "<p>The error has been logged. Nothing you entered before this page was lost.</p>",
        status=500,
    )


RETRY_AFTER_SECONDS = 30
DATABASE_FAULTS = (OperationalError, InterfaceError)


# PostgreSQL refuses a statement prepared on a connection once a migration has changed the type
# of a column it returns; the connection is replaced after the request (clinic/postgresql), so
# the next try works.
STALE_PLAN = "cached plan must not change result type"


def _database_fault(exception) -> bool:
    """Is this exception, or one it was raised from, the database being unreachable (or a
    connection that the next request replaces)?"""
    seen, pending = set(), [exception]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        if isinstance(current, DATABASE_FAULTS):
            return True
        if isinstance(current, NotSupportedError) and STALE_PLAN in str(current):
            return True
        seen.add(id(current))
        pending += [current.__cause__, current.__context__]
    return False


def database_unavailable(request):
    """503 with Retry-After: the database did not answer. A page of its own (no context
    processors, no session, no database), worded for a patient or for staff."""
    patient = request.path.startswith(PATIENT_PATHS)
    html = render_to_string(
        "503.html",
        {"patient": patient, "retry_after": RETRY_AFTER_SECONDS, "method": request.method},
    )
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
