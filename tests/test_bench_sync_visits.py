"""The `sync.visits` and `sync.worklist` benchmarks still work (a tiny run; the figures come
from `make bench`)."""

import gzip
import json

from bench.sync_visits import measure_sync_visits, measure_worklist
from enrollment.models import HouseholdVisit

from .conftest import PASSWORD, api_for
from .factories import ChildFactory


def test_sync_visits_measures_each_visit_once_at_a_tiny_scale(transactional_db, world, live_server):
    for index in range(4):
        ChildFactory(household=world.household1, name=f"基准{index}")
    result = measure_sync_visits(
        live_server.url,
        PASSWORD,
        username="village1",
        officials=3,
        visits_each=4,
        batches_each=2,
        retried_each=1,
    )
    assert result.workload == "sync.visits" and result.unit == "visit"
    # 3 officials × 2 batches, then each official's first batch again (2 entries replayed).
    assert result.notes == [
        "sync.visits: 9 requests, 18 entries, 0 errors, 0 duplicates, 0 missing"
    ]
    assert HouseholdVisit.objects.count() == 12
    assert HouseholdVisit.objects.filter(teacher_visitors=1).count() == 6
    assert result.p95_s is not None and result.median_s <= result.p95_s


def test_worklist_is_measured_compressed_as_nginx_sends_it(transactional_db, world, live_server):
    for index in range(3):
        ChildFactory(household=world.household1b, name=f"乙{index}")
    result = measure_worklist(live_server.url, PASSWORD, username="township1", requests=2)
    body = json.dumps(api_for(world.township1_user).get("/api/v1/visit-worklist/").json())
    assert result.workload == "sync.worklist"
    children, raw, compressed = result.notes[0].removeprefix("sync.worklist: ").split(", ")
    assert children == "5 children"  # sibling1, child1b and the three above
    assert 0 < int(compressed.split()[0]) < int(raw.split()[0])
    assert int(raw.split()[0]) > len(gzip.compress(body.encode(), 1))
    assert result.met is True
