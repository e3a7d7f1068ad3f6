"""The rate counters as an UNLOGGED table on PostgreSQL: a counter is bumped by every limited request (all of an
integrator's requests bump the same row), and a logged table made each bump wait for its own WAL flush while
holding the row, so that one key's requests queued behind each other's disk writes. A counter needs no durability:
after a crash PostgreSQL empties an unlogged table, and every window starts again from zero."""

from django.db import migrations


def _alter(persistence: str):  # noqa: ANN202 - a RunPython pair
    def run(apps, schema_editor) -> None:  # noqa: ANN001
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE core_ratecounter SET {persistence}")

    return run


class Migration(migrations.Migration):
    dependencies = [("core", "0002_import_job")]

    operations = [migrations.RunPython(_alter("UNLOGGED"), _alter("LOGGED"))]
