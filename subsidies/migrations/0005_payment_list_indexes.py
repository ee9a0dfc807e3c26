from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("subsidies", "0004_programme_version"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(fields=["period", "id"], name="payment_period_newest"),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(fields=["school_year", "id"], name="payment_year_newest"),
        ),
    ]
