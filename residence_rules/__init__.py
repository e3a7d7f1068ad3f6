"""residence_rules — the law of residence registration and residence permits as code.

Pure Python (numpy, PyYAML); imports nothing from Django or the ``residence`` package.

Public API (what the Django side uses):

``load_parameters(locality="national", directory=None) -> ParameterSet``
    The dated parameters of a locality (``national``, ``taizhou`` — the demo city, ``yantian``, ``hubei``),
    with what it inherits. ``ParameterSet.get(key, date)`` gives a ``ParamValue`` (value, first and last
    day in force, the locality that set it, its source). Files are checked strictly when loaded.
``evaluate(outputs, situations, as_of, locality="national", *, trace=False, parameters=None, names=None)``
    Evaluate outputs (see ``OUTPUTS``) as of a date for a list of situations (mappings of input → value)
    or for columns (mapping of input → numpy array). Returns a ``Result``: ``result[name]`` (a column),
    ``result.value(name, i)``, ``result.records()``; with ``trace=True`` also ``result.trace_record(i)``
    (plain data to store with a decision) and ``result.explain(i)`` / ``render(result, i)`` (the
    explanation tree: every value, every parameter with its dates and source, every formula's because).
``continuity(intervals, as_of, locality="national", *, parameters=None) -> ContinuityResult``
    Continuous days of registration from intervals ``{from, to, area, kind}`` and each gap or move that
    broke it; areas are named in words (GB/T 2260 names, the locality's own zones).
``load_divisions(path=None) -> DivisionTable``
    The GB/T 2260 division codes (current and historic, with successors) from the dataset the project ships.
``RULES_VERSION``
    A hash of the shipped parameter files; stored with a decision so that it can be replayed.
``OUTPUTS``, ``INPUTS``
    The names of the outputs the engine provides and of the inputs a situation may give.
``run_case_files(paths, parameters_dir=None)``, ``shipped_case_files()``
    Plain-language YAML test cases.
``RulesError`` and its subclasses (``residence_rules.errors``): every error names file, line, key or case.

Commands: ``residence rules test|explain|params|compare|bench`` or ``python -m residence_rules …``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from .cases import run_case_files, shipped_case_files
from .continuity import ContinuityResult, Interval, compute_continuity, parse_interval
from .divisions import DivisionTable, load_divisions
from .engine import Explanation, Result, evaluate, render
from .errors import RulesError
from .formulas import MODEL, OUTPUT_GROUPS
from .parameters import ParameterSet, ParamValue, load_library, load_parameters

OUTPUTS: tuple[str, ...] = tuple(MODEL.outputs())  # what users can ask for (intermediate steps are not listed)
INPUTS: tuple[str, ...] = tuple(MODEL.inputs())
RULES_VERSION: str = load_library().version


def continuity(
    intervals: Iterable[Interval | Mapping[str, Any]],
    as_of: dt.date,
    locality: str = "national",
    *,
    parameters: ParameterSet | None = None,
) -> ContinuityResult:
    """Continuous registered days as of ``as_of`` under the locality's continuity rules."""
    pset = parameters if parameters is not None else load_parameters(locality)
    return compute_continuity(
        [parse_interval(iv) for iv in intervals],
        as_of,
        area_level=pset.get("permit.continuity.area_level", as_of).value,
        zones=pset.get("permit.continuity.zones", as_of).value,
        evidence_kinds=pset.get("permit.continuity.evidence_kinds", as_of).value,
        local_codes=pset.get("areas.local_codes", as_of).value,
    )


__all__ = [
    "INPUTS",
    "OUTPUTS",
    "OUTPUT_GROUPS",
    "RULES_VERSION",
    "ContinuityResult",
    "DivisionTable",
    "Explanation",
    "Interval",
    "ParamValue",
    "ParameterSet",
    "Result",
    "RulesError",
    "continuity",
    "evaluate",
    "load_divisions",
    "load_parameters",
    "render",
    "run_case_files",
    "shipped_case_files",
]
