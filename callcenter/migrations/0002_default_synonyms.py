"""A starting synonym table of campaign vocabulary (callcenter/data/synonyms_default.txt); supervisors edit it."""

from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "synonyms_default.txt"


def load(apps, schema_editor):
    SynonymGroup = apps.get_model("callcenter", "SynonymGroup")
    if SynonymGroup.objects.exists():
        return
    for line in DATA.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            SynonymGroup.objects.create(terms="\n".join(t.strip() for t in line.split(",") if t.strip()))


def unload(apps, schema_editor):
    apps.get_model("callcenter", "SynonymGroup").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("callcenter", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
