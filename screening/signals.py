"""Authentication events become audit events. No other signals: writes live in services."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from screening import services


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs):
    services.audit_record(actor=user, action="auth.login", request=request)


@receiver(user_logged_out)
def _on_logout(sender, request, user, **kwargs):
    if user is not None:
        services.audit_record(actor=user, action="auth.logout", request=request)


@receiver(user_login_failed)
def _on_login_failed(sender, credentials, request=None, **kwargs):
    # The username is a staff identifier, not health data; the password is never recorded.
    username = str(credentials.get("username", ""))[:150]
    services.audit_record(
        actor=None, action="auth.login_failed", request=request, detail={"username": username}
    )
