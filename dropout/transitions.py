"""The steps of the two dropout workflows, declared once (see core/transitions.py): the services
enforce them on the locked row; the case and request pages and the API ask them which buttons
to offer and why a step is not possible yet."""

import datetime

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.transitions import Transition, TransitionTable
from enrollment.permissions import may_over

from .models import CountyLegalTexts, DropoutCase, ExemptionRequest, OfficialDocument
from .roles import (
    CASE_ROLES,
    EXEMPTION_BUREAU_ROLES,
    EXEMPTION_REGISTER_ROLES,
    EXEMPTION_TOWNSHIP_ROLES,
    PERSUASION_ROLES,
    RETURN_ROLES,
)

C = DropoutCase.Status
OPEN = frozenset(DropoutCase.OPEN_STATUSES)


# --- 失辍学案件 ------------------------------------------------------------------------------


def enough_persuasions(case, on: datetime.date) -> str | None:
    """多次动员仍不返校: a notice needs the setting's number of recorded persuasions first."""
    missing = settings.DROPOUT_MIN_PERSUASIONS - case.persuasions.count()
    if missing > 0:
        return ngettext(
            "%(count)d more recorded persuasion is needed first.",
            "%(count)d more recorded persuasions are needed first.",
            missing,
        ) % {"count": missing}
    return None


LEGAL_TEXTS_MISSING = gettext_lazy(
    "The county's legal texts are not configured yet; a county administrator must enter them first."
)


def legal_texts_configured(case, on: datetime.date) -> str | None:
    if not CountyLegalTexts.objects.filter(county_id=case.township.county_id).exists():
        return str(LEGAL_TEXTS_MISSING)
    return None


def notice_deadline_passed(case, on: datetime.date) -> str | None:
    """A penalty only after the notice's deadline has passed without a return."""
    notice = (
        case.documents.filter(kind=OfficialDocument.Kind.RESUME_NOTICE, voided_by__isnull=True)
        .order_by("-pk")
        .first()
    )
    if notice is None:
        return _("A penalty needs an issued notice to resume schooling first.")
    if on <= notice.deadline:
        return _("A penalty is possible once the notice's deadline %(deadline)s has passed.") % {
            "deadline": notice.deadline.isoformat()
        }
    return None


def not_struck_off(case, on: datetime.date) -> str | None:
    if case.struck_off_on:
        return _("Only a returned case in its consolidation period reopens.")
    return None


def _case_state_message(case, transition) -> str:
    return _("The case is “%(status)s”: %(action)s is not possible now.") % {
        "status": case.get_status_display(),
        "action": transition.label,
    }


CASE_TRANSITIONS = TransitionTable(
    Transition(
        "persuade",
        {C.REPORTED},
        C.PERSUADING,
        PERSUASION_ROLES,
        label=gettext_lazy("recording a persuasion"),
    ),
    Transition(
        "persuade",
        OPEN - {C.REPORTED},
        None,
        PERSUASION_ROLES,
        label=gettext_lazy("recording a persuasion"),
    ),
    Transition(
        "issue_notice",
        {C.REPORTED, C.PERSUADING},
        C.NOTICE_ISSUED,
        CASE_ROLES,
        (enough_persuasions, legal_texts_configured),
        label=gettext_lazy("a notice to resume schooling"),
    ),
    Transition(
        "decide_penalty",
        {C.NOTICE_ISSUED},
        C.PENALTY_DECIDED,
        CASE_ROLES,
        (notice_deadline_passed, legal_texts_configured),
        label=gettext_lazy("a penalty decision"),
    ),
    Transition(
        "add_measure",
        {C.PENALTY_DECIDED},
        None,
        CASE_ROLES,
        label=gettext_lazy("recording a further measure"),
    ),
    Transition("return", OPEN, C.RETURNED, RETURN_ROLES, label=gettext_lazy("recording a return")),
    Transition("close", OPEN, C.CLOSED, CASE_ROLES, label=gettext_lazy("closing the case")),
    Transition("edit", OPEN, None, CASE_ROLES, label=gettext_lazy("editing the case")),
    # A case reopens as a consequence of a new absence or a new opening: whoever may report
    # the child absent or open its case, which the caller checked over the child (the case's
    # last school may not be the child's school now). The target depends on the history
    # (persuading once persuaded).
    Transition(
        "reopen",
        {C.RETURNED},
        None,
        allowed=lambda user, case: True,
        preconditions=(not_struck_off,),
        label=gettext_lazy("reopening the case"),
    ),
    state_message=_case_state_message,
    may=may_over,
)


# --- 缓学/休学/免学申请 ---------------------------------------------------------------------

R = ExemptionRequest.Status


def _request_state_message(request, transition) -> str:
    return _("This request is “%(status)s”; it cannot be %(action)s now.") % {
        "status": request.get_status_display(),
        "action": transition.label,
    }


EXEMPTION_TRANSITIONS = TransitionTable(
    Transition(
        "approve",
        {R.SUBMITTED},
        R.TOWNSHIP_APPROVED,
        EXEMPTION_TOWNSHIP_ROLES,
        label=gettext_lazy("approved by the township"),
    ),
    Transition(
        "file", {R.TOWNSHIP_APPROVED}, R.FILED, EXEMPTION_BUREAU_ROLES, label=gettext_lazy("filed")
    ),
    # Rejecting and returning belong to whoever decides the current step: the township a
    # submitted request, the bureau an approved one.
    Transition(
        "reject",
        {R.SUBMITTED},
        R.REJECTED,
        EXEMPTION_TOWNSHIP_ROLES,
        label=gettext_lazy("rejected"),
    ),
    Transition(
        "reject",
        {R.TOWNSHIP_APPROVED},
        R.REJECTED,
        EXEMPTION_BUREAU_ROLES,
        label=gettext_lazy("rejected"),
    ),
    Transition(
        "return",
        {R.SUBMITTED},
        R.RETURNED,
        EXEMPTION_TOWNSHIP_ROLES,
        label=gettext_lazy("returned"),
    ),
    Transition(
        "return",
        {R.TOWNSHIP_APPROVED},
        R.SUBMITTED,
        EXEMPTION_BUREAU_ROLES,
        label=gettext_lazy("returned"),
    ),
    Transition(
        "resubmit",
        {R.RETURNED},
        R.SUBMITTED,
        EXEMPTION_REGISTER_ROLES,
        label=gettext_lazy("resubmitted"),
    ),
    state_message=_request_state_message,
    may=may_over,
)
