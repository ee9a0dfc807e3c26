"""A batch from eligibility to paid and locked; the rules on lines; corrections as new lines."""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, connections, transaction
from django.utils.translation import gettext

from core.errors import DomainError, TransitionRefused
from subsidies.models import Batch, Payment
from subsidies.services import batches

from .conftest import AUTUMN, YEAR, paid_batch, programme

PAID_ON = datetime.date(YEAR, 12, 10)


def new_batch(world, code="boarding-living-allowance", school=None, actor=None):
    return batches.create_batch(
        actor=actor or world.school1_user,
        county=world.county,
        programme=programme(code),
        period=AUTUMN,
        school=school or world.school1,
    )


def test_a_batch_goes_from_eligibility_to_paid_and_then_is_locked(scenario):
    w = scenario
    batch = new_batch(w)
    result = batches.build_from_eligibility(actor=w.school1_user, batch=batch)
    assert result.created == 1 and not result.errors
    line = batch.payments.get()
    assert (line.child, line.amount, line.stage) == (w.child1, Decimal("500.00"), "primary")
    assert line.township == w.township1 and line.school == w.school1
    batches.review_batch(actor=w.school1_user, batch=batch)
    with pytest.raises(PermissionDenied):
        batches.approve_batch(actor=w.school1_user, batch=batch)
    batches.approve_batch(actor=w.bureau, batch=batch)
    with pytest.raises(TransitionRefused):
        batches.approve_batch(actor=w.bureau, batch=batch)
    batches.mark_paid(actor=w.bureau, batch=batch, paid_on=PAID_ON)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.PAID and batch.is_locked
    assert batch.payments.get().paid_on == PAID_ON
    with pytest.raises(TransitionRefused):
        batches.add_payments(actor=w.bureau, batch=batch, rows=[{"child": w.child1b.pk}])
    with pytest.raises(TransitionRefused):
        batches.remove_payment(actor=w.bureau, payment=line)
    # Building again finds nobody left to pay.
    second = new_batch(w)
    assert batches.build_from_eligibility(actor=w.school1_user, batch=second).created == 0


def test_the_bureau_returns_a_reviewed_batch_for_correction(scenario):
    w = scenario
    batch = new_batch(w)
    batches.build_from_eligibility(actor=w.school1_user, batch=batch)
    with pytest.raises(TransitionRefused):
        batches.mark_paid(actor=w.bureau, batch=batch, paid_on=PAID_ON)
    batches.review_batch(actor=w.school1_user, batch=batch)
    batches.return_batch(actor=w.bureau, batch=batch)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DRAFT


def test_an_empty_batch_cannot_be_reviewed_and_a_future_payment_date_is_refused(scenario):
    w = scenario
    batch = new_batch(w)
    with pytest.raises(TransitionRefused):
        batches.review_batch(actor=w.school1_user, batch=batch)
    batches.build_from_eligibility(actor=w.school1_user, batch=batch)
    batches.review_batch(actor=w.school1_user, batch=batch)
    batches.approve_batch(actor=w.bureau, batch=batch)
    with pytest.raises(DomainError):
        batches.mark_paid(
            actor=w.bureau, batch=batch, paid_on=datetime.date.today() + datetime.timedelta(days=3)
        )


def test_school_staff_prepare_lists_of_their_own_school_only(scenario):
    w = scenario
    with pytest.raises(PermissionDenied):
        new_batch(w, school=w.school2)
    with pytest.raises(PermissionDenied):
        new_batch(w, actor=w.auditor)
    with pytest.raises(PermissionDenied):
        batches.create_batch(
            actor=w.school1_user,
            county=w.county,
            programme=programme("exercise-books"),
            period=AUTUMN,
            school=None,
        )


def test_a_bad_period_or_a_programme_out_of_force_is_refused(scenario):
    w = scenario
    for period in ("2025-3", "25", "abc"):
        with pytest.raises(DomainError):
            batches.create_batch(
                actor=w.bureau,
                county=w.county,
                programme=programme("exercise-books"),
                period=period,
                school=w.school1,
            )
    with pytest.raises(DomainError):
        batches.create_batch(
            actor=w.bureau,
            county=w.county,
            programme=programme("senior-grant"),
            period="2023-1",
            school=w.school1,
        )
    with pytest.raises(DomainError):
        batches.create_batch(
            actor=w.bureau,
            county=w.county,
            programme=programme("free-textbooks"),
            period=AUTUMN,
            school=w.school1,
        )


def test_lines_above_the_standard_or_for_ineligible_children_need_a_reason(scenario):
    w = scenario
    batch = new_batch(w)
    result = batches.add_payments(
        actor=w.school1_user,
        batch=batch,
        rows=[
            {"child": w.child1.pk, "amount": "600", "row": 2},
            {"child": w.child1b.pk, "row": 3},
            {"child": w.child2.pk, "row": 4},  # out of the school staff's scope
            {"child": 999999, "row": 5},
            {"child": w.child1.pk, "row": 6},
        ],
    )
    assert result.created == 0
    by_row = {error["row"]: error for error in result.errors}
    assert by_row[2]["column"] == "reason" and "500.00" in by_row[2]["message"]
    assert by_row[3]["column"] == "reason"
    assert by_row[3]["message"] == gettext(
        "The child is not eligible in this period; record the reason for paying."
    )
    # Another school's child is invisible to this school's staff: the same answer as no child.
    assert (by_row[4]["column"], by_row[4]["message"]) == ("child", gettext("No such child."))
    assert (by_row[5]["column"], by_row[5]["message"]) == ("child", gettext("No such child."))
    assert by_row[6]["message"] == gettext("The child is listed twice.")
    assert not batch.payments.exists()  # all or nothing
    # The bureau sees every child: on a school's list, another school's pupil is refused as such.
    bureau_list = new_batch(w, actor=w.bureau)
    result = batches.add_payments(
        actor=w.bureau, batch=bureau_list, rows=[{"child": w.child2.pk, "row": 2}]
    )
    assert [(e["row"], e["column"], e["message"]) for e in result.errors] == [
        (2, "child", gettext("The child was not a pupil of this school in the period."))
    ]
    result = batches.add_payments(
        actor=w.school1_user,
        batch=batch,
        rows=[
            {"child": w.child1.pk, "amount": "600", "reason": "含补发上学期差额"},
            {"child": w.child1b.pk, "amount": "250", "reason": "突发重病，经校资助小组研究"},
        ],
    )
    assert result.created == 2 and not result.errors
    ineligible = batch.payments.get(child=w.child1b)
    assert ineligible.standard_amount is None and ineligible.reason


def test_bad_amounts_are_reported_per_row(scenario):
    w = scenario
    batch = new_batch(w)
    result = batches.add_payments(
        actor=w.school1_user,
        batch=batch,
        rows=[{"child": w.child1.pk, "amount": "abc"}, {"child": w.child1.pk, "amount": "-5"}],
    )
    assert [error["column"] for error in result.errors] == ["amount", "child"]
    result = batches.add_payments(
        actor=w.school1_user, batch=batch, rows=[{"child": w.child1.pk, "amount": "0"}]
    )
    assert result.errors[0]["column"] == "amount"


def test_a_second_payment_of_the_same_programme_and_period_is_refused(scenario):
    w = scenario
    paid_batch(w, "boarding-living-allowance", AUTUMN, w.school1, [{"child": w.child1.pk}])
    batch = new_batch(w)
    result = batches.add_payments(actor=w.school1_user, batch=batch, rows=[{"child": w.child1.pk}])
    assert [(e["column"], e["message"]) for e in result.errors] == [
        ("child", gettext("The child already has a payment of this programme for this period."))
    ]
    assert result.created == 0
    assert Payment.objects.filter(child=w.child1).count() == 1


def test_a_reversal_is_a_new_negative_line_never_an_edit(scenario):
    w = scenario
    batch = paid_batch(w, "boarding-living-allowance", AUTUMN, w.school1, [{"child": w.child1.pk}])
    line = batch.payments.get()
    with pytest.raises(DomainError):
        batches.reverse_payment(actor=w.school1_user, payment=line, reason=" ")
    reversal = batches.reverse_payment(actor=w.school1_user, payment=line, reason="重复发放，退回")
    line.refresh_from_db()
    assert line.amount == Decimal("500.00") and line.batch == batch
    assert reversal.amount == Decimal("-500.00") and reversal.corrects == line
    assert reversal.batch != batch and reversal.batch.status == Batch.Status.DRAFT
    with pytest.raises(TransitionRefused):
        batches.reverse_payment(actor=w.school1_user, payment=line, reason="again")
    with pytest.raises(TransitionRefused):
        batches.reverse_payment(actor=w.school1_user, payment=reversal, reason="reverse a reversal")
    supplement = batches.supplement_payment(
        actor=w.school1_user, payment=line, amount="100", reason="补发"
    )
    assert supplement.batch == reversal.batch and supplement.kind == "supplement"


def test_an_unpaid_line_cannot_be_reversed(scenario):
    w = scenario
    batch = new_batch(w)
    batches.build_from_eligibility(actor=w.school1_user, batch=batch)
    with pytest.raises(TransitionRefused):
        batches.reverse_payment(actor=w.bureau, payment=batch.payments.get(), reason="x")


def _wait_for_a_blocked_session(timeout=30.0):
    """Until another session of this database waits on a lock (the second insert below)."""
    deadline = time.monotonic() + timeout
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            # Inside a transaction, pg_stat_activity keeps its first reading unless cleared.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("the second list never waited for the first one's payment")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_batches_prepared_at_once_cannot_both_pay_a_child(scenario):
    """The second list, sent while the first list's payment is not yet committed, waits (the
    batch row is locked with its programme's, FOR UPDATE over the join), then sees the first's
    payment and refuses the row; the unique constraint below it is tested on its own."""
    if connection.vendor != "postgresql":
        pytest.fail("This test needs PostgreSQL; run it with DATABASE_URL set.")
    w = scenario
    first = new_batch(w, actor=w.bureau)
    second = new_batch(w, actor=w.bureau)
    first_added = threading.Event()
    outcomes, failures = {}, []

    def add_first():
        try:
            with transaction.atomic():
                result = batches.add_payments(
                    actor=w.bureau, batch=first, rows=[{"child": w.child1.pk}]
                )
                outcomes["first"] = result.created
                first_added.set()
                _wait_for_a_blocked_session()  # the second list is inside its insert now
        except Exception as error:  # reported by the main thread
            failures.append(error)
            first_added.set()
        finally:
            connections.close_all()

    def add_second():
        try:
            first_added.wait(timeout=30)
            result = batches.add_payments(
                actor=w.bureau, batch=second, rows=[{"child": w.child1.pk}]
            )
            outcomes["second"] = (result.created, [e["message"] for e in result.errors])
        except Exception as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=add_first), threading.Thread(target=add_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, (failures, outcomes)
    assert outcomes == {
        "first": 1,
        "second": (
            0,
            [gettext("The child already has a payment of this programme for this period.")],
        ),
    }
    assert Payment.objects.filter(child=w.child1).count() == 1


@pytest.mark.postgres
def test_the_database_refuses_a_second_payment_of_a_programme_and_period(scenario):
    """The guard under the row check, for any writer that skips it."""
    w = scenario
    batch = paid_batch(w, "boarding-living-allowance", AUTUMN, w.school1, [{"child": w.child1.pk}])
    line = batch.payments.get()
    line.pk = None
    line.batch = new_batch(w, actor=w.bureau)
    with pytest.raises(IntegrityError), transaction.atomic():
        line.save()
