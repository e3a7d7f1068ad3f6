"""Registration.area_path: the unit's area down to its grid, backfilled for the rows already there."""

from django.db import migrations, models

import residence.core.fields

BACKFILL = """
UPDATE registrations_registration SET area_path = (
    SELECT j.path FROM places_unit u
    JOIN places_building b ON b.id = u.building_id
    JOIN places_jurisdiction j ON j.id = b.grid_id
    WHERE u.id = registrations_registration.unit_id)
"""


class Migration(migrations.Migration):

    dependencies = [
        ('places', '0001_initial'),
        ('registrations', '0002_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='registration',
            name='area_path',
            field=residence.core.fields.BytewiseCharField(default='', editable=False, max_length=255),
            preserve_default=False,
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name='registration',
            index=models.Index(fields=['area_path', 'ended_on', 'person'], name='registration_area_path'),
        ),
    ]
