"""Continuity of registered residence, computed from registration intervals.

The registration side hands over a person's intervals (first day, last day or open, area code, kind);
this module decides what they mean as of a date: how many days of continuous registration in one area,
and each gap or move that broke it (TZ: "在各县(市、区)连续居住并申报居住登记180天以上"; the area level
and the zones that count as one area are locality parameters, and so are the kinds of record that may
stand for registered time, HB).

An interval's ``end`` is the last day registered (inclusive); ``None`` means still registered. Days are
counted as whole days before the as-of date: registered from 2024-01-01, as of 2024-06-29 is 180 days.

The rule, one person at a time (``compute_continuity``, the reference to read):

1. Records of a kind that does not count here, and records starting after the as-of date, are left out
   (each with a note).
2. The rest are taken in order of first day (then last day).
3. Each record either continues the current run — it starts at most one day after the run's last day so
   far and lies in the same area (zones count as one area; a move inside one area gets a note) — or
   breaks it: a *gap* when it starts later, a *move* when it starts in time but in another area. A break
   starts a new run at that record.
4. If the last run ended before the as-of date, there are 0 days ("ended"); otherwise the days are the
   as-of date minus the first day of the current run.

For a batch the same rule runs column-wise (``continuity_table``): every person's records are flattened
into sorted numpy arrays and each step above becomes one array operation over all persons at once. The
two give the same results (the tests compare them on random records).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property, lru_cache
from itertools import chain
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from .catalogue import ENUMS, LocalArea, Zone
from .divisions import AreaRules, DivisionTable, area_rules
from .model import ObjectColumn

ONE_DAY = dt.timedelta(days=1)
Ints = npt.NDArray[np.int64]


class Interval(NamedTuple):
    """One registration (or evidence record) in one area."""

    start: dt.date
    end: dt.date | None
    area: str
    kind: str = "registration"


class Break(NamedTuple):
    """Something that broke continuity: a gap without registration, a move to another area, or the end of
    the last registration before the as-of date."""

    kind: str  # "gap" | "move" | "ended"
    start: dt.date  # first day of the gap; the day of the move; the first day unregistered
    end: dt.date | None  # last day of the gap; None for a move or an end
    from_area: str
    to_area: str
    from_label: str = ""  # the areas in words, e.g. 椒江区 (331002)
    to_label: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1 if self.end is not None else 0

    def describe(self, lang: str) -> str:
        if self.kind == "gap":
            if lang == "zh":
                return f"{self.start}至{self.end}无登记({self.days}天),连续中断"
            return f"no registration from {self.start} to {self.end} ({self.days} days) broke it"
        if self.kind == "move":
            if lang == "zh":
                return f"{self.start}从{self.from_label}迁至{self.to_label}(不同区域),连续中断"
            return f"a move from {self.from_label} to {self.to_label} on {self.start} (another area) broke it"
        if lang == "zh":
            return f"登记于{self.start - ONE_DAY}结束,此后无有效登记"
        return f"the last registration ended on {self.start - ONE_DAY}; none is in force"


class ContinuityResult(NamedTuple):
    """Continuous days as of a date, with the current run and what broke earlier runs."""

    as_of: dt.date
    days: int
    run_start: dt.date | None
    area: str | None  # the area code where the current run is
    breaks: tuple[Break, ...]
    notes: tuple[tuple[str, str], ...]  # (zh, en) remarks: moves within one area, records not counted
    area_label: str | None = None  # that area in words

    def describe(self, lang: str) -> str:
        zh = lang == "zh"
        if self.run_start is None:
            head = f"截至{self.as_of}无有效居住登记" if zh else f"no registration in force on {self.as_of}"
        elif zh:
            head = f"自{self.run_start}起在{self.area_label}连续居住登记{self.days}天(截至{self.as_of})"
        else:
            head = f"{self.days} days of continuous registration in {self.area_label} since {self.run_start} " \
                   f"(as of {self.as_of})"
        parts = [head]
        parts += [b.describe(lang) for b in self.breaks]
        parts += [n[0] if zh else n[1] for n in self.notes]
        return ("; " if not zh else ";").join(parts)

    def __str__(self) -> str:
        return self.describe("en")


def _sort_key(iv: Interval) -> tuple[dt.date, dt.date]:
    return (iv.start, iv.end or dt.date.max)


def rules_for(area_level: str, zones: Sequence[Zone], local_codes: Sequence[LocalArea],
              divisions: DivisionTable | None) -> AreaRules:
    """How areas are read: the level, the zones, the locality's own codes, the division table (cached: parameter
    values are tuples of frozen values, one object per value in force)."""
    return _rules_for(area_level, tuple(zones), tuple(local_codes), divisions)


@lru_cache(maxsize=256)
def _rules_for(area_level: str, zones: tuple[Zone, ...], local_codes: tuple[LocalArea, ...],
               divisions: DivisionTable | None) -> AreaRules:
    return area_rules(area_level, tuple((z.name, tuple(z.areas)) for z in zones),
                      tuple((c.code, c.name) for c in local_codes), divisions)


# The remarks that do not break continuity, worded once for both ways of computing it.
def _note_not_counted(kind: str, start: dt.date) -> tuple[str, str]:
    return (f"{start}起的{kind}记录在本地不计入居住时间",
            f"the {kind} record from {start} does not count as registered time here")


def _note_after(start: dt.date) -> tuple[str, str]:
    return (f"{start}起的登记晚于评估日期,未计入", f"the record from {start} starts after the as-of date")


def _note_same_area(day: dt.date, from_area: str, to_area: str, label: str) -> tuple[str, str]:
    return (f"{day}从{from_area}迁至{to_area},同属{label},连续不中断",
            f"the move from {from_area} to {to_area} on {day} stays within {label}")


def _note_successor(day: dt.date, from_area: str, to_area: str) -> tuple[str, str]:
    return (f"{day}起登记于{to_area},即{from_area}区划变更后的代码,连续不中断",
            f"from {day} the record is in {to_area}, the area of {from_area} under its new code: continuity holds")


def compute_continuity(
    intervals: Iterable[Interval],
    as_of: dt.date,
    *,
    area_level: str = "county",
    zones: Sequence[Zone] = (),
    evidence_kinds: Sequence[str] = ("registration",),
    local_codes: Sequence[LocalArea] = (),
    divisions: DivisionTable | None = None,
) -> ContinuityResult:
    """Continuous registered days as of ``as_of`` and what broke continuity before (one person)."""
    areas = rules_for(area_level, zones, local_codes, divisions)
    label = areas.label
    notes: list[tuple[str, str]] = []
    usable: list[Interval] = []
    for iv in intervals:
        if iv.kind not in evidence_kinds:
            notes.append(_note_not_counted(iv.kind, iv.start))
        elif iv.start > as_of:
            notes.append(_note_after(iv.start))
        else:
            usable.append(iv)
    if len(usable) > 1:
        usable.sort(key=_sort_key)
    breaks: list[Break] = []
    if not usable:
        return ContinuityResult(as_of, 0, None, None, (), tuple(notes))
    first = usable[0]
    key = areas.key(first.area)
    run_start, run_end, run_area = first.start, first.end, first.area
    for iv in usable[1:]:
        iv_key = areas.key(iv.area)
        contiguous = run_end is None or iv.start <= run_end + ONE_DAY
        same = iv_key == key
        successor = not same and areas.continues(run_area, iv.area, iv.start)
        if contiguous and (same or successor):
            if successor:
                notes.append(_note_successor(iv.start, label(run_area), label(iv.area)))
            elif iv.area != run_area:
                notes.append(_note_same_area(iv.start, label(run_area), label(iv.area), areas.key_label(iv_key)))
            if run_end is not None:
                run_end = None if iv.end is None else max(run_end, iv.end)
            key, run_area = iv_key, iv.area
            continue
        if contiguous:
            breaks.append(Break("move", iv.start, None, run_area, iv.area, label(run_area), label(iv.area)))
        else:
            assert run_end is not None
            breaks.append(Break("gap", run_end + ONE_DAY, iv.start - ONE_DAY, run_area, iv.area, label(run_area),
                                label(iv.area)))
        key, run_start, run_end, run_area = iv_key, iv.start, iv.end, iv.area
    if run_end is not None and run_end < as_of:
        breaks.append(Break("ended", run_end + ONE_DAY, None, run_area, "", label(run_area), ""))
        return ContinuityResult(as_of, 0, None, None, tuple(breaks), tuple(notes))
    return ContinuityResult(as_of, (as_of - run_start).days, run_start, run_area, tuple(breaks), tuple(notes),
                            label(run_area))


# ==== column-wise, for a batch ============================================================================
# Days are held as ordinals (``date.toordinal()``: 1 is 0001-01-01). An open interval ends on ``_OPEN``, a
# day after every real date, so that "the latest last day" is a plain maximum.
_OPEN = dt.date.max.toordinal() + 1
_SPAN = _OPEN + 1  # more than any day number: separates the persons' (and areas') running maxima
_NONE = -1  # no day / no area (a move has no last day; a person without a current run has no area)
_EVIDENCE = ENUMS["evidence_kind"]
_EVIDENCE_INDEX = {kind: i for i, kind in enumerate(_EVIDENCE)}
_KINDS = frozenset(_EVIDENCE)
_GAP, _MOVE, _ENDED = 0, 1, 2
_BREAK_KINDS = ("gap", "move", "ended")
_NOT_COUNTED, _AFTER, _SAME_AREA, _SUCCESSOR = 0, 1, 2, 3
_INTERVAL_KEYS = frozenset({"from", "to", "area", "kind"})
_NONE_TYPE = type(None)
_day = dt.date.fromordinal


def _end_ordinal(end: dt.date | None) -> int:
    return _OPEN if end is None else end.toordinal()


class IntervalTable(ObjectColumn):
    """Every person's registration intervals as flat columns: a batch's ``registration_intervals``.

    Row ``r`` is one interval: ``start[r]`` and ``end[r]`` (ordinals, ``_OPEN`` when still registered),
    ``area[r]`` (an index into ``areas``, the area codes) and ``kind[r]`` (an index into the evidence
    kinds). Person ``i``'s rows are ``offsets[i]:offsets[i + 1]``, in the order given. ``table[i]`` gives
    person ``i``'s intervals back as ``Interval`` tuples (for traces and explanations).
    """

    def __init__(self, offsets: Ints, start: Ints, end: Ints, area: Ints, kind: Ints, areas: Sequence[str]) -> None:
        self.offsets, self.start, self.end, self.area, self.kind = offsets, start, end, area, kind
        self.areas = tuple(areas)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> tuple[Interval, ...]:
        rows = slice(int(self.offsets[i]), int(self.offsets[i + 1]))
        areas = self.areas
        return tuple(
            Interval(_day(s), None if e == _OPEN else _day(e), areas[a], _EVIDENCE[k])
            for s, e, a, k in zip(self.start[rows].tolist(), self.end[rows].tolist(), self.area[rows].tolist(),
                                  self.kind[rows].tolist(), strict=True))

    @cached_property
    def person(self) -> Ints:
        """``person[r]``: whose interval row ``r`` is."""
        return np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.offsets))

    @classmethod
    def from_people(cls, people: Sequence[Sequence[Interval]]) -> IntervalTable:
        """From each person's ``Interval`` tuples."""
        items = list(chain.from_iterable(people))
        return cls._build([len(p) for p in people], [iv.start for iv in items], [iv.end for iv in items],
                          [iv.area for iv in items], [iv.kind for iv in items])

    @classmethod
    def from_raw(cls, people: Sequence[Any]) -> IntervalTable | None:
        """From situations as given (each a list of mappings ``{from, to?, area, kind?}`` with dates), or
        None when anything is not plainly valid: the caller then converts person by person with
        ``parse_interval`` (which accepts more, e.g. dates written as text, and names what is wrong)."""
        if not set(map(type, people)) <= {list, tuple}:
            return None
        items = list(chain.from_iterable(people))
        if not set(map(type, items)) <= {dict} or not set(chain.from_iterable(items)) <= _INTERVAL_KEYS:
            return None
        starts = [x.get("from") for x in items]
        ends = [x.get("to") for x in items]
        areas = [x.get("area") for x in items]
        kinds = [x.get("kind", "registration") for x in items]
        if not (set(map(type, starts)) <= {dt.date} and set(map(type, ends)) <= {dt.date, _NONE_TYPE}
                and set(map(type, areas)) <= {str} and set(map(type, kinds)) <= {str}
                and set(kinds) <= _KINDS and "" not in areas):
            return None
        table = cls._build([len(p) for p in people], starts, ends, areas, kinds)
        return None if bool((table.end < table.start).any()) else table

    @classmethod
    def _build(cls, counts: list[int], starts: list[Any], ends: list[Any], areas: list[str],
               kinds: list[str]) -> IntervalTable:
        n = len(starts)
        offsets = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        index: dict[str, int] = {}
        area = np.fromiter([index.setdefault(a, len(index)) for a in areas], np.int64, n)
        return cls(offsets, np.fromiter(map(dt.date.toordinal, starts), np.int64, n),
                   np.fromiter(map(_end_ordinal, ends), np.int64, n), area,
                   np.fromiter(map(_EVIDENCE_INDEX.__getitem__, kinds), np.int64, n), list(index))


class _Rows(NamedTuple):
    """Flat rows of per-person items (breaks or notes), grouped by person: person ``i``'s rows are
    ``offsets[i]:offsets[i + 1]``. Each item uses the fields it needs (``_NONE`` in the others): ``kind``,
    ``day`` (a first day), ``end`` (a last day), ``a`` and ``b`` (areas, or a kind of record), ``label``
    (the area key a move stayed within)."""

    offsets: Ints
    kind: Ints
    day: Ints
    end: Ints
    a: Ints
    b: Ints
    label: Ints


def _group_by_person(n: int, *parts: Mapping[str, Any]) -> _Rows:
    """Items given in parts (each a mapping of ``person`` and some ``_Rows`` fields to columns, or to one
    value for all its items), put together person by person: a stable sort, so each person's items keep
    the order of the parts and, within a part, the order given."""
    person = np.concatenate([part["person"] for part in parts])
    fields = {
        name: np.concatenate([np.broadcast_to(part.get(name, _NONE), part["person"].shape) for part in parts])
        for name in _Rows._fields[1:]
    }
    if len(person) and bool((person[1:] < person[:-1]).any()):
        order = np.argsort(person, kind="stable")
        person = person[order]
        fields = {name: column[order] for name, column in fields.items()}
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(person, minlength=n), out=offsets[1:])
    return _Rows(offsets, **fields)


class ContinuityTable(ObjectColumn):
    """Continuity for a batch: the column ``days``, and each person's ``ContinuityResult`` on demand
    (``table[i]``), built from flat rows of breaks and notes."""

    __slots__ = ("area_rules", "areas", "as_of", "breaks", "days", "labels", "notes", "run_area", "run_start")

    def __init__(self, as_of: dt.date, days: npt.NDArray[np.int32], run_start: Ints, run_area: Ints,
                 breaks: _Rows, notes: _Rows, areas: tuple[str, ...], labels: tuple[str, ...],
                 area_rules: AreaRules) -> None:
        self.as_of, self.days, self.run_start, self.run_area = as_of, days, run_start, run_area
        self.breaks, self.notes, self.areas, self.labels = breaks, notes, areas, labels
        self.area_rules = area_rules

    def __len__(self) -> int:
        return len(self.days)

    def __getitem__(self, i: int) -> ContinuityResult:
        areas, label = self.areas, self.area_rules.label
        b = self.breaks
        rows = slice(int(b.offsets[i]), int(b.offsets[i + 1]))
        breaks = tuple(
            Break(_BREAK_KINDS[kind], _day(day), None if end == _NONE else _day(end), areas[a],
                  "" if to == _NONE else areas[to], label(areas[a]), "" if to == _NONE else label(areas[to]))
            for kind, day, end, a, to in zip(b.kind[rows].tolist(), b.day[rows].tolist(), b.end[rows].tolist(),
                                             b.a[rows].tolist(), b.b[rows].tolist(), strict=True))
        n = self.notes
        rows = slice(int(n.offsets[i]), int(n.offsets[i + 1]))
        notes = tuple(
            _note_not_counted(_EVIDENCE[a], _day(day)) if kind == _NOT_COUNTED
            else _note_after(_day(day)) if kind == _AFTER
            else _note_successor(_day(day), label(areas[a]), label(areas[to])) if kind == _SUCCESSOR
            else _note_same_area(_day(day), label(areas[a]), label(areas[to]), self.labels[key])
            for kind, day, a, to, key in zip(n.kind[rows].tolist(), n.day[rows].tolist(), n.a[rows].tolist(),
                                               n.b[rows].tolist(), n.label[rows].tolist(), strict=True))
        start = int(self.run_start[i])
        if start == _NONE:
            return ContinuityResult(self.as_of, 0, None, None, breaks, notes)
        area = areas[self.run_area[i]]
        return ContinuityResult(self.as_of, int(self.days[i]), _day(start), area, breaks, notes, label(area))


def _previous(values: Ints, first: Any = 0) -> Ints:
    """``values`` shifted down one row: each row sees the row before it (the first row sees ``first``)."""
    out = np.empty_like(values)
    out[0:1] = first
    out[1:] = values[:-1]
    return out


def _next(values: Ints, last: Any) -> Ints:
    """``values`` shifted up one row: each row sees the row after it (the last row sees ``last``)."""
    out = np.empty_like(values)
    out[:-1] = values[1:]
    out[-1:] = last
    return out


def _running_max(values: Ints, group: Ints) -> Ints:
    """The running maximum of ``values``, restarted at each new ``group`` (groups numbered 0, 1, 2, …
    in row order). Lifting each group by ``group * _SPAN`` puts every group above all earlier ones, so one
    plain running maximum over all rows never carries a value from one group into the next."""
    lift = group * _SPAN
    return np.maximum.accumulate(values + lift) - lift


def _in_order(person: Ints, start: Ints, last_day: Ints) -> bool:
    """Whether rows are already ordered by person, then first day, then last day."""
    if len(person) < 2:
        return True
    same_person, same_start = person[1:] == person[:-1], start[1:] == start[:-1]
    return bool(((person[1:] > person[:-1])
                 | (same_person & (start[1:] > start[:-1]))
                 | (same_person & same_start & (last_day[1:] >= last_day[:-1]))).all())


def continuity_table(
    intervals: IntervalTable,
    as_of: dt.date,
    *,
    area_level: str = "county",
    zones: Sequence[Zone] = (),
    evidence_kinds: Sequence[str] = ("registration",),
    local_codes: Sequence[LocalArea] = (),
    divisions: DivisionTable | None = None,
) -> ContinuityTable:
    """``compute_continuity`` for every person of a batch at once, step by step as in the module's
    docstring, each step one operation over the flat rows of all persons' intervals."""
    n, day = len(intervals), as_of.toordinal()
    person, start, end = intervals.person, intervals.start, intervals.end
    areas = rules_for(area_level, zones, local_codes, divisions)
    keys = [areas.key(code) for code in intervals.areas]  # per area code: its area
    key_index = {key: i for i, key in enumerate(dict.fromkeys(keys))}
    key_of_area = np.array([key_index[key] for key in keys], dtype=np.int64)

    # 1. the records that count: a kind that stands for registered time here, starting by the as-of date
    counted_kind = np.array([kind in evidence_kinds for kind in _EVIDENCE])[intervals.kind]
    usable = counted_kind & (start <= day)
    left_out = np.flatnonzero(~usable)

    # 2. each person's usable records in order of first day, then last day (a stable sort: records that tie
    #    keep the order given). Records as registered are usually in order already: then nothing moves.
    rows = np.flatnonzero(usable)
    last_day = np.minimum(end[rows], _OPEN - 1)  # an open record sorts as ending on date.max, as in Python
    if not _in_order(person[rows], start[rows], last_day):
        rows = rows[np.lexsort((last_day, start[rows], person[rows]))]
    p, s, e, a = person[rows], start[rows], end[rows], intervals.area[rows]
    k = key_of_area[a]

    # 3. each record against the one before it (of the same person)
    first = _previous(p, -1) != p  # the person's first usable record
    area_changed = ~first & (_previous(k) != k)  # to another area (zones count as one area)
    # ... unless the other area is the same one under a successor code (a county renamed, upgraded or split)
    successor = _successor_rows(np.flatnonzero(area_changed), _previous(a), a, s, intervals.areas, areas)
    area_changed[successor] = False
    # the run's last day so far: the latest last day since the person's records entered this area (a gap
    # inside one area restarts the run, but every earlier last day is before it, so the maximum is the same)
    run_end = _running_max(e, np.cumsum(first | area_changed))
    before_end = _previous(run_end)  # the run's last day before this record
    in_time = s <= before_end + 1  # starts at most one day after it
    breaks = ~first & (area_changed | ~in_time)
    moved_within = ~first & ~breaks & (_previous(a) != a)  # a move inside one area or to a successor code: a note

    # 4. each person's current run: from the last record that started a run to the person's last record
    last = np.flatnonzero(_next(first, True))  # each person's last row: the next row is another person's
    whose = p[last]
    run_first = np.maximum.accumulate(np.where(first | breaks, np.arange(len(rows)), 0))[last]
    final_end = run_end[last]
    running = final_end >= day  # still registered on the as-of date
    days = np.zeros(n, dtype=np.int32)
    days[whose[running]] = day - s[run_first[running]]
    run_start = np.full(n, _NONE, dtype=np.int64)
    run_start[whose[running]] = s[run_first[running]]
    run_area = np.full(n, _NONE, dtype=np.int64)
    run_area[whose[running]] = a[last[running]]

    # what broke continuity: gaps and moves between records (in order), then the end of the last registration
    at = np.flatnonzero(breaks)
    move = in_time[at]
    between = {"person": p[at], "kind": np.where(move, _MOVE, _GAP),
               "day": np.where(move, s[at], before_end[at] + 1),  # the day of a move, a gap's first day
               "end": np.where(move, _NONE, s[at] - 1),  # a gap's last day
               "a": a[at - 1], "b": a[at]}  # from area, to area
    ended = np.flatnonzero(~running)
    at_end = {"person": whose[ended], "kind": _ENDED, "day": final_end[ended] + 1, "a": a[last[ended]]}
    # notes: records left out (in the order given), then moves within one area (in order)
    dropped = {"person": person[left_out], "kind": np.where(counted_kind[left_out], _AFTER, _NOT_COUNTED),
               "day": start[left_out], "a": intervals.kind[left_out]}  # a: the kind of record
    within = np.flatnonzero(moved_within)
    renamed = np.zeros(len(rows), dtype=bool)
    renamed[successor] = True
    same_area = {"person": p[within], "kind": np.where(renamed[within], _SUCCESSOR, _SAME_AREA), "day": s[within],
                 "a": a[within - 1], "b": a[within], "label": k[within]}
    return ContinuityTable(as_of, days, run_start, run_area, _group_by_person(n, between, at_end),
                           _group_by_person(n, dropped, same_area), intervals.areas,
                           tuple(map(areas.key_label, key_index)), areas)


def _successor_rows(rows: Ints, before: Ints, after: Ints, start: Ints, codes: Sequence[str],
                    areas: AreaRules) -> Ints:
    """Of ``rows`` (records in another area than the one before), those whose area is the earlier one's under a
    successor code, from the year of the change: each pair of codes is looked up once."""
    if not len(rows):
        return rows
    pairs = before[rows] * len(codes) + after[rows]
    unique, inverse = np.unique(pairs, return_inverse=True)
    first_year = np.array([
        areas.continues_from(codes[int(pair) // len(codes)], codes[int(pair) % len(codes)]) or 10_000
        for pair in unique.tolist()])[inverse]
    if not bool((first_year < 10_000).any()):
        return rows[:0]
    years = np.array([_day(day).year for day in start[rows].tolist()])
    return rows[years >= first_year]


def continuity_of(
    intervals: IntervalTable | Sequence[Interval],
    as_of: dt.date,
    *,
    area_level: str = "county",
    zones: Sequence[Zone] = (),
    evidence_kinds: Sequence[str] = ("registration",),
    local_codes: Sequence[LocalArea] = (),
    divisions: DivisionTable | None = None,
) -> ContinuityTable | ContinuityResult:
    """Continuity for a batch (an ``IntervalTable``: column-wise, ``continuity_table``) or for one person (a
    sequence of ``Interval``: the rule as written, ``compute_continuity``, which takes a microsecond or two
    where a dozen numpy calls on one row would take some 75). The tests hold the two to the same results."""
    rule = {"area_level": area_level, "zones": zones, "evidence_kinds": evidence_kinds, "local_codes": local_codes,
            "divisions": divisions}
    if isinstance(intervals, IntervalTable):
        return continuity_table(intervals, as_of, **rule)  # type: ignore[arg-type]
    return compute_continuity(intervals, as_of, **rule)  # type: ignore[arg-type]


def parse_interval(raw: Any) -> Interval:
    """An Interval from a mapping {from, to?, area, kind?}; ValueError says what is wrong."""
    if isinstance(raw, Interval):
        return raw
    if type(raw) is dict or isinstance(raw, Mapping):
        start, end, area = raw.get("from"), raw.get("to"), raw.get("area")
        kind = raw.get("kind", "registration")
        if (type(start) is dt.date and (end is None or type(end) is dt.date) and type(area) is str and area
                and kind in _KINDS and (end is None or end >= start) and raw.keys() <= _INTERVAL_KEYS):
            return Interval(start, end, area, kind)
    if not isinstance(raw, Mapping):
        raise ValueError(f"an interval must be a mapping {{from, to, area, kind}}, got {type(raw).__name__}")
    unknown = set(raw) - {"from", "to", "area", "kind"}
    if unknown:
        raise ValueError(f"unknown interval key(s) {sorted(unknown)}; allowed: from, to, area, kind")
    start = _as_date(raw.get("from"), "from")
    end = None if raw.get("to") is None else _as_date(raw.get("to"), "to")
    area = raw.get("area")
    if not isinstance(area, str) or not area:
        raise ValueError(f"interval 'area' must be an area code written as text, got {area!r}")
    kind = raw.get("kind", "registration")
    if kind not in ENUMS["evidence_kind"]:
        raise ValueError(f"interval 'kind' must be one of {', '.join(ENUMS['evidence_kind'])}, got {kind!r}")
    if end is not None and end < start:
        raise ValueError(f"interval ends ({end}) before it starts ({start})")
    return Interval(start, end, area, kind)


def _as_date(value: Any, key: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"interval {key!r} must be a date YYYY-MM-DD, got {value!r}")
