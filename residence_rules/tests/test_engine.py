"""The engine: one person and a batch give the same answers; traces and explanations; continuity."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import residence_rules
from residence_rules import RULES_VERSION, continuity, evaluate, load_parameters, render
from residence_rules.catalogue import ENUMS
from residence_rules.formulas import OUTPUT_GROUPS
from residence_rules.parameters import load_library

ELIGIBILITY = OUTPUT_GROUPS["eligibility"]
ALL_GROUPS = tuple(o for group in OUTPUT_GROUPS.values() for o in group)

areas = st.sampled_from(["331002", "331003", "331071", "331072", "330102"])
AS_OF = dt.date(2024, 6, 29)
dates = st.dates(min_value=dt.date(2022, 1, 1), max_value=AS_OF)


@st.composite
def intervals(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for _ in range(draw(st.integers(0, 4))):
        start = draw(dates)
        end = draw(st.one_of(st.none(), st.dates(min_value=start, max_value=dt.date(2024, 12, 31))))
        out.append({"from": start, "to": end, "area": draw(areas)})
    return out


@st.composite
def situations(draw: st.DrawFn) -> dict[str, Any]:
    when = draw(st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2024, 6, 1)))
    when = when.replace(second=0, microsecond=0)
    anchor = draw(st.dates(min_value=dt.date(2020, 1, 28), max_value=dt.date(2024, 2, 29)))
    return {
        "registration_intervals": draw(intervals()),
        "social_insurance_months": draw(st.integers(0, 8)),
        "business_licence_months": draw(st.integers(0, 5)),
        "labour_contract_months": draw(st.integers(0, 8)),
        "other_employment": draw(st.booleans()),
        "housing": draw(st.sampled_from(ENUMS["housing"])),
        "housing_safety_compliant": draw(st.booleans()),
        "has_lease": draw(st.booleans()),
        "school_level": draw(st.sampled_from(ENUMS["school_level"])),
        "full_time_study": draw(st.booleans()),
        "scheme": draw(st.sampled_from(ENUMS["scheme"])),
        "materials": draw(st.lists(st.sampled_from(ENUMS["material"]), unique=True)),
        "place_class": draw(st.sampled_from(ENUMS["place_class"])),
        "event": draw(st.sampled_from(ENUMS["event"])),
        "event_time": when,
        "declared_time": when + dt.timedelta(minutes=draw(st.integers(0, 6000))),
        "employment_event": draw(st.sampled_from(ENUMS["employment_event"])),
        "employment_event_date": when.date(),
        "employment_reported_date": when.date() + dt.timedelta(days=draw(st.integers(0, 6))),
        "applicant_relation": draw(st.sampled_from(ENUMS["relation"])),
        "person_age": draw(st.integers(0, 90)),
        "unable_to_attend": draw(st.booleans()),
        "point_kind": draw(st.sampled_from(ENUMS["point_kind"])),
        "service": draw(st.sampled_from(ENUMS["service"])),
        "accepted_date": when.date(),
        "issued_date": when.date() + dt.timedelta(days=draw(st.integers(0, 20))),
        "permit_anchor_date": anchor,
        "endorsed_years": draw(st.integers(0, 3)),
        **({} if draw(st.booleans()) else {"endorsement_date": draw(st.dates(min_value=anchor, max_value=AS_OF))}),
        "change_date": when.date(),
        "change_reported_date": when.date() + dt.timedelta(days=draw(st.integers(0, 15))),
        "days_without_active_record": draw(st.integers(0, 60)),
    }


@settings(max_examples=40, deadline=None)
@given(st.lists(situations(), min_size=2, max_size=6), st.sampled_from(["taizhou", "national", "yantian", "hubei"]))
def test_one_at_a_time_equals_the_batch(batch: list[dict[str, Any]], locality: str) -> None:
    as_of = dt.date(2024, 6, 29)
    if locality != "taizhou":  # only Taizhou declares the codes of its zones
        batch = [_without_zones(sit) for sit in batch]
    together = evaluate(ALL_GROUPS, batch, as_of, locality).records()
    alone = [evaluate(ALL_GROUPS, [sit], as_of, locality).records()[0] for sit in batch]
    assert together == alone


def _without_zones(sit: dict[str, Any]) -> dict[str, Any]:
    zones = {"331071": "331004", "331072": "331004"}
    intervals = [{**iv, "area": zones.get(iv["area"], iv["area"])} for iv in sit["registration_intervals"]]
    return {**sit, "registration_intervals": intervals}


def test_columns_give_the_same_as_records() -> None:
    rng = np.random.default_rng(5)
    n = 500
    cols = {
        "continuous_days": rng.integers(0, 400, n, dtype=np.int32),
        "social_insurance_months": rng.integers(0, 8, n, dtype=np.int32),
        "housing": rng.integers(0, 5, n, dtype=np.int8),
        "housing_safety_compliant": rng.random(n) < 0.5,
        "has_lease": rng.random(n) < 0.5,
        "scheme": rng.integers(0, 3, n, dtype=np.int8),
    }
    records = [{
        "continuous_days": int(cols["continuous_days"][i]),
        "social_insurance_months": int(cols["social_insurance_months"][i]),
        "housing": ENUMS["housing"][cols["housing"][i]],
        "housing_safety_compliant": bool(cols["housing_safety_compliant"][i]),
        "has_lease": bool(cols["has_lease"][i]),
        "scheme": ENUMS["scheme"][cols["scheme"][i]],
    } for i in range(n)]
    outputs = tuple(o for o in ELIGIBILITY if o != "continuous_days")
    a = evaluate(outputs, cols, "2024-06-29", "taizhou", overrides=["continuous_days"])
    b = evaluate(outputs, records, "2024-06-29", "taizhou", overrides=["continuous_days"])
    assert a.records() == b.records()
    assert int(np.count_nonzero(a["eligible"])) == int(np.count_nonzero(b["eligible"]))


def test_trace_record_holds_values_parameters_and_version() -> None:
    sit = {"registration_intervals": [{"from": dt.date(2024, 1, 1), "area": "331002"}], "social_insurance_months": 3}
    result = evaluate(["eligible"], [sit], "2024-06-29", "taizhou", trace=True)
    record = result.trace_record(0)
    assert record["rules_version"] == RULES_VERSION
    assert record["outputs"] == {"eligible": True}
    assert record["values"]["continuous_days"] == 180
    assert record["values"]["continuity_met"] is True
    assert record["values"]["registration_intervals"] == [
        {"from": "2024-01-01", "to": None, "area": "331002", "kind": "registration"}]
    assert record["parameters"]["permit.continuity.min_days"] == {
        "value": 180, "from": "2016-12-08", "to": None, "locality": "taizhou", "source": "台政办发〔2016〕112号 二(二)1"}
    assert record["parameters"]["permit.continuity.area_level"]["value"] == "county"


def test_untraced_result_keeps_only_outputs() -> None:
    result = evaluate("fee_yuan", [{"service": "reissue"}], "2024-03-01")
    assert result.records() == [{"fee_yuan": 20}]
    assert list(result.columns) == ["fee_yuan"]


def test_explanation_names_every_parameter_with_its_source() -> None:
    result = evaluate("declaration_late", [{"place_class": "rental", "event": "arrival",
                                            "event_time": "2024-03-01 10:00", "declared_time": "2024-03-01 11:01"}],
                      "2024-03-01", "taizhou", trace=True)
    [late] = result.explain(0)
    assert late.value is True
    assert late.because == ("2024-03-01 11:01申报,晚于截止时间2024-03-01 11:00,逾期",
                            "declared at 2024-03-01 11:01, after the deadline 2024-03-01 11:00: late")
    text = render(result, 0, "en")
    assert "parameter registration.rental_hotel_style = yes [taizhou, in force 2016-12-08 – …]" in text
    assert "parameter registration.deadline.instant.arrival_minutes = 60 [national, in force 2015-06-01 – …]" in text
    assert re.search(r"rules version [0-9a-f]{16}$", text.splitlines()[0])


def test_continuity_explains_gaps_and_moves() -> None:
    result = continuity([
        {"from": dt.date(2023, 1, 1), "to": dt.date(2023, 5, 31), "area": "331002"},
        {"from": dt.date(2023, 6, 10), "to": dt.date(2023, 12, 31), "area": "331002"},
        {"from": dt.date(2024, 1, 1), "to": dt.date(2024, 2, 29), "area": "331071"},
        {"from": dt.date(2024, 3, 1), "area": "331072"},
    ], dt.date(2024, 6, 29), "taizhou")
    assert (result.days, result.run_start, result.area) == (180, dt.date(2024, 1, 1), "331072")
    assert [(b.kind, b.start, b.end, b.days) for b in result.breaks] == [
        ("gap", dt.date(2023, 6, 1), dt.date(2023, 6, 9), 9),
        ("move", dt.date(2024, 1, 1), None, 0),
    ]
    assert result.describe("en") == (
        "180 days of continuous registration in 台州湾产业集聚区 (331072) since 2024-01-01 (as of 2024-06-29); no "
        "registration from 2023-06-01 to 2023-06-09 (9 days) broke it; a move from 椒江区 (331002) to 台州经济开发区 "
        "(331071) on 2024-01-01 (another area) broke it; the move from 台州经济开发区 (331071) to 台州湾产业集聚区 "
        "(331072) on 2024-03-01 stays within 台州经济开发区—台州湾产业集聚区")


def test_parameters_inherit_by_date() -> None:
    tz = load_parameters("taizhou")
    assert tz.get("permit.continuity.area_level", dt.date(2016, 12, 7)).locality == "national"
    assert tz.get("permit.continuity.area_level", dt.date(2016, 12, 8)).locality == "taizhou"
    assert tz.get("permit.issue.limit_days", dt.date(2024, 1, 1)).value == 15


def test_rules_version_is_the_hash_of_the_files() -> None:
    assert load_library().version == RULES_VERSION
    assert re.fullmatch(r"[0-9a-f]{16}", RULES_VERSION)


def test_the_package_imports_no_django() -> None:
    code = ("import sys, residence_rules, residence_rules.cli, residence_rules.bench; "
            "bad = [m for m in sys.modules if m == 'django' or m.startswith(('django.', 'residence.'))]; "
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "[]\n"
    assert residence_rules.OUTPUTS[-1] == "permit_dormant"
