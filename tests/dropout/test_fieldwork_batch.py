"""我的走访's batch sync: the queued visits of a phone in one request, each entry with its own
idempotency key and outcome (synced, conflict, invalid, forbidden, not found)."""

import io
import json
import threading
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from PIL import Image

from core import audit
from core.models import AuditEvent
from enrollment.models import EnrollmentStatus, HouseholdVisit
from enrollment.services import change_status

from ..conftest import api_for, client_for
from .test_fieldwork_api import SYNC, entry_for, version_of

BATCH = "/api/v1/visit-sync/batch/"


def keyed(child, version, **overrides) -> dict:
    return {"client_entry": f"visit-{uuid.uuid4()}-0", **entry_for(child, version, **overrides)}


def send(user, entries, **kwargs):
    response = api_for(user).post(BATCH, {"entries": entries}, format="json", **kwargs)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_batch_applies_each_entry_in_order_and_answers_each(world):
    version = version_of(world.village1_user, world.sibling1)
    entries = [keyed(world.sibling1, version, findings=f"第{n}次") for n in range(3)]
    results = send(world.village1_user, entries)
    assert [r["outcome"] for r in results] == ["synced"] * 3
    assert [r["client_entry"] for r in results] == [e["client_entry"] for e in entries]
    visits = HouseholdVisit.objects.order_by("pk")
    assert [v.findings for v in visits] == ["第0次", "第1次", "第2次"]
    assert [r["visit"] for r in results] == [v.pk for v in visits]
    assert results[0]["state"]["version"] == version  # a visit alone leaves the version


def test_a_conflict_or_an_error_does_not_block_the_other_entries(world):
    version = version_of(world.township1_user, world.sibling1)
    child1b_version = version_of(world.township1_user, world.child1b)
    change_status(
        actor=world.township1_user,
        child=world.sibling1,
        status=EnrollmentStatus.NEVER_ENROLLED,
        effective_date=timezone.localdate(),
        reason="核实",
    )
    tomorrow = (timezone.localdate() + timezone.timedelta(days=1)).isoformat()
    entries = [
        keyed(world.child1b, child1b_version, findings="先"),
        keyed(world.sibling1, version, new_status="dropped_out"),
        keyed(world.child1b, child1b_version, visit_date=tomorrow),
        keyed(world.child1b, child1b_version, findings="后"),
    ]
    results = send(world.township1_user, entries)
    assert [r["outcome"] for r in results] == ["synced", "conflict", "invalid", "synced"]
    assert [r["status"] for r in results] == [201, 409, 400, 201]
    assert results[1]["seen"]["status"] == "unverified"
    assert results[1]["current"]["status"] == "never_enrolled"
    assert "visit_date" in results[2]["errors"]
    assert sorted(HouseholdVisit.objects.values_list("findings", flat=True)) == ["先", "后"]
    world.sibling1.refresh_from_db()
    assert world.sibling1.status == EnrollmentStatus.NEVER_ENROLLED


def test_the_whole_batch_sent_again_replays_and_records_nothing_twice(world):
    version = version_of(world.village1_user, world.sibling1)
    entries = [
        keyed(world.sibling1, version, new_status="never_enrolled", status_reason="从未入学"),
        keyed(world.sibling1, version, findings="再访"),
    ]
    first = send(world.village1_user, entries)
    assert [r["outcome"] for r in first] == ["synced", "synced"]
    audit_rows = AuditEvent.objects.count()
    later = keyed(world.sibling1, first[1]["state"]["version"], findings="新的一条")
    again = send(world.village1_user, [*entries, later])
    assert [r["outcome"] for r in again] == ["synced"] * 3
    assert [r["replayed"] for r in again] == [True, True, False]
    assert again[0]["visit"] == first[0]["visit"] and again[1]["visit"] == first[1]["visit"]
    assert HouseholdVisit.objects.count() == 3
    assert world.sibling1.status_changes.filter(status="never_enrolled").count() == 1
    assert AuditEvent.objects.count() > audit_rows  # only the new entry wrote


def test_a_later_entry_of_the_same_child_follows_the_status_change_before_it(world):
    # Both entered offline against the same version: the second is based on the first.
    version = version_of(world.village1_user, world.sibling1)
    entries = [
        keyed(world.sibling1, version, new_status="never_enrolled"),
        keyed(world.sibling1, version, findings="同一次出行的第二条"),
    ]
    results = send(world.village1_user, entries)
    assert [r["outcome"] for r in results] == ["synced", "synced"]
    assert results[1]["state"]["status"] == "never_enrolled"


def test_a_key_reused_for_other_content_is_refused_and_writes_nothing(world):
    version = version_of(world.village1_user, world.sibling1)
    entry = keyed(world.sibling1, version)
    send(world.village1_user, [entry])
    results = send(world.village1_user, [{**entry, "findings": "改过的"}])
    assert results[0]["outcome"] == "refused" and results[0]["status"] == 409
    assert HouseholdVisit.objects.count() == 1


def test_another_townships_child_is_not_found_and_the_auditor_is_refused(world):
    results = send(world.township2_user, [keyed(world.sibling1, "unverified.0.0.")])
    assert results[0]["outcome"] == "not_found" and results[0]["status"] == 404
    version = version_of(world.auditor, world.sibling1)
    response = api_for(world.auditor).post(
        BATCH, {"entries": [keyed(world.sibling1, version)]}, format="json"
    )
    assert response.status_code == 403
    assert HouseholdVisit.objects.count() == 0


def test_a_bad_envelope_is_refused_whole(world):
    version = version_of(world.village1_user, world.sibling1)
    entry = keyed(world.sibling1, version)
    client = api_for(world.village1_user)
    for body in (
        {"entries": []},
        {"entries": "x"},
        {"entries": [entry, entry]},  # the same key twice
        {"entries": [{**entry, "client_entry": ""}]},
        {"entries": [entry] * 51},
    ):
        response = client.post(BATCH, body, format="json")
        assert response.status_code == 400, body
        assert "entries" in response.json()
    assert HouseholdVisit.objects.count() == 0


def test_teacher_visitors_are_taken_optional_and_bounded(world):
    version = version_of(world.village1_user, world.sibling1)
    results = send(
        world.village1_user,
        [
            keyed(world.sibling1, version, teacher_visitors=2, findings="两名教师"),
            keyed(world.sibling1, version, teacher_visitors=51),
            keyed(world.sibling1, version, findings="未填"),
        ],
    )
    assert [r["outcome"] for r in results] == ["synced", "invalid", "synced"]
    assert "teacher_visitors" in results[1]["errors"]
    assert dict(HouseholdVisit.objects.values_list("findings", "teacher_visitors")) == {
        "两名教师": 2,
        "未填": 0,
    }
    single = api_for(world.village1_user).post(
        SYNC, entry_for(world.sibling1, version, teacher_visitors="3"), format="multipart"
    )
    assert single.status_code == 201, single.content
    assert HouseholdVisit.objects.get(pk=single.json()["visit"]).teacher_visitors == 3
    single = api_for(world.village1_user).post(
        SYNC, entry_for(world.sibling1, version, teacher_visitors="-1"), format="multipart"
    )
    assert single.status_code == 400 and "teacher_visitors" in single.json()


def test_a_multipart_batch_carries_the_photos(world):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "JPEG")
    photo = SimpleUploadedFile("visit.jpg", buffer.getvalue(), content_type="image/jpeg")
    version = version_of(world.village1_user, world.sibling1)
    entries = [
        keyed(world.sibling1, version, attachment="photo-0"),
        keyed(world.sibling1, version, attachment="photo-9"),  # its part is missing
        keyed(world.sibling1, version),
    ]
    response = api_for(world.village1_user).post(
        BATCH, {"entries": json.dumps(entries), "photo-0": photo}, format="multipart"
    )
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["outcome"] for r in results] == ["synced", "invalid", "synced"]
    with_photo = HouseholdVisit.objects.get(pk=results[0]["visit"])
    assert with_photo.attachment.name.startswith("visits/")
    assert not HouseholdVisit.objects.get(pk=results[2]["visit"]).attachment


def test_one_sync_costs_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    version = version_of(world.village1_user, world.sibling1)
    client = api_for(world.village1_user)
    with django_assert_max_num_queries(30):  # 26 on PostgreSQL: most are the visit's own writes
        response = client.post(SYNC, entry_for(world.sibling1, version), format="multipart")
    assert response.status_code == 201


def test_each_entry_of_a_batch_adds_a_bounded_number_of_queries(
    world, django_assert_max_num_queries
):
    version = version_of(world.village1_user, world.sibling1)
    client = api_for(world.village1_user)
    with django_assert_max_num_queries(90):  # 87: about 17 per entry, most of them its writes
        response = client.post(
            BATCH,
            {"entries": [keyed(world.sibling1, version) for _ in range(5)]},
            format="json",
        )
    assert [r["outcome"] for r in response.json()["results"]] == ["synced"] * 5


def test_a_synced_visit_is_one_change_one_history_row_and_one_audit_entry(world):
    # As every other record: not a second history row and audit entry for its children.
    version = version_of(world.village1_user, world.sibling1)
    (result,) = send(world.village1_user, [keyed(world.sibling1, version)])
    visit = HouseholdVisit.objects.get(pk=result["visit"])
    (row,) = visit.history.all()
    assert row.history_type == "+" and row.history_user == world.village1_user
    snapshot = type(row).children.model.objects.filter(history=row)
    assert [link.child_id for link in snapshot] == [world.sibling1.pk]
    events = AuditEvent.objects.filter(
        object_type="enrollment.householdvisit", object_id=str(visit.pk)
    )
    assert [event.action for event in events] == [AuditEvent.Action.CREATE]
    assert audit.verify_chain() is None


def test_a_status_change_with_the_visit_is_audited_once_each(world):
    version = version_of(world.village1_user, world.sibling1)
    before = AuditEvent.objects.count()
    (result,) = send(
        world.village1_user, [keyed(world.sibling1, version, new_status="never_enrolled")]
    )
    assert result["outcome"] == "synced"
    written = AuditEvent.objects.order_by("pk")[before:]
    kinds = sorted(event.object_type for event in written)
    assert kinds.count("enrollment.householdvisit") == 1
    assert kinds.count("enrollment.child") == 1
    assert audit.verify_chain() is None


def test_the_batch_is_in_the_schema(world):
    schema = client_for(world.admin).get("/api/schema/").content.decode()
    assert "/api/v1/visit-sync/batch/" in schema and "VisitSyncBatchResult" in schema


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_batch_sent_twice_at_once_records_each_visit_once(world):
    version = version_of(world.township1_user, world.sibling1)
    entries = [
        keyed(world.sibling1, version, new_status="never_enrolled"),
        keyed(world.child1b, version_of(world.township1_user, world.child1b)),
        keyed(world.sibling1, version, findings="同一次出行的第二条"),
    ]
    barrier = threading.Barrier(2)
    answers = []

    def send_once():
        try:
            barrier.wait()
            response = api_for(world.township1_user).post(
                BATCH, {"entries": entries}, format="json"
            )
            answers.append([r["outcome"] for r in response.json()["results"]])
        finally:
            connection.close()

    threads = [threading.Thread(target=send_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Each entry applied once: the other send waited on the entry's key and replayed it.
    assert answers == [["synced"] * 3, ["synced"] * 3]
    assert HouseholdVisit.objects.count() == 3
    assert world.sibling1.status_changes.filter(status="never_enrolled").count() == 1
