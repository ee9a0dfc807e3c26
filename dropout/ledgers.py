"""The dropout-control ledgers an auditor takes away in Excel: persuasions, the documents and their
service, further measures, exemption requests with each approval step, and absences — with the
case ledger (exports.py), the household visits and help pairings (enrollment.ledger_exports) and
the register of numbered documents (register.py), listed in LEDGERS for the ledgers page.

Each ledger reads its rows through for_user() (records without a scope of their own through
their case's), filtered by its FilterSet (a date range on the record's own date); a child's
resident ID is masked unless the user's role over the child needs it."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from core.exports import Export
from core.people import person_name
from enrollment.filters import PairingFilter, VisitFilter
from enrollment.ledger_exports import child_identity, filtered, ledger_export
from enrollment.models import HelpPairing, HouseholdVisit

from .exports import late_service
from .filters import (
    AbsenceFilter,
    CaseFilter,
    DocumentFilter,
    ExemptionFilter,
    MeasureFilter,
    PersuasionFilter,
    RegisterFilter,
)
from .models import (
    AbsenceReport,
    CaseMeasure,
    DropoutCase,
    ExemptionRequest,
    OfficialDocument,
    Persuasion,
)
from .register import correction_text, export_register, register_documents
from .roles import MIN_OFFICERS


def _cases(user) -> QuerySet:
    return DropoutCase.objects.for_user(user).values("pk")


def _local(moment):
    return timezone.localtime(moment) if moment else None


def _names(users) -> str:
    return "、".join(person_name(user) for user in sorted(users, key=lambda user: user.pk))


# --- 劝返记录台账 ----------------------------------------------------------------------------

PERSUASION_COLUMNS = [
    ("序号", 6),
    ("案件号", 8),
    ("姓名", 10),
    ("身份证号", 21),
    ("乡镇", 12),
    ("村（社区）", 12),
    ("劝返日期", 12),
    ("参加人员", 20),
    ("执法人员", 16),
    ("两名工作人员参加", 10),
    ("宣讲内容", 30),
    ("家庭答复", 30),
    ("劝返结果", 16),
    ("记录人", 10),
    ("记录时间", 18),
]


def persuasions_for(user) -> QuerySet:
    return Persuasion.objects.filter(case__in=_cases(user))


def export_persuasions(user, params: dict) -> Export:
    rows = filtered(
        PersuasionFilter,
        params,
        persuasions_for(user)
        .select_related("case__child__village__township", "case__township", "recorded_by")
        .prefetch_related("officers")
        .order_by("date", "pk"),
    )
    identity = child_identity(user)

    def row(persuasion) -> list:
        case, officers = persuasion.case, list(persuasion.officers.all())
        return [
            case.pk,
            case.child.name,
            identity(case.child),
            case.township.name,
            case.child.village.name,
            persuasion.date,
            persuasion.visitors,
            _names(officers),
            "是" if len(officers) >= MIN_OFFICERS else "否",
            persuasion.what_was_said,
            persuasion.family_answer,
            persuasion.get_result_display(),
            person_name(persuasion.recorded_by),
            _local(persuasion.recorded_at),
        ]

    return ledger_export("劝返记录台账", PERSUASION_COLUMNS, rows, row)


# --- 文书送达台账 (notices, prior notices, penalty decisions) ----------------------------------

DOCUMENT_COLUMNS = [
    ("序号", 6),
    ("文书种类", 20),
    ("文号", 26),
    ("案件号", 8),
    ("姓名", 10),
    ("身份证号", 21),
    ("乡镇", 12),
    ("发文日期", 12),
    ("期限", 12),
    ("送达日期", 12),
    ("受送达人", 10),
    ("送达方式", 14),
    ("送达人", 16),
    ("送达地点", 20),
    ("送达期限", 12),
    ("逾期送达", 10),
    ("执法人员", 16),
    ("状态", 8),
    ("更正情况", 30),
]


def export_documents(user, params: dict) -> Export:
    rows = filtered(
        DocumentFilter,
        params,
        OfficialDocument.objects.for_user(user)
        .select_related("case__child__village__township", "township", "voided_by", "corrects")
        .prefetch_related("officers")
        .order_by("issued_on", "pk"),
    )
    identity = child_identity(user)

    def row(document) -> list:
        child = document.case.child
        return [
            document.get_kind_display(),
            document.number,
            document.case_id,
            child.name,
            identity(child),
            document.township.name,
            document.issued_on,
            document.deadline,
            document.served_on,
            document.served_to,
            document.get_service_method_display() if document.service_method else "",
            document.served_by,
            document.service_place,
            document.service_due_on,
            late_service(document),
            _names(document.officers.all()),
            "已作废" if document.voided_by_id else "有效",
            correction_text(document),
        ]

    return ledger_export("文书送达台账", DOCUMENT_COLUMNS, rows, row)


# --- 制约措施台账 ----------------------------------------------------------------------------

MEASURE_COLUMNS = [
    ("序号", 6),
    ("案件号", 8),
    ("姓名", 10),
    ("身份证号", 21),
    ("乡镇", 12),
    ("案件状态", 12),
    ("措施", 24),
    ("日期", 12),
    ("情况", 40),
    ("记录人", 10),
]


def measures_for(user) -> QuerySet:
    return CaseMeasure.objects.filter(case__in=_cases(user))


def export_measures(user, params: dict) -> Export:
    rows = filtered(
        MeasureFilter,
        params,
        measures_for(user)
        .select_related("case__child__village__township", "case__township", "recorded_by")
        .order_by("date", "pk"),
    )
    identity = child_identity(user)

    def row(measure) -> list:
        case = measure.case
        return [
            case.pk,
            case.child.name,
            identity(case.child),
            case.township.name,
            case.get_status_display(),
            measure.get_kind_display(),
            measure.date,
            measure.description,
            person_name(measure.recorded_by),
        ]

    return ledger_export("制约措施台账", MEASURE_COLUMNS, rows, row)


# --- 缓学休学申请台账 --------------------------------------------------------------------------

EXEMPTION_COLUMNS = [
    ("序号", 6),
    ("申请编号", 8),
    ("姓名", 10),
    ("身份证号", 21),
    ("乡镇", 12),
    ("村（社区）", 12),
    ("申请类别", 14),
    ("事由", 12),
    ("具体情况", 30),
    ("起始日期", 12),
    ("截止日期", 12),
    ("安置学校", 20),
    ("状态", 16),
    ("登记人", 10),
    ("登记时间", 18),
    ("乡镇批准人", 10),
    ("乡镇批准时间", 18),
    ("县教育局备案人", 10),
    ("备案时间", 18),
    ("审批过程", 60),
]


def _step_text(step) -> str:
    moment = timezone.localtime(step.at).strftime("%Y-%m-%d %H:%M")
    note = f"：{step.note}" if step.note else ""
    return f"{moment} {step.action_label} {person_name(step.actor)}{note}"


def export_exemptions(user, params: dict) -> Export:
    rows = filtered(
        ExemptionFilter,
        params,
        ExemptionRequest.objects.for_user(user)
        .select_related("child__village__township", "school", "registered_by")
        .prefetch_related("steps__actor")
        .order_by("registered_at", "pk"),
    )
    identity = child_identity(user)

    def row(request) -> list:
        steps = sorted(request.steps.all(), key=lambda step: (step.at, step.pk))
        approved = [step for step in steps if step.action == "approve"]
        filed = [step for step in steps if step.action == "file"]
        approval = approved[-1] if approved else None
        filing = filed[-1] if filed else None
        child = request.child
        return [
            request.pk,
            child.name,
            identity(child),
            child.village.township.name,
            child.village.name,
            request.get_kind_display(),
            request.get_reason_display(),
            request.reason_detail,
            request.start_date,
            request.end_date,
            request.school.name if request.school else "",
            request.get_status_display(),
            person_name(request.registered_by),
            _local(request.registered_at),
            person_name(approval.actor) if approval else "",
            _local(approval.at) if approval else None,
            person_name(filing.actor) if filing else "",
            _local(filing.at) if filing else None,
            "；".join(_step_text(step) for step in steps),
        ]

    return ledger_export("缓学休学申请台账", EXEMPTION_COLUMNS, rows, row)


# --- 缺课报告台账 ----------------------------------------------------------------------------

ABSENCE_COLUMNS = [
    ("序号", 6),
    ("姓名", 10),
    ("身份证号", 21),
    ("乡镇", 12),
    ("村（社区）", 12),
    ("学校", 20),
    ("缺课起始日期", 12),
    ("已知原因", 20),
    ("联系家长人", 10),
    ("报告人", 10),
    ("报告时间", 18),
    ("返校日期", 12),
    ("缺课天数", 8),
    ("当前状态", 12),
]


def export_absences(user, params: dict) -> Export:
    rows = filtered(
        AbsenceFilter,
        params,
        AbsenceReport.objects.for_user(user)
        .select_related("child__village__township", "school", "reported_by")
        .order_by("first_absent_on", "pk"),
    )
    identity = child_identity(user)
    today = timezone.localdate()

    def row(absence) -> list:
        child = absence.child
        until = absence.returned_on or today
        return [
            child.name,
            identity(child),
            child.village.township.name,
            child.village.name,
            absence.school.name,
            absence.first_absent_on,
            absence.reason_known,
            absence.called_home_by,
            person_name(absence.reported_by),
            _local(absence.reported_at),
            absence.returned_on,
            (until - absence.first_absent_on).days,
            child.get_status_display(),
        ]

    return ledger_export("缺课报告台账", ABSENCE_COLUMNS, rows, row)


# --- the ledgers page ------------------------------------------------------------------------


@dataclass(frozen=True)
class Ledger:
    """One ledger of the ledgers page: its exporter, its filters, the scoped rows it counts
    and the date its range applies to."""

    name: str
    label: Promise
    exporter: str
    filter_class: type
    rows: Callable[..., QuerySet]
    date_basis: Promise
    params: dict | None = None  # fixed parameters of the exporter besides the filters


LEDGERS = {
    ledger.name: ledger
    for ledger in (
        Ledger(
            "cases",
            _("Dropout case ledger"),
            "dropout_cases",
            CaseFilter,
            lambda user: DropoutCase.objects.for_user(user),
            _("date the case was opened"),
            {"queue": "all"},
        ),
        Ledger(
            "persuasions",
            _("Persuasion ledger"),
            "dropout_persuasions",
            PersuasionFilter,
            persuasions_for,
            _("date of the persuasion"),
        ),
        Ledger(
            "documents",
            _("Notices and penalty decisions with their service"),
            "dropout_documents",
            DocumentFilter,
            lambda user: OfficialDocument.objects.for_user(user),
            _("date of issue"),
        ),
        Ledger(
            "measures",
            _("Further measures"),
            "dropout_measures",
            MeasureFilter,
            measures_for,
            _("date of the measure"),
        ),
        Ledger(
            "exemptions",
            _("Exemption requests with each approval step"),
            "dropout_exemptions",
            ExemptionFilter,
            lambda user: ExemptionRequest.objects.for_user(user),
            _("date of registration"),
        ),
        Ledger(
            "absences",
            _("Absence reports"),
            "dropout_absences",
            AbsenceFilter,
            lambda user: AbsenceReport.objects.for_user(user),
            _("first day of absence"),
        ),
        Ledger(
            "visits",
            _("Household visits"),
            "enrollment_visits",
            VisitFilter,
            lambda user: HouseholdVisit.objects.for_user(user),
            _("date of the visit"),
        ),
        Ledger(
            "pairings",
            _("Help pairings"),
            "enrollment_pairings",
            PairingFilter,
            lambda user: HelpPairing.objects.for_user(user),
            _("start of the pairing"),
        ),
        Ledger(
            "register",
            _("Register of numbered documents"),
            "dropout_register",
            RegisterFilter,
            register_documents,
            _("numbering years the range touches, whole"),
        ),
    )
}

EXPORTERS = {
    "dropout_persuasions": export_persuasions,
    "dropout_documents": export_documents,
    "dropout_measures": export_measures,
    "dropout_exemptions": export_exemptions,
    "dropout_absences": export_absences,
    "dropout_register": export_register,
}


def ledger_title(ledger: Ledger, query) -> str:
    """The job's title, in Chinese like the workbook: the ledger and its date range."""
    with override("zh-hans"):
        label = str(ledger.label)
    start, end = query.get("date_from") or "", query.get("date_to") or ""
    span = f"（{start}至{end}）" if start or end else timezone.localdate().isoformat()
    return f"{label}{span}"
