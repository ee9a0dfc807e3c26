"""The registry's home-page queues: unaccounted children (township), visits due (village), and
the auditor's exports and audit log. Registered with core.home in EnrollmentConfig.ready()."""

import datetime

from django.conf import settings
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.home import HomeQueue, QueueItem, counted_items, first_items

from .models import Child, EnrollmentStatus
from .roles import Role
from .scoping import role_assignments
from .selectors import unaccounted_children, unaccounted_children_found

S = EnrollmentStatus


def _local(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def _child_item(child, detail: str = "") -> QueueItem:
    place = child.village.name if child.village_id else ""
    return QueueItem(
        label=child.name,
        url=reverse("enrollment:child_detail", args=[child.pk]),
        detail=" · ".join(part for part in (place, detail) if part),
    )


def unaccounted_queue(user, roles, day) -> list[HomeQueue]:
    """去向不明: the township's list that drives household visits."""
    if Role.TOWNSHIP_OFFICIAL not in roles:
        return []
    found = unaccounted_children_found(user, day=day)

    def item(child):
        last = child.last_visit
        seen = (
            _("last visited %(date)s") % {"date": last.isoformat()} if last else _("never visited")
        )
        return _child_item(child, f"{EnrollmentStatus(child.ledger_status).label} · {seen}")

    return [
        HomeQueue(
            key="unaccounted",
            title=_("Unaccounted children"),
            count=found.count(),
            items=first_items(unaccounted_children(found), item),
            more_url=reverse("enrollment:unaccounted"),
            more_label=_("Open the unaccounted list"),
            empty=_("Every school-age child of your township is accounted for."),
        )
    ]


def visits_due(user, *, day: datetime.date):
    """Children of the user's scope who need a household visit: unaccounted, suspected or
    dropped out, and not visited for VISIT_DUE_DAYS — the longest unvisited first."""
    since = day - datetime.timedelta(days=settings.VISIT_DUE_DAYS)
    return (
        Child.objects.for_user(user)
        .school_age_on(day)
        .filter(
            Q(status__in=(S.UNVERIFIED, S.NEVER_ENROLLED, S.DROPPED_OUT, S.SUSPECTED_DROPOUT))
            | Q(status=S.OUTSIDE_COUNTY, outside_verified=False)
        )
        .annotate(last_visit=Max("visits__visit_date"))
        .filter(Q(last_visit__isnull=True) | Q(last_visit__lt=since))
        .select_related("village")
        # Never visited first, then the oldest visit.
        .order_by(F("last_visit").asc(nulls_first=True), "name", "pk")
    )


def visits_due_queue(user, roles, day) -> list[HomeQueue]:
    if Role.VILLAGE_CADRE not in roles:
        return []
    due = visits_due(user, day=day)

    def item(child):
        last = child.last_visit
        seen = (
            _("last visited %(date)s") % {"date": last.isoformat()} if last else _("never visited")
        )
        entry = _child_item(child, f"{child.get_status_display()} · {seen}")
        entry.url = reverse("enrollment:record_visit", args=[child.pk])
        return entry

    village = next((a.village for a in role_assignments(user) if a.village_id), None)
    return [
        HomeQueue(
            key="visits_due",
            title=_("Household visits due"),
            count=due.count(),
            items=first_items(due, item),
            more_url=(
                reverse("enrollment:village_ledger", args=[village.pk])
                if village
                else reverse("enrollment:unaccounted")
            ),
            more_label=_("Open the village ledger"),
            empty=_("No visit is due: every child to watch was visited in the last %(days)s days.")
            % {"days": settings.VISIT_DUE_DAYS},
        )
    ]


def auditor_queues(user, roles, day) -> list[HomeQueue]:
    """The auditor reads and exports: their exports (ready to download) and the audit log."""
    if Role.AUDITOR not in roles:
        return []
    from core.models import ExportJob

    exports = ExportJob.objects.filter(requested_by=user).order_by("-created_at", "-pk")
    count, items = counted_items(
        exports,
        lambda job: QueueItem(
            label=job.title,
            url=reverse("core:export_detail", args=[job.pk]),
            detail=f"{job.get_status_display()} · {_local(job.created_at)}",
        ),
    )
    export_queue = HomeQueue(
        key="exports",
        title=_("My exports"),
        count=count,
        items=items,
        more_url=reverse("core:export_list"),
        more_label=_("All my exports"),
        empty=_("No exports yet: every ledger has an Excel export button."),
    )
    queues = [export_queue]
    if user.has_perm("core.view_auditevent"):
        queues.append(audit_review_queue(day))
    return queues


def audit_review_queue(day) -> HomeQueue:
    """What an auditor reviews in the log: exports, imports, deletions and refused actions of
    the last 7 days, the latest first (logins and reads stay in the searchable log)."""
    from core.models import AuditEvent
    from core.people import person_name

    A, since = AuditEvent.Action, day - datetime.timedelta(days=7)
    events = (
        AuditEvent.objects.filter(at__date__gte=since)
        .filter(Q(action__in=(A.EXPORT, A.IMPORT, A.DELETE)) | Q(result=AuditEvent.Result.DENIED))
        .select_related("user")
        .order_by("-at", "-pk")
    )
    log = reverse("core:audit_list")

    def item(event):
        who = person_name(event.user) if event.user else event.username or _("system")
        denied = event.result == AuditEvent.Result.DENIED
        return QueueItem(
            label=f"{who} · {event.get_action_display()}",
            url=f"{log}?result={event.result}" if denied else f"{log}?action={event.action}",
            detail=" · ".join(part for part in (_local(event.at), event.object_repr) if part),
            overdue=denied,
            flag=event.get_result_display(),
        )

    count, items = counted_items(events, item)
    return HomeQueue(
        key="audit_log",
        title=_("Audit log: exports, imports, deletions and refusals (7 days)"),
        count=count,
        items=items,
        more_url=log,
        more_label=_("Search the audit log"),
        empty=_("Nothing to review in the last 7 days."),
        action_url=reverse("enrollment:excel_log"),
        action_label=_("Export and import log"),
    )
