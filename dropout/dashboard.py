"""The home page's figures per role and scope: enrollment rate by place, dropouts at the end of
each of the last 12 months, open cases by state, and the work queues."""

import datetime

from django.db.models import Count, OuterRef, Q, Subquery
from django.http import QueryDict
from django.utils import timezone

from core.cache import cached
from enrollment.ledgers import (
    LEDGER_KINDS,
    build_ledger,
    cached_class_sizes,
    cached_summary,
    label_summary_rows,
)
from enrollment.models import Child, EnrollmentStatus, EnrollmentStatusChange
from enrollment.permissions import has_any_role
from enrollment.roles import CASE_FLAG_ROLES
from enrollment.scoping import role_assignments, scope_signature
from enrollment.selectors import (
    LEDGER_DEPARTED,
    LEDGER_SUMMARY_CACHE,
    involved_in_case,
    summary_total,
    with_ledger_status,
)

from . import selectors
from .models import DropoutCase, ExemptionRequest


def primary_place(user):
    """The widest place among the user's scopes (county before township before village…); a
    prefecture has no ledger of its own (its overview is enrollment.prefecture's)."""
    order = {"county": 0, "township": 1, "village": 2, "school": 3}
    assignments = sorted(
        (a for a in role_assignments(user) if a.scope_kind in order),
        key=lambda a: order[a.scope_kind],
    )
    if not assignments:
        return None, None
    first = assignments[0]
    return first.scope_kind, first.scope_object


def month_ends(day: datetime.date, months: int = 12) -> list[datetime.date]:
    """The last day of each of the `months` months before `day`'s month, oldest first."""
    ends, end = [], day.replace(day=1) - datetime.timedelta(days=1)
    for _ in range(months):
        ends.append(end)
        end = end.replace(day=1) - datetime.timedelta(days=1)
    return ends[::-1]


def dropouts_by_month_end(user, kind, place, day) -> list[dict]:
    """Children of the place who were dropouts at each month end, from the dated history
    (cached on a shared cache until the next status change)."""
    _model, children_path, _group = LEDGER_KINDS[kind]

    def compute():
        # Each dropout entry of the history lasts until the child's next entry: one query over
        # the (few) dropout entries, not one reconstruction of the whole ledger per month.
        # The children of the place as its ledger finds them (the school's by today's roll).
        children = with_ledger_status(Child.objects.for_user(user), None).filter(
            **{children_path: place.pk}
        )
        following = (
            EnrollmentStatusChange.objects.filter(child=OuterRef("child"))
            .filter(
                Q(effective_date__gt=OuterRef("effective_date"))
                | Q(effective_date=OuterRef("effective_date"), pk__gt=OuterRef("pk"))
            )
            .order_by("effective_date", "pk")
        )
        spells = list(
            EnrollmentStatusChange.objects.filter(
                status=EnrollmentStatus.DROPPED_OUT, child__in=children.values("pk")
            )
            .annotate(until=Subquery(following.values("effective_date")[:1]))
            .values_list("child_id", "effective_date", "until")
        )
        return [
            {
                "month": end.strftime("%Y-%m"),
                "dropouts": len(
                    {
                        child
                        for child, since, until in spells
                        if since <= end and (until is None or until > end)
                    }
                ),
            }
            for end in month_ends(day)
        ]

    key = ["dropout-trend", kind, place.pk, day.replace(day=1), scope_signature(user)]
    return cached(LEDGER_SUMMARY_CACHE, key, compute, timeout=3600)


def dashboard_figures(user) -> dict | None:
    kind, place = primary_place(user)
    if place is None:
        return None
    day = timezone.localdate()
    ledger = build_ledger(user, kind, place.pk, QueryDict())
    rows = cached_summary(ledger, user, QueryDict())
    label_summary_rows(rows, ledger.group_by)
    queues = selectors.queue_counts(user, day=day, by_status=True)
    by_state = {status: queues.pop(f"status_{status}") for status in DropoutCase.Status.values}
    R = ExemptionRequest.Status
    requests = ExemptionRequest.objects.for_user(user).aggregate(
        township=Count("pk", filter=Q(status__in=(R.SUBMITTED, R.RETURNED))),
        bureau=Count("pk", filter=Q(status=R.TOWNSHIP_APPROVED)),
    )
    return {
        "kind": kind,
        "place": place,
        "group_by": ledger.group_by,
        "summary_rows": rows,
        "total": summary_total(rows),
        "trend": dropouts_by_month_end(user, kind, place, day),
        "cases_by_state": [
            {"status": status, "label": label, "count": by_state.get(status, 0)}
            for status, label in DropoutCase.Status.choices
        ],
        "queues": queues,
        "awaiting_township": requests["township"],
        "awaiting_bureau": requests["bureau"],
        # 大班额 of the place's schools, and 涉案未成年人 for the roles handling the cases only.
        "class_sizes": cached_class_sizes(user, kind, place),
        "involved_in_case": involved_in_case(
            ledger.population.exclude(LEDGER_DEPARTED), user
        ).count()
        if has_any_role(user, CASE_FLAG_ROLES)
        else None,
    }
