"""Plain-language test cases: YAML files a policy officer can write without Python.

A case file::

    locality: taizhou                 # default locality for the cases below (optional)
    cases:
      - name: 连续居住180天且社保3个月,符合条件
        as_of: 2024-06-29             # the date the rules are read on
        situation:                    # the inputs (see docs/rules.md for the names)
          registration_intervals:
            - {from: 2024-01-01, area: "331002"}
          social_insurance_months: 3
        expect:                       # the outputs and their expected values
          continuous_days: 180
          eligible: true

A case may instead expect an error (``expect_error: <the message>``: before a rule took effect the rules have
no answer and name every parameter missing; an area code the locality does not know is refused), and may give a
computed value on purpose (``overrides: [continuous_days]``).

Localities used only by cases (a locality that inherits a national default every shipped locality overrides, so
that the default's threshold is guarded too) live in ``localities/`` beside the case files.

Every case is evaluated on its own; a failing case names the file, the line, the case and the output.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import CaseFileError, RulesError, UnknownOutputError
from .model import BOOL, DATE, DATETIME, ENUM, INT, SET, Variable, decode, show
from .parameters import ParameterLibrary, load_library
from .yamlload import LineDict, LineList, load_yaml

CASES_DIR = Path(__file__).resolve().parent / "cases"

_TOP_KEYS = {"locality", "description", "cases"}
_CASE_KEYS = {"name", "locality", "as_of", "situation", "expect", "expect_error", "overrides", "note"}


@dataclass
class Case:
    file: str
    line: int
    name: str
    locality: str
    as_of: dt.date
    situation: dict[str, Any]
    expect: dict[str, Any]
    expect_lines: dict[str, int]
    expect_error: str | None = None
    overrides: tuple[str, ...] = ()
    situation_lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, error: RulesError) -> int:
        """The line of the situation's input an error is about (else the case's line)."""
        for field_name in ((error.key or "").rsplit(": ", 1)[-1], error.message.split("[", 1)[0]):
            if field_name in self.situation_lines:
                return self.situation_lines[field_name]
        return self.line


@dataclass
class CaseResult:
    case: Case
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def _model_vars() -> dict[str, Variable]:
    from .formulas import MODEL

    return MODEL.variables


def _normalise_expected(var: Variable, value: Any, *, file: str, line: int, case: str) -> Any:
    """The expected value in the form decode() gives, or a CaseFileError saying what is wrong."""
    kind = var.kind
    ok = True
    if kind == INT:
        ok = type(value) is int
    elif kind == BOOL:
        ok = type(value) is bool
    elif kind == ENUM:
        assert var.enum is not None
        from .catalogue import ENUMS

        ok = isinstance(value, str) and value in ENUMS[var.enum]
    elif kind == DATE:
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                ok = False
        ok = ok and isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    elif kind == DATETIME:
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value)
            except ValueError:
                ok = False
        elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        ok = ok and isinstance(value, dt.datetime)
    elif kind == SET:
        from .catalogue import ENUMS

        assert var.enum is not None
        ok = isinstance(value, list) and all(isinstance(v, str) and v in ENUMS[var.enum] for v in value)
        if ok:
            value = sorted(value, key=ENUMS[var.enum].index)
    if not ok:
        raise CaseFileError(f"expected value {value!r} does not fit output {var.name!r} ({kind})", file=file,
                            line=line, case=case, key=var.name)
    return value


def load_case_file(path: Path | str) -> list[Case]:
    """Parse and check a case file: structure, names, dates and the outputs it expects."""
    path = Path(path)
    file = str(path)
    raw = load_yaml(path)
    if not isinstance(raw, LineDict):
        raise CaseFileError("a case file is a mapping with 'cases:'", file=file, line=1)
    for key in raw:
        if key not in _TOP_KEYS:
            raise CaseFileError(f"unknown key; allowed: {', '.join(sorted(_TOP_KEYS))}", file=file,
                                line=raw.line_of(key), key=key)
    default_locality = raw.get("locality", "national")
    cases_raw = raw.get("cases")
    if not isinstance(cases_raw, LineList) or not cases_raw:
        raise CaseFileError("'cases' must be a non-empty list", file=file, line=raw.line_of("cases"), key="cases")
    variables = _model_vars()
    cases: list[Case] = []
    names: set[str] = set()
    for i, item in enumerate(cases_raw):
        line = cases_raw.line_of(i)
        if not isinstance(item, LineDict):
            raise CaseFileError("a case is a mapping (name, as_of, situation, expect)", file=file, line=line)
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise CaseFileError("a case needs a 'name'", file=file, line=line, key="name")
        if name in names:
            raise CaseFileError("two cases have this name", file=file, line=line, case=name)
        names.add(name)
        for key in item:
            if key not in _CASE_KEYS:
                raise CaseFileError(f"unknown key; allowed: {', '.join(sorted(_CASE_KEYS))}", file=file,
                                    line=item.line_of(key), case=name, key=key)
        locality = item.get("locality", default_locality)
        if not isinstance(locality, str):
            raise CaseFileError("locality must be text", file=file, line=item.line_of("locality"), case=name)
        as_of = item.get("as_of")
        if isinstance(as_of, dt.datetime) or not isinstance(as_of, dt.date):
            raise CaseFileError(f"as_of must be a date YYYY-MM-DD, got {as_of!r}", file=file,
                                line=item.line_of("as_of"), case=name, key="as_of")
        situation = item.get("situation")
        if not isinstance(situation, dict):
            raise CaseFileError("situation must be a mapping of inputs", file=file,
                                line=item.line_of("situation"), case=name, key="situation")
        expect_error = item.get("expect_error")
        if expect_error is not None and not (isinstance(expect_error, str) and expect_error.strip()):
            raise CaseFileError("expect_error must be the message expected", file=file,
                                line=item.line_of("expect_error"), case=name, key="expect_error")
        expect = item.get("expect")
        if not isinstance(expect, LineDict) or not expect:
            raise CaseFileError("expect must be a non-empty mapping of outputs" + (
                " (with expect_error, the outputs asked for)" if expect_error else ""), file=file,
                line=item.line_of("expect"), case=name, key="expect")
        overrides = item.get("overrides", [])
        if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
            raise CaseFileError("overrides must be a list of output names", file=file,
                                line=item.line_of("overrides"), case=name, key="overrides")
        for key in situation:
            var = variables.get(key)
            line_of_key = situation.line_of(key) if isinstance(situation, LineDict) else item.line_of("situation")
            if var is None:
                raise CaseFileError("unknown input (see docs/rules.md, section 6)", file=file, line=line_of_key,
                                    case=name, key=key)
            if not var.is_input and key not in overrides:
                raise CaseFileError("is computed by the rules, not an input; list it under 'overrides:' to give it "
                                    "on purpose", file=file, line=line_of_key, case=name, key=key)
        expected: dict[str, Any] = {}
        for out, value in expect.items():
            var = variables.get(out)
            if var is None or var.is_input:
                raise UnknownOutputError("unknown output", file=file, line=expect.line_of(out), case=name, key=out)
            expected[out] = _normalise_expected(var, value, file=file, line=expect.line_of(out), case=name)
        cases.append(Case(file, line, name, locality, as_of, dict(situation), expected,
                          dict(expect.key_lines), expect_error.strip() if expect_error else None, tuple(overrides),
                          dict(getattr(situation, "key_lines", {}))))
    return cases


def run_case(case: Case, library: ParameterLibrary, *, explain: bool = True) -> CaseResult:
    """Evaluate one case and compare every expected output (``explain``: say why in a failure)."""
    from .engine import evaluate

    result = CaseResult(case)
    outputs = list(case.expect)
    try:
        pset = library.locality(case.locality)
        evaluated = evaluate(outputs, [case.situation], case.as_of, parameters=pset, names=[case.name],
                             trace=explain, overrides=case.overrides)
    except RulesError as exc:
        if case.expect_error is None or exc.message != case.expect_error:
            result.failures.append(f"{case.file}:{case.line_of(exc)}: case {case.name!r}: error: {exc}" + (
                f" (expected error: {case.expect_error})" if case.expect_error else ""))
        return result
    if case.expect_error is not None:
        result.failures.append(f"{case.file}:{case.line}: case {case.name!r}: expected error "
                               f"{case.expect_error!r}, got none")
        return result
    variables = _model_vars()
    explanations = None
    for out in outputs:
        got = decode(variables[out], evaluated[out][0])
        want = case.expect[out]
        if got != want:
            if not explain:
                result.failures.append(f"{case.file}:{case.line}: case {case.name!r}: output {out}")
                continue
            if explanations is None:
                explanations = {node.name: node for node in evaluated.explain(0)}
            node = explanations.get(out)
            why = f" — because: {node.because[1]}" if node is not None and node.because else ""
            result.failures.append(
                f"{case.file}:{case.expect_lines.get(out, case.line)}: case {case.name!r}: output {out}: "
                f"expected {_fmt(want)}, got {_fmt(got)}{why}")
    return result


def _fmt(value: Any) -> str:
    if isinstance(value, str):
        return str(value)  # texts (a reason in plain words) as written in the case
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return show(value, "en")


def case_library(paths: list[Path | str], parameters_dir: Path | str | None = None) -> ParameterLibrary:
    """The parameters the cases run on: the parameter directory plus the case-only localities (``localities/``
    beside the case files, and any such locality file named among `paths`)."""
    library = load_library(parameters_dir)
    files = {path for folder in {Path(p).resolve().parent / "localities" for p in paths}
             for path in folder.glob("*.yaml")} | {Path(p).resolve() for p in paths if is_case_locality(p)}
    for path in sorted(files):
        library, _ = library.with_variant(path)
    return library


def is_case_locality(path: Path | str) -> bool:
    """A case-only locality file (in a ``localities/`` folder beside case files), not a file of cases."""
    return Path(path).resolve().parent.name == "localities"


def run_case_files(paths: list[Path | str], parameters_dir: Path | str | None = None) -> list[CaseResult]:
    """Load every file first (a bad file stops everything), then run every case. A case-only locality named among
    the paths (`find cases -name '*.yaml'` names them too) is loaded as a locality, not read as cases."""
    library = case_library(paths, parameters_dir)
    all_cases = [case for path in paths if not is_case_locality(path) for case in load_case_file(path)]
    return [run_case(case, library) for case in all_cases]


def shipped_case_files() -> list[Path]:
    return sorted(CASES_DIR.glob("*.yaml"))
