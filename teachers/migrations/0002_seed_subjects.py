from django.db import migrations

SUBJECTS = [
    ("chinese", "语文"),
    ("mathematics", "数学"),
    ("english", "英语"),
    ("morality_law", "道德与法治"),
    ("science", "科学"),
    ("physics", "物理"),
    ("chemistry", "化学"),
    ("biology", "生物"),
    ("history", "历史"),
    ("geography", "地理"),
    ("politics", "思想政治"),
    ("music", "音乐"),
    ("pe", "体育与健康"),
    ("art", "美术"),
    ("it", "信息科技"),
    ("psychology", "心理健康"),
    ("labour", "劳动"),
    ("preschool", "学前教育"),
    ("special", "特殊教育"),
    ("vocational", "职业技能"),
]


def seed(apps, schema_editor):
    Subject = apps.get_model("teachers", "Subject")
    for order, (code, name) in enumerate(SUBJECTS, start=1):
        Subject.objects.get_or_create(code=code, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("teachers", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
