"""Officials syncing their queued visits at the same moment, each entry sent twice at once (a
flaky connection's retry racing the first send): every entry is recorded exactly once and no
request fails. PostgreSQL only (row locks and the unique index of the keys)."""

import threading
import time

import pytest
from django.db import connection, connections
from django.utils import timezone

from enrollment.models import HouseholdVisit

from ..conftest import api_for
from ..factories import ChildFactory

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
