"""audit.batched(): a write's audit entries appended at its end, under one acquisition of the
chain's lock, so that the lock is never held during the write's own work."""

import pytest
from django.db import connection, transaction

from core import audit
from core.models import AuditEvent

A = AuditEvent.Action


def _holds_chain_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s "
            "AND pid = pg_backend_pid() AND granted",
            [audit._LOCK_KEY],
        )
        return cursor.fetchone()[0] > 0


def test_the_events_are_appended_at_the_end_in_order_and_chained(world):
    before = AuditEvent.objects.count()
    with transaction.atomic(), audit.batched():
        first = audit.record(A.VIEW, user=world.auditor, object_repr="一")
        second = audit.record(A.EXPORT, user=world.auditor, object_repr="二")
        assert first.pk is None and AuditEvent.objects.count() == before  # not yet
    written = list(AuditEvent.objects.order_by("pk")[before:])
    assert [e.object_repr for e in written] == ["一", "二"]
    assert [first.pk, second.pk] == [e.pk for e in written]
    assert second.previous_hash == first.row_hash
    assert audit.verify_chain() is None
    # And the chain goes on from them.
    third = audit.record(A.LOGOUT, user=world.auditor)
    assert third.previous_hash == second.row_hash
    assert audit.verify_chain() is None


def test_an_event_of_a_rolled_back_savepoint_is_dropped(world):
    before = AuditEvent.objects.count()
    with transaction.atomic(), audit.batched():
        audit.record(A.VIEW, user=world.auditor, object_repr="留下")
        try:
            with transaction.atomic():
                audit.record(A.VIEW, user=world.auditor, object_repr="撤销")
                raise ValueError
        except ValueError:
            pass
    assert [e.object_repr for e in AuditEvent.objects.order_by("pk")[before:]] == ["留下"]
    assert audit.verify_chain() is None


def test_an_error_or_a_rollback_appends_nothing(world):
    before = AuditEvent.objects.count()
    with pytest.raises(ValueError):
        with transaction.atomic(), audit.batched():
            audit.record(A.VIEW, user=world.auditor, object_repr="错误")
            raise ValueError
    with transaction.atomic(), audit.batched():
        audit.record(A.VIEW, user=world.auditor, object_repr="回滚")
        transaction.set_rollback(True)
    assert AuditEvent.objects.count() == before


def test_nested_the_outermost_appends(world):
    before = AuditEvent.objects.count()
    with transaction.atomic(), audit.batched():
        with transaction.atomic(), audit.batched():
            audit.record(A.VIEW, user=world.auditor, object_repr="内")
        assert AuditEvent.objects.count() == before
        audit.record(A.VIEW, user=world.auditor, object_repr="外")
    assert [e.object_repr for e in AuditEvent.objects.order_by("pk")[before:]] == ["内", "外"]


@pytest.mark.django_db(transaction=True)  # the test's own transaction would be the caller's
def test_outside_a_transaction_an_event_is_appended_at_once(world):
    with audit.batched():
        event = audit.record(A.VIEW, user=world.auditor, object_repr="即时")
        assert event.pk is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # no test transaction holding the lock already
def test_the_lock_is_taken_only_when_the_events_are_appended(world):
    if connection.vendor != "postgresql":
        pytest.fail("This test needs PostgreSQL; run it with DATABASE_URL set.")
    with transaction.atomic():
        with audit.batched():
            audit.record(A.VIEW, user=world.auditor, object_repr="甲")
            audit.record(A.VIEW, user=world.auditor, object_repr="乙")
            assert not _holds_chain_lock()  # the work goes on without it
        assert _holds_chain_lock()  # from the append to the commit
