"""Set-based writes: binary COPY on PostgreSQL, executemany in batches elsewhere. Rows are tuples in column order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from itertools import chain, islice
from typing import Any

from django.db import IntegrityError, connection, models, transaction

from residence.core.lean import prepared

COPY_FROM = 16  # fewer rows than this go as one INSERT: a COPY costs more round trips than it saves


def bulk_insert(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]],
                *, batch: int = 5_000) -> int:
    """Insert rows into the model's table; returns the number written. Call inside a transaction. On PostgreSQL by
    binary COPY, or, for a handful of rows, one INSERT, prepared (core.lean: planned once per connection and row
    count), and no statement at all for none."""
    table, cols = _names(model, tuple(columns))
    n = 0
    if connection.vendor == "postgresql":
        rows = iter(rows)
        first = list(islice(rows, COPY_FROM))
        if len(first) < COPY_FROM:
            if first:
                with connection.cursor() as cur:
                    cur.execute(prepared(_values_insert(table, cols, len(columns), len(first))),
                                [x for row in first for x in row])
            return len(first)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            raw = cur.cursor  # the psycopg 3 cursor under Django's wrapper
            with raw.copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(_column_types(model, tuple(columns)))
                for row in chain(first, rows):
                    copy.write_row(row)
                    n += 1
            return n
        sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
        chunk: list[Sequence[Any]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch:
                cur.executemany(sql, chunk)
                n += len(chunk)
                chunk = []
        if chunk:
            cur.executemany(sql, chunk)
            n += len(chunk)
    return n


def copy_or_conflict(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> bool:
    """PostgreSQL: COPY the rows inside a savepoint and return True; when one of them violates a unique constraint
    (a concurrent transaction wrote the same key), undo the COPY alone and return False, so that the caller writes
    them another way (`bulk_insert_new`). Elsewhere: False, nothing written. Call inside a transaction."""
    if connection.vendor != "postgresql":
        return False
    import psycopg

    try:
        with transaction.atomic():
            bulk_insert(model, columns, rows)
    except (IntegrityError, psycopg.errors.UniqueViolation):
        return False
    return True


@lru_cache(maxsize=256)
def _names(model: type[models.Model], columns: tuple[str, ...]) -> tuple[str, str]:
    """The model's table and these columns, quoted: the same for the life of the process."""
    q = connection.ops.quote_name
    return q(model._meta.db_table), ", ".join(q(c) for c in columns)


@lru_cache(maxsize=256)
def _values_insert(table: str, cols: str, width: int, n: int) -> str:
    one = "(" + ", ".join(["%s"] * width) + ")"
    return f"INSERT INTO {table} ({cols}) VALUES {', '.join([one] * n)}"


@lru_cache(maxsize=256)
def _column_types(model: type[models.Model], columns: tuple[str, ...]) -> tuple[str, ...]:
    """PostgreSQL type names of the columns, for binary COPY ("varchar(60)" → "varchar"); the same for the life of
    the process."""
    by_column = {f.column: f for f in model._meta.concrete_fields}
    out = []
    for c in columns:
        field = by_column[c]
        target = field.target_field if field.is_relation else field  # type: ignore[attr-defined]
        out.append(str(target.db_type(connection)).split("(")[0])
    return tuple(out)


def next_id(model: type[models.Model]) -> int:
    """First free primary key (for writers that assign ids themselves)."""
    last = model._default_manager.order_by("-pk").values_list("pk", flat=True).first()
    return int(last or 0) + 1


def reset_sequence(model: type[models.Model]) -> None:
    """After explicit ids were written, move the PostgreSQL sequence past them (no-op elsewhere)."""
    if connection.vendor != "postgresql":
        return
    table = model._meta.db_table
    pk = model._meta.pk.column  # type: ignore[union-attr]
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE((SELECT MAX({pk}) FROM {table}), 1))",
            [table, pk],
        )


@contextmanager
def deferred_indexes(*models_: type[models.Model]) -> Iterator[None]:
    """On PostgreSQL, drop the tables' secondary indexes and unique/foreign-key constraints for a bulk load and
    rebuild them afterwards (one sort per index instead of one insertion per row). Must run inside the load's
    transaction, so that a failure restores everything. Elsewhere it does nothing."""
    if connection.vendor != "postgresql":
        yield
        return
    tables = [m._meta.db_table for m in models_]
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # check what is pending now, so the tables can be altered
        cur.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('u', 'f')", [tables])
        constraints = cur.fetchall()
        cur.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('u', 'p'))",
            [tables])
        indexes = cur.fetchall()
        for table, name, _def in constraints:
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _def in indexes:
            cur.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cur:
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")  # sort each index in memory
        for _name, definition in indexes:
            cur.execute(definition)
        for table, name, definition in sorted(constraints, key=lambda c: "FOREIGN" in c[2]):
            cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cur.execute("SET CONSTRAINTS ALL DEFERRED")


def bulk_set(model: type[models.Model], column: str, pairs: Sequence[tuple[int, Any]], *, only_null: bool = False,
             batch: int = 5_000) -> int:
    """Set `column` of the rows whose primary key is each pair's first item to its second, in one UPDATE … FROM
    (VALUES …) a batch (PostgreSQL, SQLite ≥ 3.33); with `only_null`, rows whose column is already set are left
    alone. Returns the number of rows changed. Call inside a transaction."""
    q = connection.ops.quote_name
    table, pk, col = q(model._meta.db_table), q(model._meta.pk.column), q(column)  # type: ignore[union-attr]
    extra = f" AND {table}.{col} IS NULL" if only_null else ""
    n = 0
    with connection.cursor() as cur:
        for start in range(0, len(pairs), batch):
            chunk = pairs[start:start + batch]
            values = ", ".join(["(%s, %s)"] * len(chunk))
            # VALUES names its columns column1, column2 on both databases (SQLite takes no column aliases)
            cur.execute(f"UPDATE {table} SET {col} = v.val FROM (SELECT column1 AS k, column2 AS val FROM "
                        f"(VALUES {values}) AS t) AS v WHERE {table}.{pk} = v.k{extra}",
                        [x for pair in chunk for x in pair])
            n += cur.rowcount
    return n


def bulk_insert_new(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
                    conflict: Sequence[str], returning: str | tuple[str, ...], batch: int = 500) -> list[Any]:
    """Insert the rows that do not conflict on `conflict` (a unique constraint's columns), skipping the others, and
    return the `returning` column of those inserted (tuples of the columns when `returning` is a tuple). On
    PostgreSQL one statement whatever the number of rows: the columns go as arrays (`unnest`), so the query stays
    short and a concurrent insert of the same key waits for the other transaction and is then skipped. Elsewhere,
    VALUES in batches. One row goes as a prepared INSERT (core.lean). Call inside a transaction."""
    if not rows:
        return []
    table, cols = _names(model, tuple(columns))
    several = isinstance(returning, tuple)
    on = _on_conflict(tuple(conflict), returning)
    out: list[Any] = []
    with connection.cursor() as cur:
        if connection.vendor == "postgresql" and len(rows) == 1:  # one row: no arrays to build
            cur.execute(prepared(f"{_values_insert(table, cols, len(columns), 1)} {on}"), list(rows[0]))
            return [tuple(r) if several else r[0] for r in cur.fetchall()]
        if connection.vendor == "postgresql":
            # %b: the arrays go in binary (no quoting and escaping of each element as in an array literal)
            arrays = ", ".join(f"%b::{t}[]" for t in _column_types(model, tuple(columns)))
            cur.execute(f"INSERT INTO {table} ({cols}) SELECT * FROM unnest({arrays}) {on}",
                        [list(column) for column in zip(*rows, strict=True)])
            return [tuple(r) if several else r[0] for r in cur.fetchall()]
        for start in range(0, len(rows), batch):
            chunk = rows[start:start + batch]
            values = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(chunk))
            cur.execute(f"INSERT INTO {table} ({cols}) VALUES {values} {on}", [x for row in chunk for x in row])
            out += [tuple(r) if several else r[0] for r in cur.fetchall()]
    return out


def json_value(value: Any) -> Any:
    """A JSON column's value as `bulk_insert` writes it: the adapter's JSON wrapper on PostgreSQL, text elsewhere;
    None stays NULL."""
    if value is None:
        return None
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        return Jsonb(value)
    import json

    return json.dumps(value, ensure_ascii=False)
@lru_cache(maxsize=256)
def _on_conflict(conflict: tuple[str, ...], returning: str | tuple[str, ...]) -> str:
    q = connection.ops.quote_name
    back = ", ".join(q(c) for c in returning) if isinstance(returning, tuple) else q(returning)
    return f"ON CONFLICT ({', '.join(q(c) for c in conflict)}) DO NOTHING RETURNING {back}"
