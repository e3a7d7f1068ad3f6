"""Reads of persons, always scoped to what the actor may see.

Scope follows residence: a staff member sees a person who has a registration (current, or ended within
SCOPE_RETENTION_DAYS) at a unit inside the staff member's jurisdiction. Anything else is "not found".
The registration is reached through the ORM relation `registrations` (the registrations app sits above people).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import AREA_KINDS, Capability, can
from residence.audit.services import event_record
from residence.core.errors import NotFound
from residence.people.identity import id_index, phone_index
from residence.people.models import Person
from residence.places.selectors import jurisdiction_path_for_user


def person_scope(*, user: User) -> QuerySet[Person]:
    """Every person the user may see (an empty queryset for users without a staff scope)."""
    if user.kind not in AREA_KINDS or not can(user, Capability.PERSON_VIEW):
        return Person.objects.none()
    path = jurisdiction_path_for_user(user)
    if path is None:
        return Person.objects.none()
    cutoff = timezone.localdate() - dt.timedelta(days=settings.SCOPE_RETENTION_DAYS)
    # "Registered in the area" as a set of person ids: PostgreSQL then either walks the name index and probes the
    # set (large areas) or collects the area's few registrations first (a grid worker's community), whichever is
    # cheaper; a correlated EXISTS forced the first plan on everyone (250 ms for a community at 1M persons).
    registration = apps.get_model("registrations", "Registration")
    in_area = registration.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=cutoff),
        unit__building__grid__path__startswith=path,
    ).values("person_id")
    return Person.objects.filter(pk__in=in_area)


def _scoped_by_key(*, user: User, column: str, value: object, limit: int = 50) -> list[Person]:
    """Persons whose `column` equals `value` and whom the user may see, in one round trip.

    The hot path of a counter look-up (ID number, phone, record number): one parametrised statement that
    PostgreSQL prepares once, instead of compiling the general scope query every time.
    """
    if column not in {"id", "id_number_index", "phone_index"}:
        raise ValueError(column)
    if user.kind not in AREA_KINDS or not can(user, Capability.PERSON_VIEW):
        return []
    path = jurisdiction_path_for_user(user)
    if path is None:
        return []
    cutoff = timezone.localdate() - dt.timedelta(days=settings.SCOPE_RETENTION_DAYS)
    person, reg, unit, building, area = (apps.get_model(a, m)._meta.db_table for a, m in [
        ("people", "Person"), ("registrations", "Registration"), ("places", "Unit"), ("places", "Building"),
        ("places", "Jurisdiction")])
    sql = (
        f"SELECT p.* FROM {person} p WHERE p.{column} = %s AND EXISTS ("
        f"SELECT 1 FROM {reg} r JOIN {unit} u ON u.id = r.unit_id JOIN {building} b ON b.id = u.building_id "
        f"JOIN {area} j ON j.id = b.grid_id WHERE r.person_id = p.id AND (r.ended_on IS NULL OR r.ended_on >= %s) "
        f"AND j.path LIKE %s) ORDER BY p.name, p.id LIMIT %s"
    )
    return list(Person.objects.raw(sql, [value, cutoff, path + "%", limit]))  # paths hold only digits and "/"


_MAX_ID = 2**63 - 1  # a bigint; a larger number in a URL is simply no such person


def person_get_for_user(*, user: User, person_id: int) -> Person:
    if not 1 <= person_id <= _MAX_ID:
        raise NotFound(_("No such person."))
    found = _scoped_by_key(user=user, column="id", value=person_id)
    if not found:
        raise NotFound(_("No such person."))
    return found[0]


def person_view(*, user: User, person_id: int, purpose: str) -> Person:
    """A staff member opens a person's record: scoped, and logged as a read with its purpose."""
    person = person_get_for_user(user=user, person_id=person_id)
    event_record(actor=user, action="person.record.viewed", subject_type="person", subject_id=person.pk,
                 data={"purpose": purpose[:200]})
    return person


def person_own(*, user: User) -> Person:
    """A resident opens their own record; logged like any other read."""
    if not can(user, Capability.RECORD_OWN) or user.person_id is None:
        raise NotFound(_("No such person."))
    person = Person.objects.filter(pk=user.person_id).first()
    if person is None:
        raise NotFound(_("No such person."))
    event_record(actor=user, action="person.record.viewed", subject_type="person", subject_id=person.pk,
                 data={"purpose": "self-service"})
    return person


def person_registrations(*, person: Person) -> list[Any]:
    """Registrations of a person already obtained through a scoped selector, newest first."""
    return list(person.registrations.select_related("unit__building__grid").order_by("-started_on")[:50])


_ID_LIKE = re.compile(r"^\d{17}[\dXx]$")
_PHONE_LIKE = re.compile(r"^(\+86)?1\d{10}$")
_INITIALS = re.compile(r"^[A-Za-z]{1,20}$")


def person_search(*, user: User, query: str, limit: int = 50) -> list[Person]:
    """Exact ID number, exact phone, name prefix or pinyin-initials prefix, within the user's scope."""
    q = (query or "").strip()
    if not q:
        return []
    if _ID_LIKE.match(q):
        by = "id_number"
        found = _scoped_by_key(user=user, column="id_number_index", value=id_index(q.upper()), limit=limit)
    elif _PHONE_LIKE.match(q):
        by = "phone"
        found = _scoped_by_key(user=user, column="phone_index", value=phone_index(q.removeprefix("+86")),
                               limit=limit)
    else:
        scope = person_scope(user=user)
        if _INITIALS.match(q):
            by, qs = "initials", scope.filter(name_initials__startswith=q.lower())
        else:
            by, qs = "name", scope.filter(name__startswith=q)
        found = list(qs.order_by("name", "id")[:limit])
    # The query itself may be an ID or phone number: log how the search was made, never what was typed.
    event_record(actor=user, action="person.searched", data={"by": by, "results": len(found)})
    return found
