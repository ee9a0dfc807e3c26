"""Payments and reversals paid on given days (the year-end figures count by payment date)."""

import datetime

from subsidies.models import Batch
from subsidies.services import batches

from .conftest import programme


def pay_on(world, code, period, school, rows, paid_on: datetime.date) -> Batch:
    """A batch of `rows` reviewed, approved and paid on `paid_on`."""
    batch = batches.create_batch(
        actor=world.bureau,
        county=world.county,
        programme=programme(code),
        period=period,
        school=school,
    )
    result = batches.add_payments(actor=world.bureau, batch=batch, rows=rows)
    assert not result.errors, result.errors
    return settle(world, batch, paid_on)


def settle(world, batch, paid_on: datetime.date) -> Batch:
    batches.review_batch(actor=world.bureau, batch=batch)
    batches.approve_batch(actor=world.bureau, batch=batch)
    batches.mark_paid(actor=world.bureau, batch=batch, paid_on=paid_on)
    batch.refresh_from_db()
    return batch


def reverse_on(world, payment, paid_on: datetime.date):
    """A reversal of `payment` whose correction batch is paid on `paid_on`."""
    reversal = batches.reverse_payment(actor=world.bureau, payment=payment, reason="重复发放，退回")
    settle(world, reversal.batch, paid_on)
    reversal.refresh_from_db()
    return reversal
