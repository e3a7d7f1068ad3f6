"""Command line: ``residence rules …`` (Django side) or ``python -m residence_rules …``.

Subcommands: ``test`` (run case files), ``explain`` (a situation's trace as a tree), ``params`` (the
parameters in force with their sources), ``compare`` (a policy variant against the parameters in force),
``bench`` (the speed benchmark).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from .errors import RulesError, SituationError
from .yamlload import LineDict, LineList, load_yaml

PRIMARY_OUTPUTS = (
    "eligible", "eligibility_basis", "missing_materials", "register_only", "declaration_late",
    "employment_report_late", "applicant_accepted", "point_may_accept", "fee_yuan", "issue_late",
    "endorsement_allowed", "permit_suspended", "residence_years_from", "change_late", "permit_dormant",
)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="residence rules", description="Rules of residence registration and "
                                     "residence permits: dated parameters, explained formulas, test cases.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("test", help="run case files; exits 1 if a case fails")
    p.add_argument("files", nargs="*", type=Path, help="case files (default: every shipped case file)")
    p.add_argument("--parameters", type=Path, help="parameter directory (default: the shipped one)")
    p.add_argument("-v", "--verbose", action="store_true", help="list passing cases too")

    p = sub.add_parser("explain", help="print a situation's trace as an indented tree")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--situation", type=Path, help="YAML file: a mapping of inputs, or "
                      "'situations:' with a list of them")
    what.add_argument("--person", type=int, help="a person in the database, by number (`residence rules explain "
                      "--person N --as-of DATE` builds the situation from their records)")
    p.add_argument("--as-of", type=_date, required=True, dest="as_of")
    p.add_argument("--locality", default=None, help="default: the file's 'locality', else national")
    p.add_argument("--output", action="append", help="output to explain (repeatable; default: every "
                   "main output the situation has inputs for)")
    p.add_argument("--lang", choices=("zh", "en", "both"), default="both")
    p.add_argument("--parameters", type=Path)

    p = sub.add_parser("params", help="list the parameters in force with their sources")
    p.add_argument("--locality", default="national")
    p.add_argument("--as-of", type=_date, default=None, dest="as_of", help="default: today")
    p.add_argument("--parameters", type=Path)

    p = sub.add_parser("compare", help="outcomes under the parameters in force and under a variant")
    p.add_argument("--variant", type=Path, required=True, help="a parameter file that inherits the base "
                   "locality and overrides some values")
    p.add_argument("--situations", type=Path, required=True, help="YAML ('situations:' list) or .npz columns")
    p.add_argument("--as-of", type=_date, default=None, dest="as_of", help="default: today")
    p.add_argument("--output", default="eligible")
    p.add_argument("--override", action="append", default=[], help="a computed value the situations give on "
                   "purpose, e.g. continuous_days in a population file (repeatable)")
    p.add_argument("--examples", type=int, default=5)
    p.add_argument("--parameters", type=Path)

    p = sub.add_parser("bench", help="speed benchmark (with OpenFisca side by side when installed)")
    p.add_argument("--n", type=int, default=10_000_000, help="situations in population mode")
    p.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke test")
    return parser


def main(argv: list[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Run a subcommand; returns the exit code (0 ok, 1 a case failed, 2 bad input)."""
    out = stdout if stdout is not None else sys.stdout
    args = _parser().parse_args(argv)
    try:
        if args.command == "test":
            return _cmd_test(args, out)
        if args.command == "explain":
            return _cmd_explain(args, out)
        if args.command == "params":
            return _cmd_params(args, out)
        if args.command == "compare":
            return _cmd_compare(args, out)
        from .bench import run_bench

        return run_bench(n=args.n, quick=args.quick, out=out)
    except RulesError as exc:
        print(f"error: {exc}", file=out)
        return 2


# --- test -------------------------------------------------------------------------------------------
def _cmd_test(args: argparse.Namespace, out: TextIO) -> int:
    from .cases import run_case_files, shipped_case_files

    files: list[Path | str] = list(args.files) or list(shipped_case_files())
    results = run_case_files(files, args.parameters)
    failed = [r for r in results if not r.passed]
    for r in results:
        if r.passed and args.verbose:
            print(f"PASS {r.case.file}:{r.case.line}: {r.case.name}", file=out)
        for failure in r.failures:
            print(f"FAIL {failure}", file=out)
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed ({len(files)} files)", file=out)
    return 1 if failed else 0


# --- situations files -------------------------------------------------------------------------------
def load_situations(path: Path) -> tuple[list[str] | None, list[dict[str, Any]] | dict[str, Any], str | None]:
    """(names, situations or columns, locality named in the file) from a YAML or .npz file."""
    if path.suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as data:
                return None, {key: data[key] for key in data.files}, None
        except (OSError, ValueError) as exc:
            raise SituationError(f"cannot read columns: {exc}", file=str(path)) from None
    raw = load_yaml(path)
    locality = None
    if isinstance(raw, LineDict) and "situations" in raw:
        unknown = set(raw) - {"situations", "locality"}
        if unknown:
            key = sorted(unknown)[0]
            raise SituationError("unknown key; allowed: locality, situations", file=str(path),
                                 line=raw.line_of(key), key=key)
        locality = raw.get("locality")
        items = raw["situations"]
    elif isinstance(raw, LineDict):
        items = LineList([raw])
        items.line, items.item_lines = raw.line, [raw.line]
    else:
        items = raw
    if not isinstance(items, list) or not items:
        raise SituationError("expected a mapping of inputs or 'situations:' with a non-empty list", file=str(path))
    names: list[str] = []
    situations: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        line = items.line_of(i) if isinstance(items, LineList) else None
        if not isinstance(item, dict):
            raise SituationError("a situation is a mapping of inputs", file=str(path), line=line)
        sit = dict(item)
        name = sit.pop("name", None)
        names.append(str(name) if name is not None else f"#{i + 1} (line {line})")
        situations.append(sit)
    return names, situations, locality if isinstance(locality, str) else None


# --- explain ----------------------------------------------------------------------------------------
def _cmd_explain(args: argparse.Namespace, out: TextIO) -> int:
    if args.person is not None:
        print("error: --person needs the database: run `residence rules explain --person N --as-of DATE` in the "
              "project", file=out)
        return 2
    from .engine import evaluate, render
    from .formulas import computable_outputs
    from .parameters import load_library

    names, situations, file_locality = load_situations(args.situation)
    if not isinstance(situations, list):
        raise SituationError("explain reads a YAML situation file, not columns", file=str(args.situation))
    locality = args.locality or file_locality or "national"
    pset = load_library(args.parameters).locality(locality)
    keys = set().union(*situations)
    outputs = args.output or [o for o in PRIMARY_OUTPUTS if o in computable_outputs(keys)]
    if not outputs:
        raise SituationError("the situation has the inputs of no output; name one with --output",
                             file=str(args.situation))
    result = evaluate(outputs, situations, args.as_of, parameters=pset, names=names, trace=True)
    for i in range(result.size):
        print(render(result, i, args.lang), file=out)
    return 0


# --- params -----------------------------------------------------------------------------------------
def _cmd_params(args: argparse.Namespace, out: TextIO) -> int:
    from .catalogue import PARAMETERS
    from .model import show
    from .parameters import load_library

    day = args.as_of or dt.date.today()
    pset = load_library(args.parameters).locality(args.locality)
    print(f"parameters of {args.locality} in force on {day.isoformat()} (rules version {pset.version})", file=out)
    for item in pset.in_force(day):
        if isinstance(item, tuple):
            key, exc = item
            print(f"\n{key}\n    no value in force: {exc.message}", file=out)
            continue
        spec = PARAMETERS[item.key]
        print(f"\n{item.key} = {show(item.value, 'en')}  [{spec.unit}]", file=out)
        print(f"    {spec.zh} / {spec.en}", file=out)
        print(f"    in force {item.period()}, set by {item.locality} ({item.file}:{item.line})", file=out)
        print(f"    source: {item.source.short()}", file=out)
    return 0


# --- compare ----------------------------------------------------------------------------------------
def _cmd_compare(args: argparse.Namespace, out: TextIO) -> int:
    from .engine import evaluate
    from .model import show
    from .parameters import load_library

    day = args.as_of or dt.date.today()
    library = load_library(args.parameters)
    variant_lib, variant_id = library.with_variant(args.variant)
    base_id = variant_lib.localities[variant_id].inherits
    if base_id is None:
        raise SituationError("a variant must 'inherits:' the locality it changes", file=str(args.variant))
    base = library.locality(base_id)
    variant = variant_lib.locality(variant_id)
    names, situations, _ = load_situations(args.situations)
    before = evaluate([args.output], situations, day, parameters=base, names=names, overrides=args.override)
    after = evaluate([args.output], situations, day, parameters=variant, names=names, overrides=args.override)
    a, b = before[args.output], after[args.output]
    n = before.size
    print(f"compare {args.output} as of {day.isoformat()}: {base_id} (rules {base.version}) vs variant "
          f"{variant_id} (rules {variant.version})", file=out)
    for key, spec_change in _changed_params(base, variant, day):
        print(f"  changed parameter {key}: {spec_change}", file=out)
    changed = a != b
    count = int(np.count_nonzero(changed))
    share = 100.0 * count / n if n else 0.0
    print(f"situations: {n}", file=out)
    print(f"changed: {count} ({share:.1f}%)", file=out)
    var = before.model.variables[args.output]
    from .model import decode

    idx = np.flatnonzero(changed)
    if count:
        pairs: dict[tuple[str, str], list[int]] = {}
        for i in idx:
            pair = (show(decode(var, a[i]), "en"), show(decode(var, b[i]), "en"))
            pairs.setdefault(pair, []).append(int(i))
        for (x, y), rows in sorted(pairs.items(), key=lambda kv: -len(kv[1])):
            label = {"no": "false", "yes": "true"}
            print(f"  {label.get(x, x)} -> {label.get(y, y)}: {len(rows)}", file=out)
            shown = [names[i] if names is not None else f"#{i + 1}" for i in rows[: args.examples]]
            print(f"    e.g. {', '.join(shown)}", file=out)
    return 0


def _changed_params(base: Any, variant: Any, day: dt.date) -> list[tuple[str, str]]:
    from .model import show

    out = []
    for b_item, v_item in zip(base.in_force(day), variant.in_force(day), strict=True):
        if isinstance(b_item, tuple) or isinstance(v_item, tuple):
            continue
        if b_item.value != v_item.value:
            out.append((b_item.key, f"{show(b_item.value, 'en')} -> {show(v_item.value, 'en')}"))
    return out

