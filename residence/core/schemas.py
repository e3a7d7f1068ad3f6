"""Answers every API endpoint can give besides its own, documented once so that the OpenAPI schema is complete."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    """A refusal by a business rule, or too many requests (429): a stable code and a message for people."""

    code: str
    message: str


class DetailOut(Schema):
    """A body that cannot be parsed (400), no or wrong credentials (401), or a session cookie without its CSRF token
    (403)."""

    detail: str


class InvalidOut(Schema):
    """The request does not match the schema: one entry per field, with where it is and what is wrong."""

    detail: list[dict[str, Any]]


class UnparseableOut(Schema):
    """The request body could not be read as JSON (400), and why."""

    detail: str


ERRORS: dict[int, type[Schema]] = {401: DetailOut, 403: DetailOut, 422: InvalidOut, 429: ErrorOut}
