"""How the children's table is stored on PostgreSQL."""

import pytest
from django.db import connection

from enrollment.models import Child


@pytest.mark.postgres
def test_children_pages_are_left_half_free_for_updates_that_touch_no_index(db):
    # A first police listing or a new phone number then rewrites the row in its own page
    # without an entry in each of the table's indexes (migration enrollment/0007).
    if connection.vendor != "postgresql":
        pytest.fail("this test needs PostgreSQL (DATABASE_URL)")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE oid = %s::regclass", [Child._meta.db_table]
        )
        assert cursor.fetchone()[0] == ["fillfactor=50"]
