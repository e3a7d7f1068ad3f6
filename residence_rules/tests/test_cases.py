"""Every shipped case passes; an altered threshold makes exactly the matching cases fail."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from residence_rules.cases import case_library, load_case_file, run_case, run_case_files, shipped_case_files
from residence_rules.parameters import PARAMETERS_DIR, load_library

CASES = [case for path in shipped_case_files() for case in load_case_file(path)]
LIBRARY = case_library(list(shipped_case_files()))


def test_every_case_file_is_shipped() -> None:
    names = sorted(p.name for p in shipped_case_files())
    assert names == ["continuity.yaml", "declarations.yaml", "eligibility_taizhou.yaml", "local_dates.yaml",
                     "national_defaults.yaml", "permit_procedures.yaml"]
    assert len(CASES) == 169


@pytest.mark.parametrize("case", CASES, ids=[f"{Path(c.file).stem}:{c.name}" for c in CASES])
def test_case(case: object) -> None:
    result = run_case(case, LIBRARY)  # type: ignore[arg-type]
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
    assert failed == _failing_in_memory("taizhou", "permit.continuity.min_days", value=181)
    assert "连续居住179天,差1天,只登记不发证 / 179 days is one short" in failed
    assert "全国默认 连续居住180天,符合条件 / national, 180 days" not in failed  # the national default is its own
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
    assert failed == _failing_in_memory("taizhou", "permit.employment.min_social_insurance_months", value=4)
    assert "社保2个月,不符合就业条件 / 2 months of insurance" in failed


def _failing_in_memory(locality: str, key: str, **changes: object) -> list[str]:
    """The cases that fail when the first entry of ``key`` is changed in memory (as the mutation test does):
    the same as when the file is rewritten."""
    from residence_rules.tests.test_mutation import _with

    base = case_library(list(shipped_case_files()))
    loc = base.localities[locality]
    assert loc.raw is not None
    mutant = base.replaced(loc.with_timeline(key, _with(loc.raw[key], 0, **changes)), "mutant")
    return sorted(c.name for c in CASES if not run_case(c, mutant, explain=False).passed)
