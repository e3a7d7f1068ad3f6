"""Sealed audit rows cannot be changed or deleted through the database: triggers refuse UPDATE and DELETE of a
sealed event (sealing itself sets block_seq on unsealed rows, which stays allowed) and of any block. Someone who
can drop triggers can still tamper; `residence audit verify` then finds it."""

from django.db import migrations

MESSAGE = "audit rows are append-only once sealed"

POSTGRES = [
    f"""CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '{MESSAGE} (% on %)', TG_OP, TG_TABLE_NAME; END $$""",
    "CREATE TRIGGER audit_event_sealed_update BEFORE UPDATE ON audit_event FOR EACH ROW "
    "WHEN (OLD.block_seq IS NOT NULL) EXECUTE FUNCTION audit_refuse_change()",
    "CREATE TRIGGER audit_event_sealed_delete BEFORE DELETE ON audit_event FOR EACH ROW "
    "WHEN (OLD.block_seq IS NOT NULL) EXECUTE FUNCTION audit_refuse_change()",
    "CREATE TRIGGER audit_block_change BEFORE UPDATE OR DELETE ON audit_block FOR EACH ROW "
    "EXECUTE FUNCTION audit_refuse_change()",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER audit_event_sealed_update ON audit_event",
    "DROP TRIGGER audit_event_sealed_delete ON audit_event",
    "DROP TRIGGER audit_block_change ON audit_block",
    "DROP FUNCTION audit_refuse_change()",
]
SQLITE = [
    f"CREATE TRIGGER audit_event_sealed_update BEFORE UPDATE ON audit_event WHEN OLD.block_seq IS NOT NULL "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    f"CREATE TRIGGER audit_event_sealed_delete BEFORE DELETE ON audit_event WHEN OLD.block_seq IS NOT NULL "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    f"CREATE TRIGGER audit_block_update BEFORE UPDATE ON audit_block BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    f"CREATE TRIGGER audit_block_delete BEFORE DELETE ON audit_block BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
]
SQLITE_REVERSE = [f"DROP TRIGGER {name}" for name in
                  ("audit_event_sealed_update", "audit_event_sealed_delete", "audit_block_update", "audit_block_delete")]


def _run(statements: dict[str, list[str]]):  # noqa: ANN202
    def run(apps, schema_editor) -> None:  # noqa: ANN001
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)
    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(_run({"postgresql": POSTGRES, "sqlite": SQLITE}),
                             _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE})),
    ]
