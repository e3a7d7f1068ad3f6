"""Each kind of bad input is refused with an error naming the file, line, key or case."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pytest

from residence_rules.cases import load_case_file
from residence_rules.engine import evaluate
from residence_rules.errors import (
    CaseFileError,
    ContradictoryDatesError,
    InputTypeError,
    MissingInputError,
    MissingSourceError,
    NoValueInForceError,
    OutputGivenError,
    OverlapError,
    ParameterFileError,
    UnknownAreaError,
    UnknownInputError,
    UnknownKeyError,
    UnknownLocalityError,
    UnknownOutputError,
    WrongTypeError,
    YamlSyntaxError,
)
from residence_rules.parameters import PARAMETERS_DIR, load_library, load_parameters

TZ_180 = "permit.continuity.min_days:\n    - from: 2016-12-08\n      value: 180\n"


def _params_with(tmp_path: Path, old: str, new: str, file: str = "taizhou.yaml") -> tuple[Path, str]:
    target = tmp_path / "parameters"
    shutil.copytree(PARAMETERS_DIR, target)
    path = target / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    return target, str((target / file).resolve())


def _line_of(path: str, needle: str, occurrence: int = 1) -> int:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if needle in line]
    return hits[occurrence - 1]


def test_malformed_yaml(tmp_path: Path) -> None:
    params, file = _params_with(tmp_path, TZ_180, TZ_180.replace("value: 180", "value: [180"))
    with pytest.raises(YamlSyntaxError) as exc:
        load_library(params)
    assert exc.value.file == file
    assert exc.value.line is not None
    assert exc.value.line >= _line_of(file, "value: [180")
    assert str(exc.value).startswith(f"{file}:")
    assert "malformed YAML" in str(exc.value)


def test_duplicate_key(tmp_path: Path) -> None:
    params, file = _params_with(tmp_path, TZ_180, TZ_180 + "      value: 181\n")
    with pytest.raises(YamlSyntaxError) as exc:
        load_library(params)
    assert exc.value.key == "value"
    assert exc.value.line == _line_of(file, "value: 181")


def test_unknown_parameter(tmp_path: Path) -> None:
    params, file = _params_with(tmp_path, TZ_180, TZ_180.replace("min_days", "min_dayz"))
    with pytest.raises(UnknownKeyError) as exc:
        load_library(params)
    assert (exc.value.file, exc.value.line, exc.value.key) == (file, _line_of(file, "min_dayz"),
                                                                "permit.continuity.min_dayz")


def test_unknown_key_in_an_entry(tmp_path: Path) -> None:
    params, file = _params_with(tmp_path, TZ_180, TZ_180 + "      until: 2030-01-01\n")
    with pytest.raises(UnknownKeyError) as exc:
        load_library(params)
    assert (exc.value.line, exc.value.key) == (_line_of(file, "until: 2030"), "permit.continuity.min_days[0].until")
    assert "allowed: from, source, to, value" in str(exc.value)


def test_wrong_type(tmp_path: Path) -> None:
    params, file = _params_with(tmp_path, TZ_180, TZ_180.replace("value: 180", 'value: "180"'))
    with pytest.raises(WrongTypeError) as exc:
        load_library(params)
    assert (exc.value.file, exc.value.line, exc.value.key) == (file, _line_of(file, 'value: "180"'),
                                                                "permit.continuity.min_days")
    assert "expected an integer 1..3650, got str '180'" in str(exc.value)


def test_wrong_enum_value(tmp_path: Path) -> None:
    old = "permit.continuity.area_level:\n    - from: 2016-12-08\n      value: county\n"
    params, file = _params_with(tmp_path, old, old.replace("county", "township"))
    with pytest.raises(WrongTypeError) as exc:
        load_library(params)
    assert exc.value.line == _line_of(file, "value: township")
    assert "expected one of county, prefecture, province" in str(exc.value)


def test_value_out_of_range(tmp_path: Path) -> None:
    old = "permit.issue.local_extension_days:\n    - from: 2016-01-01\n      value: 0\n"
    params, _ = _params_with(tmp_path, old, old.replace("value: 0", "value: 16"), file="national.yaml")
    with pytest.raises(WrongTypeError) as exc:
        load_library(params)
    assert exc.value.key == "permit.issue.local_extension_days"
    assert "out of range" in str(exc.value)


def test_overlapping_date_ranges(tmp_path: Path) -> None:
    entry = ("      source: {ref: 台政办发〔2016〕112号 二(二)1, text: 连续居住并申报居住登记180天以上}\n"
             "    - from: 2020-01-01\n      value: 150\n      source: {ref: test, text: test}\n")
    new = TZ_180.replace("value: 180\n", "to: 2020-06-30\n      value: 180\n")
    params, file = _params_with(tmp_path, TZ_180, new)
    text = Path(file).read_text(encoding="utf-8")
    marker = "      source:\n        ref: 台政办发〔2016〕112号 二(二)1\n        text: 是指"
    start = text.index(marker, text.index("permit.continuity.min_days"))
    end = text.index("\n  permit.continuity.area_level")
    Path(file).write_text(text[:start] + entry.rstrip("\n") + text[end:], encoding="utf-8")
    with pytest.raises(OverlapError) as exc:
        load_library(params)
    assert exc.value.key == "permit.continuity.min_days"
    assert exc.value.line == _line_of(file, "- from: 2020-01-01")
    assert "2016-12-08 – 2020-06-30 (line" in str(exc.value)
    assert "overlaps 2020-01-01 – … (line" in str(exc.value)


def test_missing_source_names_the_entry(tmp_path: Path) -> None:
    target = tmp_path / "parameters"
    shutil.copytree(PARAMETERS_DIR, target)
    extra = target / "zz_test.yaml"
    extra.write_text("locality: test\nname: {zh: 测试, en: test}\ninherits: national\nparameters:\n"
                     "  permit.change.limit_days:\n    - from: 2020-01-01\n      value: 5\n", encoding="utf-8")
    with pytest.raises(MissingSourceError) as exc:
        load_library(target)
    assert (exc.value.file, exc.value.line, exc.value.key) == (str(extra.resolve()), 6,
                                                                "permit.change.limit_days[0].source")
    extra.write_text("locality: test\nname: {zh: 测试, en: test}\ninherits: national\nparameters:\n"
                     "  permit.change.limit_days:\n    - from: 2020-01-01\n      value: 5\n"
                     "      source: {ref: somewhere}\n", encoding="utf-8")
    with pytest.raises(MissingSourceError) as exc2:
        load_library(target)
    assert exc2.value.key == "permit.change.limit_days[0].source.text"


def test_a_bad_file_refuses_the_whole_directory(tmp_path: Path) -> None:
    params, _ = _params_with(tmp_path, TZ_180, TZ_180.replace("value: 180", "value: true"))
    with pytest.raises(WrongTypeError):
        load_parameters("national", params)  # national itself is fine, but nothing is half-loaded


def test_root_locality_must_set_every_parameter(tmp_path: Path) -> None:
    target = tmp_path / "parameters"
    shutil.copytree(PARAMETERS_DIR, target)
    path = target / "national.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  permit.change.limit_days:")
    end = text.index("  fees.card_fee_yuan:")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(ParameterFileError) as exc:
        load_library(target)
    assert type(exc.value) is ParameterFileError
    assert str(exc.value) == (f"{path.resolve()}: parameters: a root locality (no 'inherits') must set every "
                              "parameter; missing: permit.change.limit_days")


def test_unknown_locality() -> None:
    with pytest.raises(UnknownLocalityError) as exc:
        load_parameters("atlantis")
    assert "known: hubei, national, taizhou, yantian" in str(exc.value)


def test_evaluation_before_any_value_is_in_force() -> None:
    with pytest.raises(NoValueInForceError) as exc:
        evaluate("eligible", [{"registration_intervals": [], "social_insurance_months": 3}], dt.date(2015, 12, 31),
                 "taizhou")
    assert str(exc.value).startswith("no value in force on 2015-12-31 for locality 'taizhou': permit.direct_schemes, "
                                      "permit.continuity.area_level, ")  # every parameter the answer lacks
    assert str(exc.value).endswith(", permit.study.accepted_levels, permit.study.full_time_required")
    with pytest.raises(NoValueInForceError) as one:
        evaluate("fee_yuan", [{"service": "reissue"}], dt.date(2015, 12, 31), "taizhou", trace=False)
    assert str(one.value) == ("no value in force on 2015-12-31 for locality 'taizhou': fees.card_fee_yuan, "
                              "fees.charged_services")
    with pytest.raises(NoValueInForceError) as single:
        evaluate("change_due_date", [{"change_date": dt.date(2015, 12, 1)}], dt.date(2015, 12, 31), "taizhou")
    assert str(single.value) == ("permit.change.limit_days: no value in force on 2015-12-31 for locality 'taizhou'; "
                                 "the first value starts 2016-01-01 (national.yaml:268)")


def test_situation_missing_an_input() -> None:
    with pytest.raises(MissingInputError) as exc:
        evaluate("eligible", [{"social_insurance_months": 3}], "2024-06-29", "taizhou", names=["张三"])
    assert str(exc.value) == "situation '张三': registration_intervals: missing input"


def test_situation_missing_an_input_in_a_batch() -> None:
    sits = [{"applicant_relation": "self", "person_age": 30}, {"applicant_relation": "self"}]
    with pytest.raises(MissingInputError) as exc:
        evaluate("applicant_accepted", sits, "2024-03-01")
    assert str(exc.value) == "situation #2: person_age: missing input"


def test_situation_value_of_the_wrong_type() -> None:
    with pytest.raises(InputTypeError) as exc:
        evaluate("applicant_accepted", [{"applicant_relation": "self", "person_age": "30"}], "2024-03-01")
    assert str(exc.value) == "situation #1: person_age: expected an integer, got str '30'"
    with pytest.raises(InputTypeError) as exc2:
        evaluate("applicant_accepted", [{"applicant_relation": "self", "person_age": 3},
                                        {"applicant_relation": "cousin", "person_age": 30}], "2024-03-01")
    assert str(exc2.value).startswith("situation #2: applicant_relation: expected one of self, guardian")
    with pytest.raises(InputTypeError) as exc3:
        evaluate("continuous_days", [{"registration_intervals": [{"from": "2024-13-01", "area": "331002"}]}],
                 "2024-03-01")
    assert "interval 'from' must be a date YYYY-MM-DD, got '2024-13-01'" in str(exc3.value)


def test_situation_with_an_unknown_key() -> None:
    with pytest.raises(UnknownInputError) as exc:
        evaluate("fee_yuan", [{"service": "reissue", "servcie": "x"}], "2024-03-01")
    assert str(exc.value) == "situation #1: servcie: unknown input"


def test_unknown_output() -> None:
    with pytest.raises(UnknownOutputError) as exc:
        evaluate("elligible", [{}], "2024-03-01")
    assert exc.value.key == "elligible"


def test_case_file_naming_an_unknown_output(tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text("locality: taizhou\ncases:\n  - name: 错字\n    as_of: 2024-06-29\n    situation: {service: reissue}\n"
                    "    expect:\n      fee_yuan: 20\n      fee_yaun: 20\n", encoding="utf-8")
    with pytest.raises(UnknownOutputError) as exc:
        load_case_file(path)
    assert str(exc.value) == f"{path}:8: case '错字': fee_yaun: unknown output"


def test_case_file_with_a_value_that_does_not_fit(tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text("cases:\n  - name: a\n    as_of: 2024-06-29\n    situation: {service: reissue}\n"
                    "    expect: {fee_yuan: twenty}\n", encoding="utf-8")
    with pytest.raises(CaseFileError) as exc:
        load_case_file(path)
    assert (exc.value.line, exc.value.case, exc.value.key) == (5, "a", "fee_yuan")


def test_malformed_case_file(tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text("cases:\n  - name: a\n    as_of: 2024-06-29\n   situation: {\n", encoding="utf-8")
    with pytest.raises(YamlSyntaxError) as exc:
        load_case_file(path)
    assert exc.value.file == str(path)
    assert exc.value.line == 4


def test_an_output_given_as_an_input_is_refused_unless_marked() -> None:
    sit = {"continuous_days": 200, "social_insurance_months": 3}
    with pytest.raises(OutputGivenError) as exc:
        evaluate("eligible", [sit], "2024-06-29", "taizhou")
    assert str(exc.value) == ("situation #1: continuous_days: is computed by the rules, not an input; give it only "
                              "as a deliberate override (overrides=['continuous_days'])")
    with pytest.raises(OutputGivenError):
        evaluate("eligible", {"continuous_days": np.array([200], dtype=np.int32)}, "2024-06-29", "taizhou")
    assert evaluate("eligible", [sit], "2024-06-29", "taizhou", overrides=["continuous_days"]).records() == [
        {"eligible": True}]
    with pytest.raises(UnknownInputError) as bad:
        evaluate("eligible", [sit], "2024-06-29", "taizhou", overrides=["social_insurance_months"])
    assert str(bad.value) == "overrides: social_insurance_months: only a computed value can be overridden"


def _one_case(tmp_path: Path, name: str, situation: str, expect: str = "{eligible: true}") -> Path:
    path = tmp_path / "cases.yaml"
    path.write_text(f"locality: taizhou\ncases:\n  - name: {name}\n    as_of: 2024-06-29\n    situation:\n{situation}"
                    f"    expect: {expect}\n", encoding="utf-8")
    return path


def test_a_case_file_giving_an_output_names_file_line_and_key(tmp_path: Path) -> None:
    for key, why in (("eligible", "is computed by the rules, not an input; list it under 'overrides:' to give it on "
                                  "purpose"),
                     ("eligble", "unknown input (see docs/rules.md, section 6)")):
        path = _one_case(tmp_path, "偷渡", f"      social_insurance_months: 3\n      {key}: true\n")
        with pytest.raises(CaseFileError) as exc:
            load_case_file(path)
        assert str(exc.value) == f"{path}:7: case '偷渡': {key}: {why}"


def test_a_bad_value_in_a_case_names_the_line_of_the_input(tmp_path: Path) -> None:
    from residence_rules.cases import case_library, run_case

    path = _one_case(tmp_path, "错码", "      social_insurance_months: 3\n"
                     "      registration_intervals: [{from: 2024-01-01, area: \"3310\"}]\n")
    [case] = load_case_file(path)
    [failure] = run_case(case, case_library([path])).failures
    assert failure == (f"{path}:7: case '错码': error: situation '错码': registration_intervals[0] (2024-01-01 – …, "
                       "area '3310'): area code '3310' is not a code: 6 digits (GB/T 2260), or 9, 12 or 15 (township, "
                       "village, grid)")


def test_contradictory_dates_are_refused() -> None:
    base = {"permit_anchor_date": dt.date(2023, 7, 15), "registration_intervals": [
        {"from": dt.date(2023, 1, 1), "area": "331002"}]}
    with pytest.raises(ContradictoryDatesError) as after:
        evaluate("permit_status", [{**base, "endorsement_date": dt.date(2024, 7, 2)}], "2024-07-01", "taizhou")
    assert str(after.value) == "situation #1: endorsement_date: 2024-07-02 is after the as-of date 2024-07-01"
    with pytest.raises(ContradictoryDatesError) as before:
        evaluate("permit_status", [{**base, "endorsement_date": dt.date(2023, 7, 1)}], "2024-07-01", "taizhou")
    assert str(before.value) == ("situation #1: endorsement_date: 2023-07-01 is before permit_anchor_date "
                                 "2023-07-15: endorsement asked for before residence years count from")
    batch = [{"place_class": "instant", "event": "arrival", "event_time": "2024-03-01 10:00",
              "declared_time": t} for t in ("2024-03-01 10:30", "2024-03-01 09:59")]
    with pytest.raises(ContradictoryDatesError) as declared:
        evaluate("declaration_late", batch, "2024-03-01")
    assert str(declared.value) == ("situation #2: declared_time: 2024-03-01 09:59 is before event_time 2024-03-01 "
                                   "10:00: declared before the arrival or departure")


def test_unknown_area_codes_name_the_interval() -> None:
    sits = [{"registration_intervals": [{"from": dt.date(2024, 1, 1), "area": "331002001"}]},
            {"registration_intervals": [{"from": dt.date(2023, 1, 1), "to": dt.date(2023, 12, 31), "area": "331002"},
                                        {"from": dt.date(2024, 1, 1), "area": "330000"}]}]
    with pytest.raises(UnknownAreaError) as exc:
        evaluate("continuous_days", sits, "2024-06-29", "taizhou", names=["甲", "乙"])
    assert str(exc.value) == ("situation '乙': registration_intervals[1] (2024-01-01 – …, area '330000'): area code "
                              "'330000' is a province (浙江省), not an area one lives in")
    with pytest.raises(UnknownAreaError) as alone:
        evaluate("continuous_days", [{"registration_intervals": [{"from": dt.date(2024, 1, 1), "area": "331071"}]}],
                 "2024-06-29", "national")
    assert "unknown area code '331071': neither GB/T 2260 nor declared by the locality" in str(alone.value)
