"""The header's search by the last digits of an ID: on PostgreSQL, an index on the ID read
backwards, so that `REVERSE(resident_id) LIKE '<digits reversed>%'` (enrollment.search) reads
a few index entries instead of every child. text_pattern_ops: the database's collation is not
C, and LIKE uses an index only through a pattern operator class then. SQLite (the demo) has no
REVERSE to index; its search reads the table as before."""

from django.db import migrations

INDEX = "enrollment_child_rid_rev_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON enrollment_child "
            "(REVERSE(resident_id) text_pattern_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0017_child_involved_in_case_index")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
