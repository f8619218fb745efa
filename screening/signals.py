"""Authentication events become audit events (and a staff sign-in sets its session's
lifetime), and the clinic settings read once per request are forgotten between requests and
when they change. No other signals: writes live in services."""

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.signals import request_finished, request_started
from django.db.models.signals import post_save
from django.dispatch import receiver

from screening import services
from screening.middleware import SIGNED_IN_AT_SESSION_KEY
from screening.models import ClinicSettings, forget_loaded_settings
from screening.permissions import PATIENT_SESSION_KEY


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs):
    services.audit_record(actor=user, action="auth.login", request=request)
    if request is not None and hasattr(request, "session"):
        # A staff sign-in on a browser that held a patient's questionnaire (the clinic tablet)
        # drops the patient's state and takes the staff lifetime, not the patient's 3 hours.
        request.session.pop(PATIENT_SESSION_KEY, None)
        request.session.set_expiry(None)
        request.session[SIGNED_IN_AT_SESSION_KEY] = int(time.time())


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


@receiver(request_started)
def _settings_for_this_request(sender, **kwargs):
    forget_loaded_settings(in_request=True)


@receiver(request_finished)
def _settings_after_the_request(sender, **kwargs):
    forget_loaded_settings(in_request=False)


@receiver(post_save, sender=ClinicSettings)
def _settings_changed(sender, **kwargs):
    forget_loaded_settings(changed=True)
