"""Administrative division codes (GB/T 2260), current and historic, read from the shipped CC0 dataset.

Source and pitfalls: `data/README.md`. The table is loaded once, lazily.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from residence_rules.divisions import DATA_FILE, read_rows

# Not in the dataset but valid in ID numbers issued to Taiwan residents (see data/README.md).
_EXTRA = {"830000": ("台湾居民", "省级")}


@dataclass(frozen=True, slots=True)
class DivisionName:
    code: str
    name: str
    level: str  # 省级 / 地级 / 县级
    first_year: int
    end_year: int | None  # exclusive
    province: str
    prefecture: str


@cache
def _table() -> dict[str, tuple[DivisionName, ...]]:
    rows: dict[str, list[DivisionName]] = {}
    for r in read_rows(DATA_FILE):  # the one reader of the dataset's format, shared with the rules engine
        rows.setdefault(r.code, []).append(
            DivisionName(code=r.code, name=r.name, level=r.level, first_year=r.first_year, end_year=r.end_year,
                         province=r.province, prefecture=r.prefecture)
        )
    for code, (name, level) in _EXTRA.items():
        rows.setdefault(code, []).append(DivisionName(code, name, level, 1981, None, name, ""))
    return {code: tuple(sorted(v, key=lambda d: d.first_year)) for code, v in rows.items()}


def is_known(code: str) -> bool:
    """True when `code` is or was a division code, or a summary code (xxxx01, xxxx20) of a known prefecture."""
    table = _table()
    if code in table:
        return True
    return code[4:] in {"01", "20"} and (code[:4] + "00") in table


def name_of(code: str, year: int | None = None) -> str:
    """The division's name in force in `year` (the latest when no year), with province and prefecture."""
    table = _table()
    names = table.get(code)
    if names is None:
        if is_known(code):
            parent = name_of(code[:4] + "00", year)
            return parent + ("市辖区" if code.endswith("01") else "市区")
        raise KeyError(code)
    chosen = names[-1]
    if year is not None:
        for n in names:
            if n.first_year <= year and (n.end_year is None or year < n.end_year):
                chosen = n
                break
    parts = [chosen.province]
    if chosen.prefecture and chosen.prefecture not in {"直辖", chosen.province} and chosen.level == "县级":
        parts.append(chosen.prefecture)
    if chosen.name not in parts:
        parts.append(chosen.name)
    return "".join(parts)


def county_codes(*, in_use_only: bool = False) -> list[str]:
    """Codes of county-level divisions (current and historic, or only those still in use), for synthetic data."""
    return sorted(code for code, names in _table().items()
                  if names[-1].level == "县级" and (names[-1].end_year is None or not in_use_only))


def county_of(area_path: str) -> str:
    """The area code the rules get for an area path ("/440300/440308/440308001/…/"): its county (the last six-digit
    code on the path; the engine counts every code as its county, and a street or grid of our own numbering under
    a county is not a division code)."""
    codes = [c for c in area_path.strip("/").split("/") if c.isdigit()]
    counties = [c for c in codes if len(c) == 6]
    return counties[-1] if counties else (codes[0] if codes else "")
