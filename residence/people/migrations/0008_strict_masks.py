"""Stored masks hide more (docs/security.md, "What each role sees"): the ID number keeps only its division code,
the phone only its last four digits. Rewritten from the old masks, so no key is needed; not reversible."""

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat, Length, Repeat, Right, Substr


def strict_masks(apps, schema_editor):
    person = apps.get_model("people", "Person")
    person.objects.update(id_number_masked=Concat(Substr("id_number_masked", 1, 6), Value("*" * 12)))
    person.objects.exclude(phone_masked="").update(
        phone_masked=Concat(Repeat(Value("*"), Length("phone_masked") - 4), Right("phone_masked", 4)))


class Migration(migrations.Migration):
    dependencies = [("people", "0007_decoy_challenges")]
    operations = [migrations.RunPython(strict_masks, migrations.RunPython.noop, elidable=True)]
