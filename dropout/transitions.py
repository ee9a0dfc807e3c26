"""The steps of the two dropout workflows, declared once (see core/transitions.py): the services
enforce them on the locked row; the case and request pages and the API ask them which buttons
to offer and why a step is not possible yet."""

import datetime

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.people import person_name
from core.transitions import Transition, TransitionTable
from enrollment.permissions import may_over

from .models import (
    CountyLegalTexts,
    DropoutCase,
    ExemptionRequest,
    GuardianReply,
    MonthlyReport,
    OfficialDocument,
    PriorNotice,
)
from .roles import (
    APPROVE_REPORT_ROLES,
    CASE_ROLES,
    EXEMPTION_BUREAU_ROLES,
    EXEMPTION_REGISTER_ROLES,
    EXEMPTION_TOWNSHIP_ROLES,
    LEGAL_REVIEW_ROLES,
    MIN_OFFICERS,
    PERSUASION_ROLES,
    REASSIGN_ROLES,
    RETURN_ROLES,
)

C = DropoutCase.Status
OPEN = frozenset(DropoutCase.OPEN_STATUSES)


# --- 失辍学案件 ------------------------------------------------------------------------------


def _memo(case, key, compute):
    """A lookup the table's checks share while they judge one case: computed once per case
    instance (the case page asks every step at once); `refresh_from_db()` forgets it."""
    memo = case.__dict__.setdefault("_procedure_memo", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def in_force(documents, kind) -> OfficialDocument | None:
    """Of a case's loaded documents, the one of `kind` in force: the latest not corrected."""
    found = [d for d in documents if d.kind == kind and d.voided_by_id is None]
    return max(found, key=lambda d: d.pk) if found else None


def counted_among(persuasions) -> int:
    """Of loaded persuasions, those that count: two officials went. Each persuasion brings its
    officers prefetched, or their number annotated as `officer_count` (a ledger of thousands
    of cases need not load every officer's account to count them)."""
    return sum(1 for persuasion in persuasions if _officers_on(persuasion) >= MIN_OFFICERS)


def _officers_on(persuasion) -> int:
    count = getattr(persuasion, "officer_count", None)
    return len(persuasion.officers.all()) if count is None else count


def remember_loaded(case, *, documents, persuasions) -> None:
    """A page that has loaded all of the case's documents and persuasions (officers
    prefetched) lets the checks use them instead of asking again."""
    memo = case.__dict__.setdefault("_procedure_memo", {})
    for kind in (OfficialDocument.Kind.RESUME_NOTICE, OfficialDocument.Kind.PENALTY_DECISION):
        memo[kind] = in_force(documents, kind)
    memo["counted_persuasions"] = counted_among(persuasions)


def counted_persuasions(case) -> int:
    """The persuasions that count towards the notice: two officials went (Art. 42)."""
    return _memo(
        case,
        "counted_persuasions",
        lambda: (
            case.persuasions.annotate(officer_count=Count("officers"))
            .filter(officer_count__gte=MIN_OFFICERS)
            .count()
        ),
    )


def enough_persuasions(case, on: datetime.date) -> str | None:
    """多次动员仍不返校: a notice needs the setting's number of persuasions, each by two
    officials, first."""
    missing = settings.DROPOUT_MIN_PERSUASIONS - counted_persuasions(case)
    if missing > 0:
        return ngettext(
            "%(count)d more persuasion by two officials is needed first.",
            "%(count)d more persuasions by two officials are needed first.",
            missing,
        ) % {"count": missing}
    return None


LEGAL_TEXTS_MISSING = gettext_lazy(
    "The county's legal texts are not configured yet; a county administrator must enter them first."
)


def legal_texts_configured(case, on: datetime.date) -> str | None:
    configured = _memo(
        case,
        "legal_texts",
        lambda: CountyLegalTexts.objects.filter(county_id=case.township.county_id).exists(),
    )
    if not configured:
        return str(LEGAL_TEXTS_MISSING)
    return None


def notice_deadline_passed(case, on: datetime.date) -> str | None:
    """A penalty only after the notice's deadline has passed without a return."""
    notice = current_notice(case)
    if notice is None:
        return _("A penalty needs an issued notice to resume schooling first.")
    if on <= notice.deadline:
        return _("A penalty is possible once the notice's deadline %(deadline)s has passed.") % {
            "deadline": notice.deadline.isoformat()
        }
    return None


# --- the penalty procedure (行政处罚法 Art. 44-45, 58, 62-64) ---------------------------------


def current_prior_notice(case) -> PriorNotice | None:
    """The prior notice in force: the latest one whose document has not been corrected."""
    return _memo(
        case,
        "prior_notice",
        lambda: (
            PriorNotice.objects.filter(case=case, document__voided_by__isnull=True)
            .select_related("document")
            .order_by("-served_on", "-pk")
            .first()
        ),
    )


def _replies(prior, kind) -> list:
    return [reply for reply in prior.replies.all() if reply.kind == kind]


def prior_notice_served(case, on: datetime.date) -> str | None:
    if current_prior_notice(case) is None:
        return _("The prior notice of the penalty must be served first.")
    return None


def reply_window_passed(case, on: datetime.date) -> str | None:
    """Art. 62: no decision before the guardian has been heard — the window has passed, or the
    guardian waived in writing, asked for a hearing (then the hearing decides), or (where no
    hearing may be asked for) has already stated the case."""
    prior = current_prior_notice(case)
    if prior is None or on > prior.reply_until:
        return None
    kinds = {reply.kind for reply in prior.replies.all()}
    if GuardianReply.Kind.WAIVER in kinds or GuardianReply.Kind.HEARING_REQUEST in kinds:
        return None
    if GuardianReply.Kind.STATEMENT in kinds and not prior.hearing_right:
        return None
    return _(
        "No penalty may be decided before the %(days)d-day period for statement and defence "
        "after service of the prior notice ends (possible after %(date)s)."
    ) % {"days": (prior.reply_until - prior.served_on).days, "date": prior.reply_until.isoformat()}


def replies_reviewed(case, on: datetime.date) -> str | None:
    prior = current_prior_notice(case)
    if prior and any(not r.reviewed_on for r in _replies(prior, GuardianReply.Kind.STATEMENT)):
        return _("The guardian's statement and defence must be reviewed first.")
    return None


def hearing_held_if_requested(case, on: datetime.date) -> str | None:
    prior = current_prior_notice(case)
    if prior and _replies(prior, GuardianReply.Kind.HEARING_REQUEST):
        if not prior.hearings.all():
            return _("The guardian asked for a hearing: the hearing must be held first.")
    return None


def legal_review_given(case, on: datetime.date) -> str | None:
    prior = current_prior_notice(case)
    if prior is None or not needs_legal_review(prior):
        return None
    reviews = sorted(prior.legal_reviews.all(), key=lambda r: (r.reviewed_on, r.pk))
    review = reviews[-1] if reviews else None
    if review is None:
        return _("This penalty needs legal review (法制审核) first.")
    if not review.approved:
        return _("The legal review did not approve the penalty.")
    return None


def needs_legal_review(prior) -> bool:
    """The county marks the penalty kind (Art. 58 (4)), or a hearing was held (Art. 58 (2))."""
    return prior.legal_review_required or bool(prior.hearings.all())


def has_statement(case, on: datetime.date) -> str | None:
    prior = current_prior_notice(case)
    if prior is None or not _replies(prior, GuardianReply.Kind.STATEMENT):
        return _("No statement or defence has been recorded to review.")
    return None


def hearing_may_be_requested(case, on: datetime.date) -> str | None:
    prior = current_prior_notice(case)
    if prior is None:
        return None  # prior_notice_served explains
    if not prior.hearing_right:
        return _("The proposed penalty gives no right to a hearing.")
    if on > prior.reply_until:
        return _("The period to ask for a hearing ended on %(date)s.") % {
            "date": prior.reply_until.isoformat()
        }
    return None


def hearing_requested(case, on: datetime.date) -> str | None:
    prior = current_prior_notice(case)
    if prior is None or not _replies(prior, GuardianReply.Kind.HEARING_REQUEST):
        return _("No hearing has been asked for.")
    return None


def review_required(case, on: datetime.date) -> str | None:
    prior = current_prior_notice(case)
    if prior is not None and not needs_legal_review(prior):
        return _("This penalty does not need legal review.")
    return None


def _current_document(case, kind) -> OfficialDocument | None:
    return _memo(
        case,
        kind,
        lambda: case.documents.filter(kind=kind, voided_by__isnull=True).order_by("-pk").first(),
    )


def current_notice(case) -> OfficialDocument | None:
    """The notice to resume schooling in force (a corrected one is replaced by its correction)."""
    return _current_document(case, OfficialDocument.Kind.RESUME_NOTICE)


def current_decision(case) -> OfficialDocument | None:
    return _current_document(case, OfficialDocument.Kind.PENALTY_DECISION)


def decision_awaiting_service(case, on: datetime.date) -> str | None:
    decision = current_decision(case)
    if decision is None:
        return _("There is no penalty decision to serve.")
    if decision.served_on:
        return _("The penalty decision was served on %(date)s.") % {
            "date": decision.served_on.isoformat()
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
    # The penalty procedure: every step before the decision keeps the state (notice issued).
    Transition(
        "issue_prior_notice",
        {C.NOTICE_ISSUED},
        None,
        CASE_ROLES,
        (notice_deadline_passed, legal_texts_configured),
        label=gettext_lazy("a prior notice of the penalty"),
    ),
    Transition(
        "record_reply",
        {C.NOTICE_ISSUED},
        None,
        CASE_ROLES,
        (prior_notice_served,),
        label=gettext_lazy("recording the guardian's reply"),
    ),
    Transition(
        "review_reply",
        {C.NOTICE_ISSUED},
        None,
        CASE_ROLES,
        (prior_notice_served, has_statement),
        label=gettext_lazy("reviewing the guardian's statement"),
    ),
    Transition(
        "request_hearing",
        {C.NOTICE_ISSUED},
        None,
        CASE_ROLES,
        (prior_notice_served, hearing_may_be_requested),
        label=gettext_lazy("recording a request for a hearing"),
    ),
    Transition(
        "hold_hearing",
        {C.NOTICE_ISSUED},
        None,
        CASE_ROLES,
        (prior_notice_served, hearing_requested),
        label=gettext_lazy("recording the hearing"),
    ),
    Transition(
        "legal_review",
        {C.NOTICE_ISSUED},
        None,
        LEGAL_REVIEW_ROLES,
        (prior_notice_served, review_required),
        label=gettext_lazy("legal review"),
    ),
    Transition(
        "decide_penalty",
        {C.NOTICE_ISSUED},
        C.PENALTY_DECIDED,
        CASE_ROLES,
        (
            notice_deadline_passed,
            legal_texts_configured,
            prior_notice_served,
            reply_window_passed,
            replies_reviewed,
            hearing_held_if_requested,
            legal_review_given,
        ),
        label=gettext_lazy("a penalty decision"),
    ),
    # Art. 61: a decision not served on the spot is served within DECISION_SERVICE_DAYS.
    Transition(
        "serve_decision",
        {C.PENALTY_DECIDED},
        None,
        CASE_ROLES,
        (decision_awaiting_service,),
        label=gettext_lazy("serving the penalty decision"),
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
    Transition(
        "reassign", OPEN, None, REASSIGN_ROLES, label=gettext_lazy("changing who carries the case")
    ),
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


# --- 失辍学儿童月报告的审核 -------------------------------------------------------------------


def _report_state_message(report: MonthlyReport, transition) -> str:
    return _(
        "This report was already approved by %(who)s on %(when)s; its month is locked and "
        "its figures no longer change."
    ) % {
        "who": person_name(report.approved_by) if report.approved_by_id else "—",
        "when": timezone.localtime(report.approved_at).strftime("%Y-%m-%d %H:%M"),
    }


REPORT_TRANSITIONS = TransitionTable(
    Transition(
        "approve",
        {"generated"},
        "approved",
        APPROVE_REPORT_ROLES,
        label=gettext_lazy("approved"),
    ),
    state_message=_report_state_message,
    may=may_over,
    state_attr="approval_status",
)
