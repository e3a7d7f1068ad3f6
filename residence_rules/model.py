"""Variables and formulas: the vocabulary of the rules.

A *variable* is a column over situations. An *input* is given by the situation; a *formula* computes a
variable from other variables (its argument names) and parameters (its ``params`` aliases), over numpy
columns, so that one formula serves one person at a counter and ten million in a simulation. Each formula
carries a plain-words ``because`` in Chinese and English, filled from the values it used.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from .catalogue import ENUMS, LocalArea, Zone
from .errors import RulesError

INT, BOOL, ENUM, DATE, DATETIME, SET, OBJECT, INTERVALS = (
    "int", "bool", "enum", "date", "datetime", "set", "object", "intervals")

DTYPES: dict[str, Any] = {
    INT: np.int32, BOOL: np.bool_, ENUM: np.int8, DATE: "datetime64[D]", DATETIME: "datetime64[m]",
    SET: np.int32, OBJECT: object, INTERVALS: object,
}

Col = npt.NDArray[Any]
# What a formula reads and returns: a column (numpy array) for a batch, or one plain value when a single
# situation is evaluated; the helpers below (where, maximum, is_in, add_days, …) accept both.
Column = Any
Text = tuple[str, str]  # (zh, en)

ENUM_ZH: dict[str, str] = {
    "instant": "即时申报场所", "long_term": "长期居住场所", "rental": "出租屋", "arrival": "来人", "departure": "走人",
    "hire": "招用", "separation": "辞退或解除合同", "none": "无", "own_home": "自购房屋",
    "employer_dormitory": "单位集体宿舍", "other": "其他", "primary": "小学", "secondary": "中学",
    "vocational": "职业学校", "university": "高等学校", "talent": "引进人才", "investment": "投资创业",
    "self": "本人", "guardian": "监护人", "close_relative": "近亲属", "grid_worker": "网格员",
    "police_station": "公安派出所", "community_service_agency": "受委托的社区服务机构",
    "migrant_service_agency": "流动人口管理服务机构", "street_office": "街道办事处",
    "community_station": "社区工作站", "registration": "居住登记", "application": "申领",
    "endorsement": "签注", "change": "变更", "replacement": "换领", "reissue": "补领", "id_card": "居民身份证",
    "photo": "本人相片", "address_proof": "居住地住址证明", "employment_proof": "就业证明",
    "housing_proof": "住所证明", "enrolment_proof": "就读证明", "scheme_certificate": "人才或投资认定文件",
    "county": "县级", "prefecture": "地级", "province": "省级", "school_roll": "在校登记",
    "social_insurance": "社保缴纳", "instant_stay": "旅馆住宿登记", "scheme": "直接申领政策", "employment": "合法稳定就业",
    "residence": "合法稳定住所", "study": "连续就读", "early": "未到签注期", "in_window": "在签注期内",
    "late": "逾期", "not_endorsed": "未办理签注", "active": "有效", "suspended": "使用功能中止",
    "restored": "补办签注后恢复", "pending": "制作中(未逾期)", "on_time": "按期发放", "overdue": "逾期未发放",
}


class Words(str):
    """A sentence in plain words: the Chinese text (what the value compares as), with its English beside it."""

    __slots__ = ("en",)
    en: str

    def __new__(cls, zh: str, en: str) -> Words:
        self = super().__new__(cls, zh)
        self.en = en
        return self

    def describe(self, lang: str) -> str:
        return str(self) if lang == "zh" else self.en


# An optional date input not given: None for one situation, NaT in a column.
def given(dates: Any) -> Any:
    """Whether each date was given."""
    if isinstance(dates, np.ndarray):
        return ~np.isnat(dates)
    return dates is not None


def or_as_of(dates: Any, as_of: Any) -> Any:
    """Each date, or the as-of date where none was given (the status as of that day)."""
    if isinstance(dates, np.ndarray):
        return np.where(np.isnat(dates), as_of, dates)
    return as_of if dates is None else dates


class ObjectColumn:
    """A column of Python objects kept as flat numpy arrays and built for one situation only when asked.

    ``len(col)`` is the number of situations and ``col[i]`` is situation ``i``'s value (registration
    intervals, a continuity worked out). The engine keeps such a column as it is: a numpy object array
    would build every situation's object up front, even though only the explanations that someone reads
    need them.
    """

    __slots__ = ()

    def __len__(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def __getitem__(self, i: int) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


class LazyColumn(ObjectColumn):
    """A column whose rows are built by ``func`` from other columns only when someone reads one (texts for an
    explanation), so that a batch pays nothing for rows nobody reads."""

    __slots__ = ("columns", "func")

    def __init__(self, func: Callable[..., Any], columns: tuple[Any, ...]) -> None:
        self.func, self.columns = func, columns

    def __len__(self) -> int:
        return len(self.columns[0])

    def __getitem__(self, i: int) -> Any:
        return self.func(*(c[i] for c in self.columns))


def lazy(func: Callable[..., Any], *columns: Any) -> Any:
    """``func`` of each row of ``columns``, built row by row on demand for a batch; at once for one situation."""
    if any(isinstance(c, np.ndarray) for c in columns):
        return LazyColumn(func, columns)
    return func(*columns)


class _NotGiven:
    """The default of an optional date input: not given (None for one situation, NaT in a column)."""

    def __repr__(self) -> str:
        return "not given"


NOT_GIVEN: Any = _NotGiven()
# Formula arguments that are not variables: the as-of date and the division-code table.
SPECIAL_ARGS = ("as_of", "divisions")


@dataclass(frozen=True)
class DateOrder:
    """Two date inputs of one situation that must come in this order (``earlier`` <= ``later``)."""

    earlier: str
    later: str
    why: Text


@dataclass
class Variable:
    name: str
    kind: str
    label: Text
    enum: str | None = None
    formula: Callable[..., Col] | None = None
    deps: tuple[str, ...] = ()
    params: dict[str, str] = field(default_factory=dict)
    uses_as_of: bool = False
    uses_divisions: bool = False
    because: dict[str, Text] = field(default_factory=dict)
    because_key: str | None = None  # the variable whose value picks the template (default: this one)
    default: Any = None  # inputs only: the value when a situation leaves it out (None: required; NOT_GIVEN: optional)
    minimum: int | None = None  # int inputs: smallest allowed value
    output: bool = True

    @property
    def is_input(self) -> bool:
        return self.formula is None


class Model:
    """A set of variables; ``MODEL`` in formulas.py is the one the rules use."""

    def __init__(self) -> None:
        self.variables: dict[str, Variable] = {}
        self._plans: dict[tuple[tuple[str, ...], frozenset[str]], tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self.date_orders: list[DateOrder] = []
        self.not_after_as_of: list[str] = []  # inputs that record something done, so never after the as-of date
        # input → check(value or column, parameter set, as-of date, division table) -> (situation, problem) | None
        self.input_checks: dict[str, Callable[..., tuple[int, str] | None]] = {}

    def input(self, name: str, kind: str, label: Text, *, enum: str | None = None, default: Any = None,
              minimum: int | None = None, optional: bool = False, done: bool = False) -> None:
        """An input; ``optional`` (dates): may be left out, the rules then answer as of the as-of date; ``done``
        (dates): the day something was done, which cannot be after the as-of date."""
        if optional:
            default = NOT_GIVEN
        self._add(Variable(name, kind, label, enum=enum, default=default, minimum=minimum, output=False))
        if done:
            self.not_after_as_of.append(name)

    def validate_input(self, name: str, check: Callable[..., tuple[int, str] | None]) -> None:
        """Check an input against the locality before anything is evaluated (e.g. area codes)."""
        self.input_checks[name] = check

    def order(self, earlier: str, later: str, why: Text) -> None:
        """Refuse a situation whose ``later`` date input comes before its ``earlier`` one."""
        self.date_orders.append(DateOrder(earlier, later, why))

    def formula(self, name: str, kind: str, label: Text, *, enum: str | None = None,
                params: Mapping[str, str] | None = None, because: Mapping[str, Text] | None = None,
                because_key: str | None = None, output: bool = True) -> Callable[[Callable[..., Col]],
                                                                                  Callable[..., Col]]:
        """Decorator: the function's argument names are the variables (and ``as_of``) it reads; ``params``
        maps its other argument names to parameter keys."""
        params = dict(params or {})

        def register(func: Callable[..., Col]) -> Callable[..., Col]:
            args = list(inspect.signature(func).parameters)
            deps = tuple(a for a in args if a not in params and a not in SPECIAL_ARGS)
            self._add(Variable(name, kind, label, enum=enum, formula=func, deps=deps, params=params,
                               uses_as_of="as_of" in args, uses_divisions="divisions" in args,
                               because=dict(because or {}),
                               because_key=because_key, output=output))
            return func

        return register

    def _add(self, var: Variable) -> None:
        if var.name in self.variables:
            raise RulesError(f"variable {var.name!r} defined twice")
        if var.kind in (ENUM, SET) and var.enum not in ENUMS:
            raise RulesError(f"variable {var.name!r}: unknown enum {var.enum!r}")
        self.variables[var.name] = var

    def check(self) -> None:
        """Every dependency exists and there is no cycle."""
        for var in self.variables.values():
            for dep in var.deps:
                if dep not in self.variables:
                    raise RulesError(f"formula {var.name!r} reads unknown variable {dep!r}")
        state: dict[str, int] = {}

        def visit(name: str, path: tuple[str, ...]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                raise RulesError("cycle: " + " -> ".join((*path, name)))
            state[name] = 1
            for dep in self.variables[name].deps:
                visit(dep, (*path, name))
            state[name] = 2

        for name in self.variables:
            visit(name, ())

    def outputs(self) -> list[str]:
        return [v.name for v in self.variables.values() if v.output]

    def inputs(self) -> list[str]:
        return [v.name for v in self.variables.values() if v.is_input]

    def plan(self, outputs: tuple[str, ...], provided: frozenset[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(inputs needed, formulas to run in order) for ``outputs`` when ``provided`` keys are given."""
        key = (outputs, provided)
        found = self._plans.get(key)
        if found is not None:
            return found
        inputs: list[str] = []
        order: list[str] = []
        seen: set[str] = set()

        def visit(name: str) -> None:
            if name in seen:
                return
            seen.add(name)
            var = self.variables[name]
            if name in provided or var.is_input:
                inputs.append(name)
                return
            for dep in var.deps:
                visit(dep)
            order.append(name)

        for out in outputs:
            visit(out)
        found = (tuple(inputs), tuple(order))
        if len(self._plans) < 4096:
            self._plans[key] = found
        return found


# --- helpers formulas use ---------------------------------------------------------------------------
@lru_cache(maxsize=1024)
def member_table(enum: str, members: tuple[str, ...]) -> Col:
    """A boolean lookup table over an enum's codes: table[code] is True for the listed members."""
    values = ENUMS[enum]
    return np.array([v in members for v in values], dtype=bool)


@lru_cache(maxsize=256)
def bits_of(enum: str, members: tuple[str, ...]) -> int:
    values = ENUMS[enum]
    out = 0
    for m in members:
        out |= 1 << values.index(m)
    return out


@lru_cache(maxsize=256)
def code(enum: str, value: str) -> int:
    """The code of an enum value (what columns hold)."""
    return ENUMS[enum].index(value)


# Helpers that work on a column (numpy array, a batch) and on one value (a single situation), like
# OpenFisca's where/max_/min_/not_: formulas use them instead of numpy calls so that one formula serves both.
def where(cond: Any, yes: Any, no: Any) -> Any:
    """``yes`` where ``cond`` holds, else ``no``."""
    if isinstance(cond, np.ndarray):
        return np.where(cond, yes, no)
    return yes if cond else no


def maximum(a: Any, b: Any) -> Any:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.maximum(a, b)
    return max(a, b)


def minimum(a: Any, b: Any) -> Any:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.minimum(a, b)
    return min(a, b)


def not_(value: Any) -> Any:
    """Logical not, for a boolean column or one boolean."""
    return value ^ True


def is_in(codes: Any, enum: str, members: tuple[str, ...]) -> Any:
    """Whether each enum code is one of ``members``."""
    if isinstance(codes, np.ndarray):
        return member_table(enum, members)[codes]
    return ENUMS[enum][codes] in members


def add_days(dates: Any, days: Any) -> Any:
    if isinstance(dates, np.ndarray):
        return dates + np.asarray(days).astype("timedelta64[D]")
    return dates + dt.timedelta(days=int(days))


def add_minutes(times: Any, minutes: Any) -> Any:
    if isinstance(times, np.ndarray):
        return times + np.asarray(minutes).astype("timedelta64[m]")
    return times + dt.timedelta(minutes=int(minutes))


def end_of_day_after(times: Any, days: Any) -> Any:
    """The last minute (23:59) of the day ``days`` days after each time's day."""
    if isinstance(times, np.ndarray):
        last_day = times.astype("datetime64[D]") + np.asarray(days).astype("timedelta64[D]")
        return (last_day + np.timedelta64(1, "D")).astype("datetime64[m]") - np.timedelta64(1, "m")
    return dt.datetime.combine(times.date() + dt.timedelta(days=int(days)), dt.time(23, 59))


def per_person(func: Callable[[Any], Any], column: Any, dtype: Any = object) -> Any:
    """Apply a plain Python function to each element of a column (or to the one value)."""
    if isinstance(column, np.ndarray):
        if dtype is object:
            out = np.empty(len(column), dtype=object)
            out[:] = [func(x) for x in column]
            return out
        return np.fromiter((func(x) for x in column), dtype=dtype, count=len(column))
    return func(column)


def to_date(day: Any) -> dt.date:
    """The as-of date as a datetime.date."""
    if isinstance(day, np.datetime64):
        value: dt.date = day.astype("datetime64[D]").astype(object)
        return value
    assert isinstance(day, dt.date)
    return day


def add_months(dates: Any, months: Any) -> Any:
    """Dates plus whole months; a day past the target month's end becomes its last day."""
    if not isinstance(dates, np.ndarray):
        total = dates.year * 12 + dates.month - 1 + int(months)
        year, month = divmod(total, 12)
        month += 1
        next_first = dt.date(year + (month == 12), month % 12 + 1, 1)
        length = (next_first - dt.date(year, month, 1)).days
        return dt.date(year, month, min(dates.day, length))
    month = dates.astype("datetime64[M]")
    day = (dates - month.astype("datetime64[D]")).astype(np.int32)
    target = month + np.asarray(months).astype("timedelta64[M]")
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int32)
    return target.astype("datetime64[D]") + np.minimum(day, length - 1).astype("timedelta64[D]")


# --- display ----------------------------------------------------------------------------------------
def decode(var: Variable, raw: Any) -> Any:
    """A column element as a plain Python value (what cases compare and APIs return)."""
    kind = var.kind
    if kind == INT:
        return int(raw)
    if kind == BOOL:
        return bool(raw)
    if kind == ENUM:
        assert var.enum is not None
        return ENUMS[var.enum][int(raw)]
    if kind == DATE:
        if raw is None or isinstance(raw, dt.date):
            return raw
        return np.datetime64(raw, "D").astype(object)
    if kind == DATETIME:
        if isinstance(raw, dt.datetime):
            return raw
        return np.datetime64(raw, "m").astype(object)
    if kind == SET:
        assert var.enum is not None
        bits = int(raw)
        return [v for i, v in enumerate(ENUMS[var.enum]) if bits >> i & 1]
    if kind == INTERVALS:
        return [{"from": iv.start, "to": iv.end, "area": iv.area, "kind": iv.kind} for iv in raw]
    return raw


_SHOW_CACHE: dict[tuple[type, Any, str], str] = {}
_SIMPLE = (bool, int, str, dt.date, dt.datetime, np.bool_)


def show(value: Any, lang: str) -> str:
    """A value in plain words (cached for simple values: explanations show the same ones over and over)."""
    cls = value.__class__
    if cls in _SIMPLE:
        key = (cls, value, lang)
        text = _SHOW_CACHE.get(key)
        if text is None:
            if len(_SHOW_CACHE) > 100_000:
                _SHOW_CACHE.clear()
            text = _SHOW_CACHE[key] = _show(value, lang)
        return text
    return _show(value, lang)


def _area_words(code: str) -> str:
    """An area code with its GB/T 2260 name (a locality's own codes are named in its continuity explanation)."""
    from .divisions import county_part, load_divisions

    name = load_divisions().name(county_part(code) or code)
    return f"{name} ({code})" if name else code


def _show(value: Any, lang: str) -> str:
    zh = lang == "zh"
    if value is None:
        return "未给出" if zh else "not given"
    if isinstance(value, Words):
        return value.describe(lang) or ("无" if zh else "none")
    if isinstance(value, LocalArea):
        return f"{value.name} ({value.code})"
    if isinstance(value, bool | np.bool_):
        return ("是" if value else "否") if zh else ("yes" if value else "no")
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return ENUM_ZH.get(value, value) if zh else value
    if isinstance(value, Zone):
        return f"{value.name}({'、'.join(value.areas)})" if zh else f"{value.name} ({', '.join(value.areas)})"
    describe = getattr(value, "describe", None)
    if callable(describe):
        return str(describe(lang))
    if isinstance(value, list | tuple):
        if not value:
            return "无" if zh else "none"
        if isinstance(value[0], dict) and "area" in value[0]:
            return ("、" if zh else "; ").join(
                f"{v['from']}–{v['to'] or '…'} {_area_words(v['area'])}"
                + ("" if v["kind"] == "registration" else f" ({v['kind']})") for v in value)
        return ("、" if zh else ", ").join(show(v, lang) for v in value)
    if isinstance(value, dict):
        return ("；" if zh else "; ").join(f"{show(k, lang)}: {show(v, lang)}" for k, v in value.items())
    return str(value)
