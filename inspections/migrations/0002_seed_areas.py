from django.db import migrations

# The areas the county's inspections check (the seed report's 控辍保学, 学生资助, 项目建设,
# 营养餐, 食堂); inspectors add to the list in the application.
AREAS = ["控辍保学", "学生资助", "项目建设", "营养餐", "食堂"]


def seed_areas(apps, schema_editor):
    Area = apps.get_model("inspections", "Area")
    for position, name in enumerate(AREAS, start=1):
        Area.objects.get_or_create(name=name, defaults={"position": position * 10})


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_initial")]

    operations = [migrations.RunPython(seed_areas, migrations.RunPython.noop)]
