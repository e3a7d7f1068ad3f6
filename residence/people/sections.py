"""Sections that upper apps add to a person's pages (the staff record, a resident's own /me/), without people
importing them (layers: registrations sits above people). An app registers a section in its `ready()`; the
person's pages render every registered section, in order, after the person's own facts.

A section is called with the request, the viewer, the person (already obtained through a scoped selector, the read
already recorded) and whether the viewer is that person; it returns HTML (rendered from a template, escaped there).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

from residence.accounts.models import User
from residence.people.models import Person

PersonSection = Callable[[HttpRequest, User, Person, bool], str]
_SECTIONS: dict[str, PersonSection] = {}


def person_section_register(name: str, section: PersonSection) -> None:
    """Add (or replace, by name: `ready()` may run twice in tests) a section of the person's pages."""
    _SECTIONS[name] = section


def person_sections(request: HttpRequest, *, user: User, person: Person, own: bool) -> list[SafeString]:
    return [mark_safe(section(request, user, person, own)) for section in _SECTIONS.values()]  # noqa: S308
