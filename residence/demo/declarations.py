"""A year of declarations in the demo city, vectorised (numpy), written set-based.

Registrations get who declared them and when: the obligor mostly, some the resident, a clerk or a grid worker;
each obligor has its own habit of lateness (most are on time, a few are much worse), so about one declaration in
ten comes late and the enforcement list has a clear worst. Some open registrations have an expected departure
already past (overdue). Hotels and hourly rentals get a year of stays: check-ins and check-outs, some late, some
check-outs never declared (closed by the system), a few guests still open past their expected departure.

Deadlines are the rules' own (registrations.compliance.declaration_offset asks residence_rules once per place class
and event), so the demo's `late` flags are what the services would have computed. A second random generator
(seeded from the city's seed) draws all of this, so that the city itself stays the same for a seed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.utils import timezone

from residence.registrations.compliance import declaration_offset
from residence.stays.compliance import departure_grace

_HOUR = np.timedelta64(3600, "s")
_REASONS = np.array(["work", "work", "work", "business", "family", "study", "other"])


@dataclass
class Habits:
    """Per obligor index: how often it declares late, lets a departure go overdue, and leaves declaring to others."""

    late: np.ndarray
    overdue: np.ndarray
    others: np.ndarray


def obligor_habits(rng: np.random.Generator, kinds: list[str]) -> Habits:
    n = len(kinds)
    late = rng.beta(2, 22, size=n)  # most obligors: about 8% late
    overdue = np.full(n, 0.02)
    others = np.full(n, 0.12)
    bad = rng.random(n) < 0.03  # a few much worse
    late[bad], overdue[bad], others[bad] = rng.uniform(.35, .55, size=int(bad.sum())), .35, .3
    first: dict[str, int] = {}
    for i, k in enumerate(kinds):
        first.setdefault(k, i)
    worst = first.get("landlord", 0)  # the demo landlord's own premises: the clearest case, for the demo
    late[worst], overdue[worst], others[worst] = .7, .6, .4
    return Habits(late, overdue, others)


def _start_utc(days: np.ndarray, zone_offset: np.timedelta64) -> np.ndarray:
    """Local midnight of each day (datetime64[D]) as a UTC datetime64[s]."""
    return days.astype("datetime64[s]") - zone_offset


def _aware(values: np.ndarray) -> list[dt.datetime | None]:
    return [None if v is None else v.replace(tzinfo=dt.UTC) for v in values.astype("datetime64[us]").astype(object)]


def _seconds(place_class: str, event: str) -> int:
    return int(declaration_offset(place_class, event).total_seconds())


def zone_offset() -> np.timedelta64:
    offset = timezone.localtime().utcoffset() or dt.timedelta(0)
    return np.timedelta64(int(offset.total_seconds()), "s")


def registration_declarations(rng: np.random.Generator, *, started: np.ndarray, ended: np.ndarray,
                              current: np.ndarray, obligor: np.ndarray, rental: np.ndarray, habits: Habits,
                              today: dt.date, now: dt.datetime) -> list[tuple]:  # type: ignore[type-arg]
    """For registrations (arrays of one length: started/ended days, current?, the unit's obligor index or -1, the
    unit's rental flag): the declaration columns, in DECLARATION_COLUMNS order."""
    m = len(started)
    off = zone_offset()
    now64 = np.datetime64(now.astimezone(dt.UTC).replace(tzinfo=None), "s")
    has = obligor >= 0
    idx = np.where(has, obligor, 0)
    p_late = np.where(has, habits.late[idx], 0.08)
    p_others = np.where(has, habits.others[idx], 1.0)
    # who declared: the obligor, or else the resident, a clerk or a grid worker
    by_other = rng.random(m) < p_others
    other = rng.choice(np.array(["resident", "staff", "grid_worker"]), size=m, p=[.45, .35, .2])
    declared_by = np.where(by_other, other, "obligor")
    channel = np.select([declared_by == "obligor", declared_by == "staff"], ["web", "counter"], "phone")
    # when: by the deadline, or (late) some hours to weeks after it
    arr_off_s = np.where(rental, _seconds("rental", "arrival"), _seconds("long_term", "arrival")).astype(np.int64)
    start = _start_utc(started, off)
    due = start + arr_off_s.astype("timedelta64[s]")
    late_draw = rng.random(m) < p_late
    on_time_delay = (rng.random(m) * (arr_off_s - 1800) + 900).astype(np.int64)
    late_delay = arr_off_s + (rng.exponential(40, size=m) * 3600 + 600).astype(np.int64)
    declared = start + np.where(late_draw, late_delay, on_time_delay).astype("timedelta64[s]")
    declared = np.minimum(declared, now64 - np.timedelta64(60, "s"))
    late = declared > due
    # departures of ended registrations
    ended_ok = ~current
    dep_off_s = np.where(rental, _seconds("rental", "departure"),
                         _seconds("long_term", "departure")).astype(np.int64)
    dep_start = _start_utc(np.where(ended_ok, ended, started), off)
    dep_due = dep_start + dep_off_s.astype("timedelta64[s]")
    dep_late_draw = rng.random(m) < p_late * 0.8
    dep_delay = np.where(dep_late_draw, dep_off_s + (rng.exponential(48, size=m) * 3600 + 600).astype(np.int64),
                         (rng.random(m) * np.maximum(dep_off_s - 1800, 1800) + 300).astype(np.int64))
    dep_declared = np.minimum(dep_start + dep_delay.astype("timedelta64[s]"), now64 - np.timedelta64(60, "s"))
    dep_late = dep_declared > dep_due
    dep_by = np.where(rng.random(m) < p_others * 0.5, np.where(rng.random(m) < .6, "grid_worker", "staff"),
                      np.where(has, "obligor", "resident"))
    dep_channel = np.select([dep_by == "obligor", dep_by == "staff"], ["web", "counter"], "phone")
    # the expected departure of open registrations at obligors' units: overdue for some, ahead for others
    today64 = np.datetime64(today.isoformat())
    overdue = current & has & (rng.random(m) < np.where(has, habits.overdue[idx], 0))
    ahead = current & ~overdue & (rng.random(m) < .5)
    expected = np.where(overdue, today64 - rng.integers(6, 90, size=m).astype("timedelta64[D]"),
                        today64 + rng.integers(10, 400, size=m).astype("timedelta64[D]"))
    expected = np.maximum(expected, started)
    reason = _REASONS[rng.integers(0, len(_REASONS), size=m)]

    declared_l, due_l = _aware(declared), _aware(due)
    dep_declared_l = _aware(dep_declared)
    expected_l = expected.astype(object).tolist()
    out = []
    for i in range(m):
        leaving = bool(ended_ok[i])
        out.append((str(declared_by[i]), str(channel[i]), declared_l[i], due_l[i], bool(late[i]),
                    dep_declared_l[i] if leaving else None, bool(dep_late[i]) if leaving else False,
                    str(dep_by[i]) if leaving else "", str(dep_channel[i]) if leaving else "",
                    expected_l[i] if (overdue[i] or ahead[i]) else None, str(reason[i])))
    return out


DECLARATION_COLUMNS = ["declared_by", "channel", "declared_at", "due_at", "late", "departure_declared_at",
                       "departure_late", "departure_declared_by", "departure_channel", "expected_ended_on", "reason"]

STAY_COLUMNS = ["id", "stay_id", "event", "obligor_id", "unit_id", "person_id", "arrived_at", "expected_departure",
                "departed_at", "declared_at", "declared_by_id", "channel", "due_at", "late", "overlaps",
                "idempotency_key", "area_path"]


def stay_rows(rng: np.random.Generator, *, n: int, units: np.ndarray, unit_obligor: np.ndarray,
              unit_hourly: np.ndarray, unit_area: list[str], obligor_ids: np.ndarray, habits: Habits,
              obligor_index: np.ndarray, person_ids: np.ndarray, now: dt.datetime,
              ids: list[int]) -> list[tuple]:  # type: ignore[type-arg]
    """`n` stays over the year before `now` at the given units (their obligor ids, hourly flags and areas): each a
    check-in row and, for most, a check-out row (or the system's "departure not declared"). Row ids come from
    `ids` (enough for two rows a stay); returns the rows in STAY_COLUMNS order."""
    now64 = np.datetime64(now.astimezone(dt.UTC).replace(tzinfo=None), "s")
    arr_grace = int(declaration_offset("instant", "arrival").total_seconds())
    dep_grace = int(departure_grace().total_seconds())
    u = rng.integers(0, len(units), size=n)
    o_idx = obligor_index[u]
    p_late = habits.late[o_idx]
    hourly = unit_hourly[u]
    arrived = now64 - rng.integers(3600, 365 * 86400, size=n).astype("timedelta64[s]")
    arrived = np.sort(arrived)
    length = np.where(hourly, rng.integers(2, 7, size=n) * 3600, rng.integers(1, 5, size=n) * 86400)
    expected = arrived + length.astype("timedelta64[s]")
    departed = expected + (rng.normal(0, 1800, size=n)).astype(np.int64).astype("timedelta64[s]")
    departed = np.maximum(departed, arrived + np.timedelta64(1800, "s"))
    in_late = rng.random(n) < p_late
    in_delay = np.where(in_late, arr_grace + (rng.exponential(6, size=n) * 3600 + 120).astype(np.int64),
                        rng.integers(30, max(arr_grace - 30, 60), size=n))
    in_declared = np.minimum(arrived + in_delay.astype("timedelta64[s]"), now64)
    in_due = arrived + np.timedelta64(arr_grace, "s")
    gone = departed < now64  # still in the house otherwise
    missing = gone & (rng.random(n) < habits.others[o_idx] * 0.4)  # check-out never declared: closed later
    still_open = gone & ~missing & (rng.random(n) < habits.overdue[o_idx] * 0.15) & (
        arrived > now64 - np.timedelta64(20 * 86400, "s"))  # overdue guests, recent
    out_late = rng.random(n) < p_late
    out_delay = np.where(out_late, dep_grace + (rng.exponential(4, size=n) * 3600 + 120).astype(np.int64),
                         rng.integers(30, max(dep_grace - 30, 60), size=n))
    out_declared = np.minimum(departed + out_delay.astype("timedelta64[s]"), now64)
    out_due = departed + np.timedelta64(dep_grace, "s")
    closed_at = np.minimum(departed + rng.integers(86400, 5 * 86400, size=n).astype("timedelta64[s]"), now64)

    arrived_l, expected_l, departed_l = _aware(arrived), _aware(expected), _aware(departed)
    in_declared_l, in_due_l = _aware(in_declared), _aware(in_due)
    out_declared_l, out_due_l, closed_l = _aware(out_declared), _aware(out_due), _aware(closed_at)
    rows: list[tuple] = []  # type: ignore[type-arg]
    k = 0
    for i in range(n):
        unit = int(units[u[i]])
        obligor_id = int(obligor_ids[o_idx[i]])
        area = unit_area[u[i]]
        person = int(person_ids[rng_index(i, len(person_ids))])
        stay_id = ids[k]
        rows.append((stay_id, stay_id, "check_in", obligor_id, unit, person, arrived_l[i], expected_l[i], None,
                     in_declared_l[i], None, "api", in_due_l[i], bool(in_late[i] and in_declared[i] > in_due[i]),
                     None, "", area))
        k += 1
        if not gone[i] or still_open[i]:
            continue
        if missing[i]:
            rows.append((ids[k], stay_id, "departure_missing", obligor_id, unit, person, arrived_l[i],
                         expected_l[i], None, closed_l[i], None, "api", closed_l[i], True, None, "", area))
        else:
            rows.append((ids[k], stay_id, "check_out", obligor_id, unit, person, arrived_l[i], expected_l[i],
                         departed_l[i], out_declared_l[i], None, "api", out_due_l[i],
                         bool(out_declared[i] > out_due[i]), None, "", area))
        k += 1
    return rows


def rng_index(i: int, n: int) -> int:
    """A guest for the i-th stay: spread over the persons (a deterministic stride, no draw per row)."""
    return (i * 7919) % n
