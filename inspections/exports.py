"""The rectification ledger (整改台账) in the layout the county files upward, and the complaint
register — the complainant's identity only in the rows the requesting user may see it."""

from django.db.models import Prefetch
from django.http import QueryDict
from django.utils.translation import override

from core.exports import Column, Export
from core.people import person_name

from .selectors import closure_text, ledger_filter, ledger_rows, progress_text
from .services.complaints import sees_complainant

# The filters the rectification ledger's and the complaint list's exports carry.
LEDGER_QUERY_KEYS = ("campaign", "area", "unit", "status", "overdue", "q")
COMPLAINT_QUERY_KEYS = ("channel", "status")


def query_of(params: dict, keys=LEDGER_QUERY_KEYS) -> QueryDict:
    """The export job's filters (those named in `keys`) as the list page's query."""
    query = QueryDict(mutable=True)
    for key, values in params.get("query", {}).items():
        if key in keys:
            query.setlist(key, values)
    return query


def export_rectification_ledger(user, params: dict) -> Export:
    """One row per issue: 序号, 问题, 责任单位, 责任人, 整改措施, 整改时限, 整改进展, 销号情况."""
    filtered = ledger_filter(user, query_of(params))
    rows = ledger_rows(filtered)
    columns = [
        Column("序号", 6),
        Column("问题", 48),
        Column("责任单位", 20),
        Column("责任人", 10),
        Column("整改措施", 40),
        Column("整改时限", 12),
        Column("整改进展", 40),
        Column("销号情况", 16),
    ]

    def generate():
        with override("zh-hans"):  # the county files its ledger in Chinese
            for number, issue in enumerate(rows.iterator(chunk_size=1000), start=1):
                yield [
                    number,
                    issue.description,
                    issue.unit_name,
                    issue.responsible_person,
                    issue.measures,
                    issue.deadline,
                    progress_text(issue),
                    closure_text(issue),
                ]

    return Export(title="整改台账", columns=columns, rows=generate(), total=rows.count())


def export_complaints(user, params: dict) -> Export:
    from .selectors import complaint_rows

    _filtered, rows = complaint_rows(user, query_of(params, COMPLAINT_QUERY_KEYS))
    rows = rows.prefetch_related(
        Prefetch("issues", to_attr="linked_issues"),
    )
    columns = [
        Column("序号", 6),
        Column("受理日期", 12),
        Column("渠道", 10),
        Column("反映内容", 48),
        Column("是否匿名", 8),
        Column("举报人", 10),
        Column("联系方式", 16),
        Column("被反映单位", 20),
        Column("承办人", 20),
        Column("办理状态", 10),
        Column("办理结果", 40),
        Column("答复日期", 12),
        Column("关联问题", 20),
    ]

    def generate():
        with override("zh-hans"):
            for number, complaint in enumerate(rows.iterator(chunk_size=500), start=1):
                handlers = list(complaint.handlers.all())
                complaint.handler_ids = {handler.pk for handler in handlers}
                identity = sees_complainant(user, complaint)
                yield [
                    number,
                    complaint.received_on,
                    complaint.get_channel_display(),
                    complaint.content,
                    "是" if complaint.is_anonymous else "否",
                    complaint.complainant_name if identity else "",
                    complaint.complainant_contact if identity else "",
                    complaint.unit_name,
                    "、".join(person_name(h) for h in handlers),
                    complaint.get_status_display(),
                    complaint.result,
                    complaint.replied_on,
                    "、".join(issue.number for issue in complaint.linked_issues),
                ]

    return Export(title="信访举报登记", columns=columns, rows=generate(), total=rows.count())
