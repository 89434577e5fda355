"""A call's duration becomes optional: a blank duration is stored as NULL (unknown) instead of 0 seconds.

Calls logged before this change with a blank duration were saved as 0; no real call lasts 0 seconds (the console
takes tenths of a minute, so the shortest entered duration is 6 seconds), so existing zeros become unknown too.
"""

from django.db import migrations, models


def zero_to_unknown(apps, schema_editor):
    apps.get_model("callcenter", "CallRecord").objects.filter(duration_seconds=0).update(duration_seconds=None)


def unknown_to_zero(apps, schema_editor):
    apps.get_model("callcenter", "CallRecord").objects.filter(duration_seconds__isnull=True).update(
        duration_seconds=0)


class Migration(migrations.Migration):

    dependencies = [
        ("callcenter", "0002_default_synonyms"),
    ]

    operations = [
        migrations.AlterField(
            model_name="callrecord",
            name="duration_seconds",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="duration (seconds)"),
        ),
        migrations.RunPython(zero_to_unknown, unknown_to_zero, elidable=True),
    ]
