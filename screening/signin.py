"""Sign-in throttling on django-axes: the (username, address) pair and the address alone."""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone


def attempted_username(request, credentials) -> str:
    """The username axes records, cut to what a username can be: a 256-character one is an
    ordinary failed sign-in, never a database error (AXES_USERNAME_CALLABLE)."""
    username = (credentials or {}).get("username") or ""
    return str(username)[: settings.USERNAME_MAX_LENGTH]


def address_failures(request) -> int:
    """Failed sign-ins from this client address within the cool-off window, any username."""
    address = getattr(request, "axes_ip_address", None)
    if not address:
        return 0
    total = AccessAttempt.objects.filter(
        ip_address=address, attempt_time__gte=get_cool_off_threshold(request)
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return total or 0


def _recent_attempts():
    return AccessAttempt.objects.filter(
        attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME
    )


def locked_usernames() -> set[str]:
    """Usernames locked from at least one address right now (for the Staff page). axes keeps a
    row per browser, so failures are added up per (username, address), as axes counts them."""
    rows = (
        _recent_attempts()
        .values("username", "ip_address")
        .annotate(total=Sum("failures_since_start"))
        .filter(total__gte=settings.AXES_FAILURE_LIMIT)
    )
    return {row["username"] for row in rows}


def locked_addresses() -> list[str]:
    """Client addresses locked for failures across usernames (for the Staff page)."""
    rows = (
        _recent_attempts()
        .values("ip_address")
        .annotate(total=Sum("failures_since_start"))
        .filter(total__gte=settings.SIGN_IN_ADDRESS_FAILURE_LIMIT)
        .order_by("ip_address")
    )
    return [row["ip_address"] for row in rows]


class StaffSignInHandler(AxesDatabaseHandler):
    """axes locks the (username, address) pair at AXES_FAILURE_LIMIT; this adds a lock on the
    address itself at SIGN_IN_ADDRESS_FAILURE_LIMIT failures across usernames."""

    def is_locked(self, request, credentials=None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return address_failures(request) >= settings.SIGN_IN_ADDRESS_FAILURE_LIMIT

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        if address_failures(request) >= settings.SIGN_IN_ADDRESS_FAILURE_LIMIT:
            request.axes_locked_out = True
            request.axes_credentials = credentials
