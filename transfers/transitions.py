"""The steps of a transfer, declared once (see core/transitions.py). Each step belongs to one
side: the receiving side accepts or returns a move inside the deployment (the receiving
township's officials between townships, the receiving county's bureau between counties); the
sending side records the destination's confirmation of a move out. The lapse of an unconfirmed
move out is the daily task's (no user takes it). The services enforce the table on the locked
row; the pages and the API ask it which buttons to offer and why not."""

import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.transitions import Transition, TransitionTable
from enrollment.scoping import role_assignments

from .models import Transfer
from .roles import CONFIRM_ROLES, COUNTY_ACCEPT_ROLES, TOWNSHIP_ACCEPT_ROLES

T = Transfer.Status
K = Transfer.Kind


def holds_side(user, transfer, roles, side: str) -> bool:
    """Whether one of the user's assignments with one of `roles` is a place of `side` ("from"
    or "to") of the transfer: its county or township (villages and schools take no step).
    Decided from the loaded transfer, without a query."""
    if user is None or user.is_superuser:
        return True
    if not user.is_authenticated or not user.is_active:
        return False
    for assignment in role_assignments(user):
        if assignment.role not in roles:
            continue
        if assignment.county_id and assignment.county_id == getattr(transfer, f"{side}_county_id"):
            return True
        if assignment.township_id and assignment.township_id == getattr(
            transfer, f"{side}_township_id"
        ):
            return True
    return False


def receiver_may(user, transfer) -> bool:
    """Between townships the receiving township's officials; between counties the receiving
    county's bureau."""
    if transfer.kind == K.TOWNSHIP:
        roles = TOWNSHIP_ACCEPT_ROLES
    elif transfer.kind == K.COUNTY:
        roles = COUNTY_ACCEPT_ROLES
    else:
        return False
    return holds_side(user, transfer, roles, "to")


def sender_may(user, transfer) -> bool:
    return holds_side(user, transfer, CONFIRM_ROLES, "from")


def nobody(user, transfer) -> bool:
    """The system's step: only the daily task (no user) takes it."""
    return user is None


def confirmation_window_passed(transfer, on: datetime.date) -> str | None:
    if transfer.confirm_by and on <= transfer.confirm_by:
        return _("The destination has until %(date)s to confirm.") % {
            "date": transfer.confirm_by.isoformat()
        }
    return None


def _state_message(transfer, transition) -> str:
    return _("The transfer is “%(status)s”: %(action)s is not possible now.") % {
        "status": transfer.get_status_display(),
        "action": transition.label,
    }


TRANSFER_TRANSITIONS = TransitionTable(
    Transition(
        "accept",
        {T.PROPOSED},
        T.ACCEPTED,
        allowed=receiver_may,
        label=gettext_lazy("accepting the child"),
    ),
    Transition(
        "return",
        {T.PROPOSED},
        T.RETURNED,
        allowed=receiver_may,
        label=gettext_lazy("returning the transfer"),
    ),
    Transition(
        "confirm",
        {T.AWAITING_CONFIRMATION},
        T.CONFIRMED,
        allowed=sender_may,
        label=gettext_lazy("recording the destination's confirmation"),
    ),
    Transition(
        "lapse",
        {T.AWAITING_CONFIRMATION},
        T.LAPSED,
        preconditions=(confirmation_window_passed,),
        allowed=nobody,
        label=gettext_lazy("returning the child to the unaccounted list"),
    ),
    state_message=_state_message,
)
