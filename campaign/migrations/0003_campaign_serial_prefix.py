from django.db import migrations, models


def number_existing(apps, schema_editor):
    Campaign = apps.get_model("campaign", "Campaign")
    for offset, campaign in enumerate(Campaign.objects.order_by("id")):
        campaign.serial_prefix = 10 + offset
        campaign.save(update_fields=["serial_prefix"])


class Migration(migrations.Migration):
    dependencies = [("campaign", "0002_roles_and_append_only_audit")]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="serial_prefix",
            field=models.PositiveSmallIntegerField(null=True),
        ),
        migrations.RunPython(number_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="campaign",
            name="serial_prefix",
            field=models.PositiveSmallIntegerField(
                help_text="Two digits (10–99) that open every ticket code of this campaign.",
                unique=True, verbose_name="serial prefix"),
        ),
        migrations.AddConstraint(
            model_name="campaign",
            constraint=models.CheckConstraint(condition=models.Q(("serial_prefix__gte", 10), ("serial_prefix__lte", 99)),
                                              name="campaign_serial_prefix_two_digits"),
        ),
    ]
