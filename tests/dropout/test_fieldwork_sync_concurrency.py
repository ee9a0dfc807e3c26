"""Officials syncing their queued visits at the same moment, each entry sent twice at once (a
flaky connection's retry racing the first send): every entry is recorded exactly once and no
request fails. PostgreSQL only (row locks and the unique index of the keys)."""

import threading
import time

import pytest
from django.db import connection, connections
from django.utils import timezone

from core import audit
from core.models import AuditEvent
from enrollment.models import HouseholdVisit

from ..conftest import api_for
from ..factories import ChildFactory

BATCH = "/api/v1/visit-sync/batch/"
OFFICIALS = ("village1", "township1", "admin")
ENTRIES_EACH = 4


@pytest.mark.postgres
def test_officials_syncing_at_once_record_each_visit_once(transactional_db, world):
    if connection.vendor != "postgresql":
        pytest.fail("This test needs PostgreSQL; run it with DATABASE_URL set.")
    users = {
        user.username: user for user in (world.village1_user, world.township1_user, world.admin)
    }
    children = [
        ChildFactory(household=world.household1, name=f"同步{index}")
        for index in range(len(OFFICIALS) * ENTRIES_EACH)
    ]
    versions = {
        row["id"]: row["state"]["version"]
        for row in api_for(world.village1_user).get("/api/v1/visit-worklist/").json()["children"]
    }
    sends = []
    for number, child in enumerate(children):
        username = OFFICIALS[number % len(OFFICIALS)]
        body = {
            "child": child.pk,
            "seen_version": versions[child.pk],
            "visit_date": timezone.localdate().isoformat(),
            "visitors": username,
            "findings": f"第{number}条",
            "outcome": "not_found",
        }
        key = f"visit-entry-{number}-0"
        sends += [(users[username], body, key), (users[username], body, key)]

    barrier = threading.Barrier(len(sends))
    answers, errors = [], []

    def send(user, body, key):
        try:
            barrier.wait()
            started = time.perf_counter()
            response = api_for(user).post(
                "/api/v1/visit-sync/", body, format="multipart", HTTP_IDEMPOTENCY_KEY=key
            )
            answers.append((key, response.status_code, time.perf_counter() - started))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=args) for args in sends]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted({status for _key, status, _seconds in answers}) == [201]
    assert len(answers) == len(sends)
    assert HouseholdVisit.objects.count() == len(children)
    for child in children:
        assert HouseholdVisit.objects.filter(children=child).count() == 1


@pytest.mark.postgres
def test_batches_synced_at_once_keep_one_audit_chain(transactional_db, world):
    """Officials' batches at once, each sent twice at once: every visit once, one audit entry
    each, and the audit chain appended by all of them verifies with no fork."""
    if connection.vendor != "postgresql":
        pytest.fail("This test needs PostgreSQL; run it with DATABASE_URL set.")
    users = [world.village1_user, world.township1_user, world.admin]
    children = [
        ChildFactory(household=world.household1, name=f"批量{index}")
        for index in range(len(users) * ENTRIES_EACH)
    ]
    versions = {
        row["id"]: row["state"]["version"]
        for row in api_for(world.village1_user).get("/api/v1/visit-worklist/").json()["children"]
    }
    batches = []
    for number, user in enumerate(users):
        entries = [
            {
                "client_entry": f"batch-{number}-{index}",
                "child": child.pk,
                "seen_version": versions[child.pk],
                "visit_date": timezone.localdate().isoformat(),
                "visitors": user.username,
                "findings": f"批量第{number}-{index}条",
                "outcome": "not_found",
            }
            for index, child in enumerate(
                children[number * ENTRIES_EACH : (number + 1) * ENTRIES_EACH]
            )
        ]
        batches += [(user, entries), (user, entries)]
    first_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    barrier = threading.Barrier(len(batches))
    outcomes, errors = [], []

    def send(user, entries):
        try:
            barrier.wait()
            response = api_for(user).post(BATCH, {"entries": entries}, format="json")
            outcomes.extend(result["outcome"] for result in response.json()["results"])
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=args) for args in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert outcomes == ["synced"] * (2 * len(children))
    visits = HouseholdVisit.objects.filter(findings__startswith="批量")
    assert visits.count() == len(children)
    created = AuditEvent.objects.filter(pk__gt=first_event, object_type="enrollment.householdvisit")
    assert sorted(int(event.object_id) for event in created) == sorted(
        visits.values_list("pk", flat=True)
    )
    assert audit.verify_chain() is None
    links = list(AuditEvent.objects.values_list("previous_hash", flat=True))
    assert len(links) == len(set(links))  # no two rows continue the same row: no fork
