"""Errors every layer understands. Services raise these; views and the API turn them into messages."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the request. `code` is stable; `message` is for people; `field` names the input."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field


class NotFound(DomainError):
    """The record does not exist, or is outside what the actor may see (the two are never told apart)."""

    code = "not_found"


class PermissionDenied(DomainError):
    code = "permission_denied"


class ValidationError(DomainError):
    code = "invalid"
