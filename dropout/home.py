"""The dropout procedure's home-page queues (registered with core.home in DropoutConfig.ready()):
cases due and exemptions to decide (township), absences to report and follow (school),
exemptions to file and townships behind schedule (bureau)."""

import datetime

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from core.home import HomeQueue, QueueItem, counted_items
from enrollment.roles import Role
from enrollment.scoping import role_assignments

from . import selectors
from .models import AbsenceReport, DropoutCase, ExemptionRequest
from .roles import ABSENCE_ROLES, EXEMPTION_BUREAU_ROLES

C = DropoutCase.Status
R = ExemptionRequest.Status
BUREAU_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF})


def _case_item(case, day) -> QueueItem:
    if case.status == C.NOTICE_ISSUED and case.notice_deadline and case.notice_deadline < day:
        why = _("notice deadline %(date)s passed") % {"date": case.notice_deadline.isoformat()}
    elif case.status == C.REPORTED:
        why = _("no persuasion yet")
    else:
        why = _("last action %(date)s") % {"date": case.last_action_on.isoformat()}
    return QueueItem(
        label=case.child.name,
        url=reverse("dropout:case_detail", args=[case.pk]),
        detail=f"{case.child.village.name} · {case.get_status_display()} · {why}",
        due=case.notice_deadline,
        overdue=case.status == C.NOTICE_ISSUED
        and bool(case.notice_deadline and case.notice_deadline < day),
        flag=_("notice past deadline"),
    )


def township_queues(user, roles, day) -> list[HomeQueue]:
    if Role.TOWNSHIP_OFFICIAL not in roles:
        return []
    due = selectors.due_cases(selectors.cases_for(user), day=day)
    requests = selectors.exemptions_for(user).filter(status__in=(R.SUBMITTED, R.RETURNED))
    count, items = counted_items(due, lambda case: _case_item(case, day))
    return [
        HomeQueue(
            key="cases_due",
            title=_("Cases due"),
            count=count,
            items=items,
            more_url=reverse("dropout:case_list") + "?queue=due",
            more_label=_("All cases due"),
            empty=_("No case is waiting for a step."),
        ),
        _exemption_queue(
            "exemptions_township",
            _("Exemption requests awaiting your decision"),
            requests,
            "township",
        ),
    ]


def _exemption_queue(key, title, requests, queue) -> HomeQueue:
    count, items = counted_items(
        requests,
        lambda request: QueueItem(
            label=request.child.name,
            url=reverse("dropout:exemption_detail", args=[request.pk]),
            detail=f"{request.child.village.township.name} · {request.get_kind_display()}"
            f" · {request.get_status_display()}",
        ),
    )
    return HomeQueue(
        key=key,
        title=title,
        count=count,
        items=items,
        more_url=reverse("dropout:exemption_list") + f"?queue={queue}",
        more_label=_("All requests"),
        empty=_("No request is waiting."),
    )


def school_queues(user, roles, day) -> list[HomeQueue]:
    """Absences: report a pupil missing from class, follow those reported until they are back
    (each becomes a suspected dropout after SUSPECTED_DROPOUT_DAYS)."""
    if Role.SCHOOL_STAFF not in roles or not roles & ABSENCE_ROLES:
        return []
    school = next((a.school for a in role_assignments(user) if a.school_id), None)
    reports = (
        AbsenceReport.objects.for_user(user)
        .filter(returned_on__isnull=True)
        .select_related("child")
        .order_by("first_absent_on", "pk")
    )
    suspected_after = settings.SUSPECTED_DROPOUT_DAYS

    def item(report):
        days = (day - report.first_absent_on).days
        return QueueItem(
            label=report.child.name,
            url=reverse("dropout:absence_back", args=[report.pk]),
            detail=_("absent since %(date)s (%(days)s days)")
            % {"date": report.first_absent_on.isoformat(), "days": days},
            due=report.first_absent_on + datetime.timedelta(days=suspected_after),
            overdue=days >= suspected_after,
            flag=_("suspected dropout"),
        )

    count, items = counted_items(reports, item)
    return [
        HomeQueue(
            key="absences",
            title=_("Absences to report and follow"),
            count=count,
            items=items,
            more_url=reverse("dropout:absence_list"),
            more_label=_("All open absences"),
            empty=_("No pupil is reported absent."),
            action_url=(reverse("enrollment:school_ledger", args=[school.pk]) if school else ""),
            action_label=_("Report an absence (choose the pupil on the school roll)"),
        )
    ]


def bureau_queues(user, roles, day) -> list[HomeQueue]:
    """Approvals waiting for the bureau, and the townships behind schedule."""
    if not roles & BUREAU_ROLES:
        return []
    queues = []
    if roles & EXEMPTION_BUREAU_ROLES:
        queues.append(
            _exemption_queue(
                "exemptions_bureau",
                _("Exemptions awaiting filing by the bureau"),
                selectors.exemptions_for(user).filter(status=R.TOWNSHIP_APPROVED),
                "bureau",
            )
        )
    queues.append(overdue_townships_queue(user, day))
    return queues


def overdue_townships_queue(user, day) -> HomeQueue:
    """Townships with notices past their deadline or cases without action for STALE_CASE_DAYS,
    the worst first (one grouped query)."""
    county = next((a.county for a in role_assignments(user) if a.county_id), None)
    limit = day - datetime.timedelta(days=settings.STALE_CASE_DAYS)
    rows = list(
        selectors.cases_for(user)
        .order_by()
        .values("township", "township__name")
        .annotate(
            overdue=Count("pk", filter=Q(status=C.NOTICE_ISSUED, notice_deadline__lt=day)),
            stale=Count(
                "pk", filter=Q(status__in=DropoutCase.OPEN_STATUSES, last_action_on__lt=limit)
            ),
        )
        .filter(Q(overdue__gt=0) | Q(stale__gt=0))
        .order_by("-overdue", "-stale", "township")
    )
    items = [
        QueueItem(
            label=row["township__name"],
            url=reverse("enrollment:township_ledger", args=[row["township"]]),
            detail=_("%(overdue)s notices past deadline · %(stale)s cases without action")
            % {"overdue": row["overdue"], "stale": row["stale"]},
            overdue=row["overdue"] > 0,
            flag=_("notice past deadline"),
        )
        for row in rows[:5]
    ]
    return HomeQueue(
        key="overdue_townships",
        title=_("Townships behind schedule"),
        count=len(rows),
        items=items,
        more_url=(
            reverse("enrollment:county_ledger", args=[county.pk])
            if county
            else reverse("dropout:case_list") + "?queue=overdue"
        ),
        more_label=_("Open the county ledger"),
        empty=_("No township has a notice past its deadline or a case left without action."),
    )
