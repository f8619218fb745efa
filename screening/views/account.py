"""The signed-in staff member's own account: the second factor (enrolment, verification and
backup codes) and their password."""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from screening import services
from screening.forms import PasswordChangeForm, SecondFactorForm
from screening.permissions import Perm, require_perm
from screening.services import second_factor

BACKUP_CODES_SESSION_KEY = "backup_codes_to_show"


def _next_url(request) -> str:
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """Enrol an authenticator app on first sign-in; afterwards, ask for a code."""
    if request.user.is_verified():
        return redirect(_next_url(request))
    if not second_factor.has_second_factor(request.user):
        return _enrol(request)
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            second_factor.second_factor_verify(request=request, code=form.cleaned_data["code"])
        except services.ServiceError as exc:
            form.add_error("code", str(exc))
        else:
            return redirect(_next_url(request))
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": _next_url(request)},
    )


def _enrol(request):
    device = second_factor.second_factor_enrol_start(request=request)
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = second_factor.second_factor_confirm(
                request=request, code=form.cleaned_data["code"]
            )
        except services.ServiceError as exc:
            form.add_error("code", str(exc))
        else:
            request.session[BACKUP_CODES_SESSION_KEY] = codes
            query = urlencode({REDIRECT_FIELD_NAME: _next_url(request)})
            return redirect(f"{reverse('accounts:backup_codes')}?{query}")
    secret = second_factor.readable_secret(device)
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "registration/two_factor_enrol.html",
        {
            "form": form,
            "next": _next_url(request),
            "secret": secret,
            "qr_svg": qr.svg_inline(scale=5, border=4, omitsize=True, dark="#000", light="#fff"),
        },
    )


@login_required
@require_http_methods(["GET"])
def backup_codes(request):
    """The ten backup codes, once, right after enrolment."""
    codes = request.session.pop(BACKUP_CODES_SESSION_KEY, None)
    if not codes or not request.user.is_verified():
        return redirect("accounts:two_factor")
    return render(
        request,
        "registration/two_factor_backup_codes.html",
        {"codes": codes, "next": _next_url(request)},
    )


@require_perm(Perm.OWN_ACCOUNT)
@require_http_methods(["GET", "POST"])
def password_change(request):
    """Change one's own password (required after a clinic admin's reset)."""
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_change_own_password(
                request=request, current=form.cleaned_data["current"], new=form.cleaned_data["new"]
            )
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Your password is changed; your other sessions have ended.")
            return redirect(_next_url(request))
    return render(
        request,
        "registration/password_change.html",
        {"form": form, "next": _next_url(request), "required": request.user.must_change_password},
    )
