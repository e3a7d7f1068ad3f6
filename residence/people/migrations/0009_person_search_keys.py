"""PersonSearchKey: the forms a person is found by, at each area they are registered in; backfilled."""

import datetime as dt

import django.db.models.deletion
from django.db import migrations, models

import residence.core.fields


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    from residence.people.identity import search_keys

    person = apps.get_model("people", "Person")
    registration = apps.get_model("registrations", "Registration")
    key = apps.get_model("people", "PersonSearchKey")
    last = 0
    while True:
        ids = list(person.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:5000])
        if not ids:
            return
        last = ids[-1]
        names = dict(person.objects.filter(pk__in=ids).values_list("pk", "name"))
        regs: dict[int, list[tuple[str, dt.date | None]]] = {}
        for pid, path, ended in registration.objects.filter(person_id__in=ids).values_list(
                "person_id", "area_path", "ended_on"):
            regs.setdefault(pid, []).append((path, ended))
        key.objects.bulk_create([key(person_id=pid, form=form, area_path=path, ended_on=ended)
                                 for pid, rows in regs.items() for form, path, ended in search_keys(names[pid], rows)],
                                batch_size=2000)


def finer_statistics(apps, schema_editor):  # type: ignore[no-untyped-def]
    """PostgreSQL's default 100 histogram bins estimate a prefix range of a Chinese surname (a few thousand keys of
    millions) as a handful of rows, and then walks the wrong index; finer bins estimate it within a factor of two."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE people_personsearchkey ALTER COLUMN form SET STATISTICS 2000")
        schema_editor.execute("ALTER TABLE people_personsearchkey ALTER COLUMN area_path SET STATISTICS 1000")


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0008_strict_masks'),
        ('registrations', '0003_registration_area_path'),
    ]

    operations = [
        migrations.CreateModel(
            name='PersonSearchKey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('form', residence.core.fields.BytewiseCharField(max_length=60)),
                ('area_path', residence.core.fields.BytewiseCharField(max_length=255)),
                ('ended_on', models.DateField(blank=True, null=True)),
                ('person', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='search_keys', to='people.person')),
            ],
            options={
                'indexes': [models.Index(fields=['area_path', 'form', 'person', 'ended_on'], name='person_key_area_form'), models.Index(fields=['form', 'person', 'area_path', 'ended_on'], name='person_key_form'), models.Index(fields=['person', 'form'], name='person_key_person')],
            },
        ),
        migrations.RunPython(finer_statistics, migrations.RunPython.noop),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
