"""The commands, called through cli.main([...]) as `residence rules …` will call them."""

from __future__ import annotations

from pathlib import Path

import pytest

from residence_rules import RULES_VERSION
from residence_rules.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_test_runs_every_shipped_case(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test"]) == 0
    assert capsys.readouterr().out == "169 passed, 0 failed (6 files)\n"


def test_test_takes_every_yaml_file_under_the_cases_folder(capsys: pytest.CaptureFixture[str]) -> None:
    """`find cases -name '*.yaml'` names the case-only locality too: it is loaded as a locality, not read as cases."""
    cases = sorted(str(p) for p in (EXAMPLES.parent / "cases").rglob("*.yaml"))
    assert any("/localities/" in p for p in cases)
    assert main(["test", *cases]) == 0
    assert capsys.readouterr().out == f"169 passed, 0 failed ({len(cases)} files)\n"


def test_test_reports_a_failing_case_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("locality: taizhou\ncases:\n  - name: 补领收费\n    as_of: 2024-03-01\n"
                    "    situation: {service: reissue}\n    expect: {fee_yuan: 0}\n", encoding="utf-8")
    assert main(["test", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"FAIL {path}:6: case '补领收费': output fee_yuan: expected 0, got 20 — because: reissue: the card fee "
        "(20 yuan) is paid for replacement, reissue: 20 yuan",
        "0 passed, 1 failed (1 files)",
    ]


def test_test_with_a_bad_case_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("cases:\n  - name: x\n    as_of: 2024-03-01\n    situation: {}\n    expect: {nothing: 1}\n",
                    encoding="utf-8")
    assert main(["test", str(path)]) == 2
    assert capsys.readouterr().out == f"error: {path}:5: case 'x': nothing: unknown output\n"


def test_explain_prints_the_tree(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--situation", str(EXAMPLES / "situation.yaml"), "--as-of", "2024-06-29",
                 "--lang", "en"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"situation '李四' — as of 2024-06-29, locality taizhou, rules version {RULES_VERSION}"
    assert out[1] == "  - eligible = yes  (eligible for a residence permit)"
    assert "      - continuity_met = yes  (continuity met)" in out
    assert "          parameter permit.continuity.min_days = 180 [taizhou, in force 2016-12-08 – …]" in out
    assert ("              because: 180 days of continuous registration in 椒江区 (331002) since 2024-01-01 (as of "
            "2024-06-29); a move from 黄岩区 (331003) to 椒江区 (331002) on 2024-01-01 (another area) broke it") in out
    assert "              - continuity  (continuity worked out)" in out  # stated once, in the because above
    assert "  - missing_materials = address_proof, housing_proof  (materials still missing (told all at once))" in out
    assert "  - eligibility_basis = residence  (basis of eligibility)" in out


def test_explain_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--situation", str(EXAMPLES / "situation.yaml"), "--as-of", "2024-06-29",
                 "--lang", "zh", "--output", "continuity_met"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "  - continuity_met = 是  (居住满半年)"
    assert out[2] == "      because: 连续居住登记180天,达到180天"


def test_params_lists_values_in_force_with_sources(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["params", "--locality", "taizhou", "--as-of", "2016-12-07"]) == 0
    before = capsys.readouterr().out
    assert main(["params", "--locality", "taizhou", "--as-of", "2016-12-08"]) == 0
    after = capsys.readouterr().out
    assert "\npermit.continuity.area_level = prefecture  [area level]\n" in before
    assert "\npermit.continuity.area_level = county  [area level]\n" in after
    assert "    source: 台政办发〔2016〕112号 二(二)1: “在各县(市、区)连续居住并申报居住登记180天以上”\n" in after
    assert after.count("\n    source: ") == 42


def test_params_reports_no_value_in_force(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["params", "--as-of", "2000-01-01"]) == 0
    out = capsys.readouterr().out
    assert "\npermit.continuity.min_days\n    no value in force: no value in force on 2000-01-01" in out


def test_compare_reports_changed_outcomes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "--variant", str(EXAMPLES / "variant_120_days.yaml"), "--situations",
                 str(EXAMPLES / "situations.yaml"), "--as-of", "2024-06-29"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1:] == [
        "  changed parameter permit.continuity.min_days: 180 -> 120",
        "situations: 6",
        "changed: 2 (33.3%)",
        "  false -> true: 2",
        "    e.g. 130天,自购房屋, 170天,全日制大学",
    ]


def test_compare_with_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np

    path = tmp_path / "pop.npz"
    np.savez(path, continuous_days=np.array([100, 130, 200], dtype=np.int32),
             social_insurance_months=np.array([3, 3, 0], dtype=np.int32))
    assert main(["compare", "--variant", str(EXAMPLES / "variant_120_days.yaml"), "--situations", str(path),
                 "--as-of", "2024-06-29"]) == 2
    assert "continuous_days: is computed by the rules, not an input" in capsys.readouterr().out
    assert main(["compare", "--variant", str(EXAMPLES / "variant_120_days.yaml"), "--situations", str(path),
                 "--as-of", "2024-06-29", "--override", "continuous_days"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2:] == ["situations: 3", "changed: 1 (33.3%)", "  false -> true: 1", "    e.g. #2"]


def test_bad_as_of_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["params", "--as-of", "2024-02-30"])
    assert exc.value.code == 2
    assert "not a date YYYY-MM-DD: '2024-02-30'" in capsys.readouterr().err


def test_bench_quick_runs_without_openfisca(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("numpy")
    try:
        import openfisca_core  # noqa: F401
        has_openfisca = True
    except ImportError:
        has_openfisca = False
    assert main(["bench", "--quick", "--n", "20000"]) == 0
    out = capsys.readouterr().out
    assert "load every parameter file" in out
    assert "population: full eligibility (20,000 situations, 11 outputs)" in out
    assert ("OpenFisca: skipped (openfisca-core is not installed; install it with `uv sync --extra bench`)" in out) \
        is not has_openfisca
