"""GB/T 2260 administrative division codes, current and historic, with their successors (pure Python).

The table is the dataset the project ships, ``residence/core/data/division-codes.csv`` (CC0; source, columns and
pitfalls in the README beside it), read here as a plain CSV file. ``read_rows`` is the one reader of that format:
``residence.core.divisions`` (names for ID numbers, Django side) uses it too.

What the rules need from it (registration intervals name the area of each record):

- whether a code is or was a division code; codes of 9, 12 and 15 digits (township, village or community, and
  this project's grid codes) are read as the county they lie in (their first 6 digits);
- a code's name, so that traces name areas in words (``椒江区 (331002)``);
- successors: a county renamed or upgraded under a new code (玉环县 331021 became 玉环市 331083 in 2017) is the
  same area across the change; a code split into several continues into each of them.

Functional zones without a GB/T 2260 code are declared by the locality (parameter ``areas.local_codes``).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent.parent / "residence" / "core" / "data" / "division-codes.csv"
SUB_COUNTY_LENGTHS = (9, 12, 15)  # township (street), village (community), grid: county code + 3 digits each


@dataclass(frozen=True, slots=True)
class DivisionRow:
    """One row of the dataset: a code with one name over a span of years."""

    code: str
    province: str
    prefecture: str
    name: str
    level: str  # 省级 / 地级 / 县级
    in_use: bool
    first_year: int
    end_year: int | None  # exclusive
    successors: tuple[tuple[str, int], ...]  # (code, year of the change)


def _successors(text: str, end_year: int | None, first_year: int) -> tuple[tuple[str, int], ...]:
    """``331083`` or ``330102[1996];330114``: each code with the year of its change (in brackets, else the
    row's end year)."""
    out = []
    for item in filter(None, (part.strip() for part in text.split(";"))):
        code, _, rest = item.partition("[")
        year = int(rest.rstrip("]")) if rest else (end_year if end_year is not None else first_year)
        out.append((code, year))
    return tuple(out)


def read_rows(path: Path | str = DATA_FILE) -> list[DivisionRow]:
    """Every row of the division-code CSV (UTF-8 with a BOM; columns as in the data README)."""
    rows = []
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        for r in csv.DictReader(fh):
            end = r["变更/弃用时间"].strip()
            end_year = int(end) if end else None
            first_year = int(r["启用时间"])
            rows.append(DivisionRow(
                code=r["代码"], province=r["一级行政区"], prefecture=r["二级行政区"], name=r["名称"], level=r["级别"],
                in_use=r["状态"] == "在用", first_year=first_year, end_year=end_year,
                successors=_successors(r["新代码"], end_year, first_year)))
    return rows


def county_part(code: str) -> str | None:
    """The 6-digit code a registration area lies in (a 9, 12 or 15-digit code's first 6 digits), or None when the
    text is not an area code at all."""
    if not code.isascii() or not code.isdigit():
        return None
    if len(code) == 6:
        return code
    if len(code) in SUB_COUNTY_LENGTHS:
        return code[:6]
    return None


class DivisionTable:
    """The division codes by code, with names and successors."""

    def __init__(self, rows: Iterable[DivisionRow]) -> None:
        by_code: dict[str, list[DivisionRow]] = {}
        for row in rows:
            by_code.setdefault(row.code, []).append(row)
        self.rows: dict[str, tuple[DivisionRow, ...]] = {
            code: tuple(sorted(found, key=lambda r: r.first_year)) for code, found in by_code.items()}
        self._next: dict[str, dict[str, int]] = {}
        for code, found in self.rows.items():
            for row in found:
                for successor, year in row.successors:
                    if successor != code:
                        steps = self._next.setdefault(code, {})
                        steps[successor] = min(year, steps.get(successor, year))
        self._reach: dict[str, dict[str, int]] = {}

    def known(self, code: str) -> bool:
        return code in self.rows

    def name(self, code: str) -> str | None:
        """The latest name of a code (None if unknown)."""
        found = self.rows.get(code)
        return found[-1].name if found else None

    def level(self, code: str) -> str | None:
        found = self.rows.get(code)
        return found[-1].level if found else None

    def successors(self, code: str) -> Mapping[str, int]:
        """Every code the area of ``code`` continues into, directly or through later changes, with the first year
        the continuation holds (the year of the last change on the way)."""
        found = self._reach.get(code)
        if found is None:
            found = {}
            todo = [(code, 0)]
            while todo:
                here, since = todo.pop()
                for nxt, year in self._next.get(here, {}).items():
                    when = max(since, year)
                    if nxt != code and when < found.get(nxt, 10_000):
                        found[nxt] = when
                        todo.append((nxt, when))
            self._reach[code] = found
        return found



@lru_cache(maxsize=4)
def load_divisions(path: str | None = None) -> DivisionTable:
    """The division table from the shipped dataset (or ``path``), read once."""
    return DivisionTable(read_rows(path if path is not None else DATA_FILE))


class AreaRules:
    """How a locality reads registration areas on a date: which codes it knows (GB/T 2260 and the functional
    zones it declares), the level continuity counts at, the zones that count as one area, and the names."""

    def __init__(self, table: DivisionTable, level: str, zones: Mapping[str, str], local: Mapping[str, str]) -> None:
        self.table, self.level, self.zone_of, self.local = table, level, zones, local
        self._labels: dict[str, str] = {}
        self._problems: dict[str, str | None] = {}
        self._keys: dict[str, str] = {}

    def problem(self, code: str) -> str | None:
        """Why ``code`` is not an area here (None when it is one)."""
        try:
            return self._problems[code]
        except KeyError:
            found = self._problems[code] = self._problem(code)
            return found

    def _problem(self, code: str) -> str | None:
        county = county_part(code)
        if county is None:
            return (f"area code {code!r} is not a code: 6 digits (GB/T 2260), or 9, 12 or 15 (township, village, "
                    "grid)")
        if county in self.local:
            return None
        level = self.table.level(county)
        if level is None:
            where = f" (read as {county})" if county != code else ""
            return f"unknown area code {code!r}{where}: neither GB/T 2260 nor declared by the locality"
        if level == "省级":
            return f"area code {code!r} is a province ({self.table.name(county)}), not an area one lives in"
        return None

    def key(self, code: str) -> str:
        """The area a code counts in for continuity: its zone, or its code cut to the level."""
        found = self._keys.get(code)
        if found is None:
            found = self._keys[code] = self._key(code)
        return found

    def _key(self, code: str) -> str:
        county = county_part(code) or code
        if self.level == "county":
            zone = self.zone_of.get(county)
            return f"zone:{zone}" if zone is not None else county
        if self.level == "prefecture":
            return county[:4]
        return county[:2]

    def continues_from(self, old: str, new: str) -> int | None:
        """The first year from which a record in ``new`` continues ``old``'s area under a successor code (at the
        county level or at the level counted), or None."""
        a, b = county_part(old) or old, county_part(new) or new
        years = [self.table.successors(a).get(b)]
        if self.level != "county":
            width = 4 if self.level == "prefecture" else 2
            years.append(self.table.successors(a[:width].ljust(6, "0")).get(b[:width].ljust(6, "0")))
        found = [y for y in years if y is not None]
        return min(found) if found else None

    def continues(self, old: str, new: str, day: dt.date) -> bool:
        """Whether a record in ``new`` starting on ``day`` is ``old``'s area under a successor code."""
        year = self.continues_from(old, new)
        return year is not None and day.year >= year

    def label(self, code: str) -> str:
        """An area in words beside its code: ``椒江区 (331002)``."""
        found = self._labels.get(code)
        if found is None:
            county = county_part(code) or code
            name = self.local.get(county) or self.table.name(county)
            found = self._labels[code] = f"{name} ({code})" if name else code
        return found

    def key_label(self, key: str) -> str:
        """A continuity area in words: the zone's name, or the (cut) code's name."""
        if key.startswith("zone:"):
            return key[5:]
        return self.label(key.ljust(6, "0")) if len(key) < 6 else self.label(key)


@lru_cache(maxsize=256)
def area_rules(level: str, zones: tuple[tuple[str, tuple[str, ...]], ...], local: tuple[tuple[str, str], ...],
               table: DivisionTable | None = None) -> AreaRules:
    """The (cached) AreaRules for a level, zones as (name, areas) pairs and local codes as (code, name) pairs."""
    zone_of = {area: name for name, areas in zones for area in areas}
    return AreaRules(table if table is not None else load_divisions(), level, zone_of, dict(local))


def zone_pairs(zones: Sequence[object]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((z.name, tuple(z.areas)) for z in zones)  # type: ignore[attr-defined]
