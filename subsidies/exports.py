"""The module's ledgers as Excel workbooks, through the shared writer: the page's filters applied,
one row per record, Chinese headers. Each reads through for_user()."""

from types import SimpleNamespace

from django.http import QueryDict
from django.utils.translation import override

from core.exports import Column, Export
from core.masking import mask_resident_id
from core.params import query_year
from enrollment.models import PovertyStatus

from .filters import (
    BatchFilter,
    FundEntryFilter,
    GapFilter,
    IdentificationFilter,
    PaymentFilter,
    PublicFundFilter,
)
from .models import (
    Batch,
    DifficultyIdentification,
    DifficultyLevel,
    Donation,
    FundEntry,
    Gap,
    Method,
    Payment,
    PublicFundAllocation,
    Stage,
    period_label,
)

EXPORT_TITLES = {
    "payments": "资助发放记录",
    "batches": "资助发放批次",
    "gaps": "应享尽享比对结果",
    "identifications": "家庭经济困难学生认定",
    "fund": "教育救助基金台账",
    "donations": "社会捐赠台账",
    "public_funds": "义务教育生均公用经费",
}


def _query(params) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, values in (params or {}).get("query", {}).items():
        query.setlist(key, values)
    return query


def _filtered(filter_class, user, queryset, params):
    request = SimpleNamespace(user=user)
    return filter_class(_query(params), queryset=queryset, request=request).qs


def _labels(choices):
    with override("zh-hans"):
        return {value: str(label) for value, label in choices}


def _identity(child) -> str:
    return _masked_identity(child.has_no_resident_id, child.resident_id)


def _masked_identity(unregistered: bool, resident_id: str | None) -> str:
    return "未落户" if unregistered else mask_resident_id(resident_id)


def export_payments(user, params) -> Export:
    # Plain values, not model instances: a school year of a county is ~160,000 payments, and
    # building six instances per row took as long as writing the workbook.
    rows = _filtered(PaymentFilter, user, Payment.objects.for_user(user), params).order_by(
        "township__code", "school__code", "child__name", "pk"
    )
    stages, kinds, methods = (
        _labels(Stage.choices),
        _labels(Payment.Kind.choices),
        _labels(Method.choices),
    )
    statuses = _labels(Batch.Status.choices)
    columns = [
        Column("序号", 6),
        Column("姓名", 10),
        Column("公民身份号码", 21),
        Column("乡镇", 12),
        Column("学校", 22),
        Column("学段", 10),
        Column("资助项目", 26),
        Column("学年/学期", 22),
        Column("类别", 10),
        Column("金额（元）", 12),
        Column("标准（元）", 12),
        Column("发放方式", 12),
        Column("发放日期", 12),
        Column("批次", 8),
        Column("批次状态", 14),
        Column("说明", 30),
    ]
    fields = (
        "child__name",
        "child__has_no_resident_id",
        "child__resident_id",
        "township__name",
        "school__name",
        "stage",
        "programme__name",
        "period",
        "kind",
        "amount",
        "standard_amount",
        "method",
        "paid_on",
        "batch_id",
        "batch__status",
        "reason",
    )
    periods = {}  # a handful of terms: each label is made once

    def generate():
        for number, (
            name,
            unregistered,
            resident_id,
            township,
            school,
            stage,
            programme,
            period,
            kind,
            amount,
            standard_amount,
            method,
            paid_on,
            batch_id,
            batch_status,
            reason,
        ) in enumerate(rows.values_list(*fields).iterator(chunk_size=2000), start=1):
            if period not in periods:
                periods[period] = period_label(period)
            yield [
                number,
                name,
                _masked_identity(unregistered, resident_id),
                township,
                school or "",
                stages.get(stage, ""),
                programme,
                periods[period],
                kinds[kind],
                amount,
                standard_amount,
                methods.get(method, method),
                paid_on,
                batch_id,
                statuses[batch_status],
                reason,
            ]

    return Export(title="资助发放记录", columns=columns, rows=generate(), total=rows.count())


def export_batches(user, params) -> Export:
    from .selectors import batch_list

    rows = _filtered(BatchFilter, user, batch_list(user), params)
    statuses = _labels(Batch.Status.choices)
    columns = [
        Column("批次", 8),
        Column("资助项目", 26),
        Column("学年/学期", 22),
        Column("学校", 22),
        Column("名称", 30),
        Column("状态", 16),
        Column("人次", 8),
        Column("金额（元）", 14),
        Column("发放日期", 12),
    ]

    def generate():
        for batch in rows:
            yield [
                batch.pk,
                batch.programme.name,
                period_label(batch.period),
                batch.school.name if batch.school else "县教育局",
                batch.title,
                statuses[batch.status],
                batch.line_count,
                batch.total,
                batch.paid_on,
            ]

    return Export(title="资助发放批次", columns=columns, rows=generate(), total=rows.count())


def export_gaps(user, params) -> Export:
    rows = _filtered(
        GapFilter,
        user,
        Gap.objects.for_user(user).select_related(
            "child__household", "school", "township", "programme", "other_programme"
        ),
        params,
    ).order_by("township__code", "school__code", "child__name", "pk")
    kinds, poverty = _labels(Gap.Kind.choices), _labels(PovertyStatus.choices)
    columns = [
        Column("序号", 6),
        Column("问题类别", 22),
        Column("姓名", 10),
        Column("公民身份号码", 21),
        Column("家庭类别", 16),
        Column("乡镇", 12),
        Column("学校", 22),
        Column("资助项目", 26),
        Column("互斥项目", 26),
        Column("学年/学期", 22),
        Column("应发（元）", 12),
        Column("实发（元）", 12),
        Column("责任人", 12),
    ]

    def generate():
        for number, gap in enumerate(rows.iterator(chunk_size=2000), start=1):
            yield [
                number,
                kinds[gap.kind],
                gap.child.name,
                _identity(gap.child),
                poverty[gap.child.household.poverty_status],
                gap.township.name,
                gap.school.name if gap.school else "",
                gap.programme.name,
                gap.other_programme.name if gap.other_programme else "",
                period_label(gap.period),
                gap.expected_amount,
                gap.paid_amount,
                gap.responsible,
            ]

    return Export(title="应享尽享比对结果", columns=columns, rows=generate(), total=rows.count())


def export_identifications(user, params) -> Export:
    rows = _filtered(
        IdentificationFilter,
        user,
        DifficultyIdentification.objects.for_user(user).select_related("child", "school"),
        params,
    )
    levels = _labels(DifficultyLevel.choices)
    statuses = _labels(DifficultyIdentification.Status.choices)
    sources = _labels(DifficultyIdentification.Source.choices)
    columns = [
        Column("学年", 8),
        Column("学校", 22),
        Column("姓名", 10),
        Column("公民身份号码", 21),
        Column("来源", 20),
        Column("认定依据", 30),
        Column("申请等级", 12),
        Column("认定等级", 12),
        Column("状态", 12),
        Column("公示起", 12),
        Column("公示止", 12),
        Column("备案日期", 12),
    ]

    def generate():
        for item in rows.iterator(chunk_size=2000):
            yield [
                item.school_year,
                item.school.name,
                item.child.name,
                _identity(item.child),
                sources[item.source],
                item.basis,
                levels.get(item.applied_level, ""),
                levels.get(item.level, ""),
                statuses[item.status],
                item.notice_from,
                item.notice_until,
                item.filed_on,
            ]

    return Export(
        title="家庭经济困难学生认定", columns=columns, rows=generate(), total=rows.count()
    )


def export_fund(user, params) -> Export:
    rows = _filtered(
        FundEntryFilter,
        user,
        FundEntry.objects.for_user(user).select_related("child", "approved_by"),
        params,
    ).order_by("date", "pk")
    kinds, statuses = _labels(FundEntry.Kind.choices), _labels(FundEntry.Status.choices)
    columns = [
        Column("日期", 12),
        Column("类别", 12),
        Column("收入（元）", 14),
        Column("支出（元）", 14),
        Column("捐赠方/来源", 20),
        Column("受助学生", 10),
        Column("困难情况", 30),
        Column("用途", 20),
        Column("状态", 10),
        Column("审批", 20),
        Column("审批日期", 12),
    ]

    def generate():
        for entry in rows.iterator(chunk_size=2000):
            yield [
                entry.date,
                kinds[entry.kind],
                entry.amount if entry.amount > 0 else None,
                -entry.amount if entry.amount < 0 else None,
                entry.counterparty,
                entry.child.name if entry.child else "",
                entry.hardship,
                entry.purpose,
                statuses[entry.status],
                entry.approval_note,
                entry.approved_on,
            ]

    return Export(title="教育救助基金台账", columns=columns, rows=generate(), total=rows.count())


def export_donations(user, params) -> Export:
    rows = Donation.objects.for_user(user).select_related("school").order_by("date", "pk")
    year = query_year(_query(params))
    if year is not None:
        rows = rows.filter(date__year=year)
    kinds, donor_kinds = _labels(Donation.Kind.choices), _labels(Donation.DonorKind.choices)
    columns = [
        Column("日期", 12),
        Column("捐赠方", 22),
        Column("捐赠方类别", 12),
        Column("捐赠类别", 10),
        Column("价值（元）", 14),
        Column("捐赠内容", 24),
        Column("用途", 20),
        Column("受赠学校", 22),
    ]

    def generate():
        for donation in rows.iterator(chunk_size=2000):
            yield [
                donation.date,
                donation.donor,
                donor_kinds[donation.donor_kind],
                kinds[donation.kind],
                donation.value,
                donation.description,
                donation.purpose,
                donation.school.name if donation.school else "",
            ]

    return Export(title="社会捐赠台账", columns=columns, rows=generate(), total=rows.count())


def export_public_funds(user, params) -> Export:
    rows = (
        _filtered(PublicFundFilter, user, PublicFundAllocation.objects.for_user(user), params)
        .order_by("period", "school__township__code", "school__code", "pk")
        .values_list(
            "school__township__name",
            "school__name",
            "period",
            "pupils",
            "standard",
            "amount",
            "allocated_on",
            "note",
        )
    )
    columns = [
        Column("乡镇", 12),
        Column("学校", 24),
        Column("学期", 24),
        Column("核定学生数（人）", 14),
        Column("生均标准（元）", 14),
        Column("拨付金额（元）", 14),
        Column("拨付日期", 12),
        Column("说明", 30),
    ]

    def generate():
        for township, school, period, pupils, standard, amount, allocated_on, note in rows:
            yield [
                township,
                school,
                period_label(period),
                pupils,
                standard,
                amount,
                allocated_on,
                note,
            ]

    return Export(
        title="义务教育生均公用经费", columns=columns, rows=generate(), total=rows.count()
    )


EXPORTERS = {
    "subsidies_payments": export_payments,
    "subsidies_batches": export_batches,
    "subsidies_gaps": export_gaps,
    "subsidies_identifications": export_identifications,
    "subsidies_fund": export_fund,
    "subsidies_donations": export_donations,
    "subsidies_public_funds": export_public_funds,
}
