"""Dated parameters per locality, loaded from strict YAML files.

A file ``parameters/<locality>.yaml`` holds::

    locality: taizhou
    name: {zh: 台州市(演示城市), en: Taizhou (demo city)}
    inherits: national            # omitted only by the root locality, which must set every parameter
    parameters:
      permit.continuity.min_days:
        - from: 2016-12-08        # first day in force
          to: 2030-12-31          # optional: last day in force; without it, until the next entry's "from"
          value: 180
          source:
            ref: seed 002 (TZ) 二(二)1       # document and article or paragraph
            text: 在各县(市、区)连续居住并申报居住登记180天以上   # the sentence relied on
            note: optional remark (say so when a value is a local choice)

On a date, a locality uses its own entry in force; where it has none, the one it inherits. Everything is
checked when the directory is loaded; one bad file refuses the whole directory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .catalogue import PARAMETERS
from .errors import (
    MissingSourceError,
    NoValueInForceError,
    OverlapError,
    ParameterFileError,
    UnknownKeyError,
    UnknownLocalityError,
    WrongTypeError,
)
from .yamlload import LineDict, LineList, load_yaml

PARAMETERS_DIR = Path(__file__).resolve().parent / "parameters"

_TOP_KEYS = {"locality", "name", "inherits", "description", "parameters"}
_ENTRY_KEYS = {"from", "to", "value", "source"}
_SOURCE_KEYS = {"ref", "text", "note"}


@dataclass(frozen=True)
class Source:
    ref: str
    text: str
    note: str = ""

    def short(self) -> str:
        return f"{self.ref}: “{self.text}”" + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True)
class ParamValue:
    """One dated value of one parameter, with where it was defined and why."""

    key: str
    value: Any
    start: dt.date
    end: dt.date | None  # last day in force; None = open
    locality: str
    source: Source
    file: str
    line: int

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def period(self) -> str:
        return f"{self.start.isoformat()} – {self.end.isoformat() if self.end else '…'}"


@dataclass
class LocalityFile:
    locality: str
    name_zh: str
    name_en: str
    inherits: str | None
    file: str
    timelines: dict[str, list[ParamValue]]
    raw: LineDict | None = None  # the parameters as read (each a list of entries), to derive variants in memory

    def with_timeline(self, key: str, entries: LineList) -> LocalityFile:
        """This locality with ``key``'s entries replaced (read and checked as from a file)."""
        timelines = dict(self.timelines)
        timelines[key] = parse_timeline(key, entries, locality=self.locality, file=self.file, line=entries.line)
        return LocalityFile(self.locality, self.name_zh, self.name_en, self.inherits, self.file, timelines, self.raw)


def _require_mapping(value: Any, *, file: str, line: int | None, key: str) -> LineDict:
    if not isinstance(value, LineDict):
        raise WrongTypeError(f"expected a mapping, got {type(value).__name__}", file=file, line=line, key=key)
    return value


def _check_keys(mapping: LineDict, allowed: set[str], *, file: str, prefix: str) -> None:
    for k in mapping:
        if k not in allowed:
            raise UnknownKeyError(f"unknown key; allowed: {', '.join(sorted(allowed))}", file=file,
                                  line=mapping.line_of(k), key=f"{prefix}{k}")


def _text(value: Any, *, file: str, line: int | None, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise WrongTypeError("expected non-empty text", file=file, line=line, key=key)
    return value.strip()


def _parse_source(raw: Any, *, file: str, line: int, key: str) -> Source:
    if raw is None:
        raise MissingSourceError("missing source (give ref: document and article, text: the sentence)",
                                 file=file, line=line, key=key)
    src = _require_mapping(raw, file=file, line=line, key=key)
    _check_keys(src, _SOURCE_KEYS, file=file, prefix=f"{key}.")
    for needed in ("ref", "text"):
        value = src.get(needed)
        if not isinstance(value, str) or not value.strip():
            raise MissingSourceError(f"source has no {needed!r}", file=file, line=src.line_of(needed) if
                                     needed in src else src.line, key=f"{key}.{needed}")
    note = src.get("note", "")
    if not isinstance(note, str):
        raise WrongTypeError("expected text", file=file, line=src.line_of("note"), key=f"{key}.note")
    return Source(src["ref"].strip(), src["text"].strip(), note.strip())


def _parse_date(value: Any, *, file: str, line: int, key: str) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise WrongTypeError(f"expected a date written YYYY-MM-DD, got {value!r}", file=file, line=line,
                             key=key)
    day: dt.date = value
    return day


def parse_timeline(pkey: str, raw: Any, *, locality: str, file: str, line: int) -> list[ParamValue]:
    spec = PARAMETERS[pkey]
    if not isinstance(raw, LineList) or not raw:
        raise WrongTypeError("expected a list of dated values (- from: …, value: …, source: …)", file=file,
                             line=line, key=pkey)
    entries: list[ParamValue] = []
    for i, item in enumerate(raw):
        item_line = raw.line_of(i)
        entry = _require_mapping(item, file=file, line=item_line, key=f"{pkey}[{i}]")
        _check_keys(entry, _ENTRY_KEYS, file=file, prefix=f"{pkey}[{i}].")
        for needed in ("from", "value"):
            if needed not in entry:
                raise WrongTypeError(f"missing {needed!r}", file=file, line=entry.line, key=f"{pkey}[{i}]")
        start = _parse_date(entry["from"], file=file, line=entry.line_of("from"), key=f"{pkey}[{i}].from")
        end = None
        if "to" in entry:
            end = _parse_date(entry["to"], file=file, line=entry.line_of("to"), key=f"{pkey}[{i}].to")
            if end < start:
                raise OverlapError(f"'to' {end} is before 'from' {start}", file=file,
                                   line=entry.line_of("to"), key=f"{pkey}[{i}]")
        value = spec.type.check(entry["value"], file=file, line=entry.line_of("value"), key=pkey)
        source = _parse_source(entry.get("source"), file=file, line=entry.line, key=f"{pkey}[{i}].source")
        entries.append(ParamValue(pkey, value, start, end, locality, source, file, entry.line))
    entries.sort(key=lambda e: e.start)
    closed: list[ParamValue] = []
    for i, current in enumerate(entries):
        nxt = entries[i + 1] if i + 1 < len(entries) else None
        if nxt is not None:
            if nxt.start == current.start or (current.end is not None and current.end >= nxt.start):
                raise OverlapError(
                    f"date range {current.period()} (line {current.line}) overlaps {nxt.period()} (line {nxt.line})",
                    file=file, line=max(current.line, nxt.line), key=pkey)
            if current.end is None:
                current = ParamValue(current.key, current.value, current.start, nxt.start - dt.timedelta(days=1),
                                     current.locality, current.source, current.file, current.line)
        closed.append(current)
    return closed


def parse_locality_file(path: Path) -> LocalityFile:
    file = str(path)
    raw = load_yaml(path)
    top = _require_mapping(raw, file=file, line=1, key="(file)")
    _check_keys(top, _TOP_KEYS, file=file, prefix="")
    locality = _text(top.get("locality"), file=file, line=top.line_of("locality"), key="locality")
    name = _require_mapping(top.get("name"), file=file, line=top.line_of("name"), key="name")
    _check_keys(name, {"zh", "en"}, file=file, prefix="name.")
    name_zh = _text(name.get("zh"), file=file, line=name.line_of("zh"), key="name.zh")
    name_en = _text(name.get("en"), file=file, line=name.line_of("en"), key="name.en")
    inherits = None
    if "inherits" in top:
        inherits = _text(top["inherits"], file=file, line=top.line_of("inherits"), key="inherits")
    params_raw = _require_mapping(top.get("parameters"), file=file, line=top.line_of("parameters"),
                                  key="parameters")
    timelines: dict[str, list[ParamValue]] = {}
    for pkey, value in params_raw.items():
        pline = params_raw.line_of(pkey)
        if pkey not in PARAMETERS:
            raise UnknownKeyError("unknown parameter (see residence_rules/catalogue.py)", file=file,
                                  line=pline, key=pkey)
        timelines[pkey] = parse_timeline(pkey, value, locality=locality, file=file, line=pline)
    return LocalityFile(locality, name_zh, name_en, inherits, file, timelines, params_raw)


def _hash_files(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name):
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


@dataclass
class ParameterLibrary:
    """Every locality loaded from one directory (plus any variant files)."""

    directory: Path
    localities: dict[str, LocalityFile]
    version: str
    files: list[Path] = field(default_factory=list)

    def locality(self, locality: str) -> ParameterSet:
        if locality not in self.localities:
            known = ", ".join(sorted(self.localities))
            raise UnknownLocalityError(f"unknown locality {locality!r}; known: {known}", key=locality)
        return ParameterSet(self, locality)

    def replaced(self, locality: LocalityFile, version: str) -> ParameterLibrary:
        """This library with one locality replaced (a variant built in memory, e.g. a parameter moved by one)."""
        return ParameterLibrary(self.directory, {**self.localities, locality.locality: locality}, version, self.files)

    def with_variant(self, path: Path) -> tuple[ParameterLibrary, str]:
        """This library plus one more locality file (a policy variant); returns it and the variant's id."""
        variant = parse_locality_file(path)
        if variant.locality in self.localities:
            raise ParameterFileError(f"variant locality {variant.locality!r} already exists; give it a new name",
                                     file=str(path), key="locality")
        localities = dict(self.localities)
        localities[variant.locality] = variant
        _check_graph(localities)
        version = _hash_files([*self.files, path])
        return ParameterLibrary(self.directory, localities, version, [*self.files, path]), variant.locality


def _check_graph(localities: dict[str, LocalityFile]) -> None:
    for loc in localities.values():
        seen = {loc.locality}
        parent = loc.inherits
        while parent is not None:
            if parent not in localities:
                raise UnknownLocalityError(f"inherits unknown locality {parent!r}", file=loc.file, key="inherits")
            if parent in seen:
                raise ParameterFileError(f"inheritance cycle through {parent!r}", file=loc.file, key="inherits")
            seen.add(parent)
            parent = localities[parent].inherits
        if loc.inherits is None:
            missing = sorted(set(PARAMETERS) - set(loc.timelines))
            if missing:
                raise ParameterFileError(
                    "a root locality (no 'inherits') must set every parameter; missing: " + ", ".join(missing),
                    file=loc.file, key="parameters")


def _load_directory(directory: Path) -> ParameterLibrary:
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise ParameterFileError("no parameter files (*.yaml)", file=str(directory))
    localities: dict[str, LocalityFile] = {}
    for path in paths:
        loc = parse_locality_file(path)
        if loc.locality in localities:
            raise ParameterFileError(f"locality {loc.locality!r} is also defined in {localities[loc.locality].file}",
                                     file=loc.file, key="locality")
        localities[loc.locality] = loc
    _check_graph(localities)
    return ParameterLibrary(directory, localities, _hash_files(paths), paths)


@lru_cache(maxsize=16)
def _load_cached(directory: str, stamp: tuple[tuple[str, int, int], ...]) -> ParameterLibrary:
    return _load_directory(Path(directory))


def load_library(directory: Path | str | None = None) -> ParameterLibrary:
    """Load (and cache) every parameter file of a directory; the shipped one by default."""
    path = Path(directory) if directory is not None else PARAMETERS_DIR
    path = path.resolve()
    try:
        stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(path.glob("*.yaml")))
    except OSError as exc:  # pragma: no cover - directory vanished
        raise ParameterFileError(f"cannot read directory: {exc.strerror}", file=str(path)) from None
    return _load_cached(str(path), stamp)


class ParameterSet:
    """The parameters of one locality (with what it inherits), to be read as of a date."""

    def __init__(self, library: ParameterLibrary, locality: str) -> None:
        self.library = library
        self.locality = locality
        chain = []
        name: str | None = locality
        while name is not None:
            chain.append(library.localities[name])
            name = library.localities[name].inherits
        self.chain: list[LocalityFile] = chain
        self._cache: dict[dt.date, dict[str, ParamValue | None]] = {}
        self.bound: dict[Any, Any] = {}  # the engine's cache of formulas bound to parameter values

    @property
    def version(self) -> str:
        return self.library.version

    def _resolve(self, day: dt.date) -> dict[str, ParamValue | None]:
        found = self._cache.get(day)
        if found is None:
            found = {}
            for key in PARAMETERS:
                value: ParamValue | None = None
                for loc in self.chain:
                    for entry in loc.timelines.get(key, ()):
                        if entry.covers(day):
                            value = entry
                            break
                    if value is not None:
                        break
                found[key] = value
            self._cache[day] = found
        return found

    def get(self, key: str, day: dt.date) -> ParamValue:
        """The value of ``key`` in force on ``day``; NoValueInForceError if there is none."""
        if key not in PARAMETERS:
            raise UnknownKeyError("unknown parameter", key=key)
        value = self._resolve(day).get(key)
        if value is None:
            starts = [e for loc in self.chain for e in loc.timelines.get(key, ())]
            hint = ""
            if starts:
                first = min(starts, key=lambda e: e.start)
                hint = f"; the first value starts {first.start.isoformat()} ({Path(first.file).name}:{first.line})"
            raise NoValueInForceError(f"no value in force on {day.isoformat()} for locality {self.locality!r}{hint}",
                                      key=key)
        return value

    def in_force(self, day: dt.date) -> list[ParamValue | tuple[str, NoValueInForceError]]:
        """Every parameter on ``day``: its value, or the error saying none is in force."""
        out: list[ParamValue | tuple[str, NoValueInForceError]] = []
        for key in PARAMETERS:
            try:
                out.append(self.get(key, day))
            except NoValueInForceError as exc:
                out.append((key, exc))
        return out


def load_parameters(locality: str = "national", directory: Path | str | None = None) -> ParameterSet:
    """The parameters of ``locality`` from the shipped files (or ``directory``)."""
    return load_library(directory).locality(locality)
