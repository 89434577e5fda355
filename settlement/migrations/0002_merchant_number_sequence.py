from django.db import migrations


class Migration(migrations.Migration):
    """Merchant numbers come from a sequence: unique without a lock, never reused, even after a rollback."""

    dependencies = [("settlement", "0001_initial")]

    operations = [
        migrations.RunSQL("CREATE SEQUENCE settlement_merchant_number_seq START 1000001 MAXVALUE 9999999",
                          "DROP SEQUENCE settlement_merchant_number_seq"),
    ]
