"""入户走访台账 and 结对帮扶台账: the household visits and help pairings of the user's scope, one
row each, filtered like their API list (filters.VisitFilter / PairingFilter); and how every
ledger export shows a child's resident ID (masked unless the role over the child needs it)."""

import itertools
from collections.abc import Callable
from typing import Any

from django.http import QueryDict
from django.utils.translation import override

from core.exports import Column, Export
from core.masking import Shown, mask_phone, mask_resident_id, shows_full
from core.people import person_name

from .filters import PairingFilter, VisitFilter
from .models import Child, HelpPairing, HouseholdVisit
from .permissions import sees_full_identity


def export_query(params: dict) -> QueryDict:
    """The filters an export job carries (`params["query"]`: each name with its values)."""
    query = QueryDict(mutable=True)
    for key, values in (params or {}).get("query", {}).items():
        query.setlist(key, values if isinstance(values, list) else [values])
    return query


def filtered(filter_class, params: dict, queryset):
    """The rows the export's filters keep. The view validated them before queuing; a job whose
    filters no longer validate exports nothing rather than everything."""
    filterset = filter_class(export_query(params), queryset=queryset)
    return filterset.qs if filterset.is_valid() else queryset.none()


def child_identity(user) -> Callable[[Child], str]:
    """A child's resident ID as this user's export shows it: full to a role over the child that
    needs it (FULL_IDENTITY_ROLES), masked otherwise. The child needs `village__township`
    loaded for the rule to be decided without a query."""

    def shown(child: Child) -> str:
        if not child.resident_id:
            return ""
        full = shows_full(Shown.EXPORT, needs_full=sees_full_identity(user, child))
        return child.resident_id if full else mask_resident_id(child.resident_id)

    return shown


def columns_of(columns) -> list[Column]:
    return [Column(header, width) for header, width in columns]


def ledger_export(
    title: str,
    columns,
    rows,
    row: Callable[..., list],
    *,
    chunk_size: int = 200,
    prepare: Callable[[list], Any] | None = None,
) -> Export:
    """A ledger's workbook: `columns` as (header, width) pairs, the first one the row number;
    then `row(record)` gives the other cells of each record of the queryset `rows`, read in
    chunks (each chunk runs the queryset's prefetches once), with choice labels in Chinese
    whatever the requester's language. With `prepare`, each chunk of records is given to it
    first and `row(record, prepared)` gets what it returned: what the rows need of other
    tables, read once per chunk (a values() queryset has no prefetches)."""

    def generate():
        with override("zh-hans"):
            records = rows.iterator(chunk_size=chunk_size)
            number = 0
            while chunk := list(itertools.islice(records, chunk_size)):
                prepared = prepare(chunk) if prepare else None
                for record in chunk:
                    number += 1
                    yield [number, *(row(record, prepared) if prepare else row(record))]

    return Export(title, columns_of(columns), generate(), rows.count())


VISIT_COLUMNS = [
    ("序号", 6),
    ("走访日期", 12),
    ("乡镇", 12),
    ("村（社区）", 12),
    ("户主", 10),
    ("走访对象", 16),
    ("身份证号", 21),
    ("走访人员", 20),
    ("其中教师（人）", 10),
    ("发现情况", 30),
    ("走访结果", 14),
    ("后续跟进", 24),
    ("记录人", 10),
    ("记录时间", 18),
    ("有附件", 6),
]


def export_visits(user, params: dict) -> Export:
    visits = filtered(
        VisitFilter,
        params,
        HouseholdVisit.objects.for_user(user)
        .select_related("household__village__township", "recorded_by")
        .prefetch_related("children__village__township")
        .order_by("visit_date", "pk"),
    ).distinct()
    identity = child_identity(user)

    def row(visit) -> list:
        children = sorted(visit.children.all(), key=lambda child: child.pk)
        village = visit.household.village
        return [
            visit.visit_date,
            village.township.name,
            village.name,
            visit.household.head_name,
            "、".join(child.name for child in children),
            "、".join(filter(None, (identity(child) for child in children))),
            visit.visitors,
            visit.teacher_visitors,
            visit.findings,
            visit.get_outcome_display(),
            visit.follow_up,
            person_name(visit.recorded_by),
            visit.recorded_at,
            "是" if visit.attachment else "否",
        ]

    return ledger_export("入户走访台账", VISIT_COLUMNS, visits, row)


PAIRING_COLUMNS = [
    ("序号", 6),
    ("姓名", 10),
    ("身份证号", 21),
    ("乡镇", 12),
    ("村（社区）", 12),
    ("就读学校", 20),
    ("帮扶责任人", 10),
    ("类别", 8),
    ("单位", 20),
    ("联系电话", 14),
    ("帮扶计划（一生一策）", 40),
    ("开始日期", 12),
    ("结束日期", 12),
    ("指派人", 10),
]


def export_pairings(user, params: dict) -> Export:
    pairings = filtered(
        PairingFilter,
        params,
        HelpPairing.objects.for_user(user)
        .select_related("child__village__township", "child__current_school", "assigned_by", "unit")
        .order_by("start_date", "pk"),
    )
    identity = child_identity(user)

    def row(pairing) -> list:
        child = pairing.child
        full = shows_full(Shown.EXPORT, needs_full=sees_full_identity(user, child))
        phone = pairing.partner_phone
        return [
            child.name,
            identity(child),
            child.village.township.name,
            child.village.name,
            child.current_school.name if child.current_school else "",
            pairing.partner_name,
            pairing.get_partner_kind_display(),
            pairing.unit.name if pairing.unit else pairing.partner_unit,
            phone if full else mask_phone(phone),
            pairing.plan,
            pairing.start_date,
            pairing.end_date,
            person_name(pairing.assigned_by),
        ]

    return ledger_export("结对帮扶台账", PAIRING_COLUMNS, pairings, row)


HELP_ACTIVITY_COLUMNS = [
    ("序号", 6),
    ("日期", 12),
    ("乡镇", 12),
    ("村（社区）", 12),
    ("帮扶对象", 14),
    ("身份证号", 21),
    ("户主", 10),
    ("帮扶单位", 20),
    ("帮扶责任人", 10),
    ("活动类别", 12),
    ("帮扶内容", 40),
    ("金额（元）", 12),
    ("记录人", 10),
]


def export_help_activities(user, params: dict) -> Export:
    """帮扶活动台账: the activities of the user's scope, filtered like the list page."""
    from .filters import HelpActivityFilter
    from .help_models import HelpActivity

    queryset = (
        HelpActivity.objects.for_user(user)
        .select_related(
            "village__township", "unit", "child__village__township", "household", "recorded_by"
        )
        .order_by("date", "pk")
    )
    filterset = HelpActivityFilter(export_query(params), queryset=queryset, user=user)
    activities = filterset.qs if filterset.is_valid() else queryset.none()
    identity = child_identity(user)

    def row(activity) -> list:
        child = activity.child
        return [
            activity.date,
            activity.village.township.name,
            activity.village.name,
            child.name if child else "",
            identity(child) if child else "",
            activity.household.head_name if activity.household else "",
            activity.unit.name if activity.unit else "",
            activity.responsible_name,
            activity.get_kind_display(),
            activity.content,
            activity.amount,
            person_name(activity.recorded_by),
        ]

    return ledger_export("帮扶活动台账", HELP_ACTIVITY_COLUMNS, activities, row)
