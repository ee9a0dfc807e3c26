"""The programme for pupils at a secondary vocational school outside the county (县外就读中职学生
补助), its stage, and the ledger of the schools' per-pupil public funds (义务教育生均公用经费)."""

import importlib

from django.db import migrations

CODE = "vocational-outside-county"


def seed(apps, schema_editor):
    Programme = apps.get_model("subsidies", "Programme")
    catalogue = importlib.import_module("subsidies.migrations.0002_national_programmes")
    data = dict(next(item for item in catalogue.PROGRAMMES if item["code"] == CODE))
    Programme.objects.get_or_create(code=data.pop("code"), defaults=data)


def unseed(apps, schema_editor):
    Programme = apps.get_model("subsidies", "Programme")
    Programme.objects.filter(code=CODE, batches__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("subsidies", "0007_batch_is_correction")]

    operations = [migrations.RunPython(seed, unseed)]
