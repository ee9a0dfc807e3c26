"""The steps of a payment batch (发放批次) and of a relief-fund grant, declared once (see
core/transitions.py). The services enforce them on the locked row; the batch page, the fund
page and the API ask them which steps to offer."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.transitions import Transition, TransitionTable
from enrollment.permissions import may_over

from .models import Batch, FundEntry
from .roles import APPROVE_ROLES, BATCH_ROLES, FUND_ROLES

B = Batch.Status


def has_lines(batch, on) -> str | None:
    if not batch.payments.exists():
        return _("The batch has no lines.")
    return None


def _batch_state_message(batch, transition) -> str:
    return _("This batch is %(status)s; that is not possible now.") % {
        "status": batch.get_status_display()
    }


BATCH_TRANSITIONS = TransitionTable(
    # Adding, building and removing lines: the list is still being prepared.
    Transition("prepare", {B.DRAFT}, None, BATCH_ROLES),
    # The school (or bureau) has checked the list: it goes to the bureau for approval.
    Transition("review", {B.DRAFT}, B.REVIEWED, BATCH_ROLES, (has_lines,)),
    # The bureau sends a reviewed (or approved, unpaid) list back for correction.
    Transition("return", {B.REVIEWED, B.APPROVED}, B.DRAFT, APPROVE_ROLES),
    Transition("approve", {B.REVIEWED}, B.APPROVED, APPROVE_ROLES),
    # Paid with a date, then locked.
    Transition("pay", {B.APPROVED}, B.PAID, APPROVE_ROLES),
    # A paid line is never edited: its reversal or supplement is a line of a correction batch.
    Transition("correct", {B.PAID}, None, BATCH_ROLES),
    state_message=_batch_state_message,
    may=may_over,
)


F = FundEntry.Status
GRANT_NOT_PENDING = gettext_lazy("Only a grant awaiting approval can be decided.")


def is_grant(entry, on) -> str | None:
    return None if entry.kind == FundEntry.Kind.GRANT else str(GRANT_NOT_PENDING)


def fund_covers(entry, on) -> str | None:
    """The fund never goes negative (checked on the locked fund row the service passes)."""
    balance = entry.fund.balance
    if balance + entry.amount < 0:
        return _("The fund holds %(balance)s yuan, less than the grant of %(amount)s yuan.") % {
            "balance": balance,
            "amount": -entry.amount,
        }
    return None


GRANT_TRANSITIONS = TransitionTable(
    Transition("approve", {F.PENDING}, F.APPROVED, FUND_ROLES, (is_grant, fund_covers)),
    Transition("reject", {F.PENDING}, F.REJECTED, FUND_ROLES, (is_grant,)),
    state_message=lambda entry, transition: str(GRANT_NOT_PENDING),
    may=may_over,
)
