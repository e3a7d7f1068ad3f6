"""The audit tables' triggers, for the migrations: every row is append-only from its insert. Someone who can drop
triggers can still change rows; the events' tags and the blocks' signatures (keys outside the database) and the
witness file then let `residence audit verify` find it."""

from __future__ import annotations

from typing import Any

MESSAGE = "audit rows are append-only"
TABLES = ("audit_event", "audit_block")

_PG_FUNCTION = (f"CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN RAISE EXCEPTION '{MESSAGE} (% on %)', TG_OP, TG_TABLE_NAME; END $$")


def _run(schema_editor: Any, statements: dict[str, list[str]]) -> None:
    for sql in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql, params=None)


def create_append_only(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, {
        "postgresql": [_PG_FUNCTION] + [
            f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW "
            f"EXECUTE FUNCTION audit_refuse_change()" for t in TABLES],
        "sqlite": [
            f"CREATE TRIGGER {t}_{op.lower()}_refused BEFORE {op} ON {t} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            for t in TABLES for op in ("UPDATE", "DELETE")],
    })


def drop_append_only(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, {
        "postgresql": [f"DROP TRIGGER {t}_append_only ON {t}" for t in TABLES],
        "sqlite": [f"DROP TRIGGER {t}_{op.lower()}_refused" for t in TABLES for op in ("UPDATE", "DELETE")],
    })


def drop_sealed_only(apps: Any, schema_editor: Any) -> None:
    """Drop migration 0002's triggers (sealed rows only)."""
    _run(schema_editor, {
        "postgresql": ["DROP TRIGGER audit_event_sealed_update ON audit_event",
                       "DROP TRIGGER audit_event_sealed_delete ON audit_event",
                       "DROP TRIGGER audit_block_change ON audit_block"],
        "sqlite": [f"DROP TRIGGER {n}" for n in ("audit_event_sealed_update", "audit_event_sealed_delete",
                                                 "audit_block_update", "audit_block_delete")],
    })

