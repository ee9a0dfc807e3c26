# API tokens move from DRF's authtoken (the key was the primary key, in clear) to knox tokens
# stored hashed (core.ApiToken). The old keys were shown in the audit log, so none is carried
# over: their table is dropped and clients ask POST /api/v1/auth/token/ for a new token.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def forget_authtoken_permissions(apps, schema_editor):
    # The app is gone; its content type and permissions (the county administrators' group held
    # them) would only linger.
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="authtoken").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_idempotency_key"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                ("token_key", models.CharField(db_index=True, max_length=25)),
                ("created", models.DateTimeField(auto_now_add=True)),
                ("expiry", models.DateTimeField(blank=True, null=True)),
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("digest", models.CharField(max_length=128, unique=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="auth_token_set",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "API token",
                "verbose_name_plural": "API tokens",
                "ordering": ["-created"],
            },
        ),
        # Same statement on PostgreSQL and SQLite (the demo); absent on a fresh database.
        migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", migrations.RunSQL.noop),
        migrations.RunPython(forget_authtoken_permissions, migrations.RunPython.noop),
    ]
