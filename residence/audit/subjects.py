"""What events are about, named for the trail's sentences.

Audit sits below the apps that own accounts, places and persons, so it imports none of them: each registers, in its
AppConfig.ready(), how to name its subjects for a viewer (only those the viewer may see: a person outside the
viewer's area stays unnamed), whether an id names a row at all (so that a refused read keeps only ids that exist,
never a number typed into an address bar), and which URL parameter names such a subject.

    subject_register("person", names=persons_named, exists=person_exists, url_kwarg="person_id",
                     unnamed=_("a person outside your area"), noun=_("a person"))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Namer = Callable[[Any, list[str]], dict[str, str]]  # (viewer, ids) -> {id: name} for the ids the viewer may see


@dataclass(frozen=True)
class SubjectType:
    name: str
    names: Namer
    exists: Callable[[str], bool]
    unnamed: StrOrPromise  # said of one the viewer may not see
    noun: StrOrPromise  # said of one that does not exist ("a person")
    url_kwarg: str = ""


_TYPES: dict[str, SubjectType] = {}


def subject_register(name: str, *, names: Namer, exists: Callable[[str], bool], unnamed: StrOrPromise,
                     noun: StrOrPromise, url_kwarg: str = "") -> None:
    _TYPES[name] = SubjectType(name, names, exists, unnamed, noun, url_kwarg)


def subject_type(name: str) -> SubjectType | None:
    return _TYPES.get(name)


def subject_in_url(kwargs: Mapping[str, Any]) -> tuple[str, str] | None:
    """The (subject type, id) a page's URL parameters name, if any registered type's parameter is among them."""
    for t in _TYPES.values():
        if t.url_kwarg and t.url_kwarg in kwargs:
            return t.name, str(kwargs[t.url_kwarg])
    return None


def subject_names(viewer: object, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Names of the (type, id) pairs `viewer` may see, in one query per type."""
    by_type: dict[str, set[str]] = {}
    for kind, sid in wanted:
        if kind in _TYPES and sid:
            by_type.setdefault(kind, set()).add(sid)
    named: dict[tuple[str, str], str] = {}
    for kind, ids in by_type.items():
        for sid, name in _TYPES[kind].names(viewer, sorted(ids)).items():
            named[kind, sid] = name
    return named
