"""Hot look-ups without the ORM's query compiler: a model's columns written once per process, instances built from a
row with the converters the ORM itself would apply (`from_db`, so they behave as fetched ones).

For the API's per-request reads (a bearer token and its account, the premises of a key), where compiling a
queryset costs more than the database takes to answer it. The SQL stays the same text on every request, so
PostgreSQL prepares it (server-side binding). Anything else reads through the ORM. `reader` reads one value of a
field from a raw row the same way (for rows read as tuples).

    TOKEN = columns(ApiToken, "t")
    cur.execute(f"SELECT {TOKEN.sql} FROM accounts_apitoken t WHERE t.digest = %s", [digest])
    token = TOKEN.build(cur.fetchone())
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, TypeVar

from django.db import connection, models

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
