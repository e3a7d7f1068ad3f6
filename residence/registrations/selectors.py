"""Reads of registrations, scoped to the actor: who lives at a building's units, as the viewer may see them; a
person's residence timeline with its continuity."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import AREA_KINDS, Capability, can
from residence.audit.services import event_record
from residence.core.divisions import county_of
from residence.core.errors import NotFound
from residence.core.lean import cols, prepared, reader
from residence.core.rules import continuity_kinds, residence_continuity
from residence.people.selectors import PersonShown, person_get_for_user, persons_shown
from residence.places.models import Building, Jurisdiction, Obligor, Unit
from residence.places.selectors import jurisdiction_path_for_user, obligor_of
from residence.registrations.certificate import Certificate, certificate_number
from residence.registrations.models import (
    DoorCheck,
    PlaceClass,
    Registration,
    RegistrationRevision,
    RegistrationStatus,
)
from residence.stays.models import Stay, StayEvent

RESIDENTS_SHOWN = 500  # residents listed on one page (a building of a thousand flats is split by unit)


def unit_residents(*, user: User, units: list[Unit], subject: str) -> dict[int, list[tuple[Registration, PersonShown]]]:
    """The persons registered now at these units (already obtained through a scoped selector), each with their
    registration, masked as `user` may see them, by unit. Only registrations inside the user's jurisdiction count;
    the listing is recorded like a search (how many, not who)."""
    path = jurisdiction_path_for_user(user)
    if path is None or not units:
        return {}
    regs = list(Registration.objects.current().filter(unit__in=units, area_path__startswith=path)
                .select_related("person").order_by("unit_id", "person__name", "person_id")[:RESIDENTS_SHOWN])
    shown = {p.id: p for p in persons_shown(user=user, persons=list({r.person_id: r.person for r in regs}.values()))}
    out: dict[int, list[tuple[Registration, PersonShown]]] = {}
    for r in regs:
        out.setdefault(r.unit_id, []).append((r, shown[r.person_id]))
    event_record(actor=user, action="place.residents.listed", subject_type="place", subject_id=subject[:60],
                 data={"results": len(regs)})
    return out


def obligor_pending(*, obligor: Obligor, limit: int = RESIDENTS_SHOWN) -> list[Registration]:
    """Residents' own declarations at the obligor's units that wait for its confirmation."""
    return list(Registration.objects.current().filter(unit__obligor=obligor, status=RegistrationStatus.PENDING)
                .select_related("person", "unit__building").order_by("declared_at", "pk")[:limit])


def obligor_history(*, obligor: Obligor, days: int = 90, limit: int = 200) -> list[Registration]:
    """The obligor's recent declarations that are no longer current (departures and withdrawals), newest first."""
    since = timezone.localdate() - dt.timedelta(days=days)
    return list(Registration.objects.filter(unit__obligor=obligor)
                .filter(Q(ended_on__gte=since) | Q(status=RegistrationStatus.CANCELLED, cancelled_at__date__gte=since))
                .select_related("person", "unit").order_by("-ended_on", "-pk")[:limit])


def pending_in_area(*, user: User, limit: int = RESIDENTS_SHOWN) -> list[Registration]:
    """Residents' own declarations inside the staff member's area that wait for a check, oldest first."""
    path = jurisdiction_path_for_user(user) if can(user, Capability.REGISTRATION_RECORD) else None
    if path is None:
        return []
    rows = list(Registration.objects.current().filter(status=RegistrationStatus.PENDING, area_path__startswith=path)
                .select_related("person", "unit__building").order_by("declared_at", "pk")[:limit])
    event_record(actor=user, action="registration.pending.listed", data={"results": len(rows)})
    return rows


def registration_get_for_user(*, user: User, registration_id: int) -> Registration:
    """One registration for the obligor of its unit, or for staff who record registrations in whose area it lies;
    anything else is "not found"."""
    qs = Registration.objects.filter(pk=registration_id).select_related("person", "unit__building",
                                                                        "declared_by_account")
    obligor = obligor_of(user=user)
    if obligor is not None:
        qs = qs.filter(unit__obligor=obligor)
    elif can(user, Capability.REGISTRATION_RECORD) and (path := jurisdiction_path_for_user(user)) is not None:
        qs = qs.filter(area_path__startswith=path)
    else:
        qs = qs.none()
    found = qs.first()
    if found is None:
        raise NotFound(_("No such registration."))
    return found


def registration_view(*, user: User, registration_id: int) -> Registration:
    """registration_get_for_user for a page that shows it: the read of the person's data is recorded."""
    registration = registration_get_for_user(user=user, registration_id=registration_id)
    event_record(actor=user, action="person.record.viewed", subject_type="person", subject_id=registration.person_id,
                 data={"purpose": "registration.opened", "registration": registration.pk})
    return registration


def registration_history(*, registration: Registration) -> tuple[list[RegistrationRevision], list[DoorCheck]]:
    """What happened to a registration after it was declared: its revisions and the grid workers' visits."""
    return (list(registration.revisions.select_related("by").order_by("at", "pk")),
            list(registration.door_checks.order_by("checked_at", "pk")))


def obligor_residents(*, obligor: Obligor, limit: int = RESIDENTS_SHOWN) -> list[Registration]:
    """Who is registered now at the obligor's units, by unit then name: the obligor's own tenants or workers, whom
    its declarations put there (names and masked ID numbers only reach the page)."""
    return list(Registration.objects.current().filter(unit__obligor=obligor)
                .select_related("person", "unit__building").order_by("unit__code", "person__name", "pk")[:limit])


# ==== a person's residence timeline =================================================================================
STAYS_SHOWN = 50  # hotel stays on a timeline (the latest); registrations are all shown
NOWHERE = "\x00"  # the area path of a staff member without a jurisdiction: no path starts with it
OUTSIDE = "outside"  # the area of an interval outside the viewer's jurisdiction, as a break names it


@dataclass(frozen=True)
class TimelineRow:
    """One interval of a person's timeline as the viewer may see it. Outside the viewer's area: dates and kind
    only (`outside`, no address, no declaration)."""

    kind: str  # "registration" (a long-term place) | "stay" (an instant place: a hotel, an hourly rental)
    start: dt.date
    end: dt.date | None  # the last day (inclusive); None: still there
    outside: bool
    address: str = ""
    place_label: str = ""
    declared_by: str = ""
    late: bool | None = None  # None: not known (imported before declarations were kept, or outside)
    counts: bool = True  # whether the locality's rules count this kind of record as registered time
    registration_id: int | None = None  # a current registration the viewer may print a certificate of


@dataclass(frozen=True)
class Bar:
    """One interval drawn on the timeline's picture: x and width in the picture's units (see `timeline_picture`)."""

    x: float
    width: float
    lane: str  # "registration" | "outside" | "stay"
    title: str


@dataclass(frozen=True)
class Picture:
    """Geometry of the server-rendered SVG: a bar of the years, the intervals on it, a mark for today."""

    width: int
    years: list[tuple[float, int]]  # (x, year) of each year's first day
    bars: list[Bar]
    today_x: float
    label_every: int = 1  # a year's number under every n-th year (they would overlap on a phone)


@dataclass(frozen=True)
class Timeline:
    rows: list[TimelineRow]  # newest first
    as_of: dt.date
    days: int  # continuous registered days as of `as_of`
    run_start: dt.date | None
    sentence: str  # the continuity in one sentence
    breaks: list[str]  # what broke it, one sentence each, oldest first
    notes: list[str]
    register_only: bool
    register_only_below_days: int
    picture: Picture
    stays_left_out: bool = False  # more stays than STAYS_SHOWN


def _area_words(label: str | None) -> str:
    """The engine's label of an area ("盐田区 (440308)") without its code, for a sentence."""
    return (label or "").split(" (")[0]


class _Stay(NamedTuple):
    """A stay on a timeline: the local day of its check-in, its check-in row's facts, its unit's address (inside the
    viewer's area only), and the local day it closed (None: open)."""

    start: dt.date
    area_path: str
    late: bool
    address: str
    closed: dt.date | None


@cache
def _stays_sql(vendor: str, tzname: str) -> tuple[str, tuple[Any, ...]]:
    """The statement of `_stay_rows` for the database in use (`vendor`, a cache key) and the local time zone, with
    the parameters that come before the person's: written once, and prepared (core.lean): planning it over every
    monthly partition took PostgreSQL longer than running it (at 10 million stays, 3.9 ms a statement unprepared
    against 1.7 ms prepared).
    PostgreSQL gives the local days of the arrival and of the closing; elsewhere the moments come as they are
    (SQLite keeps them as text, those written by core.bulk with their offset, which its date function misreads) and
    `_stay_day` makes days of them."""
    stay, unit, building = (m._meta.db_table for m in (Stay, Unit, Building))
    arrived, closed, params = "s.arrived_at", "COALESCE(s.departed_at, s.declared_at)", ()
    if vendor == "postgresql":
        arrived, arrived_params = connection.ops.datetime_cast_date_sql(arrived, (), tzname)
        closed, closed_params = connection.ops.datetime_cast_date_sql(closed, (), tzname)
        params = (*arrived_params, *closed_params)
    sql = (f"SELECT s.stay_id, s.event, {arrived}, {closed}, s.late, s.area_path, b.road, b.door_plate, b.name, "
           f"u.label FROM (SELECT id, stay_id, event, arrived_at, departed_at, declared_at, late, area_path, unit_id "
           f"FROM {stay} WHERE person_id = %s ORDER BY arrived_at DESC, id DESC LIMIT {STAYS_SHOWN * 2 + 1}) s "
           f"LEFT JOIN {unit} u ON u.id = s.unit_id AND s.event = %s AND s.area_path LIKE %s "
           f"LEFT JOIN {building} b ON b.id = u.building_id ORDER BY s.arrived_at DESC, s.id DESC")
    return prepared(sql), params


def _stay_day(value: Any) -> dt.date:
    """A local day of `_stays_sql`'s rows: PostgreSQL's as it is, elsewhere that of the moment as the ORM reads it."""
    if type(value) is dt.date:
        return value
    return timezone.localtime(reader(Stay._meta.get_field("arrived_at"))(value)).date()


def _stay_rows(person_id: int, inside: str | None) -> tuple[list[_Stay], bool]:
    """The person's latest stays: one range of the (person, arrived_at) index; the closing rows name the same stay
    and carry the same arrival, so they come along. `inside`: the LIKE pattern of the viewer's area (None: nothing
    is inside).

    One statement written once (`_stays_sql`) rather than a queryset compiled on every call, and one round trip: the
    addresses of the check-ins' units inside the area come joined to the latest rows (a subquery with a constant
    limit, so that any plan, a generic one of a prepared statement included, probes the unit by its key for each
    of them instead of walking the unit table), and PostgreSQL computes the local days (loading a hundred timestamps
    and converting them cost a tenth of the timeline). Rows as tuples: a hundred model instances cost more than the
    query."""
    sql, before = _stays_sql(connection.vendor, timezone.get_current_timezone_name())
    with connection.cursor() as cur:
        cur.execute(sql, [*before, person_id, StayEvent.CHECK_IN.value, inside])
        rows = cur.fetchall()
    more = len(rows) > STAYS_SHOWN * 2
    closed = {stay_id: _stay_day(day) for stay_id, event, _a, day, *_rest in rows if event != StayEvent.CHECK_IN}
    return [_Stay(_stay_day(arrived), area_path, bool(late),
                  "" if road is None else Unit.address_of(Building.address_of(road, door_plate, name), label),
                  closed.get(stay_id))
            for stay_id, event, arrived, _c, late, area_path, road, door_plate, name, label in rows
            if event == StayEvent.CHECK_IN][:STAYS_SHOWN], more


@cache
def _registrations_sql(vendor: str) -> str:
    """The statement of `_registration_rows` for the database in use (`vendor`, a cache key)."""
    reg, unit, building = cols(Registration, "r"), cols(Unit, "u"), cols(Building, "b")
    return prepared(f"SELECT {reg.sql}, {unit.sql}, {building.sql} FROM {Registration._meta.db_table} r "
                    f"JOIN {Unit._meta.db_table} u ON u.id = r.unit_id "
                    f"JOIN {Building._meta.db_table} b ON b.id = u.building_id "
                    f"WHERE r.person_id = %s AND r.status <> %s ORDER BY r.started_on DESC, r.id DESC")


def _registration_rows(person_id: int) -> list[Registration]:
    """The person's standing registrations (`RegistrationQuerySet.standing`: not withdrawn), newest first, with their
    units and buildings: one statement written once (core.lean), instances built as the ORM would have fetched
    them, without compiling a queryset on every timeline."""
    reg, unit, building = cols(Registration, "r"), cols(Unit, "u"), cols(Building, "b")
    with connection.cursor() as cur:
        cur.execute(_registrations_sql(connection.vendor), [person_id, RegistrationStatus.CANCELLED.value])
        rows = cur.fetchall()
    out = []
    for row in rows:
        r, u = reg.build(row), unit.build(row, len(reg))
        u.building = building.build(row, len(reg) + len(unit))
        r.unit = u
        out.append(r)
    return out


def residence_timeline(*, user: User, person_id: int, as_of: dt.date | None = None) -> Timeline:
    """A person's registrations and hotel stays across units and years, with their continuous registered residence
    as of `as_of` (today) under the locality's rules and what broke it.

    Scope: a staff member sees the person only when `person_get_for_user` does (else NotFound), and of the intervals
    only those inside their own area in full; the others are dated rows "outside your area", with no address, and a
    break names no area outside. Continuity is computed over all of them. A resident sees all of their own.
    At most three queries (the person in scope, the registrations with their units, the latest stays by the
    (person, arrived_at) index with the addresses of those inside the area), whatever the number of stays in the
    table; four when the person is in scope by a stay only (`person_get_for_user`). The last two are statements
    written once rather than querysets compiled on every call: compiling them cost more than the database took."""
    as_of = as_of or timezone.localdate()
    if user.kind in AREA_KINDS:
        person = person_get_for_user(user=user, person_id=person_id)
        path = jurisdiction_path_for_user(user) or NOWHERE
    elif can(user, Capability.RECORD_OWN) and user.person_id == person_id:
        person, path = None, ""
    else:
        raise NotFound(_("No such person."))
    person_pk = person.pk if person is not None else person_id
    registrations = _registration_rows(person_pk)
    stays, more = _stay_rows(person_pk, None if path == NOWHERE else path + "%")  # paths hold only digits and "/"
    counted = continuity_kinds(as_of)
    instant, stays_count = str(PlaceClass.INSTANT.label), "instant_stay" in counted

    intervals: list[dict[str, Any]] = []
    rows: list[TimelineRow] = []
    inside_codes: set[str] = set()
    for r in registrations:
        code, inside = county_of(r.area_path), r.area_path.startswith(path)
        intervals.append({"from": r.started_on, "to": r.ended_on, "area": code, "kind": "registration"})
        if inside:
            inside_codes.add(code)
            rows.append(TimelineRow(
                "registration", r.started_on, r.ended_on, False, address=str(r.unit),
                place_label=str(r.get_place_class_display()), declared_by=str(r.get_declared_by_display()),
                late=r.late if r.declared_at else None, counts="registration" in counted,
                registration_id=r.pk if r.ended_on is None else None))
        else:
            rows.append(TimelineRow("registration", r.started_on, r.ended_on, True,
                                    counts="registration" in counted))
    for s in stays:
        start = s.start
        end = max(s.closed, start) if s.closed else None
        intervals.append({"from": start, "to": end, "area": county_of(s.area_path), "kind": "instant_stay"})
        if s.area_path.startswith(path):
            rows.append(TimelineRow("stay", start, end, False, address=s.address, place_label=instant, late=s.late,
                                    counts=stays_count))
        else:
            rows.append(TimelineRow("stay", start, end, True, counts=stays_count))
    rows.sort(key=lambda row: (row.start, row.end or dt.date.max), reverse=True)

    found = residence_continuity(intervals, as_of)
    result = found.result
    shown = (lambda code: True) if not path else (lambda code: code in inside_codes)

    def area(code: str, label: str) -> str:
        return _area_words(label) if code and shown(code) else str(_("outside your area"))

    if result.run_start is None:
        sentence = _("No registration in force on %(day)s.") % {"day": as_of.isoformat()}
    else:
        sentence = _("Registered continuously in %(area)s since %(start)s: %(days)d days (as of %(day)s).") % {
            "area": area(result.area or "", result.area_label or ""), "start": result.run_start.isoformat(),
            "days": result.days, "day": as_of.isoformat()}
    breaks = []
    for b in result.breaks:
        if b.kind == "gap":
            breaks.append(_("No registration from %(start)s to %(end)s (%(days)d days): continuity broke.") % {
                "start": b.start.isoformat(), "end": b.end.isoformat() if b.end else "", "days": b.days})
        elif b.kind == "move":
            breaks.append(_("On %(day)s a move from %(from)s to %(to)s, another area: continuity broke.") % {
                "day": b.start.isoformat(), "from": area(b.from_area, b.from_label), "to": area(b.to_area, b.to_label)})
        else:
            breaks.append(_("The registration ended on %(day)s; none is in force since.") % {
                "day": (b.start - dt.timedelta(days=1)).isoformat()})
    # the engine's other remarks name areas in its own words: shown to the resident, and to staff only when every
    # registration is inside their area
    notes = [zh for zh, _en in result.notes] if not path or all(not r.outside for r in rows) else []
    return Timeline(rows=rows, as_of=as_of, days=result.days, run_start=result.run_start, sentence=sentence,
                    breaks=breaks, notes=notes, register_only=found.register_only,
                    register_only_below_days=found.register_only_below_days,
                    picture=timeline_picture(rows, as_of), stays_left_out=more)


PICTURE_WIDTH = 360  # picture units; the SVG scales to the page's width (a phone's 390 px, a desktop's column)
_MIN_BAR = 3.0  # a one-day stay stays visible on a phone


def timeline_picture(rows: list[TimelineRow], as_of: dt.date) -> Picture:
    """Where each interval lies on a bar of the years from the first year on the timeline to `as_of`'s year."""
    first_year = min([r.start.year for r in rows] + [as_of.year])
    if as_of.year - first_year > 11:  # a long life: the last twelve years
        first_year = as_of.year - 11
    begin, end = dt.date(first_year, 1, 1), dt.date(as_of.year + 1, 1, 1)
    span = (end - begin).days

    def x(day: dt.date) -> float:
        return round(PICTURE_WIDTH * max(0, min(span, (day - begin).days)) / span, 1)

    bars = []
    for r in sorted(rows, key=lambda row: (row.kind == "stay", row.start)):  # stays drawn over registrations
        last = r.end or as_of
        if last < begin:
            continue
        left, right = x(r.start), x(last + dt.timedelta(days=1))
        lane = "stay" if r.kind == "stay" else "outside" if r.outside else "registration"
        title = f"{r.start.isoformat()} – {r.end.isoformat() if r.end else _('now')}"
        bars.append(Bar(left, max(round(right - left, 1), _MIN_BAR), lane, title))
    years = [(x(dt.date(y, 1, 1)), y) for y in range(first_year, as_of.year + 1)]
    return Picture(PICTURE_WIDTH, years, bars, x(as_of), 1 if len(years) <= 8 else 2)


def registration_certificate(*, user: User, registration_id: int) -> Certificate:
    """What the certificate of a current registration says, for whoever may print it: the resident (their own), the
    obligor of the unit (its current residents), a staff member when the person is in their scope and the
    registration inside their area. Anyone else, or an ended registration: NotFound. Every print is recorded as a read
    of the person's data."""
    reg = None
    if 0 < registration_id < 2**63:
        reg = (Registration.objects.current().select_related("person", "unit__building")
               .filter(pk=registration_id, status=RegistrationStatus.CONFIRMED).first())
    if reg is None:
        raise NotFound(_("No such registration."))
    if user.kind in AREA_KINDS:
        person_get_for_user(user=user, person_id=reg.person_id)  # NotFound when the person is out of scope
        path = jurisdiction_path_for_user(user)
        if path is None or not reg.area_path.startswith(path):
            raise NotFound(_("No such registration."))
    elif can(user, Capability.RECORD_OWN) and user.person_id is not None:
        if user.person_id != reg.person_id:
            raise NotFound(_("No such registration."))
    else:
        obligor = obligor_of(user=user)
        if obligor is None or reg.unit.obligor_id != obligor.pk:
            raise NotFound(_("No such registration."))
    today = timezone.localdate()
    county = county_of(reg.area_path)
    intervals = [{"from": start, "to": end, "area": county_of(area), "kind": "registration"}
                 for start, end, area in Registration.objects.standing().filter(person_id=reg.person_id,
                                                                               started_on__lte=today)
                 .values_list("started_on", "ended_on", "area_path")]
    found = residence_continuity(intervals, today)
    issued_by = Jurisdiction.objects.filter(code=county).values_list("name", flat=True).first() or county
    number = certificate_number(area_code=county, started_on=reg.started_on, registration_id=reg.pk)
    event_record(actor=user, action="registration.certificate.printed", subject_type="person",
                 subject_id=reg.person_id, data={"registration": reg.pk, "certificate": number})
    return Certificate(
        number=number, name=reg.person.name, id_number_masked=reg.person.id_number_masked, address=str(reg.unit),
        registered_since=reg.started_on, declared_by=str(reg.get_declared_by_display()) if reg.declared_by else "",
        declared_at=timezone.localtime(reg.declared_at) if reg.declared_at else None, issued_by=issued_by,
        printed_on=today, register_only=found.register_only,
        register_only_below_days=found.register_only_below_days, continuous_days=found.result.days)
