"""Continuity of registered residence, computed from registration intervals.

The registration side hands over a person's intervals (first day, last day or open, area code, kind);
this module decides what they mean as of a date: how many days of continuous registration in one area,
and each gap or move that broke it (TZ: "在各县(市、区)连续居住并申报居住登记180天以上"; the area level
and the zones that count as one area are locality parameters, and so are the kinds of record that may
stand for registered time, HB).

An interval's ``end`` is the last day registered (inclusive); ``None`` means still registered. Days are
counted as whole days before the as-of date: registered from 2024-01-01, as of 2024-06-29 is 180 days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from .catalogue import ENUMS, Zone

ONE_DAY = dt.timedelta(days=1)


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
                return f"{self.start}从{self.from_area}迁至{self.to_area}(不同区域),连续中断"
            return f"a move from {self.from_area} to {self.to_area} on {self.start} (another area) broke it"
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

    def describe(self, lang: str) -> str:
        zh = lang == "zh"
        if self.run_start is None:
            head = f"截至{self.as_of}无有效居住登记" if zh else f"no registration in force on {self.as_of}"
        elif zh:
            head = f"自{self.run_start}起在{self.area}连续居住登记{self.days}天(截至{self.as_of})"
        else:
            head = f"{self.days} days of continuous registration in {self.area} since {self.run_start} " \
                   f"(as of {self.as_of})"
        parts = [head]
        parts += [b.describe(lang) for b in self.breaks]
        parts += [n[0] if zh else n[1] for n in self.notes]
        return ("; " if not zh else ";").join(parts)

    def __str__(self) -> str:
        return self.describe("en")


def _sort_key(iv: Interval) -> tuple[dt.date, dt.date]:
    return (iv.start, iv.end or dt.date.max)


@lru_cache(maxsize=64)
def _zone_index(zones: tuple[Zone, ...]) -> dict[str, str]:
    return {area: zone.name for zone in zones for area in zone.areas}


def area_key(code: str, level: str, zone_of: Mapping[str, str]) -> str:
    """The area a code belongs to for continuity: the zone, or the code cut to the level."""
    if level == "county":
        zone = zone_of.get(code)
        return f"zone:{zone}" if zone is not None else code
    if level == "prefecture":
        return code[:4]
    return code[:2]


def compute_continuity(
    intervals: Iterable[Interval],
    as_of: dt.date,
    *,
    area_level: str = "county",
    zones: Sequence[Zone] = (),
    evidence_kinds: Sequence[str] = ("registration",),
) -> ContinuityResult:
    """Continuous registered days as of ``as_of`` and what broke continuity before."""
    zone_of = _zone_index(tuple(zones))
    notes: list[tuple[str, str]] = []
    usable: list[Interval] = []
    for iv in intervals:
        if iv.kind not in evidence_kinds:
            notes.append((f"{iv.start}起的{iv.kind}记录在本地不计入居住时间",
                          f"the {iv.kind} record from {iv.start} does not count as registered time here"))
        elif iv.start > as_of:
            notes.append((f"{iv.start}起的登记晚于评估日期,未计入", f"the record from {iv.start} starts after the as-of date"))
        else:
            usable.append(iv)
    if len(usable) > 1:
        usable.sort(key=_sort_key)
    breaks: list[Break] = []
    if not usable:
        return ContinuityResult(as_of, 0, None, None, (), tuple(notes))
    first = usable[0]
    key = area_key(first.area, area_level, zone_of)
    run_start, run_end, run_area = first.start, first.end, first.area
    for iv in usable[1:]:
        iv_key = area_key(iv.area, area_level, zone_of)
        contiguous = run_end is None or iv.start <= run_end + ONE_DAY
        if contiguous and iv_key == key:
            if iv.area != run_area:
                label = iv_key[5:] if iv_key.startswith("zone:") else iv_key
                notes.append((f"{iv.start}从{run_area}迁至{iv.area},同属{label},连续不中断",
                              f"the move from {run_area} to {iv.area} on {iv.start} stays within {label}"))
            if run_end is not None:
                run_end = None if iv.end is None else max(run_end, iv.end)
            run_area = iv.area
            continue
        if contiguous:
            breaks.append(Break("move", iv.start, None, run_area, iv.area))
        else:
            assert run_end is not None
            breaks.append(Break("gap", run_end + ONE_DAY, iv.start - ONE_DAY, run_area, iv.area))
        key, run_start, run_end, run_area = iv_key, iv.start, iv.end, iv.area
    if run_end is not None and run_end < as_of:
        breaks.append(Break("ended", run_end + ONE_DAY, None, run_area, ""))
        return ContinuityResult(as_of, 0, None, None, tuple(breaks), tuple(notes))
    return ContinuityResult(as_of, (as_of - run_start).days, run_start, run_area, tuple(breaks), tuple(notes))


_KINDS = frozenset(ENUMS["evidence_kind"])
_INTERVAL_KEYS = frozenset({"from", "to", "area", "kind"})


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
