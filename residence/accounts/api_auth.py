"""Who calls the JSON API: a system with `Authorization: Bearer <token>`, or a staff member's browser session.

A bearer request never needs a cookie or a CSRF token, and never falls back to the session: a request that carries
an Authorization header is judged by that header alone, so a session cookie riding along (a browser that is also
logged in) cannot authenticate it. Without the header, the session is used and Django's CSRF check applies, as on
every form. A cross-site page cannot add an Authorization header (that needs a CORS preflight, which this API does
not grant), so a forged request can only be a session request, and fails the CSRF check.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from residence.accounts.services import api_token_authenticate
from residence.core.ratelimit import hit


class BearerToken(HttpBearer):
    """An ApiToken. The request then acts as the token's account, with the token's scopes, and counts towards the
    client's requests per minute (API_TOKEN_RATE_PER_MINUTE; over it, 429)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        account = api_token_authenticate(token)
        if account is None:
            return None
        hit("api.client", str(account.pk), limit=settings.API_TOKEN_RATE_PER_MINUTE, per=60)
        request.user = account
        return account


class SessionWithoutBearer(SessionAuth):
    """The browser session, with ninja's CSRF check, for requests that carry no Authorization header."""

    def __call__(self, request: HttpRequest) -> Any:
        if "HTTP_AUTHORIZATION" in request.META:
            return None
        return super().__call__(request)


bearer_token = BearerToken()
session_auth = SessionWithoutBearer()
API_AUTH = [bearer_token, session_auth]  # the bearer first: its failure must not run the session's CSRF check
department_token = bearer_token  # the former name
