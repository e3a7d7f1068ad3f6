"""How well hotels and hourly rentals keep their duty to declare stays: counts per obligor over a period, set-based.

Definitions (docs/domain.md, "Declaration compliance"): every row a premises declares in the period is one
declaration due (a check-in or a check-out); it is on time when it was declared by its deadline (`late` is false,
the deadline from residence_rules). A stay the system had to close because the guest checked in elsewhere
(`departure_missing`) is a check-out never declared: due, and not on time. A stay still open whose expected
departure passed more than the departure deadline ago is overdue.

The period is a range of `declared_at`, the partition key on PostgreSQL, so a 90-day figure reads three or four
monthly partitions through the (obligor, declared_at) index, grouped in one statement. If that ever grows too slow
for a whole city (tens of millions of rows a quarter), a daily per-obligor rollup refreshed by the worker is the
next step; the definitions stay the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Q, QuerySet
from django.utils import timezone

from residence.core.rules import declarations_due
from residence.places.models import Obligor
from residence.places.selectors import reminder_latest
from residence.stays.models import Stay, StayEvent
from residence.stays.selectors import open_check_ins

PERIOD_DAYS = 90  # the default period of the figures: the last 90 days (registrations.compliance uses the same)
LATE_DELAY = ExpressionWrapper(F("declared_at") - F("due_at"), output_field=DurationField())


@dataclass
class Tally:
    """One obligor's declarations over a period (a hotel's stays, a landlord's registrations, or both added up)."""

    due: int = 0
    on_time: int = 0
    late: int = 0
    never: int = 0  # due but never declared by the obligor (declared by someone else, or closed by the system)
    overdue: int = 0  # departures still not declared past their deadline (not part of `due`)
    max_late: dt.timedelta | None = None
    late_delays: list[dt.timedelta] = field(default_factory=list)  # filled only when asked (medians)

    def add(self, other: Tally) -> None:
        self.due += other.due
        self.on_time += other.on_time
        self.late += other.late
        self.never += other.never
        self.overdue += other.overdue
        if other.max_late is not None and (self.max_late is None or other.max_late > self.max_late):
            self.max_late = other.max_late
        self.late_delays += other.late_delays

    @property
    def rate(self) -> float | None:
        """On time ÷ due (never declared counts as due and not on time); None when nothing was due."""
        return self.on_time / self.due if self.due else None

    @property
    def rate_percent(self) -> int | None:
        return None if self.rate is None else int(self.rate * 100)  # floor: 99.6% is not 100%

    @property
    def max_late_hours(self) -> int | None:
        return None if self.max_late is None else _hours(self.max_late)

    @property
    def median_late_hours(self) -> int | None:
        if not self.late_delays:
            return None
        ordered = sorted(self.late_delays)
        mid = len(ordered) // 2
        median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
        return _hours(median)

    @property
    def behind(self) -> bool:
        """Behind its duty: something late, never declared, or overdue in the period."""
        return bool(self.late or self.never or self.overdue)


def _hours(delay: dt.timedelta) -> int:
    """Whole hours late, rounded up: one minute late is an hour late."""
    return -int(-delay.total_seconds() // 3600)


def period_bounds(since: dt.date, until: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period's days [since, until] as local-time instants [start of since, start of the day after until)."""
    zone = timezone.get_current_timezone()
    return (dt.datetime.combine(since, dt.time.min, tzinfo=zone),
            dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=zone))


def departure_grace() -> dt.timedelta:
    """How long after a departure from an instant place its declaration is due (the rules' minutes)."""
    now = timezone.now()
    [(due, _late)] = declarations_due("instant", "departure", [(now, now)])
    return due - now


def stays_overdue(*, now: dt.datetime | None = None) -> QuerySet[Stay]:
    """Check-in rows of stays still open whose expected departure passed more than the departure deadline ago."""
    now = now or timezone.now()
    return open_check_ins().filter(expected_departure__lt=now - departure_grace())


def stays_tally(*, since: dt.date, until: dt.date, obligor_ids: list[int] | None = None,
                area_path: str | None = None) -> dict[int, Tally]:
    """Per obligor (GROUP BY obligor_id): its stay declarations in the period and its overdue departures, limited
    to some obligors and/or to stays in an area (a prefix of `area_path`)."""
    start, end = period_bounds(since, until)
    rows = Stay.objects.filter(declared_at__gte=start, declared_at__lt=end)
    overdue = stays_overdue().filter(declared_at__gte=start - dt.timedelta(days=30))  # what a stay can last
    if obligor_ids is not None:
        rows, overdue = rows.filter(obligor_id__in=obligor_ids), overdue.filter(obligor_id__in=obligor_ids)
    if area_path is not None:
        rows = rows.filter(area_path__startswith=area_path)
        overdue = overdue.filter(area_path__startswith=area_path)
    declared = Q(event__in=[StayEvent.CHECK_IN, StayEvent.CHECK_OUT])
    out: dict[int, Tally] = {}
    for r in (rows.values("obligor_id").order_by().annotate(
            n_due=Count("id"), n_on_time=Count("id", filter=declared & Q(late=False)),
            n_late=Count("id", filter=declared & Q(late=True)),
            n_never=Count("id", filter=Q(event=StayEvent.DEPARTURE_MISSING)),
            max_delay=Max(LATE_DELAY, filter=declared & Q(late=True)))):
        out[r["obligor_id"]] = Tally(due=r["n_due"], on_time=r["n_on_time"], late=r["n_late"], never=r["n_never"],
                                     max_late=r["max_delay"])
    for r in overdue.values("obligor_id").order_by().annotate(n=Count("id")):
        out.setdefault(r["obligor_id"], Tally()).overdue = r["n"]
    return out


def stays_late_delays(*, since: dt.date, until: dt.date, obligor_ids: list[int],
                      area_path: str | None = None) -> dict[int, list[dt.timedelta]]:
    """How late each late stay declaration of these obligors came (for medians of a page of obligors)."""
    start, end = period_bounds(since, until)
    rows = Stay.objects.filter(declared_at__gte=start, declared_at__lt=end, obligor_id__in=obligor_ids, late=True,
                               event__in=[StayEvent.CHECK_IN, StayEvent.CHECK_OUT])
    if area_path is not None:
        rows = rows.filter(area_path__startswith=area_path)
    out: dict[int, list[dt.timedelta]] = {}
    for obligor_id, delay in rows.annotate(delay=LATE_DELAY).values_list("obligor_id", "delay"):
        out.setdefault(obligor_id, []).append(delay)
    return out


def stays_late_rows(*, obligor_id: int, since: dt.date, until: dt.date, area_path: str | None = None,
                    limit: int = 100) -> list[Stay]:
    """The obligor's late and never-declared stay rows in the period, latest first, with unit and person (for a
    page that masks the person)."""
    start, end = period_bounds(since, until)
    rows = (Stay.objects.filter(obligor_id=obligor_id, declared_at__gte=start, declared_at__lt=end)
            .filter(Q(late=True) | Q(event=StayEvent.DEPARTURE_MISSING)))
    if area_path is not None:
        rows = rows.filter(area_path__startswith=area_path)
    return list(rows.annotate(delay=LATE_DELAY).select_related("unit", "person")
                .order_by("-declared_at", "-id")[:limit])


def stays_overdue_rows(*, obligor_id: int, area_path: str | None = None, limit: int = 100) -> list[Stay]:
    rows = stays_overdue().filter(obligor_id=obligor_id)
    if area_path is not None:
        rows = rows.filter(area_path__startswith=area_path)
    return list(rows.select_related("unit", "person").order_by("expected_departure", "id")[:limit])


def tally_summary(t: Tally) -> dict[str, Any]:
    """What a page draws: the figures and the ring's arc (an SVG circle of circumference 100)."""
    pct = t.rate_percent
    return {"tally": t, "percent": pct, "arc": 0 if pct is None else pct, "gap": 100 - (pct or 0),
            "tone": "none" if pct is None else "good" if pct >= 90 else "fair" if pct >= 70 else "poor"}


def stays_own_compliance_page(*, obligor: Obligor) -> dict[str, Any]:
    """What a front desk shows of its own duty: the figures of the last 90 days, the guests whose check-out is
    overdue (to check them out from there) and the latest reminder."""
    until = timezone.localdate()
    since = until - dt.timedelta(days=PERIOD_DAYS - 1)
    tally = stays_tally(since=since, until=until, obligor_ids=[obligor.pk]).get(obligor.pk, Tally())
    tally.late_delays = stays_late_delays(since=since, until=until, obligor_ids=[obligor.pk]).get(obligor.pk, [])
    return {"summary": tally_summary(tally), "days": PERIOD_DAYS,
            "overdue_stays": stays_overdue_rows(obligor_id=obligor.pk), "reminder": reminder_latest(obligor=obligor)}
