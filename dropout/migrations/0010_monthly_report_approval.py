import core.fields
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dropout', '0009_decision_service_and_persuasion_officers'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='monthlyreport',
            name='adjustments',
            field=models.JSONField(default=list, editable=False, verbose_name='post-lock adjustments'),
        ),
        migrations.AddField(
            model_name='monthlyreport',
            name='approved_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='approved at'),
        ),
        migrations.AddField(
            model_name='monthlyreport',
            name='approved_by',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='approved by'),
        ),
        migrations.AddField(
            model_name='reportrun',
            name='note',
            field=core.fields.LongTextField(blank=True, editable=False, max_length=10000, verbose_name='note'),
        ),
    ]
