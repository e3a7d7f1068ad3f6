"""Continuity column-wise (a batch) gives exactly what the rule gives one person at a time.

``compute_continuity`` states the rule person by person; ``continuity_table`` runs it over flat numpy
arrays. On random records (overlaps, back-to-back records, one-day gaps, moves between counties, within a
prefecture and within the merged zones, records of kinds that do not count, records after the as-of date,
records out of order) every person's days, current run, breaks and notes must be the same.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from residence_rules import continuity, evaluate
from residence_rules.catalogue import ENUMS, LocalArea, Zone
from residence_rules.continuity import (
    ContinuityResult,
    Interval,
    IntervalTable,
    compute_continuity,
    continuity_table,
    parse_interval,
)

BASE = dt.date(2024, 1, 1)
AS_OF = dt.date(2024, 3, 1)
# two counties of one prefecture, the two merged zones, a county of another prefecture, another province; a
# county under its old and new code (玉环县 331021 → 玉环市 331083), a code split into two (黄岩市 332603 → 331003,
# 331004), a street and a grid of 椒江区
AREAS = ["331002", "331003", "331071", "331072", "330102", "320102", "331021", "331083", "332603", "331004",
         "331002001", "331002002001003"]
ZONES = (Zone("台州经济开发区—台州湾产业集聚区", ("331071", "331072")), Zone("椒江—黄岩", ("331002", "331003")))
LOCAL = (LocalArea("331071", "台州经济开发区"), LocalArea("331072", "台州湾产业集聚区"))


@st.composite
def an_interval(draw: st.DrawFn) -> Interval:
    # days close together, so that overlaps, back-to-back records and one-day gaps are common
    start = BASE + dt.timedelta(days=draw(st.integers(0, 80)))
    length = draw(st.one_of(st.none(), st.integers(0, 25)))
    end = None if length is None else start + dt.timedelta(days=length)
    kind = draw(st.sampled_from(ENUMS["evidence_kind"]))
    return Interval(start, end, draw(st.sampled_from(AREAS)), kind)


people = st.lists(st.lists(an_interval(), max_size=6), max_size=8)
rules = st.fixed_dictionaries(
    {
        "area_level": st.sampled_from(ENUMS["area_level"]),
        "zones": st.sampled_from([(), ZONES[:1], ZONES]),
        "evidence_kinds": st.sets(st.sampled_from(ENUMS["evidence_kind"]), min_size=1).map(tuple),
        "local_codes": st.just(LOCAL),
    }
)
as_of_dates = st.dates(min_value=BASE - dt.timedelta(days=5), max_value=BASE + dt.timedelta(days=130))


def _raw(iv: Interval) -> dict[str, Any]:
    raw: dict[str, Any] = {"from": iv.start, "area": iv.area}
    if iv.end is not None:
        raw["to"] = iv.end
    if iv.kind != "registration":
        raw["kind"] = iv.kind
    return raw


TWO_PEOPLE = [
    [
        Interval(dt.date(2024, 1, 1), dt.date(2024, 1, 31), "331002"),
        Interval(dt.date(2024, 2, 2), None, "331002"),  # a one-day gap
        Interval(dt.date(2024, 1, 10), dt.date(2024, 1, 12), "331071", "school_roll"),
    ],
    [
        Interval(dt.date(2024, 1, 20), None, "331072"),
        Interval(dt.date(2024, 1, 1), dt.date(2024, 1, 19), "331071"),
        Interval(dt.date(2024, 3, 5), None, "331003"),
    ],  # out of order; a record after the as-of date
]


@settings(max_examples=400, deadline=None)
@given(people, rules, as_of_dates)
@example(TWO_PEOPLE, {"area_level": "county", "zones": ZONES[:1], "evidence_kinds": ("registration",),
                     "local_codes": LOCAL}, AS_OF)
@example(
    [
        [
            Interval(BASE, dt.date(2024, 3, 31), "331002"),
            Interval(BASE + dt.timedelta(days=5), BASE + dt.timedelta(days=9), "331003"),
            Interval(BASE + dt.timedelta(days=20), None, "331003"),
        ]
    ],  # a gap after a move inside a longer record
    {"area_level": "county", "zones": (), "evidence_kinds": ("registration",), "local_codes": LOCAL},
    AS_OF,
)
@example(
    [[Interval(BASE, dt.date(2024, 1, 9), "331021"), Interval(dt.date(2024, 1, 10), None, "331083"),
      Interval(dt.date(2024, 1, 20), None, "331002")],
     [Interval(BASE, dt.date(2024, 1, 9), "332603"), Interval(dt.date(2024, 1, 10), None, "331004")]],
    {"area_level": "prefecture", "zones": (), "evidence_kinds": ("registration",), "local_codes": LOCAL},
    AS_OF,
)  # a county under its new code, then a move; a split code continuing into one of its successors
def test_column_wise_equals_one_person_at_a_time(
    batch: list[list[Interval]], rule: dict[str, Any], as_of: dt.date
) -> None:
    table = IntervalTable.from_people(batch)
    together = continuity_table(table, as_of, **rule)
    alone = [compute_continuity(intervals, as_of, **rule) for intervals in batch]
    assert len(together) == len(batch)
    assert [together[i] for i in range(len(batch))] == alone
    assert together.days.tolist() == [c.days for c in alone]
    for i, c in enumerate(alone):  # the same explanation, word for word
        assert together[i].describe("zh") == c.describe("zh")
        assert together[i].describe("en") == c.describe("en")
        assert type(together[i].days) is int
    # the situations as handed over (mappings with dates) give the same table as parsed intervals
    from_raw = IntervalTable.from_raw([[_raw(iv) for iv in intervals] for intervals in batch])
    assert from_raw is not None
    assert [from_raw[i] for i in range(len(batch))] == [tuple(p) for p in batch]
    assert [continuity_table(from_raw, as_of, **rule)[i] for i in range(len(batch))] == alone


def test_the_example_explains_each_break_and_note() -> None:
    rule = {"area_level": "county", "zones": ZONES[:1], "evidence_kinds": ("registration",), "local_codes": LOCAL}
    table = continuity_table(IntervalTable.from_people(TWO_PEOPLE), AS_OF, **rule)  # type: ignore[arg-type]
    first, second = table[0], table[1]
    assert first == ContinuityResult(
        AS_OF,
        28,
        dt.date(2024, 2, 2),
        "331002",
        (compute_continuity(TWO_PEOPLE[0], AS_OF, **rule).breaks[0],),
        (
            (
                "2024-01-10起的school_roll记录在本地不计入居住时间",
                "the school_roll record from 2024-01-10 does not count as registered time here",
            ),
        ),
        "椒江区 (331002)",
    )
    assert first.describe("en") == (
        "28 days of continuous registration in 椒江区 (331002) since 2024-02-02 (as of 2024-03-01); no registration from "
        "2024-02-01 to 2024-02-01 (1 days) broke it; the school_roll record from 2024-01-10 does not count as "
        "registered time here"
    )
    assert second.describe("en") == (
        "60 days of continuous registration in 台州湾产业集聚区 (331072) since 2024-01-01 (as of 2024-03-01); the "
        "record from 2024-03-05 starts after the as-of date; the move from 台州经济开发区 (331071) to 台州湾产业集聚区 "
        "(331072) on 2024-01-20 stays within 台州经济开发区—台州湾产业集聚区"
    )


def test_ended_registration_and_nothing_in_force() -> None:
    rule = {"area_level": "prefecture", "zones": (), "evidence_kinds": ("registration",)}
    batch = [[Interval(dt.date(2023, 1, 1), dt.date(2024, 2, 1), "331002")], [], [Interval(AS_OF, None, "330102")]]
    table = continuity_table(IntervalTable.from_people(batch), AS_OF, **rule)
    assert [table[i] for i in range(3)] == [compute_continuity(b, AS_OF, **rule) for b in batch]
    assert str(table[0]) == (
        "no registration in force on 2024-03-01; the last registration ended on 2024-02-01; none is in force"
    )
    assert table.days.tolist() == [0, 0, 0]
    assert table[2].run_start == AS_OF


def test_not_plainly_valid_records_take_the_careful_way() -> None:
    good = [{"from": BASE, "area": "331002"}]
    assert IntervalTable.from_raw([good]) is not None
    for bad in (
        [{"from": "2024-01-01", "area": "331002"}],
        [{"from": BASE, "area": ""}],
        [{"from": BASE, "to": BASE - dt.timedelta(days=1), "area": "331002"}],
        [{"from": BASE, "area": "331002", "kind": "rumour"}],
        [{"from": BASE, "area": 331002}],
        [{"from": BASE, "area": "331002", "until": BASE}],
        [{"from": dt.datetime(2024, 1, 1), "area": "1"}],
        [parse_interval(good[0])],
        "not a list",
    ):
        assert IntervalTable.from_raw([good, bad]) is None


def test_a_batch_with_dates_as_text_gives_the_same_as_dates() -> None:
    as_text = [
        {
            "registration_intervals": [
                {"from": "2023-06-01", "to": "2024-02-29", "area": "331002"},
                {"from": "2024-03-01", "area": "331003"},
            ]
        },
        {"registration_intervals": [{"from": "2024-01-01", "area": "331071"}]},
    ]
    as_dates = [
        {
            "registration_intervals": [
                {k: dt.date.fromisoformat(v) if k in ("from", "to") else v for k, v in iv.items()}
                for iv in s["registration_intervals"]
            ]
        }
        for s in as_text
    ]
    a = evaluate("continuous_days", as_text, "2024-06-29", "taizhou", trace=True)
    b = evaluate("continuous_days", as_dates, "2024-06-29", "taizhou", trace=True)
    assert a.records() == b.records() == [{"continuous_days": 120}, {"continuous_days": 180}]
    assert a.trace_record(0) == b.trace_record(0)
    assert b.trace_record(0)["values"]["continuity"] == str(
        continuity(as_dates[0]["registration_intervals"], dt.date(2024, 6, 29), "taizhou")
    )


def test_columns_of_intervals_give_the_same_as_records() -> None:
    lists = [[{"from": dt.date(2024, 1, 1), "area": "331002"}], [], [{"from": "2024-05-01", "area": "331003"}]]
    col = np.empty(3, dtype=object)
    col[:] = lists
    by_columns = evaluate("continuous_days", {"registration_intervals": col}, "2024-06-29", "taizhou")
    by_records = evaluate("continuous_days", [{"registration_intervals": x} for x in lists], "2024-06-29", "taizhou")
    assert by_columns["continuous_days"].tolist() == by_records["continuous_days"].tolist() == [180, 0, 59]


def test_every_shipped_case_with_intervals_gives_the_same_in_a_batch() -> None:
    from residence_rules.cases import load_case_file, shipped_case_files
    from residence_rules.parameters import load_library

    cases = [
        c for path in shipped_case_files() for c in load_case_file(path)
        if "registration_intervals" in c.situation and c.expect_error is None
    ]
    assert len(cases) >= 20
    for case in cases:
        pset = load_library().locality(case.locality)
        outputs = (*case.expect, "continuity")
        alone = evaluate(outputs, [case.situation], case.as_of, parameters=pset, trace=True)
        batch = evaluate(
            outputs,
            [case.situation, {**case.situation, "registration_intervals": []}],
            case.as_of,
            parameters=pset,
            trace=True,
        )
        assert batch.record(0) == alone.record(0), case.name
        assert batch.trace_record(0) == alone.trace_record(0), case.name
