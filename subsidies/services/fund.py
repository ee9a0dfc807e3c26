"""教育救助基金 and 社会捐赠. The fund's balance is the sum of its approved entries and never goes
negative: a grant is approved under a lock on the fund row (two approvals at once queue), and
the database refuses a negative balance as well."""

import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.services import saved_by, today
from enrollment.models import Child
from enrollment.permissions import require_county_role

from ..models import Donation, FundEntry, ReliefFund
from ..roles import DONATION_ROLES, FUND_ROLES
from ..transitions import GRANT_TRANSITIONS

INFLOW_KINDS = (
    FundEntry.Kind.DONATION,
    FundEntry.Kind.INVESTMENT_INCOME,
    FundEntry.Kind.OTHER_INFLOW,
)


def _amount(value, field="amount") -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0:
        raise DomainError(_("Enter an amount above zero."), field=field)
    return amount


def _check_date(date):
    if date is None or date > today():
        raise DomainError(_("Enter a date that is not in the future."), field="date")


@transaction.atomic
def open_fund(*, actor, county, name: str, founded_on: datetime.date) -> ReliefFund:
    require_county_role(actor, county.pk, FUND_ROLES)
    if ReliefFund.objects.filter(county=county).exists():
        raise DomainError(_("The county already has a relief fund."))
    return saved_by(ReliefFund(county=county, name=name, founded_on=founded_on), actor)


def _locked_fund(fund) -> ReliefFund:
    return ReliefFund.objects.select_for_update().get(pk=fund.pk)


@transaction.atomic
def record_inflow(
    *, actor, fund: ReliefFund, kind: str, amount, date, counterparty: str, purpose: str = ""
) -> FundEntry:
    """A donation of money or the foundation's investment income: effective at once."""
    require_county_role(actor, fund.county_id, FUND_ROLES)
    if kind not in INFLOW_KINDS:
        raise DomainError(_("Choose the kind of inflow."), field="kind")
    value = _amount(amount)
    _check_date(date)
    if not (counterparty or "").strip():
        raise DomainError(_("Name the donor or the source."), field="counterparty")
    fund = _locked_fund(fund)
    entry = FundEntry(
        fund=fund,
        kind=kind,
        amount=value,
        date=date,
        counterparty=counterparty.strip(),
        purpose=purpose,
        status=FundEntry.Status.APPROVED,
        recorded_by=actor,
        approved_by=actor,
        approved_on=today(),
    )
    saved_by(entry, actor)
    fund.balance += value
    saved_by(fund, actor, update_fields=["balance"])
    return entry


@transaction.atomic
def request_grant(
    *, actor, fund: ReliefFund, child: Child, amount, date, hardship: str, purpose: str = ""
) -> FundEntry:
    """A grant to a named student in special hardship, waiting for approval."""
    require_county_role(actor, fund.county_id, FUND_ROLES)
    if child.village.township.county_id != fund.county_id:
        raise DomainError(_("The student is not a child of this county."), field="child")
    value = _amount(amount)
    _check_date(date)
    if not (hardship or "").strip():
        raise DomainError(_("Describe the student's hardship."), field="hardship")
    entry = FundEntry(
        fund=fund,
        kind=FundEntry.Kind.GRANT,
        amount=-value,
        date=date,
        child=child,
        hardship=hardship.strip(),
        purpose=purpose,
        status=FundEntry.Status.PENDING,
        recorded_by=actor,
    )
    return saved_by(entry, actor)


def _locked_grant(entry, *, action, actor, fund=None) -> FundEntry:
    """Lock the entry (the fund row, when given, is already locked) and check the step."""
    entry = FundEntry.objects.select_for_update().get(pk=entry.pk)
    if fund is not None:
        entry.fund = fund  # the locked row: the balance the precondition reads is current
    GRANT_TRANSITIONS.require(entry, action, actor)
    return entry


@transaction.atomic
def approve_grant(*, actor, entry: FundEntry, note: str = "") -> FundEntry:
    """Lock the fund row first, so that concurrent approvals see each other's withdrawals."""
    fund = _locked_fund(entry.fund)
    entry = _locked_grant(entry, action="approve", actor=actor, fund=fund)
    fund.balance += entry.amount
    saved_by(fund, actor, update_fields=["balance"])
    entry.status = GRANT_TRANSITIONS.target(entry, "approve")
    entry.approved_by, entry.approved_on = actor, today()
    entry.approval_note = note
    return saved_by(entry, actor)


@transaction.atomic
def reject_grant(*, actor, entry: FundEntry, note: str) -> FundEntry:
    entry = _locked_grant(entry, action="reject", actor=actor)
    if not (note or "").strip():
        raise DomainError(_("Record the reason for the rejection."), field="note")
    entry.status = GRANT_TRANSITIONS.target(entry, "reject")
    entry.approved_by, entry.approved_on = actor, today()
    entry.approval_note = note.strip()
    return saved_by(entry, actor)


@transaction.atomic
def record_donation(
    *,
    actor,
    county,
    donor: str,
    donor_kind: str,
    kind: str,
    value,
    purpose: str,
    date,
    description: str = "",
    school=None,
    publish_name: bool = True,
    into_fund: bool = True,
) -> Donation:
    """A donation of money (into the relief fund when the county has one), goods or a building
    (recorded with its value)."""
    require_county_role(actor, county.pk, DONATION_ROLES)
    amount = _amount(value, field="value")
    _check_date(date)
    if kind not in Donation.Kind.values:
        raise DomainError(_("Choose what was donated."), field="kind")
    if donor_kind not in Donation.DonorKind.values:
        raise DomainError(_("Choose the kind of donor."), field="donor_kind")
    if not (donor or "").strip():
        raise DomainError(_("Name the donor."), field="donor")
    if not (purpose or "").strip():
        raise DomainError(_("Record the purpose."), field="purpose")
    if kind != Donation.Kind.MONEY and not (description or "").strip():
        raise DomainError(_("Describe the goods or the building."), field="description")
    if school is not None and school.township.county_id != county.pk:
        raise DomainError(_("The school is not in this county."), field="school")
    entry = None
    fund = ReliefFund.objects.filter(county=county).first()
    if kind == Donation.Kind.MONEY and into_fund and fund is not None:
        entry = record_inflow(
            actor=actor,
            fund=fund,
            kind=FundEntry.Kind.DONATION,
            amount=amount,
            date=date,
            counterparty=donor.strip(),
            purpose=purpose,
        )
    donation = Donation(
        county=county,
        donor=donor.strip(),
        donor_kind=donor_kind,
        kind=kind,
        value=amount,
        description=description,
        purpose=purpose.strip(),
        date=date,
        school=school,
        publish_name=publish_name,
        fund_entry=entry,
        recorded_by=actor,
    )
    return saved_by(donation, actor)
