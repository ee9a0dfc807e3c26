"""义务教育生均公用经费: the bureau records what it allocated to each school for a term — the
pupils counted that term × the per-pupil standard, or a different amount with a note."""

import datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.concurrency import check_and_bump
from core.errors import DomainError
from core.services import full_clean, not_future, saved_by
from enrollment.models import School
from enrollment.permissions import require_county_role

from ..models import Programme, PublicFundAllocation, parse_period
from ..roles import PUBLIC_FUND_ROLES

# The catalogue's stage of a school's pupils for the standard (other schools: its base amount).
SCHOOL_STAGES = {School.Stage.PRIMARY: "primary", School.Stage.JUNIOR: "junior"}


def default_standard(school: School) -> Decimal | None:
    """The catalogue programme's per-pupil standard for one term at `school` (a programme paid
    per school year covers two terms), or None when the catalogue has no such programme."""
    programme = Programme.objects.filter(code=PublicFundAllocation.PROGRAMME_CODE).first()
    if programme is None:
        return None
    amount = programme.amount_for(SCHOOL_STAGES.get(school.stage, ""))
    if programme.unit == Programme.Unit.YEAR:
        amount = amount / 2
    return amount.quantize(Decimal("0.01"))


def _money(value, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        raise DomainError(_("Enter an amount of zero or more."), field=field)
    return amount


def _term(period: str) -> tuple[str, int]:
    try:
        year, term = parse_period(period)
    except ValueError:
        term = None
    if term is None:
        raise DomainError(
            _("The term must look like 2025-1 (autumn) or 2025-2 (spring)."), field="period"
        )
    return f"{year}-{term}", year


@transaction.atomic
def save_allocation(
    *,
    actor,
    school: School,
    period: str,
    pupils: int,
    allocated_on: datetime.date,
    standard=None,
    amount=None,
    note: str = "",
    allocation: PublicFundAllocation | None = None,
    version: int | None = None,
) -> PublicFundAllocation:
    """Record (allocation=None) or correct a school's allocation for a term. The standard
    defaults to the catalogue's; the amount to pupils × standard — a different amount needs a
    note. One allocation per school and term."""
    require_county_role(actor, school.township.county_id, PUBLIC_FUND_ROLES)
    period, school_year = _term(period)
    if pupils is None or int(pupils) < 0:
        raise DomainError(_("Enter the number of pupils counted (zero or more)."), field="pupils")
    not_future(allocated_on, "allocated_on")
    standard_value = _money(standard, "standard")
    if standard_value is None:
        standard_value = default_standard(school)
    if standard_value is None:
        raise DomainError(_("Enter the per-pupil standard."), field="standard")
    computed = (standard_value * int(pupils)).quantize(Decimal("0.01"))
    amount_value = _money(amount, "amount")
    note = (note or "").strip()
    if amount_value is None:
        amount_value = computed
    elif amount_value != computed and not note:
        raise DomainError(
            _(
                "The amount differs from pupils × standard (%(computed)s yuan); "
                "record the reason in the note."
            )
            % {"computed": computed},
            field="note",
        )
    if allocation is None:
        allocation = PublicFundAllocation(recorded_by=actor)
    else:
        allocation = PublicFundAllocation.objects.select_for_update().get(pk=allocation.pk)
        check_and_bump(allocation, version)
    duplicate = PublicFundAllocation.objects.filter(school=school, period=period).exclude(
        pk=allocation.pk
    )
    if duplicate.exists():
        raise DomainError(
            _("%(school)s already has an allocation for this term; correct that one instead.")
            % {"school": school.name},
            field="period",
        )
    allocation.school = school
    allocation.period, allocation.school_year = period, school_year
    allocation.pupils = int(pupils)
    allocation.standard, allocation.amount = standard_value, amount_value
    allocation.note, allocation.allocated_on = note, allocated_on
    if allocation.recorded_by_id is None:
        allocation.recorded_by = actor
    full_clean(allocation, exclude=["recorded_by"])
    try:
        with transaction.atomic():
            return saved_by(allocation, actor)
    except IntegrityError as error:  # recorded at the same moment by someone else
        raise DomainError(
            _("%(school)s already has an allocation for this term; correct that one instead.")
            % {"school": school.name},
            field="period",
        ) from error
