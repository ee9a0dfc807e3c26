"""What a record's history costs on the write path: the history manager's class is built once,
and a new record's relations are snapshotted without asking the database for links that cannot
exist yet."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.services import created_with
from enrollment.models import Child, HouseholdVisit


def test_the_history_manager_class_is_built_once_per_model():
    # simple-history builds it on every access otherwise (inspect.getmembers each time).
    assert type(Child.history) is type(Child.history)
    assert type(HouseholdVisit.history) is not type(Child.history)
    assert Child.history.model is Child.history.model  # still the model's own history


def test_a_new_records_relations_are_snapshotted_without_reading_the_links_first(world):
    visit = HouseholdVisit(
        household=world.household1,
        visit_date=datetime.date(2026, 11, 2),
        visitors="村干部",
        findings="在家",
        outcome=HouseholdVisit.Outcome.AT_HOME,
        recorded_by=world.village1_user,
    )
    links = HouseholdVisit.children.through._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        created_with(visit, world.village1_user, children=[world.child1, world.sibling1])
    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and links in q["sql"]]
    assert reads == []
    (row,) = visit.history.all()
    snapshot = type(row).children.model.objects.filter(history=row)
    assert sorted(link.child_id for link in snapshot) == sorted(
        [world.child1.pk, world.sibling1.pk]
    )
    assert sorted(visit.children.values_list("pk", flat=True)) == sorted(
        [world.child1.pk, world.sibling1.pk]
    )
