"""The rural teacher allowance (乡村教师生活补助): monthly amounts by the school's remoteness tier,
paid in batches per month; the unpaid list checks that every rural teacher was paid in full."""

import datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from core.errors import DomainError, TransitionRefused
from core.services import require_role, saved_by, today
from enrollment.models import County, Township

from ..models import AllowanceBatch, AllowancePayment, AllowanceTier, SchoolRemoteness, Teacher
from ..roles import MANAGE_TEACHERS_ROLES
from ..selectors import eligible_teachers


def parse_period(value) -> datetime.date:
    """`2025-03` (or a date) → 2025-03-01; anything else is a clear error."""
    if isinstance(value, datetime.date):
        return value.replace(day=1)
    try:
        year, month = str(value).strip().split("-")[:2]
        return datetime.date(int(year), int(month), 1)
    except (ValueError, TypeError):
        raise DomainError(_("A month is written like 2025-03."), field="period") from None


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise DomainError(_("The amount must be a number of yuan."), field="amount") from None
    if amount < 0:
        raise DomainError(_("The amount cannot be negative."), field="amount")
    return amount


@transaction.atomic
def create_batch(
    *,
    actor,
    county: County,
    period,
    township: Township | None = None,
    title: str = "",
) -> AllowanceBatch:
    """A batch for the month holding every eligible teacher (of the township, if given) who has
    no payment for that month yet, each at the monthly amount of the school's tier."""
    require_role(actor, county, MANAGE_TEACHERS_ROLES)
    period = parse_period(period)
    if period > today().replace(day=1):
        raise DomainError(_("A batch cannot be for a month that has not begun."), field="period")
    teachers = Teacher.objects.filter(school__township__county=county)
    if township is not None:
        if township.county_id != county.pk:
            raise DomainError(_("The township is not in this county."), field="township")
        teachers = teachers.filter(school__township=township)
    already = AllowancePayment.objects.filter(teacher=OuterRef("pk"), period=period)
    to_pay = list(
        eligible_teachers(teachers, period)
        .filter(~Exists(already))
        .values_list("pk", "school_id", "school__remoteness__tier__name")
        .order_by("school_id", "pk")
    )
    if not to_pay:
        raise DomainError(
            _("Every eligible teacher already has a payment for %(month)s.")
            % {"month": f"{period:%Y-%m}"},
            field="period",
        )
    amounts = dict(
        SchoolRemoteness.objects.filter(school__township__county=county).values_list(
            "school_id", "tier__monthly_amount"
        )
    )
    place = township.name if township else county.name
    batch = saved_by(
        AllowanceBatch(
            county=county,
            period=period,
            title=(title or "").strip() or f"{place}{period:%Y年%m月}乡村教师生活补助",
            created_by=actor,
        ),
        actor,
    )
    bulk_create_with_history(
        [
            AllowancePayment(
                batch=batch,
                teacher_id=teacher_id,
                school_id=school_id,
                period=period,
                tier_name=tier_name,
                amount=amounts[school_id],
            )
            for teacher_id, school_id, tier_name in to_pay
        ],
        AllowancePayment,
        batch_size=1000,
        default_user=actor,
    )
    return batch


def _draft(batch: AllowanceBatch) -> AllowanceBatch:
    batch = AllowanceBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != AllowanceBatch.Status.DRAFT:
        raise TransitionRefused(_("This batch is already paid and cannot be changed."))
    return batch


@transaction.atomic
def add_payment(*, actor, batch: AllowanceBatch, teacher: Teacher, amount) -> AllowancePayment:
    require_role(actor, batch.county, MANAGE_TEACHERS_ROLES)
    batch = _draft(batch)
    amount = _amount(amount)
    if teacher.school.township.county_id != batch.county_id:
        raise DomainError(_("The teacher is not in this county."), field="teacher")
    if AllowancePayment.objects.filter(teacher=teacher, period=batch.period).exists():
        raise DomainError(
            _("%(name)s already has a payment for %(month)s.")
            % {"name": teacher.name, "month": f"{batch.period:%Y-%m}"},
            field="teacher",
        )
    tier = AllowanceTier.objects.filter(schools__school_id=teacher.school_id).first()
    payment = AllowancePayment(
        batch=batch,
        teacher=teacher,
        school_id=teacher.school_id,
        period=batch.period,
        tier_name=tier.name if tier else "",
        amount=amount,
    )
    try:
        with transaction.atomic():
            return saved_by(payment, actor)
    except IntegrityError:  # a concurrent batch paid the same teacher and month
        raise DomainError(
            _("%(name)s already has a payment for %(month)s.")
            % {"name": teacher.name, "month": f"{batch.period:%Y-%m}"},
            field="teacher",
        ) from None


@transaction.atomic
def change_payment_amount(*, actor, payment: AllowancePayment, amount) -> AllowancePayment:
    require_role(actor, payment.batch.county, MANAGE_TEACHERS_ROLES)
    _draft(payment.batch)
    payment = AllowancePayment.objects.select_for_update().get(pk=payment.pk)
    payment.amount = _amount(amount)
    return saved_by(payment, actor)


@transaction.atomic
def remove_payment(*, actor, payment: AllowancePayment) -> None:
    require_role(actor, payment.batch.county, MANAGE_TEACHERS_ROLES)
    _draft(payment.batch)
    payment._history_user = actor
    payment.delete()


@transaction.atomic
def mark_batch_paid(*, actor, batch: AllowanceBatch, paid_on: datetime.date) -> AllowanceBatch:
    require_role(actor, batch.county, MANAGE_TEACHERS_ROLES)
    batch = _draft(batch)
    if paid_on > today():
        raise DomainError(_("The payment date cannot be in the future."), field="paid_on")
    if paid_on < batch.period:
        raise DomainError(_("The payment date is before the month paid for."), field="paid_on")
    if not batch.payments.exists():
        raise TransitionRefused(_("An empty batch cannot be paid."))
    batch.status, batch.paid_on = AllowanceBatch.Status.PAID, paid_on
    return saved_by(batch, actor)


@transaction.atomic
def set_school_tier(*, actor, school, tier: AllowanceTier | None) -> None:
    """Give a school its remoteness tier (None: the school gets no rural allowance)."""
    require_role(actor, school, MANAGE_TEACHERS_ROLES)
    if tier is not None and tier.county_id != school.township.county_id:
        raise DomainError(_("The tier belongs to another county."), field="tier")
    current = SchoolRemoteness.objects.filter(school=school).first()
    if tier is None:
        if current:
            current._history_user = actor
            current.delete()
        return
    if current is None:
        current = SchoolRemoteness(school=school)
    current.tier = tier
    saved_by(current, actor)


@transaction.atomic
def save_tier(
    *, actor, county: County, name: str, rank: int, monthly_amount, tier=None
) -> AllowanceTier:
    require_role(actor, county, MANAGE_TEACHERS_ROLES)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("The name is required."), field="name")
    tier = tier or AllowanceTier(county=county)
    tier.name, tier.rank, tier.monthly_amount = name, rank, _amount(monthly_amount)
    if AllowanceTier.objects.filter(county=county, name=name).exclude(pk=tier.pk).exists():
        raise DomainError(_("A tier of this name exists already."), field="name")
    return saved_by(tier, actor)
