"""Hot look-ups without the ORM's query compiler: a model's columns written once per process, instances built from a
row with the converters the ORM itself would apply (`from_db`, so they behave as fetched ones).

For the API's per-request reads (a bearer token and its account, the premises of a key), where compiling a
queryset costs more than the database takes to answer it. Anything else reads through the ORM. `reader` reads one
value of a field from a raw row the same way (for rows read as tuples).

    TOKEN = columns(ApiToken, "t")
    cur.execute(f"SELECT {TOKEN.sql} FROM accounts_apitoken t WHERE t.digest = %s", [digest])
    token = TOKEN.build(cur.fetchone())

**Prepared statements.** A statement written with `prepared(sql)` is prepared by PostgreSQL the first time a
connection runs it, and its plan is kept for the connection: planning a look-up by key took PostgreSQL four times
as long as running it. Only statements whose best plan does not depend on the values may be marked (a look-up by
key, an insert): after five runs PostgreSQL may keep one generic plan for every value. Nothing else is prepared
(Django's default), so a name search still gets a plan made for its prefix. On SQLite the mark is a comment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, TypeVar

import psycopg
from django.db import connection, models
from django.db.backends.base.base import BaseDatabaseWrapper

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Columns(Generic[M]):
    model: type[M]
    sql: str  # 'a."id", a."name", …': the select list
    attnames: tuple[str, ...]
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]  # (position, functions, expression)

    def build(self, row: Sequence[Any], start: int = 0) -> M:
        """The instance held by `row[start:start + len(attnames)]`, as the ORM would have fetched it."""
        values = list(row[start:start + len(self.attnames)])
        for pos, functions, expression in self.converters:
            value = values[pos]
            for convert in functions:
                value = convert(value, expression, connection)
            values[pos] = value
        return self.model.from_db(connection.alias, list(self.attnames), values)

    def __len__(self) -> int:
        return len(self.attnames)


@lru_cache(maxsize=64)
def columns(model: type[M], alias: str, vendor: str = "") -> Columns[M]:
    """The select list of the model's concrete fields under the table alias `alias`, and how to build an instance
    from it (`vendor`: the cache key of the database kind, filled in by `cols`)."""
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    sql = ", ".join(f"{alias}.{quote(f.column)}" for f in fields)
    converters = []
    for pos, field in enumerate(fields):
        expression = field.get_col(alias)
        functions = tuple(connection.ops.get_db_converters(expression) + expression.get_db_converters(connection))
        if functions:
            converters.append((pos, functions, expression))
    return Columns(model, sql, tuple(f.attname for f in fields), tuple(converters))


def cols(model: type[M], alias: str) -> Columns[M]:
    """`columns` for the database in use (the converters differ between PostgreSQL and SQLite)."""
    return columns(model, alias, connection.vendor)


@lru_cache(maxsize=64)
def _reader(field: models.Field, vendor: str) -> Callable[[Any], Any]:  # type: ignore[type-arg]
    expression = field.get_col("x")
    functions = tuple(connection.ops.get_db_converters(expression) + expression.get_db_converters(connection))

    def read(value: Any) -> Any:
        for convert in functions:
            value = convert(value, expression, connection)
        return value

    return read


def reader(field: models.Field) -> Callable[[Any], Any]:  # type: ignore[type-arg]
    """How the ORM would read a value of `field` from a raw row on the database in use (SQLite returns a datetime
    computed by an expression as text, with or without its offset)."""
    return _reader(field, connection.vendor)


PREPARED = "/* prepared */ "


def prepared(sql: str) -> str:
    """`sql` marked to be prepared by PostgreSQL on first use (see the module's note)."""
    return PREPARED + sql


class _Preparing:
    """Mixed into the connection's cursor class (Django's, server-side binding): the statements marked by `prepared`
    are prepared, and still pass through Django's cursor wrapper (errors, debug log, execute wrappers)."""

    def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None, **kwargs: Any) -> Any:
        if prepare is None and isinstance(query, str) and query.startswith(PREPARED):
            prepare = True
        return super().execute(query, params, prepare=prepare, **kwargs)  # type: ignore[misc]


@lru_cache(maxsize=4)
def _preparing(base: type) -> type:
    return type(f"Preparing{base.__name__}", (_Preparing, base), {})


def connection_prepare(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """On each new PostgreSQL connection (`connection_created`): marked statements are prepared, and no other.
    psycopg prepares nothing while its threshold is None, so the threshold is set beyond reach. A cursor binding
    its values on the client (settings without server-side binding) cannot prepare: it is left as it is."""
    if connection.vendor != "postgresql":
        return
    raw = connection.connection
    if issubclass(raw.cursor_factory, psycopg.ClientCursor):
        return
    raw.prepare_threshold = 2**62  # never reached: only `prepare=True` prepares
    raw.cursor_factory = _preparing(raw.cursor_factory)
