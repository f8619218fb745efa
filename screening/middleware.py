"""Request-scoped plumbing: a request id for logs and audit, and no caching of PHI pages."""

import contextvars
import ipaddress
import logging
import re
import time
import uuid

from django.conf import settings

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def _ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def _from_trusted_proxy(request) -> bool:
    remote = _ip(request.META.get("REMOTE_ADDR", "")) or ""
    return settings.BEHIND_PROXY and remote in settings.TRUSTED_PROXIES


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or, behind the reverse proxy (DJANGO_BEHIND_PROXY=1)
    and only for a request that came from it (DJANGO_TRUSTED_PROXIES), the last entry of
    X-Forwarded-For, which that proxy appended. Anything that is not an IP address is ignored."""
    remote = _ip(request.META.get("REMOTE_ADDR", "")) or ""
    if _from_trusted_proxy(request):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1]
        return _ip(forwarded) or remote
    return remote


def current_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    """Give every request a server-made id for logs and audit events, and its client address.

    The id is always generated here: a client cannot choose the id its actions are audited
    under. Behind the trusted reverse proxy (DJANGO_BEHIND_PROXY=1, request from one of
    DJANGO_TRUSTED_PROXIES) a well-formed ``X-Request-ID`` from that proxy is kept *beside* it,
    as ``request.upstream_request_id``, so the proxy's logs can be joined with ours.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex
        request.client_address = client_address(request)
        incoming = request.headers.get("X-Request-ID", "")
        request.upstream_request_id = (
            incoming if _from_trusted_proxy(request) and _SAFE_ID.match(incoming) else ""
        )
        token = _request_id.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


SIGNED_IN_AT_SESSION_KEY = "signed_in_at"
REFRESHED_AT_SESSION_KEY = "_refreshed_at"


class SessionRefreshMiddleware:
    """Restart a session's idle clock at most every SESSION_REFRESH_SECONDS.

    Saving a session sets its expiry from now; Django's SESSION_SAVE_EVERY_REQUEST does that on
    every request, a database write per click. Here a request saves the session only when its
    last save is older than the refresh interval (or when the view changed it anyway). Must
    come after SessionMiddleware, which then saves on the way out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.modified or session.is_empty():
            return response
        if response.status_code >= 500:
            return response
        now = int(time.time())
        refreshed_at = session.get(REFRESHED_AT_SESSION_KEY)
        if (
            not isinstance(refreshed_at, int)
            or now - refreshed_at >= settings.SESSION_REFRESH_SECONDS
        ):
            session[REFRESHED_AT_SESSION_KEY] = now
        return response


class StaffSessionLifetimeMiddleware:
    """A staff session ends SESSION_MAX_HOURS after sign-in, however active (besides the idle
    limit that the session cookie's age gives)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            signed_in_at = request.session.get(SIGNED_IN_AT_SESSION_KEY)
            too_old = (
                not isinstance(signed_in_at, int)
                or time.time() - signed_in_at > settings.SESSION_MAX_HOURS * 3600
            )
            if too_old:
                # Imported here: the logging configuration imports this module before the app
                # registry is ready, and the auth views need it.
                from django.contrib.auth import logout
                from django.contrib.auth.views import redirect_to_login

                logout(request)
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages may show health data: no browser or proxy may keep a copy.

    Static files are served by WhiteNoise before this runs and keep their long cache headers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        return response


class RequestIdLogFilter(logging.Filter):
    """Put the request id on every log record. Django logs 4xx/5xx responses ("Not Found: ...")
    after the middleware has returned, so the id is also taken from the request the record
    carries."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "request_id", None) or current_request_id()
        return True
