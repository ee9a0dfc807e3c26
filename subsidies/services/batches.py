"""发放批次 and 发放记录: a batch is prepared (built from eligibility or from a list of rows),
reviewed, approved by the bureau, marked paid and then locked. A paid line is never edited; a
reversal or a supplementary payment is a new line in a correction batch."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.cache import bump_version
from core.errors import DomainError, TransitionRefused
from core.services import saved_by
from enrollment.models import Child, School
from enrollment.permissions import require_county_role

from ..eligibility import (
    eligible_children,
    payment_stage,
    with_entitlement,
)
from ..models import Batch, Method, Payment, Programme, parse_period
from ..roles import APPROVE_ROLES, BATCH_ROLES
from ..selectors import PAID_SUMMARY_CACHE
from ..transitions import BATCH_TRANSITIONS

DEFAULT_METHOD = {
    Programme.PaidTo.CANTEEN: Method.CANTEEN,
    Programme.PaidTo.SCHOOL: Method.FEE_WAIVER,
    Programme.PaidTo.IN_KIND: Method.FEE_WAIVER,
    Programme.PaidTo.FAMILY: Method.BANK_CARD,
}


def _check_period(programme: Programme, period: str) -> str:
    try:
        parse_period(period)
        period = programme.period_of(period)
    except ValueError as error:
        raise DomainError(
            _("The period must be a school year like 2024 or a term like 2024-1 or 2024-2."),
            field="period",
        ) from error
    if not programme.is_active_in(period):
        raise DomainError(_("The programme is not in force in this period."), field="period")
    if not programme.per_child:
        raise DomainError(
            _("This programme is not paid to individual children."), field="programme"
        )
    return period


@transaction.atomic
def create_batch(
    *, actor, county, programme: Programme, period: str, school: School | None, title: str = ""
) -> Batch:
    period = _check_period(programme, period)
    if school is not None and school.township.county_id != county.pk:
        raise DomainError(_("The school is not in this county."), field="school")
    batch = Batch(
        county=county,
        school=school,
        programme=programme,
        period=period,
        title=title,
        method=DEFAULT_METHOD.get(programme.paid_to, Method.BANK_CARD),
        created_by=actor,
    )
    # A school's staff prepare their school's lists; the bureau any list, its own included.
    if school is None:
        require_county_role(actor, county.pk, APPROVE_ROLES)
    elif actor is not None and not actor.is_superuser:
        if not School.objects.for_user(actor, roles=BATCH_ROLES).filter(pk=school.pk).exists():
            raise PermissionDenied
    saved_by(batch, actor)
    return batch


def _locked_batch(batch: Batch, *, action: str, actor) -> Batch:
    """Lock the batch row, then check the step against the table (role 403, state 409) on
    what the row holds now: two requests at once queue here and the second sees the first."""
    batch = Batch.objects.select_for_update().select_related("programme").get(pk=batch.pk)
    BATCH_TRANSITIONS.require(batch, action, actor)
    return batch


@dataclass
class AddResult:
    created: int = 0
    errors: list[dict] = field(default_factory=list)


def _row_error(errors, row, column, value, message):
    errors.append({"row": row, "column": column, "value": value, "message": str(message)})


def _money(value) -> Decimal | None:
    try:
        amount = Decimal(str(value).strip()).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return amount if amount.is_finite() else None


def add_payments(*, actor, batch: Batch, rows: list[dict]) -> AddResult:
    """Add payment lines to a batch being prepared, all or nothing.

    Each row: {"child": Child or id, "amount": Decimal|str (default the standard), "reason": str,
    "paid_on": date|None, "method": str|None, "row": int (the row number to report)}.
    Every row is checked first; with any error nothing is written and the errors come back
    (row, column, value, why). Above the standard or for a child who is not eligible, a reason is
    required. A second payment of the programme and period to a child is refused — by the
    database too, so two batches prepared at once cannot both hold the child.
    """
    result = AddResult()
    with transaction.atomic():
        batch = _locked_batch(batch, action="prepare", actor=actor)
        programme, period = batch.programme, batch.period
        numbers = [row.get("row", index) for index, row in enumerate(rows, start=1)]
        ids = []
        for number, row in zip(numbers, rows, strict=True):
            child = row.get("child")
            child_id = child.pk if isinstance(child, Child) else child
            if not isinstance(child_id, int):
                _row_error(result.errors, number, "child", child, _("No such child."))
            ids.append(child_id if isinstance(child_id, int) else None)
        visible = Child.objects.all() if actor is None else Child.objects.for_user(actor)
        situations = {
            row["pk"]: row
            for row in with_entitlement(
                visible.filter(pk__in=[i for i in ids if i]), programme, period
            ).values(
                "pk",
                "name",
                "village__township_id",
                "c_status",
                "c_school_id",
                "c_stage",
                "eligible",
                "expected_amount",
            )
        }
        already = set(
            Payment.objects.filter(
                child_id__in=[i for i in ids if i],
                programme=programme,
                period=period,
                kind=Payment.Kind.PAYMENT,
            ).values_list("child_id", flat=True)
        )
        schools = {
            school.pk: school
            for school in School.objects.filter(
                pk__in={s["c_school_id"] for s in situations.values() if s["c_school_id"]}
            )
        }
        seen, lines = set(), []
        for number, row, child_id in zip(numbers, rows, ids, strict=True):
            if child_id is None:
                continue
            situation = situations.get(child_id)
            if situation is None:
                _row_error(result.errors, number, "child", child_id, _("No such child."))
                continue
            if child_id in seen:
                _row_error(
                    result.errors,
                    number,
                    "child",
                    situation["name"],
                    _("The child is listed twice."),
                )
                continue
            seen.add(child_id)
            if child_id in already:
                _row_error(
                    result.errors,
                    number,
                    "child",
                    situation["name"],
                    _("The child already has a payment of this programme for this period."),
                )
                continue
            if batch.school_id and situation["c_school_id"] != batch.school_id:
                _row_error(
                    result.errors,
                    number,
                    "child",
                    situation["name"],
                    _("The child was not a pupil of this school in the period."),
                )
                continue
            expected = situation["expected_amount"] or Decimal("0.00")
            raw_amount = row.get("amount")
            default = (
                expected
                if situation["eligible"]
                else programme.amount_for(situation["c_stage"] or "")
            )
            amount = default if raw_amount in (None, "") else _money(raw_amount)
            if amount is None or amount <= 0:
                _row_error(
                    result.errors, number, "amount", raw_amount, _("Enter an amount above zero.")
                )
                continue
            reason = (row.get("reason") or "").strip()
            if not situation["eligible"] and not reason:
                _row_error(
                    result.errors,
                    number,
                    "reason",
                    situation["name"],
                    _("The child is not eligible in this period; record the reason for paying."),
                )
                continue
            if situation["eligible"] and amount > expected and not reason:
                _row_error(
                    result.errors,
                    number,
                    "reason",
                    str(amount),
                    _("The amount is above the standard of %(standard)s; record the reason.")
                    % {"standard": expected},
                )
                continue
            method = row.get("method") or batch.method
            if method not in Method.values:
                _row_error(result.errors, number, "method", method, _("Unknown payment method."))
                continue
            school = schools.get(situation["c_school_id"])
            lines.append(
                Payment(
                    batch=batch,
                    child_id=child_id,
                    programme=programme,
                    period=period,
                    school_year=int(period[:4]),
                    school=school,
                    township_id=school.township_id if school else situation["village__township_id"],
                    stage=payment_stage(programme, situation["c_stage"]),
                    kind=Payment.Kind.PAYMENT,
                    amount=amount,
                    standard_amount=expected if situation["eligible"] else None,
                    method=method,
                    paid_on=row.get("paid_on"),
                    reason=reason,
                    recorded_by=actor,
                )
            )
        if result.errors:
            transaction.set_rollback(True)
            return result
        try:
            with transaction.atomic():
                Payment.objects.bulk_create(lines, batch_size=2000)
        except IntegrityError as error:
            raise DomainError(
                _(
                    "Another list already holds a payment of this programme and period to one "
                    "of these children; nothing was added."
                )
            ) from error
        result.created = len(lines)
    return result


@transaction.atomic
def build_from_eligibility(*, actor, batch: Batch) -> AddResult:
    """List every eligible pupil of the batch's school (every eligible child of the county for a
    bureau list) at the standard amount, leaving out those already paid."""
    batch = _locked_batch(batch, action="prepare", actor=actor)
    children = Child.objects.filter(village__township__county_id=batch.county_id)
    eligible = eligible_children(batch.programme, batch.period, children)
    if batch.school_id:
        eligible = eligible.filter(c_school_id=batch.school_id)
    paid = Payment.objects.filter(
        programme=batch.programme, period=batch.period, kind=Payment.Kind.PAYMENT
    ).values("child_id")
    ids = list(
        eligible.exclude(child_id__in=paid).order_by("child_id").values_list("child_id", flat=True)
    )
    return add_payments(actor=actor, batch=batch, rows=[{"child": pk} for pk in ids])


@transaction.atomic
def remove_payment(*, actor, payment: Payment) -> None:
    _locked_batch(payment.batch, action="prepare", actor=actor)
    payment._history_user = actor
    payment.delete()


def _transition(batch, *, actor, action, **changes) -> Batch:
    batch = _locked_batch(batch, action=action, actor=actor)
    batch.status = BATCH_TRANSITIONS.target(batch, action)
    for name, value in changes.items():
        setattr(batch, name, value)
    return saved_by(batch, actor)


def review_batch(*, actor, batch: Batch) -> Batch:
    """The school (or bureau) has checked the list: it goes to the bureau for approval."""
    with transaction.atomic():
        # Whether it has lines is asked under the lock (the table's precondition): a line
        # removed at the same moment cannot leave an empty list reviewed.
        return _transition(batch, actor=actor, action="review", reviewed_by=actor)


def return_batch(*, actor, batch: Batch) -> Batch:
    """The bureau sends a reviewed (or approved, unpaid) list back for correction."""
    with transaction.atomic():
        return _transition(batch, actor=actor, action="return", approved_by=None, approved_at=None)


def approve_batch(*, actor, batch: Batch) -> Batch:
    with transaction.atomic():
        return _transition(
            batch, actor=actor, action="approve", approved_by=actor, approved_at=timezone.now()
        )


def mark_paid(*, actor, batch: Batch, paid_on: datetime.date) -> Batch:
    """Paid with a date, then locked: no line is added, removed or changed afterwards."""
    with transaction.atomic():
        if paid_on is None or paid_on > timezone.localdate():
            raise DomainError(_("Enter the payment date (not in the future)."), field="paid_on")
        batch = _transition(batch, actor=actor, action="pay", paid_on=paid_on)
        batch.payments.filter(paid_on__isnull=True).update(paid_on=paid_on)
        transaction.on_commit(lambda: bump_version(PAID_SUMMARY_CACHE))
        return batch


def _correction_batch(actor, payment: Payment) -> Batch:
    batch = (
        Batch.objects.select_for_update()
        .filter(
            county_id=payment.township.county_id,
            school_id=payment.batch.school_id,
            programme_id=payment.programme_id,
            period=payment.period,
            status__in=BATCH_TRANSITIONS.sources("prepare"),
            is_correction=True,
        )
        .first()
    )
    if batch:
        return batch
    batch = Batch(
        county_id=payment.township.county_id,
        school_id=payment.batch.school_id,
        programme_id=payment.programme_id,
        period=payment.period,
        title=f"更正：{payment.programme.name} {payment.period_label}",
        is_correction=True,
        method=payment.method,
        created_by=actor,
    )
    return saved_by(batch, actor)


def _correct(*, actor, payment: Payment, kind: str, amount: Decimal, reason: str) -> Payment:
    payment = (
        Payment.objects.select_for_update()
        .select_related("batch", "programme", "township")
        .get(pk=payment.pk)
    )
    BATCH_TRANSITIONS.require(payment.batch, "correct", actor)
    if payment.kind != Payment.Kind.PAYMENT:
        raise TransitionRefused(_("Only a paid payment can be corrected."))
    if not (reason or "").strip():
        raise DomainError(_("Record the reason for the correction."), field="reason")
    batch = _correction_batch(actor, payment)
    line = Payment(
        batch=batch,
        child_id=payment.child_id,
        programme_id=payment.programme_id,
        period=payment.period,
        school_year=payment.school_year,
        school_id=payment.school_id,
        township_id=payment.township_id,
        stage=payment.stage,
        kind=kind,
        amount=amount,
        standard_amount=payment.standard_amount,
        method=payment.method,
        reason=reason.strip(),
        corrects=payment,
        recorded_by=actor,
    )
    try:
        with transaction.atomic():
            return saved_by(line, actor)
    except IntegrityError as error:
        raise TransitionRefused(_("This payment has already been reversed.")) from error


@transaction.atomic
def reverse_payment(*, actor, payment: Payment, reason: str) -> Payment:
    """A reversal: a new negative line of the whole amount in a correction batch, paid (and so
    effective) when that batch is approved and paid."""
    return _correct(
        actor=actor,
        payment=payment,
        kind=Payment.Kind.REVERSAL,
        amount=-payment.amount,
        reason=reason,
    )


@transaction.atomic
def supplement_payment(*, actor, payment: Payment, amount, reason: str) -> Payment:
    """补发: the part of the standard that was not paid, as a new positive line."""
    value = _money(amount)
    if value is None or value <= 0:
        raise DomainError(_("Enter an amount above zero."), field="amount")
    return _correct(
        actor=actor, payment=payment, kind=Payment.Kind.SUPPLEMENT, amount=value, reason=reason
    )
