"""The relief fund: inflows, grants with approval, a balance that never goes negative (also under
concurrent approvals), the yearly summary; donations of money, goods and buildings."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, connections, transaction

from core.errors import DomainError, TransitionRefused
from subsidies.models import Donation, FundEntry, ReliefFund
from subsidies.selectors import fund_summary
from subsidies.services import fund as fund_services

D = datetime.date


@pytest.fixture
def fund(world):
    return fund_services.open_fund(
        actor=world.bureau,
        county=world.county,
        name="测试县教育扶贫救助基金",
        founded_on=D(2022, 3, 1),
    )


def grant(world, fund, amount, child=None, date=None):
    return fund_services.request_grant(
        actor=world.bureau,
        fund=fund,
        child=child or world.child1,
        amount=amount,
        date=date or D(2025, 5, 1),
        hardship="父亲因病去世，家庭无收入",
    )


def test_inflows_raise_the_balance_and_approved_grants_lower_it(world, fund):
    fund_services.record_inflow(
        actor=world.bureau,
        fund=fund,
        kind="income",
        amount="10000",
        date=D(2024, 12, 31),
        counterparty="县扶贫基金会",
        purpose="投资收益",
    )
    entry = grant(world, fund, "3000")
    fund.refresh_from_db()
    assert fund.balance == Decimal("10000.00")  # pending grants do not count
    fund_services.approve_grant(actor=world.bureau, entry=entry, note="局务会研究同意")
    fund.refresh_from_db()
    entry.refresh_from_db()
    assert fund.balance == Decimal("7000.00") and entry.status == FundEntry.Status.APPROVED
    with pytest.raises(TransitionRefused):
        fund_services.approve_grant(actor=world.bureau, entry=entry)


def test_a_grant_larger_than_the_balance_is_refused_and_nothing_changes(world, fund):
    fund_services.record_inflow(
        actor=world.bureau,
        fund=fund,
        kind="donation",
        amount="1000",
        date=D(2025, 1, 5),
        counterparty="某公司",
    )
    entry = grant(world, fund, "1500")
    with pytest.raises(TransitionRefused):
        fund_services.approve_grant(actor=world.bureau, entry=entry)
    fund.refresh_from_db()
    entry.refresh_from_db()
    assert fund.balance == Decimal("1000.00") and entry.status == FundEntry.Status.PENDING
    fund_services.reject_grant(actor=world.bureau, entry=entry, note="超出基金余额")
    entry.refresh_from_db()
    assert entry.status == FundEntry.Status.REJECTED


def test_the_database_refuses_a_negative_balance(world, fund):
    with pytest.raises(IntegrityError), transaction.atomic():
        ReliefFund.objects.filter(pk=fund.pk).update(balance=Decimal("-1"))


def test_bad_input_is_refused_with_a_field(world, fund):
    with pytest.raises(DomainError) as error:
        grant(world, fund, "-5")
    assert error.value.field == "amount"
    with pytest.raises(DomainError) as error:
        fund_services.request_grant(
            actor=world.bureau,
            fund=fund,
            child=world.child1,
            amount="5",
            date=D(2025, 1, 1),
            hardship=" ",
        )
    assert error.value.field == "hardship"
    with pytest.raises(DomainError):
        grant(world, fund, "5", date=datetime.date.today() + datetime.timedelta(days=2))
    assert not FundEntry.objects.exists()


def test_only_the_bureau_moves_money(world, fund):
    for user in (world.school1_user, world.township1_user, world.auditor):
        with pytest.raises(PermissionDenied):
            fund_services.record_inflow(
                actor=user,
                fund=fund,
                kind="donation",
                amount="1",
                date=D(2025, 1, 1),
                counterparty="x",
            )
        with pytest.raises(PermissionDenied):
            fund_services.request_grant(
                actor=user,
                fund=fund,
                child=world.child1,
                amount="1",
                date=D(2025, 1, 1),
                hardship="x",
            )
    entry = grant(world, fund, "1")
    with pytest.raises(PermissionDenied):
        fund_services.approve_grant(actor=world.auditor, entry=entry)


def test_the_yearly_summary_and_cumulative_figures(world, fund):
    for year, amount in ((2023, "50000"), (2024, "20000")):
        fund_services.record_inflow(
            actor=world.bureau,
            fund=fund,
            kind="donation",
            amount=amount,
            date=D(year, 1, 10),
            counterparty="某公司",
        )
    for child, amount, date in (
        (world.child1, "3000", D(2023, 6, 1)),
        (world.child2, "2000", D(2023, 9, 1)),
        (world.child1, "4000", D(2024, 6, 1)),
    ):
        fund_services.approve_grant(
            actor=world.bureau, entry=grant(world, fund, amount, child, date)
        )
    summary = fund_summary(fund)
    years = {row["year"]: row for row in summary["years"]}
    assert years[2023]["disbursed"] == Decimal("5000") and years[2023]["students"] == 2
    assert years[2023]["size"] == Decimal("45000")
    assert years[2024]["size"] == Decimal("61000") and years[2024]["students"] == 1
    assert years[2024]["text"] == "2024年，基金规模6.10万元，发放0.40万元，惠及1名特困学生。"
    assert summary["students"] == 2 and summary["disbursed"] == Decimal("9000")
    assert "共救助2名特困学生0.90万元" in summary["text"]


def test_donations_of_money_go_into_the_fund_and_goods_are_recorded_with_their_value(world, fund):
    money = fund_services.record_donation(
        actor=world.bureau,
        county=world.county,
        donor="某某建材有限公司",
        donor_kind="enterprise",
        kind="money",
        value="20000",
        purpose="资助特困学生",
        date=D(2025, 4, 1),
    )
    fund.refresh_from_db()
    assert money.fund_entry.amount == Decimal("20000.00") and fund.balance == Decimal("20000.00")
    goods = fund_services.record_donation(
        actor=world.bureau,
        county=world.county,
        donor="张先生",
        donor_kind="individual",
        kind="goods",
        value="8000",
        purpose="冬衣",
        description="棉衣200件",
        date=D(2025, 11, 1),
        school=world.school1,
    )
    assert goods.fund_entry is None
    fund.refresh_from_db()
    assert fund.balance == Decimal("20000.00")
    with pytest.raises(DomainError) as error:
        fund_services.record_donation(
            actor=world.bureau,
            county=world.county,
            donor="某公司",
            donor_kind="enterprise",
            kind="building",
            value="100000",
            purpose="捐建",
            date=D(2025, 1, 1),
        )
    assert error.value.field == "description"
    assert Donation.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_grants_approved_at_once_never_overdraw_the_fund(world, fund):
    if connection.vendor != "postgresql":
        pytest.fail("This test needs PostgreSQL; run it with DATABASE_URL set.")
    fund_services.record_inflow(
        actor=world.bureau,
        fund=fund,
        kind="donation",
        amount="5000",
        date=D(2025, 1, 5),
        counterparty="某公司",
    )
    entries = [grant(world, fund, "3000", child) for child in (world.child1, world.child2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(entry):
        try:
            barrier.wait()
            fund_services.approve_grant(actor=world.bureau, entry=entry)
            outcomes.append("approved")
        except TransitionRefused:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(entry,)) for entry in entries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fund.refresh_from_db()
    assert sorted(outcomes) == ["approved", "refused"]
    assert fund.balance == Decimal("2000.00")
