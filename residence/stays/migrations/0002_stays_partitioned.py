"""On PostgreSQL, the stay table becomes a table partitioned by month of declaration (residence/stays/partitions.py),
with this month's and the next two months' partitions. Nothing changes on SQLite."""

from django.db import migrations


def partition(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    from residence.stays.partitions import PARTITIONED_DDL, stay_partitions_ahead

    for statement in PARTITIONED_DDL.split(";\n"):
        if statement.strip():
            schema_editor.execute(statement)
    stay_partitions_ahead()


class Migration(migrations.Migration):
    dependencies = [("stays", "0001_stays")]
    operations = [migrations.RunPython(partition, migrations.RunPython.noop)]
