"""Persons over the API, for staff sessions and department clients' tokens: the same scoped selectors as the web UI."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from residence.accounts.api_auth import API_AUTH
from residence.accounts.roles import Capability, can
from residence.core.errors import NotFound
from residence.core.schemas import ERRORS, ErrorOut
from residence.people.schemas import PersonOut, SearchIn
from residence.people.selectors import person_search, person_view

router = Router(tags=["people"], auth=API_AUTH)


@router.post("/search", response={200: list[PersonOut], 404: ErrorOut, **ERRORS})
def search(request: HttpRequest, body: SearchIn) -> list[PersonOut] | Status[ErrorOut]:
    """Find persons in the caller's scope by exact ID number, phone, name prefix or pinyin initials.

    A POST, so that ID and phone numbers stay out of URLs and access logs."""
    if not can(request.user, Capability.PERSON_SEARCH):
        return Status(404, ErrorOut(code="not_found", message="not found"))
    found = person_search(user=request.user, query=body.q)  # type: ignore[arg-type]
    return [PersonOut.model_validate(p, from_attributes=True) for p in found]


@router.get("/{person_id}", response={200: PersonOut, 404: ErrorOut, **ERRORS})
def detail(request: HttpRequest, person_id: int, purpose: str = "api.read") -> PersonOut | Status[ErrorOut]:
    """One person's masked record; the read is recorded with its purpose."""
    try:
        person = person_view(user=request.user, person_id=person_id, purpose=purpose)  # type: ignore[arg-type]
    except NotFound as exc:
        return Status(404, ErrorOut(code=exc.code, message=exc.message))
    return PersonOut.model_validate(person, from_attributes=True)
