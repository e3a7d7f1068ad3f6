"""docs/rules.md lists exactly the inputs a situation may give and the outputs users can ask for."""

from __future__ import annotations

import re
from pathlib import Path

from residence_rules import INPUTS, OUTPUTS, evaluate
from residence_rules.formulas import MODEL

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_the_table_lists_the_inputs_and_the_outputs_in_order() -> None:
    rows = re.findall(r"^\| (in|out) +\| `([a-z_]+)` \|", DOC.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert [name for kind, name in rows if kind == "in"] == list(INPUTS)
    assert [name for kind, name in rows if kind == "out"] == list(OUTPUTS)
    internal = [name for name, var in MODEL.variables.items() if not var.is_input and not var.output]
    assert {"continuity", "declaration_limit_minutes", "condition_basis"} <= set(internal)
    assert not set(internal) & set(OUTPUTS)


def test_every_output_listed_can_be_asked_for() -> None:
    for name in OUTPUTS:
        assert evaluate(name, [], "2024-06-29", "taizhou").outputs == (name,)
