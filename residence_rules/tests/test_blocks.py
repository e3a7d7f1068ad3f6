"""Population mode runs the formulas block by block: the outputs are the same as over whole columns."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from residence_rules import engine, evaluate
from residence_rules.formulas import OUTPUT_GROUPS
from residence_rules.tests.test_engine import situations

ALL_OUTPUTS = tuple(o for group in OUTPUT_GROUPS.values() for o in group if o != "blocking_reason")
GIVEN = ("continuous_days",)  # given deliberately: intervals are worked out whole, not in blocks


@st.composite
def without_intervals(draw: st.DrawFn) -> dict[str, Any]:
    """A situation that gives its continuous days (intervals are worked out whole, not in blocks)."""
    sit = {k: v for k, v in draw(situations()).items() if k != "registration_intervals"}
    return {**sit, "continuous_days": draw(st.integers(0, 400))}


@settings(max_examples=30, deadline=None)
@given(
    st.lists(without_intervals(), min_size=2, max_size=25),
    st.integers(1, 8),
    st.sampled_from(["taizhou", "national", "yantian", "hubei"]),
)
def test_blocks_give_the_same_as_whole_columns(batch: list[dict[str, Any]], rows: int, locality: str) -> None:
    as_of = dt.date(2024, 6, 29)
    whole = evaluate(ALL_OUTPUTS, batch, as_of, locality, overrides=GIVEN)
    with mock.patch.object(engine, "BLOCK_ROWS", rows):
        blocks = evaluate(ALL_OUTPUTS, batch, as_of, locality, overrides=GIVEN)
    for name in ALL_OUTPUTS:
        assert whole[name].dtype == blocks[name].dtype, name
        assert np.array_equal(whole[name], blocks[name]), name
    assert whole.records() == blocks.records()


def test_blocks_are_used_for_columns_and_not_for_intervals() -> None:
    calls: list[int] = []
    real = engine._run_steps

    def spy(steps: Any, columns: Any, size: int, as_of: Any, scalar: bool, divisions: Any = None) -> None:
        calls.append(size)
        real(steps, columns, size, as_of, scalar, divisions)

    cols = {"continuous_days": np.arange(10, dtype=np.int32) * 30, "social_insurance_months": np.full(10, 3)}
    with mock.patch.object(engine, "BLOCK_ROWS", 4), mock.patch.object(engine, "_run_steps", spy):
        result = evaluate("eligible", cols, "2024-06-29", "taizhou", overrides=GIVEN)
        assert calls == [4, 4, 2]
        assert result["eligible"].tolist() == [False] * 6 + [True] * 4
        calls.clear()
        records = [{"registration_intervals": [{"from": dt.date(2024, 1, 1), "area": "331002"}]}] * 10
        assert evaluate("continuous_days", records, "2024-06-29", "taizhou")["continuous_days"].tolist() == [180] * 10
        assert calls == [10]
        calls.clear()
        evaluate("eligible", cols, "2024-06-29", "taizhou", trace=True, overrides=GIVEN)  # a trace keeps whole columns
        assert calls == [10]
