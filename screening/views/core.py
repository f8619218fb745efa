"""Home redirect, health check, sign-in lockout and error pages."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from screening import signin
from screening.permissions import home_url_name, staff_gate


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


def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # Rendered without context processors touching the database: the fault may be there.
    return HttpResponse(
        "<!doctype html><title>Something went wrong</title><h1>Something went wrong</h1>"
        "<p>The error has been logged. Nothing you entered before this page was lost.</p>",
        status=500,
    )
