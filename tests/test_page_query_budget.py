"""Issue 21, point 3: the overview, the child's page and the case's page within the benchmark's
budget of queries, each figure still exact (the queues' counts, the townships behind schedule)."""

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext as _

from core.home import counted_items
from core.models import Notification
from dropout.home import overdue_townships_queue
from dropout.services import cases
from enrollment.models import County
from enrollment.scoping import assigned_places

from .conftest import client_for
from .dropout.conftest import days_ago, persuade
from .inspections.conftest import area, raise_issue


def _notify(user, count):
    for index in range(count):
        Notification.objects.create(recipient=user, message=f"通知{index}", key=f"k{index}")


def test_counted_items_counts_and_lists_in_one_query(world, django_assert_num_queries):
    _notify(world.bureau, 7)
    queryset = Notification.objects.filter(recipient=world.bureau).order_by("-pk")
    with django_assert_num_queries(1):
        count, items = counted_items(queryset, lambda row: row.message, limit=5)
    assert count == 7
    assert items == [f"通知{index}" for index in (6, 5, 4, 3, 2)]


def test_counted_items_of_an_empty_queue(world, django_assert_num_queries):
    _notify(world.bureau, 2)
    with django_assert_num_queries(1):
        count, items = counted_items(
            Notification.objects.filter(recipient=world.admin), lambda row: row
        )
    assert (count, items) == (0, [])


def test_counted_items_of_a_grouped_queryset_counts_its_groups(world):
    _notify(world.bureau, 3)
    _notify(world.admin, 2)
    grouped = Notification.objects.values("recipient").annotate(n=Count("pk")).order_by("recipient")
    count, items = counted_items(grouped, lambda row: row["n"])
    assert count == 2 and sorted(items) == [2, 3]


def test_townships_behind_schedule_count_cases_not_their_persuasions(world, legal_texts):
    """A case persuaded three times is one case without action, not three."""
    case = cases.open_case(
        actor=world.township1_user, child=world.child1, cause="work", opened_on=days_ago(60)
    )
    persuade(world, case, times=3, start=55)
    queue = overdue_townships_queue(world.bureau, days_ago(0))
    assert queue.count == 1
    assert queue.items[0].label == world.township1.name
    assert queue.items[0].detail == _(
        "%(overdue)s notices past deadline · %(stale)s cases without action"
    ) % {"overdue": 0, "stale": 1}


def test_the_bureaus_counties_come_from_its_assignments(world, django_assert_num_queries):
    world.bureau.refresh_from_db()  # a fresh user object: its assignments not loaded yet
    with django_assert_num_queries(1):  # the assignments, once
        places = assigned_places(County, world.bureau)
    assert places == list(County.objects.for_user(world.bureau))
    assert assigned_places(County, world.township1_user) == []
    assert assigned_places(County, world.admin) == list(County.objects.for_user(world.admin))


@pytest.fixture
def busy_county(world, legal_texts):
    """Every queue of the bureau's overview has something in it."""
    case = cases.open_case(
        actor=world.township1_user, child=world.child1, cause="work", opened_on=days_ago(40)
    )
    persuade(world, case)
    for index in range(3):
        raise_issue(world, description=f"问题{index}")
    area("营养餐")
    _notify(world.bureau, 2)
    return world


def test_the_bureaus_overview_runs_within_the_budget(busy_county, django_assert_max_num_queries):
    client = client_for(busy_county.bureau)
    client.get(reverse("home"))  # the per-process caches warm, as on a running server
    with django_assert_max_num_queries(20):
        response = client.get(reverse("home"))
    assert response.status_code == 200
    queues = {queue.key: queue for queue in response.context["home_queues"]}
    assert queues["overdue_townships"].count == 1
    assert response.context["nav_unread_notifications"] == 2


def test_the_high_risk_count_is_asked_once(busy_county):
    client = client_for(busy_county.bureau)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    counts = [
        query["sql"]
        for query in queries.captured_queries
        if "risk_riskscore" in query["sql"] and "COUNT" in query["sql"].upper()
    ]
    assert len(counts) <= 1


def test_the_children_involved_in_a_case_have_their_own_small_index(db):
    """The overview counts 涉案未成年人 (a few hundred of 150,000) from a partial index, not by
    reading every child of the county."""
    from enrollment.models import Child

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Child._meta.db_table)
    index = constraints.get("enrollment_child_case_idx")
    assert index is not None and index["index"] and index["columns"] == ["village_id"]
    declared = next(i for i in Child._meta.indexes if i.name == "enrollment_child_case_idx")
    assert str(declared.condition) == str(Q(is_involved_in_case=True))


def test_the_last_digits_of_an_id_find_what_endswith_finds(world):
    """The search by an ID's last digits reads the ID backwards (an indexed prefix on
    PostgreSQL): the same children as `endswith`, in the same order."""
    from enrollment.models import Child
    from enrollment.search import Query, search_children

    ids = Child.objects.exclude(resident_id=None).values_list("resident_id", flat=True)
    tails = {resident_id[-digits:] for resident_id in ids for digits in (4, 6)}
    assert tails
    for tail in sorted(tails):
        expected = [
            reverse("enrollment:child_detail", args=[pk])
            for pk in Child.objects.for_user(world.bureau)
            .filter(resident_id__endswith=tail)
            .order_by("name", "pk")
            .values_list("pk", flat=True)[:20]
        ]
        found = search_children(world.bureau, Query.parse(tail))
        assert [result.url for result in found.results] == expected
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Child._meta.db_table)
    # PostgreSQL has the expression index (SQLite, the demo's, has no REVERSE to index).
    assert ("enrollment_child_rid_rev_idx" in constraints) == (connection.vendor == "postgresql")
