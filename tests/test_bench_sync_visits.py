"""The `sync.visits` benchmark still works (a tiny run; the figures come from `make bench`)."""

from bench.sync_visits import measure_sync_visits
from enrollment.models import HouseholdVisit

from .conftest import PASSWORD
from .factories import ChildFactory


def test_sync_visits_measures_each_visit_once_at_a_tiny_scale(transactional_db, world, live_server):
    for index in range(4):
        ChildFactory(household=world.household1, name=f"基准{index}")
    result = measure_sync_visits(
        live_server.url, PASSWORD, username="village1", officials=3, visits_each=2, retried_each=1
    )
    assert result.workload == "sync.visits" and result.unit == "visit"
    assert result.notes == ["sync.visits: 9 requests, 0 errors, 0 duplicates, 0 missing"]
    assert HouseholdVisit.objects.count() == 6
    assert result.p95_s is not None and result.median_s <= result.p95_s
