"""The steps of an inspection issue (问题), declared once (see core/transitions.py): open →
rectifying → submitted → verified (销号), sent back to rectifying when a verification fails,
withdrawn with a reason instead of being deleted. The services enforce it; the issue page and
its action views ask it which steps to offer."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.transitions import Transition, TransitionTable
from enrollment.permissions import may_over

from .models import Issue
from .roles import MANAGE_ROLES, VERIFY_ROLES

S = Issue.Status
NOT_CLOSED = {S.OPEN, S.RECTIFYING, S.SUBMITTED}


def may_answer(user, issue) -> bool:
    """Only the responsible unit (or a county administrator) answers an issue: a matter of the
    issue's unit, not of a role over its scope (see IssueQuerySet.answerable_by)."""
    if user is None or user.is_superuser:
        return True
    return Issue.objects.answerable_by(user).filter(pk=issue.pk).exists()


def _state_message(issue, transition) -> str:
    if transition.action == "edit":  # only a closed issue refuses an edit
        return _("The issue is “%(status)s”: it can no longer be edited.") % {
            "status": issue.get_status_display()
        }
    return _("The issue is “%(status)s”: %(action)s is not possible now.") % {
        "status": issue.get_status_display(),
        "action": transition.label,
    }


ISSUE_TRANSITIONS = TransitionTable(
    Transition(
        "start",
        {S.OPEN},
        S.RECTIFYING,
        allowed=may_answer,
        label=gettext_lazy("starting rectification"),
    ),
    Transition(
        "progress",
        {S.OPEN, S.RECTIFYING},
        S.RECTIFYING,
        allowed=may_answer,
        label=gettext_lazy("reporting progress"),
    ),
    Transition(
        "submit",
        {S.OPEN, S.RECTIFYING},
        S.SUBMITTED,
        allowed=may_answer,
        label=gettext_lazy("submitting the rectification"),
    ),
    Transition(
        "verify", {S.SUBMITTED}, S.VERIFIED, VERIFY_ROLES, label=gettext_lazy("verification")
    ),
    Transition(
        "reopen",
        {S.SUBMITTED},
        S.RECTIFYING,
        VERIFY_ROLES,
        label=gettext_lazy("failing the verification"),
    ),
    Transition("withdraw", NOT_CLOSED, S.WITHDRAWN, MANAGE_ROLES, label=gettext_lazy("withdrawal")),
    Transition("edit", NOT_CLOSED, None, MANAGE_ROLES, label=gettext_lazy("editing")),
    state_message=_state_message,
    may=may_over,
)
