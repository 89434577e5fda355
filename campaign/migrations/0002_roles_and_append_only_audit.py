"""The eight staff roles as groups, and the database rule that makes the audit log append-only."""

from django.db import migrations

ROLES = [
    "system_admin",
    "secretariat_manager",
    "secretariat_clerk",
    "settlement_clerk",
    "callcenter_supervisor",
    "operator",
    "counter_staff",
    "auditor",
]

APPEND_ONLY_SQL = """
CREATE FUNCTION campaign_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER campaign_auditevent_no_update_delete
    BEFORE UPDATE OR DELETE ON campaign_auditevent
    FOR EACH ROW EXECUTE FUNCTION campaign_auditevent_append_only();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS campaign_auditevent_no_update_delete ON campaign_auditevent;
DROP FUNCTION IF EXISTS campaign_auditevent_append_only();
"""


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("campaign", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(create_roles, remove_roles),
        migrations.RunSQL(APPEND_ONLY_SQL, DROP_SQL),
    ]
