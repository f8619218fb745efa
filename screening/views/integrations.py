"""The clinic admin's integration tokens: list, create (the token is shown once), revoke."""

from django.contrib import messages
from django.db import transaction
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from screening import services
from screening.forms import ApiTokenForm
from screening.models import ApiToken
from screening.permissions import Perm, require_perm
from screening.services.api_tokens import api_token_create, api_token_revoke


@require_perm(Perm.MANAGE_INTEGRATIONS)
@require_http_methods(["GET", "POST"])
def token_list(request):
    """The tokens and a form for a new one. A new token is shown in the answer to the POST
    itself, never stored or put in the session, so nothing can show it again. (Resubmitting
    that POST, which the browser asks about first, makes a second token; both are listed.)"""
    form = ApiTokenForm(request.POST if request.method == "POST" else None)
    new_token, new_token_name = None, ""
    if request.method == "POST" and form.is_valid():
        try:
            created, new_token = api_token_create(
                name=form.cleaned_data["name"], created_by=request.user, request=request
            )
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            new_token_name = created.name
            form = ApiTokenForm()
    elif request.method == "GET":
        with transaction.atomic():
            services.audit_record(actor=request.user, action="api_tokens.view", request=request)
    # Live tokens first (NULLs first on every database), newest first within each.
    tokens = ApiToken.objects.select_related("created_by", "revoked_by").order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at", "-pk"
    )
    return render(
        request,
        "screening/manage/integrations.html",
        {
            "form": form,
            "tokens": tokens,
            "new_token": new_token,
            "new_token_name": new_token_name,
        },
        status=400 if form.errors else 200,
    )


@require_perm(Perm.MANAGE_INTEGRATIONS)
@require_http_methods(["GET", "POST"])
def token_revoke(request, token_id):
    """Say what revoking does, then revoke on the confirming POST."""
    api_token = get_object_or_404(ApiToken, pk=token_id)
    if request.method == "POST":
        if api_token.revoked_at is None:
            api_token_revoke(api_token_id=api_token.pk, revoked_by=request.user, request=request)
            messages.success(request, f"The token of {api_token.name} is revoked.")
        return redirect("manage:integrations")
    return render(request, "screening/manage/integrations_revoke.html", {"api_token": api_token})
