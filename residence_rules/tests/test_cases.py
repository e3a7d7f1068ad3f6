"""Every shipped case passes; an altered threshold makes exactly the matching cases fail."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from residence_rules.cases import load_case_file, run_case, run_case_files, shipped_case_files
from residence_rules.parameters import PARAMETERS_DIR, load_library

CASES = [case for path in shipped_case_files() for case in load_case_file(path)]


def test_every_case_file_is_shipped() -> None:
    names = sorted(p.name for p in shipped_case_files())
    assert names == ["continuity.yaml", "declarations.yaml", "eligibility_taizhou.yaml", "permit_procedures.yaml"]
    assert len(CASES) == 94


@pytest.mark.parametrize("case", CASES, ids=[f"{Path(c.file).stem}:{c.name}" for c in CASES])
def test_case(case: object) -> None:
    result = run_case(case, load_library())  # type: ignore[arg-type]
    assert result.failures == []


def _altered_parameters(tmp_path: Path, file: str, old: str, new: str) -> Path:
    target = tmp_path / "parameters"
    shutil.copytree(PARAMETERS_DIR, target)
    path = target / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {file}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return target


def test_altered_continuity_threshold_fails_the_matching_cases(tmp_path: Path) -> None:
    old = "permit.continuity.min_days:\n    - from: 2016-12-08\n      value: 180"
    params = _altered_parameters(tmp_path, "taizhou.yaml", old, old.replace("180", "181"))
    results = run_case_files(list(shipped_case_files()), params)
    failed = sorted(r.case.name for r in results if not r.passed)
    assert failed == sorted([
        "经济开发区与台州湾产业集聚区之间迁移视为同一区域 / a move between the merged zones keeps continuity",
        "连续居住179天,差1天,只登记不发证 / 179 days is one short",
        "连续居住180天且社保3个月,符合条件 / 180 days and 3 months of insurance",
        "工商执照3个月 / business licence held 3 months",
        "劳动合同6个月 / labour contract of 6 months",
        "农业承包合同6个月 / agricultural contract of 6 months",
        "其他合法稳定就业 / other lawful stable employment",
        "自购房屋 / own home",
        "符合安全规定的单位集体宿舍 / compliant employer dormitory",
        "合规出租屋并签订租赁合同 / compliant rental with a lease",
        "其他合法稳定住所 / other stable residence",
        "全日制小学 / full-time primary school",
    ])
    by_name = {r.case.name: r for r in results}
    failures = by_name["连续居住180天且社保3个月,符合条件 / 180 days and 3 months of insurance"].failures
    assert [f.split(": output ")[1].split(" — ")[0] for f in failures] == [
        "continuity_met: expected true, got false",
        "continuity_shortfall_days: expected 0, got 1",
        "eligible: expected true, got false",
        "eligibility_basis: expected employment, got none",
    ]
    assert failures[0].startswith(f"{PARAMETERS_DIR.parent / 'cases' / 'eligibility_taizhou.yaml'}:25: case ")
    assert failures[0].endswith("because: 180 days of continuous registration are fewer than the 181 required")
    assert load_library(params).version != load_library().version


def test_altered_insurance_threshold_fails_the_insurance_cases(tmp_path: Path) -> None:
    old = "permit.employment.min_social_insurance_months:\n    - from: 2016-12-08\n      value: 3"
    params = _altered_parameters(tmp_path, "taizhou.yaml", old, old.replace("value: 3", "value: 4"))
    results = run_case_files(list(shipped_case_files()), params)
    failed = sorted(r.case.name for r in results if not r.passed)
    assert failed == sorted([
        "连续居住180天且社保3个月,符合条件 / 180 days and 3 months of insurance",
        "社保2个月,不符合就业条件 / 2 months of insurance",
        "最接近的就业条件:社保差2个月 / nearest miss is insurance, 2 months short",
        "一次性告知全部缺少的材料 / every missing material listed at once",
    ])
