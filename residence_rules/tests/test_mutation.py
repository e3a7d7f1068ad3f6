"""Every threshold is guarded by cases: each parameter moved by one makes at least one shipped case fail.

One change at a time, to the parameters as read (in memory, nothing is written): every integer value of every
dated entry +1 and −1, every ``from`` date a day earlier and a day later, every true/false flipped. Each change
must make at least one shipped case fail; the test names every change that none does (a survivor). A direction
outside a parameter's declared range is skipped, and a date moved onto a day where the value in force stays the
same in every locality (an entry repeating the value it inherits: only the source cited differs, which no outcome
can show) is an equivalent change; both are listed below, so that a new one is seen and judged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from residence_rules.cases import Case, case_library, load_case_file, run_case, shipped_case_files
from residence_rules.catalogue import PARAMETERS, IntType
from residence_rules.errors import NoValueInForceError, ParameterFileError
from residence_rules.parameters import LocalityFile, ParameterLibrary, load_library
from residence_rules.yamlload import LineDict, LineList

ONE_DAY = dt.timedelta(days=1)
_NONE = object()
# Changes no case can notice, each with why.
EXEMPT = {
    "taizhou permit.continuity.zones[0] from 2016-12-08 -> 2016-12-07":
        "on 2016-12-07 Taizhou still counts continuity at the national prefecture level, where its zones, both in "
        "台州市, are one area anyway (and their codes are not yet declared): zones that day change nothing",
}


@dataclass(frozen=True)
class Change:
    locality: str
    key: str
    index: int
    what: str  # "value 180 -> 181", "from 2016-12-08 -> 2016-12-07", "value true -> false"
    file: str
    line: int

    def __str__(self) -> str:
        return f"{Path(self.file).name}:{self.line}: {self.key}[{self.index}] {self.what}"

    @property
    def name(self) -> str:
        """The change without its line (lines move as files are edited)."""
        return f"{self.locality} {self.key}[{self.index}] {self.what}"


def _with(entries: LineList, index: int, **changes: Any) -> LineList:
    """A copy of a parameter's entries with one entry's keys changed (lines kept, for error messages)."""
    item = LineDict(entries[index])
    item.update(changes)
    item.line, item.key_lines = entries[index].line, entries[index].key_lines
    out = LineList(entries)
    out[index] = item
    out.line, out.item_lines = entries.line, entries.item_lines
    return out


def changes(library: ParameterLibrary) -> Iterator[tuple[Change, LineList | str]]:
    """Every change to the shipped parameters: (the change, the altered entries or why it is skipped)."""
    for loc in library.localities.values():
        assert loc.raw is not None
        for key, entries in loc.raw.items():
            spec = PARAMETERS[key]
            for i, entry in enumerate(entries):
                at = (loc.locality, key, i)
                value, start = entry["value"], entry["from"]
                if type(value) is bool:
                    yield Change(*at, f"value {str(value).lower()} -> {str(not value).lower()}", loc.file,
                                 entry.line_of("value")), _with(entries, i, value=not value)
                elif type(value) is int:
                    assert isinstance(spec.type, IntType)
                    for step in (1, -1):
                        moved = value + step
                        change = Change(*at, f"value {value} -> {moved}", loc.file, entry.line_of("value"))
                        upper = spec.type.maximum
                        if moved < spec.type.minimum or (upper is not None and moved > upper):
                            yield change, f"outside {spec.type.name}"
                        else:
                            yield change, _with(entries, i, value=moved)
                for step in (-ONE_DAY, ONE_DAY):
                    yield (Change(*at, f"from {start} -> {start + step}", loc.file, entry.line_of("from")),
                           _with(entries, i, **{"from": start + step}))


def _value(library: ParameterLibrary, locality: str, key: str, day: dt.date) -> Any:
    try:
        return library.locality(locality).get(key, day).value
    except NoValueInForceError:
        return _NONE


def _equivalent(before: ParameterLibrary, after: ParameterLibrary, change: Change) -> bool:
    """A moved date is equivalent when, on the one day it moves onto or off, every locality has the same value."""
    if not change.what.startswith("from "):
        return False
    old, new = (dt.date.fromisoformat(d) for d in change.what.removeprefix("from ").split(" -> "))
    day = min(old, new)  # the day the entry now covers or no longer covers
    return all(_value(before, name, change.key, day) == _value(after, name, change.key, day)
               for name in after.localities)


def _inherits(library: ParameterLibrary, locality: str, ancestor: str) -> bool:
    name: str | None = locality
    while name is not None:
        if name == ancestor:
            return True
        name = library.localities[name].inherits
    return False


def _fails_a_case(library: ParameterLibrary, cases: list[Case], locality: str) -> str | None:
    for case in cases:
        if _inherits(library, case.locality, locality) and not run_case(case, library, explain=False).passed:
            return case.name
    return None


@dataclass
class Outcome:
    killed: dict[str, str]  # change (by name) -> the first case that fails
    survivors: list[str]
    skipped: list[str]
    equivalent: list[str]
    exempt: list[str]


@pytest.fixture(scope="module")
def outcome() -> Outcome:
    files = shipped_case_files()
    base = case_library(list(files))
    cases = [case for path in files for case in load_case_file(path)]
    assert all(run_case(case, base, explain=False).passed for case in cases)
    result = Outcome({}, [], [], [], [])
    for change, altered in changes(load_library()):
        if isinstance(altered, str):
            result.skipped.append(f"{change.name} ({altered})")
            continue
        loc: LocalityFile = base.localities[change.locality]
        try:
            mutant = base.replaced(loc.with_timeline(change.key, altered), f"mutant {change}")
        except ParameterFileError as exc:
            result.skipped.append(f"{change.name} ({exc.message})")
            continue
        if _equivalent(base, mutant, change):
            result.equivalent.append(change.name)
            continue
        killer = _fails_a_case(mutant, cases, change.locality)
        if killer is not None:
            result.killed[change.name] = killer
        elif change.name in EXEMPT:
            result.exempt.append(change.name)
        else:
            result.survivors.append(str(change))
    return result


def test_every_change_to_a_parameter_fails_a_case(outcome: Outcome) -> None:
    assert len(outcome.killed) >= 150
    assert outcome.survivors == [], "no shipped case fails when these change:\n" + "\n".join(outcome.survivors)
    assert outcome.exempt == list(EXEMPT)  # an exemption no longer needed is removed


def test_the_changes_skipped_are_those_outside_the_declared_range(outcome: Outcome) -> None:
    assert outcome.skipped == [
        "national registration.deadline.long_term.departure_days[0] value 0 -> -1 (outside an integer 0..365)",
        "national permit.issue.local_extension_days[0] value 0 -> -1 (outside an integer 0..15)",
        "national permit.endorsement.every_years[0] value 1 -> 0 (outside an integer 1..10)",
    ]


def test_the_equivalent_changes_are_dates_of_values_a_locality_repeats(outcome: Outcome) -> None:
    # 台政办发〔2016〕112号 restates national values (180 days, 3 and 6 months, 10 days): the day before and the first
    # day it took effect have the same value either way, so moving its date changes no outcome, only the document
    # a trace cites
    restated = ["registration.register_only_below_days", "permit.continuity.min_days",
                "permit.employment.min_social_insurance_months", "permit.employment.min_business_licence_months",
                "permit.employment.min_labour_contract_months", "permit.employment.min_agricultural_contract_months",
                "permit.change.limit_days"]
    assert outcome.equivalent == [f"taizhou {key}[0] from 2016-12-08 -> {day}" for key in restated
                                  for day in ("2016-12-07", "2016-12-09")]


def test_a_threshold_moved_by_one_is_caught_by_the_cases_on_its_two_sides(outcome: Outcome) -> None:
    killed = outcome.killed
    assert killed["national registration.register_only_below_days[0] value 180 -> 181"].startswith(
        "全国默认 连续居住180天")
    assert killed["national registration.register_only_below_days[0] value 180 -> 179"].startswith(
        "全国默认 连续居住179天")
    assert killed["national permit.dormancy.days[0] value 30 -> 29"].startswith("全国休眠期限")
    assert killed["national permit.continuity.min_days[0] from 2016-01-01 -> 2015-12-31"].startswith("条例施行前一日")
