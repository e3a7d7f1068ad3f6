"""Reads of persons, always scoped to what the actor may see.

Scope follows residence: a staff member sees a person who has a registration (current, or ended within
SCOPE_RETENTION_DAYS) at a unit inside the staff member's jurisdiction, or a stay at a hotel or hourly rental there
(open, or ended within STAY_SCOPE_DAYS). Anything else is "not found". Registrations and stays are reached by their
app labels (those apps sit above people).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.models import Exists, F, Min, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import AREA_KINDS, Capability, Kind, can
from residence.accounts.selectors import row_exists, subject_pks
from residence.accounts.services import account_failed_lookup
from residence.audit.actions import VALUES
from residence.audit.models import Event
from residence.audit.services import event_record
from residence.core import divisions
from residence.core.errors import NotFound, ValidationError
from residence.core.idnumber import normalise, parse_id_number
from residence.core.lean import prepared
from residence.people.identity import id_index, phone_index, redact_numbers, search_form
from residence.people.models import Person, PersonSearchKey
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
        area_path__startswith=path,
    ).values("person_id")
    stay = apps.get_model("stays", "Stay")
    closed = stay.objects.filter(stay_id=OuterRef("stay_id")).exclude(event="check_in")
    since = timezone.now() - dt.timedelta(days=settings.STAY_SCOPE_DAYS)
    staying = stay.objects.filter(event="check_in", area_path__startswith=path).filter(
        ~Exists(closed) | Exists(closed.annotate(at=Coalesce("departed_at", "declared_at")).filter(at__gte=since)),
    ).values("person_id")  # the same rule as _STAYING_SQL below
    return Person.objects.filter(Q(pk__in=in_area) | Q(pk__in=staying))


def _scoped_by_key(*, user: User, column: str, value: object, limit: int = 50) -> list[Person]:
    """Persons whose `column` equals `value` and whom the user may see: the hot path of a counter look-up (ID number,
    phone, record number), in parametrised statements that PostgreSQL prepares once instead of compiling the general
    scope query every time.

    By a unique column (record number, ID number) the person comes with whether a registration puts them in scope,
    one round trip; only a person found and not registered in the area is then checked for stays (a second). The
    planner so never plans the monthly stay partitions for the usual case, and the stay check reads the person's
    own stay rows once (`_STAYING_SQL`). By phone (shared by several persons) one statement does both."""
    if column not in {"id", "id_number_index", "phone_index"}:
        raise ValueError(column)
    if user.kind not in AREA_KINDS or not can(user, Capability.PERSON_VIEW):
        return []
    path = jurisdiction_path_for_user(user)
    if path is None:
        return []
    cutoff = timezone.localdate() - dt.timedelta(days=settings.SCOPE_RETENTION_DAYS)
    person, reg = (apps.get_model(a, m)._meta.db_table for a, m in [("people", "Person"),
                                                                     ("registrations", "Registration")])
    registered = (f"EXISTS (SELECT 1 FROM {reg} r WHERE r.person_id = p.id AND (r.ended_on IS NULL OR "
                  f"r.ended_on >= %s) AND r.area_path LIKE %s)")  # paths hold only digits and "/"
    staying = f"EXISTS ({_STAYING_SQL.format(stay=_stay_table(), person='p.id')})"
    if column == "phone_index":
        sql = prepared(f"SELECT p.* FROM {person} p WHERE p.{column} = %s AND ({registered} OR {staying}) "
                       f"ORDER BY p.name, p.id LIMIT %s")
        return list(Person.objects.raw(sql, [value, cutoff, path + "%", *_staying_params(path), limit]))
    found = list(Person.objects.raw(prepared(f"SELECT p.*, {registered} AS registered_here FROM {person} p "
                                             f"WHERE p.{column} = %s"), [cutoff, path + "%", value]))
    if not found or limit < 1:
        return []
    if found[0].registered_here:  # type: ignore[attr-defined]
        return found
    with connection.cursor() as cur:
        cur.execute(prepared(f"SELECT EXISTS ({_STAYING_SQL.format(stay=_stay_table(), person='%s')})"),
                    [found[0].pk, *_staying_params(path)])
        return found if cur.fetchone()[0] else []


# Guests of hotels and hourly rentals in an area: a check-in there whose stay is still open, or was closed (checked
# out, or closed because the guest checked in elsewhere) within STAY_SCOPE_DAYS. A stay's later rows (its check-out,
# or its closing by the system) repeat its check-in's person and area path (stays.services), so the person's own rows
# in the area, read once by the (person, arrived_at) index and grouped by stay, say it: no probe per check-in of
# every monthly partition for a later row.
_STAYING_SQL = (
    "SELECT 1 FROM {stay} s WHERE s.person_id = {person} AND s.area_path LIKE %s GROUP BY s.stay_id "
    "HAVING MAX(CASE WHEN s.event = 'check_in' THEN 1 ELSE 0 END) = 1 AND ("
    "MIN(CASE WHEN s.event = 'check_in' THEN 1 ELSE 0 END) = 1 OR "
    "MAX(CASE WHEN s.event <> 'check_in' AND COALESCE(s.departed_at, s.declared_at) >= %s THEN 1 ELSE 0 END) = 1)"
)


def _stay_table() -> str:
    return str(apps.get_model("stays", "Stay")._meta.db_table)


def _staying_params(path: str) -> list[Any]:
    return [path + "%", timezone.now() - dt.timedelta(days=settings.STAY_SCOPE_DAYS)]


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
        regs = regs.filter(area_path__startswith=path)
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
    address: str = ""  # where they live (or lived last) inside the viewer's area, when asked for; never outside

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


def persons_shown(*, user: User, persons: list[Person], addresses: bool = False) -> list[PersonShown]:
    """`persons` (already obtained through a scoped selector) as `user` may see them; with `addresses`, each with
    their address inside the user's area (to tell namesakes apart in a list)."""
    registration = apps.get_model("registrations", "Registration")
    first = dict(registration.objects.filter(person_id__in=[p.pk for p in persons]).values("person_id")
                 .annotate(first=Min("started_on")).values_list("person_id", "first"))
    where = _addresses_in_area(user, [p.pk for p in persons]) if addresses else {}
    today = timezone.localdate()
    return [_shown(user, p, birth_years_shown(p.birth_date, first.get(p.pk), today), where.get(p.pk, ""))
            for p in persons]


def _addresses_in_area(user: User, person_ids: list[int]) -> dict[int, str]:
    """Each person's unit (the open registration first, else the latest) among their registrations inside the
    user's jurisdiction: a district the person has left does not learn where they went."""
    path = jurisdiction_path_for_user(user) if user.kind in AREA_KINDS else None
    if path is None or not person_ids:
        return {}
    registration = apps.get_model("registrations", "Registration")
    regs = (registration.objects.filter(person_id__in=person_ids, area_path__startswith=path)
            .order_by("person_id", F("ended_on").desc(nulls_first=True), "-started_on", "-pk")
            .values_list("person_id", "unit__building__road", "unit__building__door_plate", "unit__building__name",
                         "unit__label"))
    out: dict[int, str] = {}
    for pid, road, door_plate, building, label in regs:  # as str(unit): the building, then the room
        out.setdefault(pid, f"{road}{door_plate}{building} {label}")
    return out


def person_shown(*, user: User, person: Person) -> PersonShown:
    return persons_shown(user=user, persons=[person])[0]


def _shown(user: User, person: Person, born: tuple[int, int], address: str = "") -> PersonShown:
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
        phone_masked=person.phone_masked, hukou_address=person.hukou_address, address=address,
    )


_ID_LIKE = re.compile(r"^[0-9]{17}[0-9Xx]$")
_ID_WRONG_LENGTH = re.compile(r"^[0-9]{14,17}[0-9Xx]$|^[0-9]{19,20}$")  # ID-like, but not 18 characters
_PHONE_LIKE = re.compile(r"^(\+86)?1[0-9]{10}$")
_LETTERS = re.compile(r"^[a-z]{1,40}$")
PAGE_SIZE = 50
COUNT_CAP = 1000  # counted exactly up to this many persons, shown as "more than" beyond


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of a search: the persons in order, how many were found (exact up to COUNT_CAP; `more` when there
    are more than that) and where the next page starts (None on the last page)."""

    persons: list[Person]
    by: str
    count: int
    more: bool = False
    next_after: tuple[str, int] | None = None


def person_search(*, user: User, query: str, limit: int = PAGE_SIZE) -> list[Person]:
    """The first page of person_search_page, as a list (the API and the counter look-ups)."""
    return person_search_page(user=user, query=query, limit=limit).persons


def person_search_page(*, user: User, query: str, after: tuple[str, int] | None = None,
                       limit: int = PAGE_SIZE) -> SearchPage:
    """Exact ID number, exact phone, or a prefix of the name, of its full pinyin or of its pinyin initials (every
    reading of polyphonic characters; spaces ignored: 王 芳, wang fang), within the user's scope; a page of `limit`
    after the key `after` (the previous page's next_after), in a stable order.

    An ID number that cannot exist (wrong check character, impossible date, unknown division, wrong length) is
    refused with the reason ("号码无效"), without a look-up. A look-up by ID number or phone that finds nobody counts
    towards the account's daily limit; the one that reaches it locks the account (AccountLocked)."""
    q = (query or "").strip()
    if not q or not can(user, Capability.PERSON_SEARCH):
        return SearchPage([], "none", 0)
    compact = normalise(q)  # full-width digits (a Chinese input method), spaces and hyphens as typed
    if _ID_LIKE.match(compact) or _ID_WRONG_LENGTH.match(compact):
        by = "id_number"
        try:
            id_number = parse_id_number(compact).value
        except ValidationError as exc:  # the number itself goes nowhere: not into the message, the trail or a log
            raise ValidationError(_("Invalid number: %(reason)s") % {"reason": exc.message}, code=exc.code,
                                  field="q") from None
        found = _scoped_by_key(user=user, column="id_number_index", value=id_index(id_number), limit=limit)
        page = SearchPage(found, by, len(found))
    elif _PHONE_LIKE.match(compact):
        by = "phone"
        found = _scoped_by_key(user=user, column="phone_index", value=phone_index(compact.removeprefix("+86")),
                               limit=limit)
        page = SearchPage(found, by, len(found))
    else:
        form = search_form(q)
        by = "pinyin" if _LETTERS.match(form) else "name"
        page = _by_form(user=user, form=form, by=by, after=after, limit=limit)
    # The query itself may be an ID or phone number: log how the search was made, never what was typed.
    event_record(actor=user, action="person.searched",
                 data={"by": by, "results": len(page.persons), "next_page": after is not None})
    if by in {"id_number", "phone"} and not page.persons:
        account_failed_lookup(user=user)
    return page


def scope_areas(user: User) -> list[str]:
    """The paths of every area inside the user's jurisdiction, itself included (cached on the user object): a
    registration's area path is one of them exactly when it lies in scope."""
    cached: list[str] | None = getattr(user, "_scope_areas", None)
    if cached is None:
        path = jurisdiction_path_for_user(user)
        cached = [] if path is None else sorted(apps.get_model("places", "Jurisdiction").objects.filter(
            path__startswith=path).values_list("path", flat=True))
        user._scope_areas = cached  # type: ignore[attr-defined]
    return cached


_TOP = "\U0010ffff"  # sorts after every character: [form, form + _TOP) is "starts with form", bytewise


def _by_form(*, user: User, form: str, by: str, after: tuple[str, int] | None, limit: int) -> SearchPage:
    """Persons with a search key starting with `form` in the user's areas: one index range per area (PersonSearchKey),
    a person once, at their first matching key, ordered by (key, person)."""
    if user.kind not in AREA_KINDS or not can(user, Capability.PERSON_VIEW) or not form:
        return SearchPage([], by, 0)
    areas = scope_areas(user)
    if not areas:
        return SearchPage([], by, 0)
    cutoff = timezone.localdate() - dt.timedelta(days=settings.SCOPE_RETENTION_DAYS)
    keys = PersonSearchKey._meta.db_table
    in_areas, area_params = _in_list(areas)

    def scoped(k: str) -> str:
        return (f"{k}.area_path {in_areas} AND {k}.form >= %s AND {k}.form < %s "
                f"AND ({k}.ended_on IS NULL OR {k}.ended_on >= %s)")

    params: list[Any] = [*area_params, form, form + _TOP, cutoff]
    keyset: list[Any] = [after[0], after[0], after[1]] if after else []
    # One round trip: the page (a person once, at their first matching key: the same forms are stamped at every
    # area, so that key is in scope too) and, beside it, the distinct persons among the first `batch` keys.
    page_sql = (f"SELECT DISTINCT k.form, k.person_id FROM {keys} k WHERE {scoped('k')}"
                f"{' AND (k.form > %s OR (k.form = %s AND k.person_id > %s))' if after else ''} AND NOT EXISTS ("
                f"SELECT 1 FROM {keys} d WHERE d.person_id = k.person_id AND d.form >= %s AND d.form < k.form) "
                f"ORDER BY k.form, k.person_id LIMIT %s")
    count_sql = (f"SELECT COUNT(DISTINCT x.person_id) AS persons, COUNT(*) AS keys FROM ("
                 f"SELECT k.person_id FROM {keys} k WHERE {scoped('k')} LIMIT %s) x")
    # a name has one key per area; a pinyin prefix matches several forms of one person (initials, every reading)
    batch = (2 if by == "name" else 8) * (COUNT_CAP + 1)
    found = list(Person.objects.raw(
        f"WITH page AS ({page_sql}), counted AS ({count_sql}) SELECT p.*, page.form AS search_key, "
        f"counted.persons AS n_persons, counted.keys AS n_keys FROM counted LEFT JOIN page ON 1 = 1 "
        f"LEFT JOIN {Person._meta.db_table} p ON p.id = page.person_id ORDER BY page.form, page.person_id",
        [*params, *keyset, form, limit + 1, *params, batch]))
    n_persons, n_keys = found[0].n_persons, found[0].n_keys  # type: ignore[attr-defined]
    found = [p for p in found if p.pk is not None]
    while n_persons <= COUNT_CAP and n_keys == batch:  # many keys per person: read on until it is certain
        batch *= 4
        with connection.cursor() as cur:
            cur.execute(count_sql, [*params, batch])
            n_persons, n_keys = cur.fetchone()
    persons = found[:limit]
    next_after = (persons[-1].search_key, persons[-1].pk) if len(found) > limit else None  # type: ignore[attr-defined]
    return SearchPage(persons, by, min(n_persons, COUNT_CAP), n_persons > COUNT_CAP, next_after)


def _in_list(values: list[str]) -> tuple[str, list[Any]]:
    """`= ANY(%s)` with one array on PostgreSQL (one statement whatever the scope's size), `IN (…)` elsewhere."""
    if connection.vendor == "postgresql":
        return "= ANY(%s)", [values]
    return f"IN ({', '.join(['%s'] * len(values))})", list(values)


def persons_named(viewer: User, ids: list[str]) -> dict[str, str]:
    """Names of the persons `ids` whom `viewer` may see, for the audit trail's sentences (the trail shows a name
    where the person's page would; names are not masked)."""
    pks = subject_pks(ids)
    return {str(pk): name for pk, name in person_scope(user=viewer).filter(pk__in=pks).values_list("pk", "name")}


def person_exists(sid: str) -> bool:
    return row_exists(Person, sid)


@dataclass(frozen=True, slots=True)
class ReadShown:
    """One read of a person's record as the person sees it: which office, when, for what; never the staff member."""

    at: dt.datetime
    office: str
    what: str
    purpose: str


READ_ACTIONS = ("person.record.viewed", "person.identity.unmasked")


def person_reads_for_resident(*, user: User, person: Person, limit: int = 100) -> list[ReadShown]:
    """Who read the resident's own record, newest first, from the read log: the office (the reader's area and role,
    or a department's name), when and the purpose. Their own reads are left out, and so are reads made while an
    investigation hold on them lasts, until it ends."""
    if not _is_own(user, person):
        return []
    now = timezone.now()
    events = (Event.objects.filter(subject_type="person", subject_id=str(person.pk), action__in=READ_ACTIONS)
              .exclude(actor_id=user.pk).order_by("-id"))
    for start, until in person.read_holds.filter(until__gt=now).values_list("starts_at", "until"):
        events = events.exclude(occurred_at__gte=start, occurred_at__lte=until)
    shown = list(events[:limit])
    readers = {u.pk: u for u in User.objects.filter(pk__in={e.actor_id for e in shown if e.actor_id})}
    areas = dict(apps.get_model("places", "Jurisdiction").objects.filter(
        code__in={u.jurisdiction_code for u in readers.values()}).values_list("code", "name"))
    words = VALUES["purpose"]
    out = []
    for e in shown:
        reader = readers.get(e.actor_id) if e.actor_id else None
        if reader is None:
            office = str(_("the system"))
        elif reader.kind == Kind.DEPARTMENT:
            office = reader.display_name or str(reader.get_role_display())
        elif reader.kind == Kind.OBLIGOR:  # the landlord or employer where they live: its role, never a person's name
            office = str(reader.get_role_display())
        else:
            office = f"{areas.get(reader.jurisdiction_code, reader.jurisdiction_code)} · {reader.get_role_display()}"
        purpose = str(e.data.get("purpose", ""))
        out.append(ReadShown(at=e.occurred_at, office=office,
                             what=str(_("full ID and phone numbers") if e.action == "person.identity.unmasked"
                                      else _("your record")),
                             purpose=str(words[purpose]) if purpose in words else purpose))
    return out
