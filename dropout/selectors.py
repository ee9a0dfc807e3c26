"""Work queues and lists of the dropout procedure, always starting from for_user()."""

import datetime

from django.conf import settings
from django.db.models import Count, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy

from .models import DropoutCase, ExemptionRequest, OfficialDocument, Persuasion

C = DropoutCase.Status

QUEUE_TITLES = {
    "due": gettext_lazy("Cases due"),
    "mine": gettext_lazy("My open cases"),
    "open": gettext_lazy("All open cases"),
    "overdue": gettext_lazy("Notices past deadline"),
    "unserved": gettext_lazy("Decisions awaiting service"),
    "stale": gettext_lazy("No action for 30 days"),
    "returned": gettext_lazy("Returned"),
    "closed": gettext_lazy("Closed"),
    "all": gettext_lazy("All"),
}
QUEUES = tuple(QUEUE_TITLES)


def mine_q(user) -> Q:
    """我的在办案件: the cases the user carries (承办人) or answers for (包保责任人)."""
    guaranteed = DropoutCase.guarantors.through.objects.filter(user_id=user.pk)
    return Q(handler_id=user.pk) | Q(pk__in=guaranteed.values("dropoutcase_id"))


def cases_for(user) -> QuerySet:
    """The user's cases as the lists show them. Every annotation is a subquery per case, never
    a join: the rows stay one per case, so counts and aggregates over it count cases."""
    current_notice = OfficialDocument.objects.filter(
        case=OuterRef("pk"), kind=OfficialDocument.Kind.RESUME_NOTICE, voided_by__isnull=True
    ).order_by("-pk")
    # A penalty decision not served yet (Art. 61): the day it was made.
    unserved_decision = OfficialDocument.objects.filter(
        case=OuterRef("pk"),
        kind=OfficialDocument.Kind.PENALTY_DECISION,
        voided_by__isnull=True,
        served_on__isnull=True,
    ).order_by("-pk")
    persuasions = (
        Persuasion.objects.filter(case=OuterRef("pk"))
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT", output_field=IntegerField()))
        .values("n")
    )
    return (
        DropoutCase.objects.for_user(user)
        .select_related("child__village", "township", "school", "handler")
        .annotate(
            persuasion_count=Subquery(persuasions),
            notice_deadline=Subquery(current_notice.values("deadline")[:1]),
            unserved_decision_on=Subquery(unserved_decision.values("issued_on")[:1]),
        )
        .order_by("-last_action_on", "-pk")
    )


def case_queue(user, queue: str, *, day: datetime.date | None = None) -> QuerySet:
    """mine: the open cases the user carries or answers for; open: every open case of the
    user's scope; overdue: notices past their
    deadline, ready for a penalty decision; stale: open cases with no action for
    STALE_CASE_DAYS."""
    day = day or timezone.localdate()
    cases = cases_for(user)
    if queue == "due":
        return due_cases(cases, day=day)
    if queue == "mine":
        return cases.filter(mine_q(user), status__in=DropoutCase.OPEN_STATUSES)
    if queue == "open":
        return cases.filter(status__in=DropoutCase.OPEN_STATUSES)
    if queue == "overdue":
        return cases.filter(status=C.NOTICE_ISSUED, notice_deadline__lt=day)
    if queue == "unserved":
        return cases.filter(unserved_decision_on__isnull=False).order_by(
            "unserved_decision_on", "pk"
        )
    if queue == "stale":
        limit = day - datetime.timedelta(days=settings.STALE_CASE_DAYS)
        return cases.filter(status__in=DropoutCase.OPEN_STATUSES, last_action_on__lt=limit)
    if queue == "returned":
        return cases.filter(status=C.RETURNED)
    if queue == "closed":
        return cases.filter(status=C.CLOSED)
    return cases


def due_q(day: datetime.date) -> Q:
    """A case whose next step is due: a notice past its deadline (the penalty step), a
    decision still to be served, a case nobody has persuaded yet, or an open case with no
    action for STALE_CASE_DAYS."""
    limit = day - datetime.timedelta(days=settings.STALE_CASE_DAYS)
    return (
        Q(status=C.NOTICE_ISSUED, notice_deadline__lt=day)
        | Q(unserved_decision_on__isnull=False)
        | Q(status=C.REPORTED)
        | Q(status__in=DropoutCase.OPEN_STATUSES, last_action_on__lt=limit)
    )


def due_cases(cases: QuerySet, *, day: datetime.date) -> QuerySet:
    """`cases` (from cases_for) whose next step is due, the longest waiting first."""
    return cases.filter(due_q(day)).order_by(
        F("notice_deadline").asc(nulls_last=True), "last_action_on", "pk"
    )


def queue_counts(
    user, *, day: datetime.date | None = None, within=None, by_status: bool = False
) -> dict:
    """The count of each queue; `within`: only these cases (the page's filters); by_status:
    also the count of each status, as `status_<value>` (the same query)."""
    day = day or timezone.localdate()
    limit = day - datetime.timedelta(days=settings.STALE_CASE_DAYS)
    cases = cases_for(user).order_by()
    if within is not None:
        cases = cases.filter(pk__in=within.values("pk"))
    open_cases = Q(status__in=DropoutCase.OPEN_STATUSES)
    statuses = (
        {f"status_{status}": Count("pk", filter=Q(status=status)) for status in C.values}
        if by_status
        else {}
    )
    return cases.aggregate(
        **statuses,
        due=Count("pk", filter=due_q(day)),
        open=Count("pk", filter=open_cases),
        mine=Count("pk", filter=open_cases & mine_q(user)),
        overdue=Count("pk", filter=Q(status=C.NOTICE_ISSUED, notice_deadline__lt=day)),
        unserved=Count("pk", filter=Q(unserved_decision_on__isnull=False)),
        stale=Count("pk", filter=open_cases & Q(last_action_on__lt=limit)),
        returned=Count("pk", filter=Q(status=C.RETURNED)),
        closed=Count("pk", filter=Q(status=C.CLOSED)),
    )


def exemptions_for(user) -> QuerySet:
    return (
        ExemptionRequest.objects.for_user(user)
        .select_related("child__village__township", "registered_by")
        .order_by("-registered_at", "-pk")
    )
