"""The engine: evaluate outputs as of a date for a batch of situations, optionally keeping a trace.

``evaluate(outputs, situations, as_of, locality=..., trace=False)`` takes either a list of situations
(mappings of input name to value: a counter, a case file) or columns (a mapping of input name to a numpy
array: a policy simulation). Without a trace only the outputs are kept. With a trace every intermediate
column and every parameter used (value, dates in force, source) is kept, and each person's explanation is
built lazily as a slice of those columns (``Result.explain(i)``), so tracing costs almost nothing until
someone reads an explanation.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .catalogue import ENUMS
from .continuity import IntervalTable, parse_interval
from .divisions import DivisionTable, load_divisions
from .errors import (
    ContradictoryDatesError,
    InputTypeError,
    MissingInputError,
    NoValueInForceError,
    OutputGivenError,
    SituationError,
    UnknownAreaError,
    UnknownInputError,
    UnknownOutputError,
)
from .model import (
    BOOL,
    DATE,
    DATETIME,
    DTYPES,
    ENUM,
    INT,
    INTERVALS,
    NOT_GIVEN,
    OBJECT,
    SET,
    Col,
    Model,
    ObjectColumn,
    Text,
    Variable,
    Words,
    decode,
    show,
)
from .parameters import ParameterSet, ParamValue, load_parameters

_MISSING = object()


def _as_date(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise SituationError(f"as-of date must be YYYY-MM-DD, got {value!r}", key="as_of") from None


def _who(i: int, names: Sequence[str] | None) -> str:
    return f"situation {names[i]!r}" if names is not None else f"situation #{i + 1}"


# --- converting situations to columns -----------------------------------------------------------------
def _convert_one(var: Variable, value: Any) -> Any:
    """One value to its column representation; ValueError/TypeError with a reason if it does not fit."""
    kind = var.kind
    if kind == INT:
        if type(value) is not int:
            raise TypeError("expected an integer")
        if var.minimum is not None and value < var.minimum:
            raise ValueError(f"must be at least {var.minimum}")
        return value
    if kind == BOOL:
        if type(value) is not bool:
            raise TypeError("expected true or false")
        return value
    if kind == ENUM:
        assert var.enum is not None
        if not isinstance(value, str) or value not in ENUMS[var.enum]:
            raise TypeError("expected one of " + ", ".join(ENUMS[var.enum]))
        return ENUMS[var.enum].index(value)
    if kind == DATE:
        if (value is NOT_GIVEN or value is None) and var.default is NOT_GIVEN:
            return None
        if isinstance(value, dt.datetime):
            raise TypeError("expected a date YYYY-MM-DD, not a date and time")
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise TypeError("expected a date YYYY-MM-DD")
    if kind == DATETIME:
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value)
            except ValueError:
                pass
        raise TypeError("expected a date and time YYYY-MM-DD HH:MM")
    if kind == SET:
        assert var.enum is not None
        if not isinstance(value, list | tuple):
            raise TypeError("expected a list of " + ", ".join(ENUMS[var.enum]))
        bits = 0
        for item in value:
            if not isinstance(item, str) or item not in ENUMS[var.enum]:
                raise TypeError(f"unknown item {item!r}; expected some of " + ", ".join(ENUMS[var.enum]))
            bits |= 1 << ENUMS[var.enum].index(item)
        return bits
    if kind == INTERVALS:
        if not isinstance(value, list | tuple):
            raise TypeError("expected a list of intervals {from, to, area, kind}")
        return tuple(parse_interval(item) for item in value)
    return value


_FAST_TYPES: dict[str, tuple[type, ...]] = {INT: (int,), BOOL: (bool,), DATE: (dt.date,)}
_ENUM_INDEX: dict[str, dict[str, int]] = {name: {v: i for i, v in enumerate(values)} for name, values in ENUMS.items()}


def _column_from_values(var: Variable, values: list[Any], names: Sequence[str] | None) -> Col | ObjectColumn:
    kind = var.kind
    if kind == INTERVALS:
        table = IntervalTable.from_raw(values)
        if table is not None:
            return table
    fast = _FAST_TYPES.get(kind)
    if fast is not None and set(map(type, values)) <= set(fast):
        if var.minimum is not None and values and min(values) < var.minimum:
            i = values.index(min(values))
            raise InputTypeError(f"{values[i]!r} is out of range: must be at least {var.minimum}",
                                 key=f"{_who(i, names)}: {var.name}")
        return np.array(values, dtype=DTYPES[kind])
    if kind == ENUM and set(map(type, values)) <= {str}:
        assert var.enum is not None
        index = _ENUM_INDEX[var.enum]
        codes = [index.get(v, -1) for v in values]
        if -1 not in codes:
            return np.array(codes, dtype=np.int8)
    converted = []
    for i, value in enumerate(values):
        try:
            converted.append(_convert_one(var, value))
        except (TypeError, ValueError) as exc:
            raise InputTypeError(f"{exc}, got {type(value).__name__} {value!r}",
                                 key=f"{_who(i, names)}: {var.name}") from None
    if kind == INTERVALS:
        return IntervalTable.from_people(converted)
    return np.array(converted, dtype=DTYPES[kind])


def _dtype(kind: str) -> Any:
    return DTYPES[kind]


def _default_value(var: Variable) -> Any:
    return _convert_one(var, var.default)


def _scalar_of(var: Variable, value: Any) -> Any:
    """One situation's value in the form formulas get when a single situation is evaluated."""
    out = _convert_one(var, value)
    if var.kind == DATETIME:
        if not isinstance(out, dt.datetime):
            return dt.datetime(out.year, out.month, out.day)
        return out.replace(second=0, microsecond=0, tzinfo=None)
    return out


def _coerce_scalar(kind: str, value: Any) -> Any:
    if kind in (INT, ENUM, SET):
        return int(value)
    if kind == BOOL:
        return bool(value)
    if kind in (DATE, DATETIME) and isinstance(value, np.datetime64):
        return value.astype(object)
    return value


def _column_from_array(var: Variable, arr: Any, size: int) -> Col | ObjectColumn:
    kind = var.kind
    if kind == INTERVALS:
        if isinstance(arr, IntervalTable):
            return arr
        return IntervalTable.from_people([tuple(parse_interval(x) for x in item) for item in arr])
    a = np.asarray(arr)
    if a.shape != (size,):
        raise InputTypeError(f"column has shape {a.shape}, expected ({size},)", key=var.name)
    if kind in (INT, SET):
        if a.dtype.kind not in "iu":
            raise InputTypeError(f"expected an integer column, got {a.dtype}", key=var.name)
        return a if a.dtype == np.int32 else a.astype(np.int32)
    if kind == BOOL:
        if a.dtype != np.bool_:
            raise InputTypeError(f"expected a boolean column, got {a.dtype}", key=var.name)
        return a
    if kind == ENUM:
        assert var.enum is not None
        values = ENUMS[var.enum]
        if a.dtype.kind in "US":
            lookup = {v: i for i, v in enumerate(values)}
            try:
                return np.array([lookup[str(v)] for v in a], dtype=np.int8)
            except KeyError as exc:
                raise InputTypeError(f"unknown value {exc.args[0]!r}; expected one of " + ", ".join(values),
                                     key=var.name) from None
        if a.dtype.kind not in "iu":
            raise InputTypeError(f"expected enum codes or names, got {a.dtype}", key=var.name)
        if size and (int(a.min()) < 0 or int(a.max()) >= len(values)):
            raise InputTypeError(f"enum code out of range 0..{len(values) - 1}", key=var.name)
        return a if a.dtype == np.int8 else a.astype(np.int8)
    if kind in (DATE, DATETIME):
        try:
            return a.astype(_dtype(kind))
        except (TypeError, ValueError):
            raise InputTypeError(f"expected a {kind} column, got {a.dtype}", key=var.name) from None
    return a


# --- results and explanations ---------------------------------------------------------------------------
@dataclass
class UsedParam:
    alias: str
    value: ParamValue


@dataclass(slots=True)
class Explanation:
    """One node of a person's explanation: a variable, its value, why, the parameters it used, and the
    explanations of the variables it read."""

    name: str
    label: Text
    value: Any
    given: bool
    because: Text | None
    params: list[ParamValue] = field(default_factory=list)
    children: list[Explanation] = field(default_factory=list)
    repeated: bool = False
    defaulted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": _jsonable(self.value),
            "given": self.given,
            "because": {"zh": self.because[0], "en": self.because[1]} if self.because else None,
            "params": [
                {"key": p.key, "value": _jsonable(p.value), "from": p.start.isoformat(),
                 "to": p.end.isoformat() if p.end else None, "locality": p.locality,
                 "source": {"ref": p.source.ref, "text": p.source.text, "note": p.source.note}}
                for p in self.params
            ],
            "children": [c.to_dict() for c in self.children],
            "repeated": self.repeated,
            "defaulted": self.defaulted,
        }


_PLAIN = (bool, int, str, float, type(None))


def _jsonable(value: Any) -> Any:
    if value.__class__ in _PLAIN:
        return value
    if isinstance(value, Words):
        return {"zh": str(value), "en": value.en}
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "describe"):
        return value.describe("en")
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if hasattr(value, "areas"):
        return {"name": value.name, "areas": list(value.areas)}
    if hasattr(value, "describe"):
        return value.describe("en")
    return value


class Result:
    """The outputs of one evaluation (and, when traced, everything needed to explain each situation)."""

    def __init__(self, *, model: Model, outputs: tuple[str, ...], size: int, as_of: dt.date, locality: str,
                 rules_version: str, columns: dict[str, Col], traced: bool,
                 used: dict[str, list[UsedParam]], given: frozenset[str], names: Sequence[str] | None,
                 scalar: bool = False) -> None:
        self.model = model
        self.scalar = scalar
        self._wrapped: dict[str, Col] = {}
        self._params_key: tuple[int, ...] | None = None
        self.outputs = outputs
        self.size = size
        self.as_of = as_of
        self.locality = locality
        self.rules_version = rules_version
        self.columns = columns
        self.traced = traced
        self.used = used
        self.given = given
        self.names = names

    def __getitem__(self, name: str) -> Col:
        """The raw column of an output (or, when traced, of any intermediate variable)."""
        if name not in self.columns:
            raise UnknownOutputError(f"not in this result (outputs: {', '.join(self.outputs)})", key=name)
        if not self.scalar:
            return self.columns[name]
        col = self._wrapped.get(name)
        if col is None:
            kind = self.model.variables[name].kind
            col = np.empty(1, dtype=DTYPES[kind])
            col[0] = self.columns[name]
            self._wrapped[name] = col
        return col

    def value(self, name: str, i: int) -> Any:
        """Situation ``i``'s value of ``name`` as a plain Python value."""
        if self.scalar:
            if name not in self.columns:
                self[name]
            if i != 0:
                raise SituationError(f"no situation #{i + 1} (there is 1)")
            return decode(self.model.variables[name], self.columns[name])
        return decode(self.model.variables[name], self[name][i])

    def record(self, i: int) -> dict[str, Any]:
        return {name: self.value(name, i) for name in self.outputs}

    def records(self) -> list[dict[str, Any]]:
        return [self.record(i) for i in range(self.size)]

    def params_used(self) -> list[ParamValue]:
        seen: dict[str, ParamValue] = {}
        for items in self.used.values():
            for item in items:
                seen.setdefault(item.value.key, item.value)
        return list(seen.values())

    def trace_record(self, i: int) -> dict[str, Any]:
        """Situation ``i``'s trace as plain data to store with a decision and replay later: the rules version,
        the date and locality, every value (inputs and intermediates) and every parameter used with its value,
        dates in force and source. Needs ``trace=True``."""
        if not self.traced:
            raise SituationError("evaluate with trace=True to keep a trace")
        values = {name: _jsonable(self.value(name, i)) for name in self.columns}
        return {
            "rules_version": self.rules_version,
            "as_of": self.as_of.isoformat(),
            "locality": self.locality,
            "outputs": {name: values[name] for name in self.outputs},
            "values": values,
            "parameters": self._params_record(),
        }

    def _params_record(self) -> dict[str, Any]:
        key = self._params_key
        if key is None:
            key = self._params_key = tuple(id(u.value) for uses in self.used.values() for u in uses)
        hit = _PARAMS_RECORDS.get(key)
        if hit is None:
            record = {
                p.key: {"value": _jsonable(p.value), "from": p.start.isoformat(),
                        "to": p.end.isoformat() if p.end else None, "locality": p.locality,
                        "source": p.source.ref}
                for p in self.params_used()
            }
            if len(_PARAMS_RECORDS) > 1024:
                _PARAMS_RECORDS.clear()
            # keep the ParamValue objects alive with the record so that their ids stay theirs
            hit = _PARAMS_RECORDS[key] = (self.params_used(), record)
        return hit[1]

    def explain(self, i: int) -> list[Explanation]:
        """Situation ``i``'s explanation: one tree per output (needs ``trace=True``)."""
        if not self.traced:
            raise SituationError("evaluate with trace=True to explain")
        if not 0 <= i < self.size:
            raise SituationError(f"no situation #{i + 1} (there are {self.size})")
        done: set[str] = set()
        values: dict[str, Any] = {}
        return [self._node(name, i, done, values) for name in self.outputs]

    def _node(self, name: str, i: int, done: set[str], values: dict[str, Any]) -> Explanation:
        var = self.model.variables[name]
        value = values.get(name, _MISSING)
        if value is _MISSING:
            value = values[name] = self.value(name, i)
        if name in done:
            return Explanation(name, var.label, value, name in self.given, None, repeated=True)
        done.add(name)
        if var.is_input or name in self.given:
            return Explanation(name, var.label, value, name in self.given, None, defaulted=name not in self.given)
        used = self.used.get(name, [])
        children = [self._node(dep, i, done, values) for dep in var.deps]
        because = None
        if var.because:
            selector = var.because_key or name
            sel_var = self.model.variables[selector]
            sel_value = value if selector == name else self.value(selector, i)
            if sel_var.kind == BOOL:
                tkey = "true" if sel_value else "false"
            elif sel_var.kind == ENUM:
                tkey = str(sel_value)
            else:
                tkey = "*"
            template = var.because.get(tkey) or var.because.get("*")
            if template is not None:
                because = (self._fill(template[0], i, used, values, name, "zh"),
                           self._fill(template[1], i, used, values, name, "en"))
        return Explanation(name, var.label, value, False, because, [u.value for u in used], children)

    def _fill(self, template: str, i: int, used: list[UsedParam], values: dict[str, Any], name: str,
              lang: str) -> str:
        fields: dict[str, str] = {}
        aliases = {item.alias: item for item in used}
        for field_name in _fields(template):
            if field_name in aliases:
                fields[field_name] = _show_param(aliases[field_name].value, lang)
                continue
            var_name = name if field_name == "value" else field_name
            value = values.get(var_name, _MISSING)
            if value is _MISSING:
                value = values[var_name] = self.value(var_name, i)
            fields[field_name] = show(value, lang)
        return template.format_map(fields)


_Step = tuple[str, Variable, Callable[..., Any], dict[str, Any], list[UsedParam]]


def _bound_steps(model: Model, order: tuple[str, ...], pset: ParameterSet, day: dt.date) -> list[_Step]:
    """The formulas to run with their parameter values as of ``day`` (cached per parameter set and day)."""
    key = (id(model), order, day)
    steps: list[_Step] | None = pset.bound.get(key)
    if steps is None:
        steps = []
        missing: dict[str, NoValueInForceError] = {}
        for name in order:
            var = model.variables[name]
            assert var.formula is not None
            uses = []
            for alias, pkey in var.params.items():
                try:
                    uses.append(UsedParam(alias, pset.get(pkey, day)))
                except NoValueInForceError as exc:
                    missing.setdefault(pkey, exc)
            steps.append((name, var, var.formula, {u.alias: u.value.value for u in uses}, uses))
        if missing:  # say every parameter the answer lacks, not only the first
            if len(missing) == 1:
                raise next(iter(missing.values()))
            raise NoValueInForceError(f"no value in force on {day.isoformat()} for locality {pset.locality!r}: "
                                      + ", ".join(missing))
        if len(pset.bound) > 1024:
            pset.bound.clear()
        pset.bound[key] = steps
    return steps


_PARAMS_RECORDS: dict[tuple[int, ...], tuple[list[ParamValue], dict[str, Any]]] = {}
_PARAM_SHOWN: dict[tuple[int, str], tuple[ParamValue, str]] = {}


def _show_param(pv: ParamValue, lang: str) -> str:
    """A parameter value in words, cached per value object (parameter values are few and immutable)."""
    key = (id(pv), lang)
    hit = _PARAM_SHOWN.get(key)
    if hit is not None and hit[0] is pv:
        return hit[1]
    if len(_PARAM_SHOWN) > 10_000:
        _PARAM_SHOWN.clear()
    text = show(pv.value, lang)
    _PARAM_SHOWN[key] = (pv, text)
    return text


_FIELDS: dict[str, tuple[str, ...]] = {}


def _fields(template: str) -> tuple[str, ...]:
    """The {names} a because template uses (parsed once)."""
    found = _FIELDS.get(template)
    if found is None:
        found = tuple(dict.fromkeys(f for _, f, _, _ in string.Formatter().parse(template) if f))
        _FIELDS[template] = found
    return found


# --- evaluation ------------------------------------------------------------------------------------
# Population mode (no trace, many situations) runs the formulas over blocks of this many rows: each block's
# intermediate columns stay in the processor's cache instead of going out to memory and back, and only the
# outputs are written out whole.
BLOCK_ROWS = 1 << 19


def _run_steps(steps: list[_Step], columns: dict[str, Any], size: int, as_of_arg: Any, scalar: bool,
               divisions: Any = None) -> None:
    """Run the formulas in order, adding each result to ``columns`` (``size`` rows, or one plain value)."""
    for name, var, formula, param_kwargs, _ in steps:
        kwargs: dict[str, Any] = {dep: columns[dep] for dep in var.deps}
        if param_kwargs:
            kwargs.update(param_kwargs)
        if var.uses_as_of:
            kwargs["as_of"] = as_of_arg
        if var.uses_divisions:
            kwargs["divisions"] = divisions
        result = formula(**kwargs)
        if scalar:
            columns[name] = _coerce_scalar(var.kind, result)
        elif isinstance(result, ObjectColumn):  # built per situation only when an explanation asks
            assert len(result) == size, f"formula {name!r} gave {len(result)} values for {size} situations"
            columns[name] = result
        else:
            result = np.asarray(result)
            dtype = DTYPES[var.kind]
            if dtype is not object and result.dtype != dtype:
                result = result.astype(dtype)
            if result.shape != (size,):
                result = np.broadcast_to(result, (size,))
            columns[name] = result


def _row_by_row(model: Model, inputs: tuple[str, ...], order: tuple[str, ...]) -> bool:
    """Whether every variable involved is a plain column, whose rows can be computed block by block (a
    formula's row depends on the same row of its arguments only). Intervals and objects (continuity,
    worked out from a person's intervals) are computed whole."""
    return all(model.variables[name].kind not in (OBJECT, INTERVALS) for name in (*inputs, *order))


def _run_in_blocks(steps: list[_Step], columns: dict[str, Any], out_names: tuple[str, ...], size: int,
                   as_of_arg: Any, divisions: Any = None) -> dict[str, Any]:
    """The outputs of the formulas run over blocks of ``BLOCK_ROWS`` rows, written into whole columns."""
    kinds = {name: var.kind for name, var, _, _, _ in steps}
    outputs = {name: columns[name] if name in columns else np.empty(size, dtype=DTYPES[kinds[name]])
               for name in out_names}
    computed = [name for name in out_names if name not in columns]
    for lo in range(0, size, BLOCK_ROWS):
        hi = min(lo + BLOCK_ROWS, size)
        block = {name: col[lo:hi] for name, col in columns.items()}
        _run_steps(steps, block, hi - lo, as_of_arg, False, divisions)
        for name in computed:
            outputs[name][lo:hi] = block[name]
    return outputs


def _check_key(model: Model, key: str, overrides: Collection[str], where: str) -> None:
    """A key a situation gives must be an input, or a computed value marked as a deliberate override."""
    var = model.variables.get(key)
    if var is None:
        raise UnknownInputError("unknown input", key=where)
    if not var.is_input and key not in overrides:
        raise OutputGivenError(f"is computed by the rules, not an input; give it only as a deliberate override "
                               f"(overrides=[{key!r}])", key=where)


def _check_situations(model: Model, columns: dict[str, Any], scalar: bool, day: dt.date, as_of_arg: Any,
                      pset: ParameterSet, divisions: Any, names: Sequence[str] | None) -> None:
    """Refuse situations whose dates contradict each other or the as-of date, or whose inputs the locality does
    not accept (area codes), before anything is evaluated."""
    for name in model.not_after_as_of:
        col = columns.get(name)
        if col is None:
            continue
        kind = model.variables[name].kind
        if scalar:
            if col is not None and (col.date() if kind == DATETIME else col) > day:
                raise ContradictoryDatesError(f"{show(col, 'en')} is after the as-of date {day}",
                                              key=f"{_who(0, names)}: {name}")
            continue
        after = np.flatnonzero((col.astype("datetime64[D]") if kind == DATETIME else col) > as_of_arg)
        if len(after):
            i = int(after[0])
            raise ContradictoryDatesError(f"{show(decode(model.variables[name], col[i]), 'en')} is after the as-of "
                                          f"date {day}", key=f"{_who(i, names)}: {name}")
    for rule in model.date_orders:
        first, then = columns.get(rule.earlier), columns.get(rule.later)
        if first is None or then is None:
            continue
        if scalar:
            wrong = then < first
            i = 0
        else:
            found = np.flatnonzero(then < first)
            wrong, i = bool(len(found)), int(found[0]) if len(found) else 0
        if wrong:
            var_a, var_b = model.variables[rule.earlier], model.variables[rule.later]
            a = first if scalar else decode(var_a, first[i])
            b = then if scalar else decode(var_b, then[i])
            raise ContradictoryDatesError(f"{show(b, 'en')} is before {rule.earlier} {show(a, 'en')}: "
                                          f"{rule.why[1]}", key=f"{_who(i, names)}: {rule.later}")
    for name, check in model.input_checks.items():
        col = columns.get(name)
        if col is not None:
            problem = check(col, pset, day, divisions)
            if problem is not None:
                raise UnknownAreaError(problem[1], key=_who(problem[0], names))


def evaluate(
    outputs: str | Sequence[str],
    situations: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    as_of: dt.date | str,
    locality: str = "national",
    *,
    trace: bool = False,
    parameters: ParameterSet | None = None,
    names: Sequence[str] | None = None,
    model: Model | None = None,
    overrides: Collection[str] = (),
    divisions: DivisionTable | None = None,
) -> Result:
    """Evaluate ``outputs`` as of ``as_of`` for ``situations`` under ``locality``'s parameters.

    ``situations`` is a list of mappings (input name → value) or columns (input name → array). ``names``
    name the situations in error messages. ``parameters`` (a ParameterSet) replaces ``locality``.
    ``overrides`` names computed values the situations give on purpose (a population simulation that gives
    ``continuous_days``, a test); any other computed value given as an input is refused. ``divisions`` replaces
    the shipped GB/T 2260 table.
    """
    if model is None:
        from .formulas import MODEL

        model = MODEL
    for name in overrides:
        if name not in model.variables or model.variables[name].is_input:
            raise UnknownInputError("only a computed value can be overridden", key=f"overrides: {name}")
    day = _as_date(as_of)
    out_names = (outputs,) if isinstance(outputs, str) else tuple(outputs)
    for name in out_names:
        if name not in model.variables or model.variables[name].is_input:
            raise UnknownOutputError(f"unknown output; known: {', '.join(model.outputs())}", key=name)
    pset = parameters if parameters is not None else load_parameters(locality)

    columns: dict[str, Any] = {}
    scalar = False
    if isinstance(situations, Mapping):
        provided = frozenset(situations)
        for key in provided:
            _check_key(model, key, overrides, key)
        sizes = {len(situations[k]) for k in provided}
        if len(sizes) > 1:
            raise InputTypeError(f"columns have different lengths {sorted(sizes)}")
        size = sizes.pop() if sizes else 0
        inputs, order = model.plan(out_names, provided)
        for name in inputs:
            var = model.variables[name]
            if name in provided:
                columns[name] = _column_from_array(var, situations[name], size)
            elif var.default is not None:
                columns[name] = np.full(size, _default_value(var), dtype=_dtype(var.kind))
            else:
                raise MissingInputError("missing input column", key=name)
    else:
        sits = list(situations)
        size = len(sits)
        keys: set[str] = set()
        for i, sit in enumerate(sits):
            if not isinstance(sit, Mapping):
                raise InputTypeError(f"a situation must be a mapping, got {type(sit).__name__}",
                                     key=_who(i, names))
            if not keys.issuperset(sit):
                for key in sit:
                    if key not in keys:
                        _check_key(model, key, overrides, f"{_who(i, names)}: {key}")
                keys.update(sit)
        provided = frozenset(keys)
        inputs, order = model.plan(out_names, provided)
        scalar = size == 1
        variables = model.variables
        if scalar:
            sit = sits[0]
            for name in inputs:
                var = variables[name]
                value = sit.get(name, _MISSING)
                if value is _MISSING:
                    if var.is_input and var.default is not None:
                        value = var.default
                    else:
                        raise MissingInputError("missing input", key=f"{_who(0, names)}: {name}")
                try:
                    columns[name] = _scalar_of(var, value)
                except (TypeError, ValueError) as exc:
                    raise InputTypeError(f"{exc}, got {type(value).__name__} {value!r}",
                                         key=f"{_who(0, names)}: {name}") from None
        else:
            for name in inputs:
                var = variables[name]
                values = [sit.get(name, _MISSING) for sit in sits]
                lacking = [i for i, v in enumerate(values) if v is _MISSING]
                if lacking:
                    if var.is_input and var.default is not None:
                        values = [var.default if v is _MISSING else v for v in values]
                    else:
                        what = "missing input" if var.is_input else \
                            "given in some situations and not others (give it in all or none)"
                        raise MissingInputError(what, key=f"{_who(lacking[0], names)}: {name}")
                columns[name] = _column_from_values(var, values, names)

    as_of_arg: Any = day if scalar else np.datetime64(day, "D")
    steps = _bound_steps(model, order, pset, day)
    if any(var.uses_divisions for _, var, _, _, _ in steps) and divisions is None:
        divisions = load_divisions()
    _check_situations(model, columns, scalar, day, as_of_arg, pset, divisions, names)
    if not trace and not scalar and size > BLOCK_ROWS and _row_by_row(model, inputs, order):
        columns = _run_in_blocks(steps, columns, out_names, size, as_of_arg, divisions)
    else:
        _run_steps(steps, columns, size, as_of_arg, scalar, divisions)
    used: dict[str, list[UsedParam]] = {name: uses for name, _, _, _, uses in steps}

    if not trace:
        columns = {name: columns[name] for name in out_names}
    return Result(model=model, outputs=out_names, size=size, as_of=day, locality=pset.locality,
                  rules_version=pset.version, columns=columns, traced=trace, used=used if trace else {},
                  given=provided, names=names, scalar=scalar)


# --- rendering --------------------------------------------------------------------------------------
def render(result: Result, i: int, lang: str = "both") -> str:
    """Situation ``i``'s explanation as an indented tree."""
    lines = []
    who = _who(i, result.names)
    lines.append(f"{who} — as of {result.as_of.isoformat()}, locality {result.locality}, "
                 f"rules version {result.rules_version}")
    for node in result.explain(i):
        _render_node(node, lines, "  ", lang)
    return "\n".join(lines)


def _pick(text: Text, lang: str) -> str:
    if lang == "zh":
        return text[0]
    if lang == "en":
        return text[1]
    return f"{text[0]} / {text[1]}"


def _render_node(node: Explanation, lines: list[str], indent: str, lang: str, parent: str = "") -> None:
    value = show(node.value, "en" if lang != "zh" else "zh")
    label = _pick(node.label, lang)
    # a value its parent's because has just stated in full (a continuity worked out) is not stated again
    shown = "" if len(value) > 40 and value in parent else f" = {value}"
    if node.repeated:
        lines.append(f"{indent}- {node.name}{shown}  (see above)")
        return
    tag = "  [given]" if node.given else "  [default]" if node.defaulted else ""
    lines.append(f"{indent}- {node.name}{shown}  ({label}){tag}")
    inner = indent + "    "
    if node.because is not None:
        lines.append(f"{inner}because: {_pick(node.because, lang)}")
    for p in node.params:
        lines.append(f"{inner}parameter {p.key} = {show(p.value, 'en' if lang != 'zh' else 'zh')} "
                     f"[{p.locality}, in force {p.period()}]")
        lines.append(f"{inner}    source: {p.source.short()}")
    because = _pick(node.because, lang) if node.because is not None else ""
    for child in node.children:
        _render_node(child, lines, inner, lang, because)
