"""The inspections module's home-page queues (registered with core.home in InspectionsConfig.
ready()): issues awaiting verification (验收) for the inspectors, rectifications due for the
units that answer them (a school, a township, the bureau's sections)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from core.home import HomeQueue, QueueItem, counted_items

from .models import Issue
from .roles import RESPOND_ROLES, VERIFY_ROLES

S = Issue.Status


def _issue_item(issue, day, detail) -> QueueItem:
    return QueueItem(
        label=f"{issue.number} · {issue.unit_name}",
        url=reverse("inspections:issue_detail", args=[issue.pk]),
        detail=detail,
        due=issue.deadline,
        overdue=issue.status in Issue.PENDING_STATUSES and issue.deadline < day,
    )


def verification_queue(user, roles, day) -> list[HomeQueue]:
    """Rectifications submitted and waiting for an inspector to verify (销号) or send back."""
    if not roles & VERIFY_ROLES:
        return []
    waiting = (
        Issue.objects.for_user(user)
        .filter(status=S.SUBMITTED)
        .select_related("school", "township", "section")
        .order_by("submitted_on", "pk")
    )
    count, items = counted_items(
        waiting,
        lambda issue: _issue_item(
            issue,
            day,
            _("submitted %(date)s · %(text)s")
            % {
                "date": issue.submitted_on.isoformat() if issue.submitted_on else "—",
                "text": issue.description[:40],
            },
        ),
    )
    return [
        HomeQueue(
            key="issues_to_verify",
            title=_("Issues awaiting verification"),
            count=count,
            items=items,
            more_url=reverse("inspections:ledger") + f"?status={S.SUBMITTED}",
            more_label=_("Open the rectification ledger"),
            empty=_("No rectification is waiting for verification."),
        )
    ]


def rectifications_due(user):
    """Issues addressed to the user's own unit that still need rectifying, the earliest deadline
    first (scoped by for_user(), narrowed to the unit by answerable_by())."""
    return (
        Issue.objects.for_user(user)
        .answerable_by(user)
        .filter(status__in=Issue.PENDING_STATUSES)
        .select_related("school", "township", "section")
        .order_by("deadline", "pk")
    )


def rectification_queue(user, roles, day) -> list[HomeQueue]:
    # A county administrator answers every issue of the county: their queue is verification.
    if not roles & (RESPOND_ROLES - VERIFY_ROLES):
        return []
    count, items = counted_items(
        rectifications_due(user),
        lambda issue: _issue_item(
            issue,
            day,
            _("%(status)s · due %(date)s · %(text)s")
            % {
                "status": issue.get_status_display(),
                "date": issue.deadline.isoformat(),
                "text": issue.description[:40],
            },
        ),
    )
    return [
        HomeQueue(
            key="rectifications_due",
            title=_("Rectifications due"),
            count=count,
            items=items,
            more_url=reverse("inspections:ledger"),
            more_label=_("Open the rectification ledger"),
            empty=_("No inspection issue is waiting for your unit."),
        )
    ]
