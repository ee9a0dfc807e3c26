"""The payment batch and relief-fund grant tables, walked: every (action, state, role) answers
what the table declares, through can() and through the service alike. The correction batch is
known by its flag; the shared catalogue is edited only by whoever answers for every county."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from enrollment.permissions import may_edit_shared_catalogue
from subsidies.models import Batch, FundEntry, Programme
from subsidies.services import batches
from subsidies.services import fund as fund_services
from subsidies.services.programmes import save_programme
from subsidies.transitions import BATCH_TRANSITIONS, GRANT_TRANSITIONS

from ..factories import CountyFactory
from ..transition_matrix import walk
from .conftest import AUTUMN, YEAR, paid_batch, programme

PAID_ON = datetime.date(YEAR, 12, 10)


def _line(batch):
    return batch.payments.get()


BATCH_CALLS = {
    "prepare": lambda user, batch: batches.add_payments(actor=user, batch=batch, rows=[]),
    "review": lambda user, batch: batches.review_batch(actor=user, batch=batch),
    "return": lambda user, batch: batches.return_batch(actor=user, batch=batch),
    "approve": lambda user, batch: batches.approve_batch(actor=user, batch=batch),
    "pay": lambda user, batch: batches.mark_paid(actor=user, batch=batch, paid_on=PAID_ON),
    "correct": lambda user, batch: batches.reverse_payment(
        actor=user, payment=_line(batch), reason="重复发放"
    ),
}


@pytest.mark.parametrize("state", Batch.Status.values)
def test_every_batch_step_for_every_role_answers_as_the_table_declares(scenario, state):
    w = scenario
    batch = batches.create_batch(
        actor=w.bureau,
        county=w.county,
        programme=programme("boarding-living-allowance"),
        period=AUTUMN,
        school=w.school1,
    )
    assert batches.build_from_eligibility(actor=w.bureau, batch=batch).created == 1
    Batch.objects.filter(pk=batch.pk).update(status=state)
    assert walk(w, BATCH_TRANSITIONS, batch, BATCH_CALLS) == []


def test_an_empty_batch_is_explained_not_reviewed(scenario):
    w = scenario
    batch = batches.create_batch(
        actor=w.school1_user,
        county=w.county,
        programme=programme("boarding-living-allowance"),
        period=AUTUMN,
        school=w.school1,
    )
    answer = BATCH_TRANSITIONS.can(batch, "review", w.school1_user)
    assert not answer and answer.explains and answer.reason == "该批次没有发放记录。"


GRANT_CALLS = {
    "approve": lambda user, entry: fund_services.approve_grant(actor=user, entry=entry),
    "reject": lambda user, entry: fund_services.reject_grant(actor=user, entry=entry, note="不符"),
}


@pytest.mark.parametrize("state", FundEntry.Status.values)
def test_every_grant_step_for_every_role_answers_as_the_table_declares(world, state):
    fund = fund_services.open_fund(
        actor=world.bureau,
        county=world.county,
        name="救助基金",
        founded_on=datetime.date(2022, 3, 1),
    )
    fund_services.record_inflow(
        actor=world.bureau,
        fund=fund,
        kind=FundEntry.Kind.DONATION,
        amount="1000",
        date=datetime.date(2025, 4, 1),
        counterparty="爱心企业",
    )
    entry = fund_services.request_grant(
        actor=world.bureau,
        fund=fund,
        child=world.child1,
        amount="300",
        date=datetime.date(2025, 5, 1),
        hardship="家庭困难",
    )
    FundEntry.objects.filter(pk=entry.pk).update(status=state)
    assert walk(world, GRANT_TRANSITIONS, entry, GRANT_CALLS) == []


def test_a_grant_above_the_balance_is_refused_with_the_balance_named(world):
    fund = fund_services.open_fund(
        actor=world.bureau,
        county=world.county,
        name="救助基金",
        founded_on=datetime.date(2022, 3, 1),
    )
    entry = fund_services.request_grant(
        actor=world.bureau,
        fund=fund,
        child=world.child1,
        amount="300",
        date=datetime.date(2025, 5, 1),
        hardship="家庭困难",
    )
    answer = GRANT_TRANSITIONS.can(entry, "approve", world.bureau)
    assert not answer and answer.status == 409 and "300" in answer.reason


def test_corrections_gather_in_the_flagged_batch_whatever_its_title(scenario):
    w = scenario
    batch = paid_batch(w, "boarding-living-allowance", AUTUMN, w.school1, [{"child": w.child1.pk}])
    # A draft of the same programme and period whose title merely starts like a correction.
    lookalike = batches.create_batch(
        actor=w.bureau,
        county=w.county,
        programme=programme("boarding-living-allowance"),
        period=AUTUMN,
        school=w.school1,
        title="更正后的名单",
    )
    reversal = batches.reverse_payment(actor=w.school1_user, payment=_line(batch), reason="退回")
    correction = reversal.batch
    assert correction.is_correction and correction != lookalike
    Batch.objects.filter(pk=correction.pk).update(title="春季补退")  # renamed by its users
    supplement = batches.supplement_payment(
        actor=w.school1_user, payment=_line(batch), amount="50", reason="补发"
    )
    assert supplement.batch_id == correction.pk


def test_only_who_answers_for_every_county_edits_the_shared_programme_catalogue(world):
    programme_row = Programme.objects.first()
    assert may_edit_shared_catalogue(world.admin, {"county_admin", "bureau_staff"})
    save_programme(actor=world.admin, programme=programme_row, name=programme_row.name)
    # A second county joins the installation: one county's staff no longer edit for both.
    CountyFactory(code="510400", name="邻县")
    assert not may_edit_shared_catalogue(world.admin, {"county_admin", "bureau_staff"})
    with pytest.raises(PermissionDenied):
        save_programme(actor=world.admin, programme=programme_row, name="改名")
    # The page offers no edit either, and the POST is refused.
    from ..conftest import client_for

    page = client_for(world.admin).get("/subsidies/programmes/")
    assert page.status_code == 200 and not page.context["may_edit"]
