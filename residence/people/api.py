"""Persons over the API, for staff sessions and department clients' tokens: the same scoped selectors as the web UI."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from residence.accounts.access import access_refused_record
from residence.accounts.api_auth import API_AUTH
from residence.accounts.models import User
from residence.accounts.roles import Capability, can
from residence.accounts.services import AccountLocked
from residence.core.errors import DomainError, NotFound
from residence.core.schemas import ERRORS, ErrorOut
from residence.people.schemas import PersonOut, SearchIn
from residence.people.selectors import person_search, person_shown, person_view, persons_shown

router = Router(tags=["people"], auth=API_AUTH)


@router.post("/search", response={200: list[PersonOut], 400: ErrorOut, 404: ErrorOut, 429: ErrorOut, **ERRORS})
def search(request: HttpRequest, body: SearchIn) -> list[PersonOut] | Status[ErrorOut]:
    """Find persons in the caller's scope by exact ID number, phone, name prefix or pinyin initials.

    A POST, so that ID and phone numbers stay out of URLs and access logs. 400: an ID number that cannot exist.
    429: this search by ID number or phone was the day's last that may find nobody; the caller is now locked."""
    user: User = request.user  # type: ignore[assignment]
    if not can(user, Capability.PERSON_SEARCH):
        return Status(404, ErrorOut(code="not_found", message="not found"))
    try:
        found = person_search(user=user, query=body.q)
    except AccountLocked as exc:
        return Status(429, ErrorOut(code=exc.code, message=exc.message))
    except DomainError as exc:
        return Status(400, ErrorOut(code=exc.code, message=exc.message))
    return [PersonOut.model_validate(p, from_attributes=True) for p in persons_shown(user=user, persons=found)]


@router.get("/{person_id}", response={200: PersonOut, 404: ErrorOut, **ERRORS})
def detail(request: HttpRequest, person_id: int, purpose: str = "api.read") -> PersonOut | Status[ErrorOut]:
    """One person's masked record; the read is recorded with its purpose."""
    user: User = request.user  # type: ignore[assignment]
    try:
        person = person_view(user=user, person_id=person_id, purpose=purpose)
    except NotFound as exc:
        access_refused_record(request=request, out_of_scope=True)  # as the web pages' are (accounts.middleware)
        return Status(404, ErrorOut(code=exc.code, message=exc.message))
    return PersonOut.model_validate(person_shown(user=user, person=person), from_attributes=True)
