"""Declaration compliance per obligor: how many declarations fell due in a period, how many the obligor made on
time, late (and by how long), never made, and which departures are overdue now. Set-based: one GROUP BY per kind of
row (registrations' arrivals, their departures, overdue registrations, and the stays of stays.compliance), merged
by obligor; no query per obligor.

Definitions (written out in docs/domain.md, "Declaration compliance"):

- an **arrival** at an obligor's unit is due in the period when it happened in the period (`started_on`); a
  **departure** when the registration ended in the period (`ended_on`) and its departure was recorded. Withdrawn
  registrations never count; records imported before declarations were kept (no `declared_by`) do not either;
- **on time**: the obligor itself declared it by the deadline (`late` false; the deadline from residence_rules);
  **late**: the obligor declared it after the deadline, by `declared_at − due_at`;
- **never declared** (by the obligor): someone else did: the resident (pending or confirmed), a clerk at the
  counter, a grid worker at the door (an undeclared resident found there, or a moved-out found by a door check).
  It counts as due and not on time;
- **overdue departure**: a registration still open whose expected departure (`expected_ended_on`) passed more than
  the departure deadline ago (rentals: the tenant-change days; other long-term places: the departure days);
- **on-time rate** = on time ÷ due.

The 90-day figures read registrations by unit (the unit index) and stays by declaration month (the partition key).
If a whole city's list grows too slow, a daily rollup per obligor refreshed by the worker is the next step.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache

from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Q, QuerySet
from django.utils import timezone

from residence.accounts.models import User
from residence.accounts.roles import Capability, can
from residence.audit.services import event_record
from residence.core.errors import NotFound
from residence.core.rules import declarations_due
from residence.people.selectors import PersonShown, persons_shown
from residence.places.models import Obligor
from residence.places.selectors import jurisdiction_path_for_user, reminder_latest
from residence.registrations.models import DeclaredBy, Registration
from residence.stays.compliance import (
    PERIOD_DAYS,
    Tally,
    departure_grace,
    stays_late_delays,
    stays_late_rows,
    stays_overdue_rows,
    stays_tally,
    tally_summary,
)

LISTED = 100  # obligors on one page of the officer's list
ROWS = 100  # late or missing declarations on one obligor's page

ARRIVAL_DELAY = ExpressionWrapper(F("declared_at") - F("due_at"), output_field=DurationField())
BY_OBLIGOR = Q(declared_by=DeclaredBy.OBLIGOR)
BY_OBLIGOR_LEAVING = Q(departure_declared_by=DeclaredBy.OBLIGOR)


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    today = today or timezone.localdate()
    return today - dt.timedelta(days=PERIOD_DAYS - 1), today


@cache
def _offset(place_class: str, event: str, day: dt.date) -> dt.timedelta:
    """How long after the start of the day of an arrival or departure its declaration is due, under the rules in
    force (day-counted deadlines end at a day's end, so the offset is the same for every day)."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    [(due, _late)] = declarations_due(place_class, event, [(start, start)])
    return due - start


def declaration_offset(place_class: str, event: str, day: dt.date | None = None) -> dt.timedelta:
    """`_offset` for the rules in force on `day` (default today): what the bulk writers add to the start of an
    arrival's or departure's day to get its deadline (the demo; residence_rules stays the one source)."""
    return _offset(place_class, event, day or timezone.localdate())


def departure_due(day: dt.date, rental: bool) -> dt.datetime:
    """When the declaration of a departure on `day` from a rental unit (or another long-term place) is due, under the
    rules in force that day: the deadline `services._depart` applies (registrations keep none for departures)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min)) + declaration_offset(
        "rental" if rental else "long_term", "departure", day)


def overdue_cutoffs(now: dt.datetime | None = None) -> dict[bool, dt.date]:
    """For rental units (True) and other long-term places (False): the latest expected departure day whose
    declaration deadline has passed by `now`."""
    now = now or timezone.now()
    out = {}
    for rental, place_class in ((True, "rental"), (False, "long_term")):
        limit = timezone.localtime(now - declaration_offset(place_class, "departure"))
        day = limit.date()
        if limit.time() == dt.time.min:  # exactly at a deadline: not yet past it
            day -= dt.timedelta(days=1)
        out[rental] = day
    return out


def registrations_overdue(*, now: dt.datetime | None = None) -> QuerySet[Registration]:
    """Open registrations (pending ones included) at obligors' units whose expected departure is overdue."""
    cut = overdue_cutoffs(now)
    return (Registration.objects.current().filter(unit__obligor__isnull=False)
            .filter(Q(unit__is_rental=True, expected_ended_on__lte=cut[True])
                    | Q(unit__is_rental=False, expected_ended_on__lte=cut[False])))


def _declared(qs: QuerySet[Registration]) -> QuerySet[Registration]:
    return qs.standing().exclude(declared_by="").filter(unit__obligor__isnull=False)  # type: ignore[attr-defined]


def registrations_tally(*, since: dt.date, until: dt.date, obligor_ids: list[int] | None = None,
                        area_path: str | None = None) -> dict[int, Tally]:
    """Per obligor of the units: arrivals and departures due in [since, until] and overdue departures now."""
    base = _declared(Registration.objects.all())
    overdue = registrations_overdue()
    if obligor_ids is not None:
        base, overdue = base.filter(unit__obligor_id__in=obligor_ids), overdue.filter(unit__obligor_id__in=obligor_ids)
    if area_path is not None:
        base, overdue = base.filter(area_path__startswith=area_path), overdue.filter(area_path__startswith=area_path)
    out: dict[int, Tally] = {}
    arrivals = (base.filter(started_on__gte=since, started_on__lte=until).values("unit__obligor_id").order_by()
                .annotate(n_due=Count("id"), n_on_time=Count("id", filter=BY_OBLIGOR & Q(late=False)),
                          n_late=Count("id", filter=BY_OBLIGOR & Q(late=True)),
                          max_delay=Max(ARRIVAL_DELAY, filter=BY_OBLIGOR & Q(late=True))))
    for r in arrivals:
        t = out.setdefault(r["unit__obligor_id"], Tally())
        t.add(Tally(due=r["n_due"], on_time=r["n_on_time"], late=r["n_late"],
                    never=r["n_due"] - r["n_on_time"] - r["n_late"], max_late=r["max_delay"]))
    departures = (base.filter(ended_on__gte=since, ended_on__lte=until, departure_declared_at__isnull=False)
                  .values("unit__obligor_id").order_by()
                  .annotate(n_due=Count("id"),
                            n_on_time=Count("id", filter=BY_OBLIGOR_LEAVING & Q(departure_late=False)),
                            n_late=Count("id", filter=BY_OBLIGOR_LEAVING & Q(departure_late=True))))
    for r in departures:
        out.setdefault(r["unit__obligor_id"], Tally()).add(
            Tally(due=r["n_due"], on_time=r["n_on_time"], late=r["n_late"],
                  never=r["n_due"] - r["n_on_time"] - r["n_late"]))
    for r in overdue.values("unit__obligor_id").order_by().annotate(n=Count("id")):
        out.setdefault(r["unit__obligor_id"], Tally()).overdue += r["n"]
    return out


def _merged(*parts: dict[int, Tally]) -> dict[int, Tally]:
    out: dict[int, Tally] = {}
    for part in parts:
        for obligor_id, t in part.items():
            out.setdefault(obligor_id, Tally()).add(t)
    return out


def _with_medians(tallies: dict[int, Tally], *, since: dt.date, until: dt.date, area_path: str | None) -> None:
    """Fill the late delays of these (few) obligors, for their medians (and the longest, departures included): one
    query for arrivals, one for departures, one for stays."""
    ids = [i for i, t in tallies.items() if t.late]
    if not ids:
        return
    arrivals = _declared(Registration.objects.filter(unit__obligor_id__in=ids, started_on__gte=since,
                                                     started_on__lte=until)).filter(BY_OBLIGOR, late=True)
    if area_path is not None:
        arrivals = arrivals.filter(area_path__startswith=area_path)
    for obligor_id, delay in arrivals.annotate(delay=ARRIVAL_DELAY).values_list("unit__obligor_id", "delay"):
        tallies[obligor_id].late_delays.append(delay)
    departures = _declared(Registration.objects.filter(
        unit__obligor_id__in=ids, ended_on__gte=since, ended_on__lte=until, departure_declared_at__isnull=False,
    )).filter(BY_OBLIGOR_LEAVING, departure_late=True)
    if area_path is not None:
        departures = departures.filter(area_path__startswith=area_path)
    for obligor_id, ended_on, declared_at, rental in departures.values_list(
            "unit__obligor_id", "ended_on", "departure_declared_at", "unit__is_rental"):
        if ended_on is None or declared_at is None:  # both set, by the filter above
            continue
        delay = declared_at - departure_due(ended_on, rental)
        t = tallies[obligor_id]
        t.late_delays.append(delay)
        if t.max_late is None or delay > t.max_late:  # the set-based maximum counts arrivals only
            t.max_late = delay
    for obligor_id, delays in stays_late_delays(since=since, until=until, obligor_ids=ids,
                                                area_path=area_path).items():
        tallies[obligor_id].late_delays += delays


def obligor_compliance(*, obligor: Obligor, since: dt.date | None = None,
                       until: dt.date | None = None) -> Tally:
    """One obligor's own figures over the period (default the last 90 days), with its median delay."""
    if since is None or until is None:
        since, until = default_period()
    tallies = _merged(registrations_tally(since=since, until=until, obligor_ids=[obligor.pk]),
                      stays_tally(since=since, until=until, obligor_ids=[obligor.pk]))
    _with_medians(tallies, since=since, until=until, area_path=None)
    return tallies.get(obligor.pk, Tally())


def obligor_overdue_registrations(*, obligor: Obligor, limit: int = ROWS) -> list[Registration]:
    """The obligor's open registrations whose departure is overdue, longest overdue first (its own residents, as
    on its residents page)."""
    return list(registrations_overdue().filter(unit__obligor=obligor).select_related("person", "unit")
                .order_by("expected_ended_on", "pk")[:limit])


def obligor_late_registrations(*, obligor: Obligor, since: dt.date | None = None, until: dt.date | None = None,
                               limit: int = 20) -> list[Registration]:
    """The obligor's own late arrival declarations in the period, latest first."""
    if since is None or until is None:
        since, until = default_period()
    return list(_declared(Registration.objects.filter(unit__obligor=obligor, started_on__gte=since,
                                                      started_on__lte=until)).filter(BY_OBLIGOR, late=True)
                .annotate(delay=ARRIVAL_DELAY).select_related("person", "unit").order_by("-declared_at", "-pk")[:limit])


def own_compliance_page(*, obligor: Obligor) -> dict[str, object]:
    """What an obligor's residents page shows of its own duty: the figures, its overdue departures (to declare them
    from there), its latest late declarations and the latest reminder."""
    return {"summary": tally_summary(obligor_compliance(obligor=obligor)), "days": PERIOD_DAYS,
            "overdue": obligor_overdue_registrations(obligor=obligor),
            "late_declarations": obligor_late_registrations(obligor=obligor),
            "reminder": reminder_latest(obligor=obligor)}


# ---- the enforcement officer's workbench -------------------------------------------------------------------------

@dataclass
class ObligorRow:
    obligor: Obligor
    tally: Tally
    area: str


def _officer_path(user: User) -> str:
    path = jurisdiction_path_for_user(user) if can(user, Capability.COMPLIANCE_VIEW) else None
    if path is None:
        raise NotFound("no area")
    return path


def obligors_behind(*, user: User, since: dt.date | None = None, until: dt.date | None = None,
                    limit: int = LISTED) -> list[ObligorRow]:
    """The obligors with declarations in the user's area that are behind their duty, worst first: lowest on-time
    rate, then most overdue departures, then most never declared. Counts only what lies inside the area. No
    personal data: figures and the obligors' names."""
    path = _officer_path(user)
    if since is None or until is None:
        since, until = default_period()
    tallies = _merged(registrations_tally(since=since, until=until, area_path=path),
                      stays_tally(since=since, until=until, area_path=path))
    behind = sorted(((i, t) for i, t in tallies.items() if t.behind),
                    key=lambda it: (it[1].rate if it[1].rate is not None else 2.0, -it[1].overdue, -it[1].never,
                                    it[0]))[:limit]
    page = dict(behind)
    _with_medians(page, since=since, until=until, area_path=path)
    obligors = Obligor.objects.select_related("jurisdiction").in_bulk(list(page))
    return [ObligorRow(obligors[i], t, _area_name(obligors[i])) for i, t in behind if i in obligors]


def _area_name(obligor: Obligor) -> str:
    return obligor.jurisdiction.name if obligor.jurisdiction is not None else ""


@dataclass
class Missed:
    """One late or missing declaration, for the officer: what, when due, when declared (or by whom instead)."""

    what: str  # arrival / departure / overdue / check_in / check_out / departure_missing
    person: PersonShown
    unit: str
    happened: dt.date | dt.datetime | None
    due: dt.datetime | dt.date | None
    declared: dt.datetime | None
    late_hours: int | None
    declared_by: str = ""

    @property
    def happened_text(self) -> str:
        return _moment_text(self.happened)

    @property
    def due_text(self) -> str:
        return _moment_text(self.due)


def _moment_text(value: dt.date | dt.datetime | None) -> str:
    if isinstance(value, dt.datetime):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    return value.isoformat() if value is not None else "—"


@dataclass
class ObligorFile:
    obligor: Obligor
    tally: Tally
    since: dt.date
    until: dt.date
    missed: list[Missed] = field(default_factory=list)


def obligor_compliance_for_officer(*, user: User, obligor_id: int, since: dt.date | None = None,
                                   until: dt.date | None = None) -> ObligorFile:
    """One obligor of the user's area: its figures and its late, never-declared and overdue declarations inside
    the area, persons masked as the user may see them. Out of the area is "not found". A read of personal data:
    recorded with how many declarations were shown."""
    path = _officer_path(user)
    if since is None or until is None:
        since, until = default_period()
    obligor = Obligor.objects.select_related("jurisdiction").filter(pk=obligor_id).first()
    if obligor is None or not (
            (obligor.jurisdiction is not None and obligor.jurisdiction.path.startswith(path))
            or obligor.units.filter(building__grid__path__startswith=path).exists()):
        raise NotFound("no such obligor")
    tallies = _merged(registrations_tally(since=since, until=until, obligor_ids=[obligor.pk], area_path=path),
                      stays_tally(since=since, until=until, obligor_ids=[obligor.pk], area_path=path))
    _with_medians(tallies, since=since, until=until, area_path=path)
    found = ObligorFile(obligor, tallies.get(obligor.pk, Tally()), since, until)

    regs = _declared(Registration.objects.filter(unit__obligor=obligor, area_path__startswith=path))
    arrivals = list(regs.filter(started_on__gte=since, started_on__lte=until)
                    .filter(~BY_OBLIGOR | Q(late=True)).annotate(delay=ARRIVAL_DELAY)
                    .select_related("person", "unit").order_by("-started_on", "-pk")[:ROWS])
    departures = list(regs.filter(ended_on__gte=since, ended_on__lte=until, departure_declared_at__isnull=False)
                      .filter(~BY_OBLIGOR_LEAVING | Q(departure_late=True))
                      .select_related("person", "unit").order_by("-ended_on", "-pk")[:ROWS])
    overdue = list(registrations_overdue().filter(unit__obligor=obligor, area_path__startswith=path)
                   .select_related("person", "unit").order_by("expected_ended_on", "pk")[:ROWS])
    stays = stays_late_rows(obligor_id=obligor.pk, since=since, until=until, area_path=path, limit=ROWS)
    stays_open = stays_overdue_rows(obligor_id=obligor.pk, area_path=path, limit=ROWS)
    people = {p.pk: p for p in [r.person for r in arrivals + departures + overdue]
              + [s.person for s in stays + stays_open]}
    shown = {p.id: p for p in persons_shown(user=user, persons=list(people.values()))}

    def hours(delay: dt.timedelta | None) -> int | None:
        return None if delay is None or delay <= dt.timedelta(0) else -int(-delay.total_seconds() // 3600)

    for r in overdue:
        due = departure_due(r.expected_ended_on, r.unit.is_rental)  # type: ignore[arg-type]
        found.missed.append(Missed("overdue", shown[r.person_id], r.unit.label, r.expected_ended_on, due, None,
                                   None))
    grace = departure_grace()
    for s in stays_open:
        found.missed.append(Missed("overdue", shown[s.person_id], s.unit.label, s.expected_departure,
                                   s.expected_departure + grace if s.expected_departure else None, None, None))
    for r in arrivals:
        by_obligor = r.declared_by == DeclaredBy.OBLIGOR
        found.missed.append(Missed("arrival", shown[r.person_id], r.unit.label, r.started_on, r.due_at,
                                   r.declared_at, hours(r.delay) if by_obligor else None,  # type: ignore[attr-defined]
                                   "" if by_obligor else r.get_declared_by_display()))
    for r in departures:
        by_obligor = r.departure_declared_by == DeclaredBy.OBLIGOR
        due = departure_due(r.ended_on, r.unit.is_rental)  # type: ignore[arg-type]
        late = hours(r.departure_declared_at - due) if by_obligor and r.departure_declared_at else None
        found.missed.append(Missed("departure", shown[r.person_id], r.unit.label, r.ended_on, due,
                                   r.departure_declared_at, late,
                                   "" if by_obligor else r.get_departure_declared_by_display()))
    for s in stays:
        found.missed.append(Missed(s.event, shown[s.person_id], s.unit.label,
                                   s.departed_at or s.arrived_at if s.event != "departure_missing" else s.arrived_at,
                                   s.due_at, None if s.event == "departure_missing" else s.declared_at,
                                   hours(s.delay) if s.event != "departure_missing" else None))  # type: ignore[attr-defined]
    event_record(actor=user, action="obligor.compliance.viewed", subject_type="obligor", subject_id=obligor.pk,
                 data={"declarations": len(found.missed), "since": since.isoformat(), "until": until.isoformat()})
    return found

