"""Half of each page of the children's table is left free.

A child's row is rewritten often without any of its eight indexes' columns changing (the police
extract's first listing, a new phone number, a household visit's findings). With room in the
same page PostgreSQL writes the new version there and touches no index (a HOT update); in a full
page it must add an entry to every index. Measured on the county data set: marking 30,000
children as listed by the police took 1.13 s with full pages, 0.13 s with half-full ones; the
table grows from 26 to 53 MB. Pages written before this migration keep their fill until the
table is rewritten (VACUUM FULL enrollment_child, in a maintenance window)."""

from django.db import migrations


def set_fillfactor(value):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            table = schema_editor.quote_name(apps.get_model("enrollment", "Child")._meta.db_table)
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {value})")

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0006_history_users_checked_by_django"),
    ]

    operations = [
        migrations.RunPython(set_fillfactor(50), set_fillfactor(100)),
    ]
