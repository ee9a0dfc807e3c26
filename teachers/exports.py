"""Excel exports of the teacher workforce through the shared exporter registry (core.exports):
each reads through for_user() and applies the page's filters; headers in Chinese."""

import datetime

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import override

from core.exports import PERSON_COLUMNS, Column, Export
from enrollment.models import Sex, Township
from enrollment.permissions import has_any_role

from . import selectors
from .filters import ExchangeFilter, HomeTeachingFilter, TeacherFilter
from .models import (
    AllowanceBatch,
    AllowancePayment,
    Exchange,
    PostType,
    Recruitment,
    Teacher,
    Title,
    TrainingEvent,
)
from .roles import TEACHER_FULL_IDENTITY_ROLES
from .services import allowances


def _query(params: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, values in (params.get("query") or {}).items():
        query.setlist(key, values)
    return query


def _labels(choices) -> dict:
    with override("zh-hans"):
        return {value: str(label) for value, label in choices}


def _stamp() -> str:
    return timezone.localdate().isoformat()


def export_teachers(user, params: dict) -> Export:
    teachers = TeacherFilter(
        _query(params), queryset=selectors.teachers_for(user), user=user
    ).qs.order_by("school__township__code", "school__code", "name", "pk")
    full = has_any_role(user, TEACHER_FULL_IDENTITY_ROLES)
    sex, title = _labels(Sex.choices), _labels(Title.choices)
    post, recruited = _labels(PostType.choices), _labels(Recruitment.choices)
    status = _labels(Teacher.Status.choices)
    columns = [
        *PERSON_COLUMNS,
        Column("乡镇", 12),
        Column("学校", 24),
        Column("任教学科", 16),
        Column("职称", 14),
        Column("岗位类型", 14),
        Column("招聘方式", 22),
        Column("招聘年份", 10),
        Column("入职日期", 12),
        Column("本校任职起始", 12),
        Column("状态", 8),
        Column("特岗服务期满", 12),
    ]

    def rows():
        for number, teacher in enumerate(teachers.iterator(chunk_size=1000), start=1):
            yield [
                number,
                teacher.name,
                sex[teacher.sex],
                teacher.birth_date,
                teacher.resident_id if full else teacher.masked_resident_id,
                teacher.school.township.name,
                teacher.school.name,
                "、".join(subject.name for subject in teacher.subjects.all()),
                title[teacher.title],
                post[teacher.post_type],
                recruited[teacher.recruitment],
                teacher.recruitment_year,
                teacher.hire_date,
                teacher.school_since,
                status[teacher.status],
                teacher.service_end,
            ]

    return Export(title=f"教师名册{_stamp()}", columns=columns, rows=rows(), total=teachers.count())


STAGE_HEADERS = {
    "preschool": "学前",
    "primary": "小学",
    "junior": "初中",
    "senior": "高中",
    "vocational": "中职",
    "special": "特教",
}


def export_staffing(user, params: dict) -> Export:
    township = None
    if params.get("township"):
        township = Township.objects.for_user(user).get(pk=params["township"])
    table = selectors.county_staffing(user, township=township)
    columns = (
        [Column("乡镇", 12), Column("学校", 24), Column("城乡", 6)]
        + [Column(f"{header}在校生", 10) for header in STAGE_HEADERS.values()]
        + [
            Column("核定编制", 10),
            Column("在编", 8),
            Column("特岗", 8),
            Column("代课", 8),
            Column("交流在岗", 10),
            Column("交流调入", 10),
            Column("交流调出", 10),
            Column("计入编制人数", 12),
            Column("缺额", 8),
            Column("超编", 8),
        ]
    )

    def line(row, township_name, school_name, rural):
        return (
            [township_name, school_name, rural]
            + [row.students[stage] for stage in STAGE_HEADERS]
            + [
                row.quota,
                row.posts["regular"],
                row.posts["special_post"],
                row.posts["substitute"],
                row.posts["exchange"],
                row.exchange_in,
                row.exchange_out,
                row.counted,
                row.vacancy,
                row.over,
            ]
        )

    def rows():
        by_township = {}
        for row in table.rows:
            by_township.setdefault(row.township.pk, []).append(row)
        for subtotal in table.townships:
            for row in by_township[subtotal.township.pk]:
                yield line(
                    row, row.township.name, row.school.name, "农村" if row.is_rural else "城镇"
                )
            yield line(subtotal, subtotal.label, "乡镇合计", "")
        yield line(table.total, "全县合计", "", "")

    total = len(table.rows) + len(table.townships) + 1
    return Export(
        title=f"教师编制与缺额{table.day.isoformat()}", columns=columns, rows=rows(), total=total
    )


def export_exchanges(user, params: dict) -> Export:
    exchanges = ExchangeFilter(_query(params), queryset=selectors.exchanges_for(user), user=user).qs
    kind = _labels(Exchange.Kind.choices)
    columns = [
        Column("序号", 6),
        Column("教师", 10),
        Column("交流类型", 22),
        Column("派出学校", 24),
        Column("派出乡镇", 12),
        Column("接收学校", 24),
        Column("接收乡镇", 12),
        Column("开始日期", 12),
        Column("结束日期", 12),
        Column("备注", 24),
    ]

    def rows():
        for number, exchange in enumerate(exchanges.iterator(chunk_size=1000), start=1):
            yield [
                number,
                exchange.teacher.name,
                kind[exchange.kind],
                exchange.from_school.name,
                exchange.from_school.township.name,
                exchange.to_school.name,
                exchange.to_school.township.name,
                exchange.start_date,
                exchange.end_date,
                exchange.note,
            ]

    return Export(
        title=f"教师交流轮岗{_stamp()}", columns=columns, rows=rows(), total=exchanges.count()
    )


def export_allowance_unpaid(user, params: dict) -> Export:
    period = allowances.parse_period(params["period"])
    unpaid = selectors.unpaid_teachers(
        selectors.teachers_for(user).select_related("school__remoteness__tier"), period
    )
    post = _labels(PostType.choices)
    columns = [
        Column("序号", 6),
        Column("姓名", 10),
        Column("乡镇", 12),
        Column("学校", 24),
        Column("岗位类型", 14),
        Column("补助档次", 14),
        Column("月标准（元）", 12),
        Column("月份", 10),
    ]

    def rows():
        for number, teacher in enumerate(unpaid.iterator(chunk_size=1000), start=1):
            tier = teacher.school.remoteness.tier
            yield [
                number,
                teacher.name,
                teacher.school.township.name,
                teacher.school.name,
                post[teacher.post_type],
                tier.name,
                float(tier.monthly_amount),
                f"{period:%Y-%m}",
            ]

    return Export(
        title=f"乡村教师生活补助未发放{period:%Y-%m}",
        columns=columns,
        rows=rows(),
        total=unpaid.count(),
    )


def export_allowance_payments(user, params: dict) -> Export:
    payments = (
        AllowancePayment.objects.for_user(user)
        .select_related("teacher", "school__township", "batch")
        .order_by("-period", "school__township__code", "school__code", "teacher__name")
    )
    status = _labels(AllowanceBatch.Status.choices)
    columns = [
        Column("序号", 6),
        Column("月份", 10),
        Column("姓名", 10),
        Column("乡镇", 12),
        Column("学校", 24),
        Column("补助档次", 14),
        Column("金额（元）", 12),
        Column("批次", 30),
        Column("批次状态", 10),
        Column("发放日期", 12),
    ]

    def rows():
        for number, payment in enumerate(payments.iterator(chunk_size=2000), start=1):
            yield [
                number,
                f"{payment.period:%Y-%m}",
                payment.teacher.name,
                payment.school.township.name,
                payment.school.name,
                payment.tier_name,
                float(payment.amount),
                payment.batch.title,
                status[payment.batch.status],
                payment.batch.paid_on,
            ]

    return Export(
        title=f"乡村教师生活补助发放{_stamp()}",
        columns=columns,
        rows=rows(),
        total=payments.count(),
    )


def _iso(value, default):
    try:
        return datetime.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def export_trainings(user, params: dict) -> Export:
    today = timezone.localdate()
    start = _iso(params.get("start"), today.replace(month=1, day=1))
    end = _iso(params.get("end"), today.replace(month=12, day=31))
    township_id = params.get("township") or ""
    township = (
        Township.objects.for_user(user).filter(pk=township_id).first()
        if str(township_id).isdigit()
        else None
    )
    events = selectors.filtered_training_events(
        user,
        start=start,
        end=end,
        level=params.get("level") or "",
        kind=params.get("kind") or "",
        programme=(params.get("programme") or "").strip()[:100],
        township=township,
    )
    if str(township_id).isdigit() and township is None:
        events = events.none()
    level = _labels(TrainingEvent.Level.choices)
    kind = _labels(TrainingEvent.Kind.choices)
    columns = [
        Column("序号", 6),
        Column("培训名称", 30),
        Column("级别", 12),
        Column("开始日期", 12),
        Column("结束日期", 12),
        Column("学时", 8),
        Column("承办单位", 24),
        Column("参训人次", 10),
        Column("培训类型", 14),
        Column("所属项目", 24),
    ]

    def rows():
        for number, event in enumerate(events.iterator(chunk_size=1000), start=1):
            yield [
                number,
                event.title,
                level[event.level],
                event.start_date,
                event.end_date,
                float(event.hours),
                event.provider,
                event.person_times,
                kind[event.kind],
                event.programme,
            ]

    return Export(
        title=f"教师培训{start.isoformat()}至{end.isoformat()}",
        columns=columns,
        rows=rows(),
        total=events.count(),
    )


def export_home_teaching(user, params: dict) -> Export:
    """送教上门 sessions with the list's filters; the child's ID always masked."""
    sessions = HomeTeachingFilter(
        _query(params), queryset=selectors.home_teaching_sessions_for(user), user=user
    ).qs.order_by("-date", "child__village__township__code", "child__name", "pk")
    columns = [
        Column("序号", 6),
        Column("日期", 12),
        Column("儿童姓名", 10),
        Column("身份证号", 21),
        Column("乡镇", 12),
        Column("村（社区）", 14),
        Column("送教教师", 10),
        Column("教师所在学校", 24),
        Column("学时", 8),
        Column("送教内容", 40),
        Column("备注", 20),
    ]

    def rows():
        for number, session in enumerate(sessions.iterator(chunk_size=1000), start=1):
            child = session.child
            yield [
                number,
                session.date,
                child.name,
                "未落户" if child.has_no_resident_id else child.masked_resident_id,
                child.village.township.name,
                child.village.name,
                session.teacher.name,
                session.teacher.school.name,
                float(session.hours),
                session.content,
                session.note,
            ]

    return Export(
        title=f"送教上门记录{_stamp()}", columns=columns, rows=rows(), total=sessions.count()
    )


EXPORTERS = {
    "teachers": export_teachers,
    "teacher_staffing": export_staffing,
    "teacher_exchanges": export_exchanges,
    "teacher_allowance_unpaid": export_allowance_unpaid,
    "teacher_allowance_payments": export_allowance_payments,
    "teacher_trainings": export_trainings,
    "teacher_home_teaching": export_home_teaching,
}
