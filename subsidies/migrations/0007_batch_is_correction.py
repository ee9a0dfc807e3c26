from django.db import migrations, models


def mark_corrections(apps, schema_editor):
    """Until now a correction batch was known by its title; the flag takes over."""
    Batch = apps.get_model("subsidies", "Batch")
    Batch.objects.filter(title__startswith="更正").update(is_correction=True)


class Migration(migrations.Migration):
    dependencies = [
        ("subsidies", "0006_text_and_date_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="batch",
            name="is_correction",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="correction batch"
            ),
        ),
        migrations.AddField(
            model_name="historicalbatch",
            name="is_correction",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="correction batch"
            ),
        ),
        migrations.RunPython(mark_corrections, migrations.RunPython.noop),
    ]
