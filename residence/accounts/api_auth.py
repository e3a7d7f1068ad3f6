"""Authentication of other departments' systems on the JSON API: `Authorization: Bearer <token>`."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from residence.accounts.services import api_client_authenticate


class DepartmentToken(HttpBearer):
    """A department client's token. The request then acts as the client's account, with the token's scopes."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        account = api_client_authenticate(token)
        if account is None:
            return None
        request.user = account
        return account


department_token = DepartmentToken()
