"""Events carry an HMAC tag and a unique id from their insert; blocks record their id range, the ids skipped in it,
and an Ed25519 signature; sealing no longer writes to events, so every audit row is append-only from its insert.
Rows written before this migration have no tag: `audit verify` reports them (there were no deployments yet)."""

import uuid

from django.db import migrations, models

from residence.audit.migrations import _triggers


def fill_uids(apps, schema_editor) -> None:  # noqa: ANN001
    event = apps.get_model("audit", "Event")
    for pk in event.objects.values_list("pk", flat=True).iterator():
        event.objects.filter(pk=pk).update(uid=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_sealed_rows_are_read_only")]

    operations = [
        migrations.RunPython(_triggers.drop_sealed_only),  # not reversible: events no longer record their block
        migrations.RemoveField("event", "block_seq"),
        migrations.AddField("event", "uid", models.UUIDField(null=True)),
        migrations.RunPython(fill_uids, migrations.RunPython.noop),
        migrations.AlterField("event", "uid", models.UUIDField(default=uuid.uuid4, unique=True)),
        migrations.AddField("event", "key_id", models.CharField(max_length=8, default=""), preserve_default=False),
        migrations.AddField("event", "tag", models.CharField(max_length=64, default=""), preserve_default=False),
        migrations.AddField("block", "skipped_ids", models.JSONField(blank=True, default=list)),
        migrations.AddField("block", "key_id", models.CharField(max_length=8, default=""), preserve_default=False),
        migrations.AddField("block", "signature", models.CharField(max_length=128, default=""),
                            preserve_default=False),
        migrations.RunPython(_triggers.create_append_only, _triggers.drop_append_only),
    ]
