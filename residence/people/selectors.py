"""Reads of persons, always scoped to what the actor may see.

Scope follows residence: a staff member sees a person who has a registration (current, or ended within
SCOPE_RETENTION_DAYS) at a unit inside the staff member's jurisdiction. Anything else is "not found".
The registration is reached through the ORM relation `registrations` (the registrations app sits above people).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import AREA_KINDS, Capability, can
from residence.accounts.selectors import row_exists, subject_pks
from residence.accounts.services import account_failed_lookup
from residence.audit.services import event_record
from residence.core import divisions
from residence.core.errors import NotFound, ValidationError
from residence.core.idnumber import normalise, parse_id_number
from residence.people.identity import id_index, phone_index, redact_numbers
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
                 data={"purpose": redact_numbers(purpose)[:200]})
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


def person_registrations(*, user: User, person: Person) -> list[Any]:
    """Registrations of a person already obtained through a scoped selector, newest first: a staff member or
    department sees only those at units inside their own area (a district the person has left does not learn where
    they went); a resident sees all of their own."""
    regs = person.registrations.select_related("unit__building__grid").order_by("-started_on", "-pk")
    if user.kind in AREA_KINDS:
        path = jurisdiction_path_for_user(user)
        if path is None:
            return []
        regs = regs.filter(unit__building__grid__path__startswith=path)
    elif not _is_own(user, person):
        return []
    return list(regs[:50])


def _is_own(user: User, person: Person) -> bool:
    return can(user, Capability.RECORD_OWN) and user.person_id == person.pk


# What each role sees (docs/security.md, "What each role sees"). The stored masks show the ID number's division code
# and the phone's last four digits. Whoever may not unmask sees the birth year, not the birth date: with the division
# code, the year and the sex, 365 × 100 × 5 = 182,500 ID numbers stay possible (the check character follows from
# the other 17, so it narrows nothing). With the full birth date only 500 would, so it is shown only to those who may
# unmask anyway, and to a resident on their own record.
#
# A registration cannot start before its person was born, and nobody is born after today: for someone born in the
# year of their first registration (or this year), the year and that date together would leave only the days between
# New Year and that date. Such persons, and those born the year before, are shown as born in one of those two years,
# the same for both, which leaves at least 365 days.

@dataclass(frozen=True, slots=True)
class PersonShown:
    """A person as one viewer may see them: the only form in which a person reaches a page or an API answer."""

    id: int
    name: str
    id_number_masked: str
    sex: str
    sex_label: str
    birth_date: dt.date | None  # None unless the viewer may see it
    born_from: int  # birth year, or the earlier of two possible ones
    born_to: int
    origin_code: str
    origin: str
    ethnicity: str
    education: str
    marital_status: str
    occupation: str
    phone_masked: str
    hukou_address: str

    @property
    def birth_years(self) -> str:
        return str(self.born_from) if self.born_from == self.born_to else f"{self.born_from}–{self.born_to}"


def sees_birth_date(user: User, person: Person | None = None) -> bool:
    """Whether `user` is shown full birth dates (of `person`, for a resident's own record)."""
    return can(user, Capability.PERSON_UNMASK) or (person is not None and _is_own(user, person))


def birth_years_shown(birth_date: dt.date, first_registered: dt.date | None, today: dt.date) -> tuple[int, int]:
    """The birth year, or the two years it is shown as when it and the latest possible birth date (today, the first
    registration's start) would say more (see above)."""
    latest = min(today, first_registered) if first_registered else today
    if birth_date.year >= latest.year - 1:
        return latest.year - 1, latest.year
    return birth_date.year, birth_date.year


def persons_shown(*, user: User, persons: list[Person]) -> list[PersonShown]:
    """`persons` (already obtained through a scoped selector) as `user` may see them."""
    registration = apps.get_model("registrations", "Registration")
    first = dict(registration.objects.filter(person_id__in=[p.pk for p in persons]).values("person_id")
                 .annotate(first=Min("started_on")).values_list("person_id", "first"))
    today = timezone.localdate()
    return [_shown(user, p, birth_years_shown(p.birth_date, first.get(p.pk), today)) for p in persons]


def person_shown(*, user: User, person: Person) -> PersonShown:
    return persons_shown(user=user, persons=[person])[0]


def _shown(user: User, person: Person, born: tuple[int, int]) -> PersonShown:
    full = sees_birth_date(user, person)
    try:  # the place's name as it was when they were born, as far as the viewer knows when that was
        origin = divisions.name_of(person.origin_code, person.birth_date.year if full else born[0])
    except KeyError:
        origin = person.origin_code
    return PersonShown(
        id=person.pk, name=person.name, id_number_masked=person.id_number_masked, sex=person.sex,
        sex_label=person.get_sex_display(), birth_date=person.birth_date if full else None,
        born_from=born[0], born_to=born[1], origin_code=person.origin_code, origin=origin,
        ethnicity=person.get_ethnicity_display(), education=person.get_education_display(),
        marital_status=person.get_marital_status_display(), occupation=person.occupation,
        phone_masked=person.phone_masked, hukou_address=person.hukou_address,
    )


_ID_LIKE = re.compile(r"^[0-9]{17}[0-9Xx]$")
_PHONE_LIKE = re.compile(r"^(\+86)?1[0-9]{10}$")
_INITIALS = re.compile(r"^[A-Za-z]{1,20}$")


def person_search(*, user: User, query: str, limit: int = 50) -> list[Person]:
    """Exact ID number, exact phone, name prefix or pinyin-initials prefix, within the user's scope.

    An ID number that cannot exist (wrong check character, impossible date, unknown division) is refused with the
    reason, without a look-up. A look-up by ID number or phone that finds nobody counts towards the account's daily
    limit; the one that reaches it locks the account (AccountLocked)."""
    q = (query or "").strip()
    if not q or not can(user, Capability.PERSON_SEARCH):
        return []
    compact = normalise(q)  # full-width digits (a Chinese input method), spaces and hyphens as typed
    if _ID_LIKE.match(compact):
        by = "id_number"
        try:
            id_number = parse_id_number(compact).value
        except ValidationError as exc:
            raise ValidationError(exc.message, code=exc.code, field="q") from None
        found = _scoped_by_key(user=user, column="id_number_index", value=id_index(id_number), limit=limit)
    elif _PHONE_LIKE.match(compact):
        by = "phone"
        found = _scoped_by_key(user=user, column="phone_index", value=phone_index(compact.removeprefix("+86")),
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
    if by in {"id_number", "phone"} and not found:
        account_failed_lookup(user=user)
    return found


def persons_named(viewer: User, ids: list[str]) -> dict[str, str]:
    """Names of the persons `ids` whom `viewer` may see, for the audit trail's sentences (the trail shows a name
    where the person's page would; names are not masked)."""
    pks = subject_pks(ids)
    return {str(pk): name for pk, name in person_scope(user=viewer).filter(pk__in=pks).values_list("pk", "name")}


def person_exists(sid: str) -> bool:
    return row_exists(Person, sid)
