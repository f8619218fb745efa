"""Bearer-token authentication for the integration API: only a live ``ApiToken`` gets in.

There is deliberately no session authentication: a staff member signed in to the site in the
same browser does not reach the API.
"""

from __future__ import annotations

from rest_framework import authentication, exceptions

from screening.services.api_tokens import api_token_find, api_token_mark_used


class Integration:
    """The caller of an API request: an integration named by its token, never a staff user."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, api_token):
        self.api_token = api_token
        self.name = api_token.name

    def __str__(self) -> str:
        return self.name


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header:
            return None
        if header[0].decode("latin-1").lower() != self.keyword.lower() or len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the token as: Authorization: Bearer <token>."
            )
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The token is not valid.") from None
        api_token = api_token_find(token)
        if api_token is None:
            raise exceptions.AuthenticationFailed("The token is not valid.")
        # Kept on the request so that the audit event can name a revoked token's integration.
        request.presented_token = api_token
        if api_token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("The token has been revoked.")
        api_token_mark_used(api_token)
        return Integration(api_token), api_token

    def authenticate_header(self, request):
        # Present, so that a missing or bad token answers 401 (not 403).
        return 'Bearer realm="fhir"'
