"""The monthly report's workbook: the auditor's cover (the report, its approval, each sheet's
row count and checksum), a summary sheet, a sheet per township (or per village in a township's
report), the named list and the post-lock adjustments, written from the stored figures in
Chinese. Written when the report is generated (and once more when it is approved, from the
same stored figures); an approved report's workbook is never rebuilt."""

import datetime
import io

import xlsxwriter
from django.utils import translation

from core.exports import CellWriter
from core.periods import RecordedSheet, add_cover_sheet, write_cover_sheet

from .models import DropoutCase, ExemptionRequest
from .reports import COUNT_FIELDS, FOCUS_FLAGS, STAGES, UNRECORDED_CAUSE


def cause_label(key: str) -> str:
    if key == UNRECORDED_CAUSE:
        return str(translation.gettext("Reason not yet recorded"))
    return str(dict(DropoutCase.Cause.choices).get(key, key))


NAMED_COLUMNS = (
    ("township", "乡镇", 12),
    ("village", "村（社区）", 14),
    ("name", "姓名", 10),
    ("sex", "性别", 6),
    ("resident_id", "公民身份号码", 21),
    ("age", "年龄", 6),
    ("out_since", "失学日期", 12),
    ("cause", "失学原因", 16),
    ("guardian", "监护人", 16),
    ("responsible", "包保责任人", 40),
)


def _date(value):
    """The stored figures keep dates as ISO text; the workbook shows them as Excel dates."""
    try:
        return datetime.date.fromisoformat(value) if value else value
    except (TypeError, ValueError):
        return value


def build_workbook(figures: dict) -> bytes:
    """The workbook of a report: its stored `figures`, plus (when given) `report` — the cover's
    `generated_at`, `approved_by` (a name) and `approved_at` — and the `adjustments` it lists."""
    with translation.override("zh-hans"):
        return _build(figures)


def _build(figures: dict) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    add_cover_sheet(workbook)  # first; filled once the other sheets' rows are known
    title = workbook.add_format({"bold": True, "font_size": 14})
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    bold = workbook.add_format({"bold": True})
    cells = CellWriter(workbook)
    heading = f"{figures['scope_name']}{figures['month']}失辍学儿童月报告"

    summary = RecordedSheet(workbook.add_worksheet("汇总"), cells)
    summary.sheet.set_column(0, 0, 34)
    summary.sheet.set_column(1, 3, 14)
    summary.write(0, 0, heading, title)
    summary.write(1, 0, f"统计截至 {figures['as_of']}")
    summary.write(3, 0, "指标", header)
    summary.write(3, 1, "数值", header)
    row = 4
    for key, label in COUNT_FIELDS:
        summary.write(row, 0, str(label))
        summary.write(row, 1, figures["totals"].get(key))
        row += 1
    for caption, items, labels in (
        ("失学儿童按原因", figures["by_reason"], None),
        ("失学儿童按重点群体", figures["by_focus"], dict(FOCUS_FLAGS)),
        ("失学儿童按学段", figures["by_stage"], dict(STAGES)),
    ):
        row += 1
        summary.write(row, 0, caption, bold)
        row += 1
        for item in items:
            label = cause_label(item["key"]) if labels is None else str(labels[item["key"]])
            summary.write(row, 0, label)
            summary.write(row, 1, item["count"])
            row += 1
    lines = figures.get("lines") or []  # the other apps' lines (dropout.extensions)
    if lines:
        row += 1
        summary.write(row, 0, "其他工作情况", bold)
        for line in lines:
            row += 1
            summary.write(row, 0, line["text"])
    row += 1
    summary.write(row, 0, "逾期未复学的限期复学通知书", bold)
    row += 1
    for column, text in enumerate(("文号", "学生", "期限", "逾期天数")):
        summary.write(row, column, text, header)
    for notice in figures["overdue_notices"]:
        row += 1
        summary.write(row, 0, notice["number"])
        summary.write(row, 1, notice["child"])
        summary.write(row, 2, _date(notice["deadline"]))
        summary.write(row, 3, notice["days_overdue"])
    row += 2
    summary.write(row, 0, "下月到期的缓学、休学等", bold)
    row += 1
    kinds = dict(ExemptionRequest.Kind.choices)
    for column, text in enumerate(("学生", "类别", "到期日期")):
        summary.write(row, column, text, header)
    for item in figures["exemptions_ending"]:
        row += 1
        summary.write(row, 0, item["child"])
        summary.write(row, 1, str(kinds.get(item["kind"], item["kind"])))
        summary.write(row, 2, _date(item["end_date"]))
    summary.sheet.autofilter(3, 0, 3 + len(COUNT_FIELDS), 1)  # the indicators' table

    place = "乡镇" if figures["kind"] == "county" else "村（社区）"
    breakdown = RecordedSheet(workbook.add_worksheet(f"分{place}"[:31]), cells)
    breakdown.sheet.freeze_panes(1, 1)
    breakdown.sheet.set_column(0, 0, 16)
    breakdown.sheet.set_column(1, len(COUNT_FIELDS), 12)
    breakdown.sheet.set_row(0, 48)
    breakdown.write(0, 0, place, header)
    header_wrap = workbook.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}
    )
    for column, (_key, label) in enumerate(COUNT_FIELDS, start=1):
        breakdown.write(0, column, str(label), header_wrap)
    rows = [*figures["breakdown"], {"name": "合计", **figures["totals"]}]
    for index, item in enumerate(rows, start=1):
        breakdown.write(index, 0, item["name"], bold if item["name"] == "合计" else None)
        for column, (key, _label) in enumerate(COUNT_FIELDS, start=1):
            breakdown.write(index, column, item.get(key))
    breakdown.sheet.autofilter(0, 0, len(rows), len(COUNT_FIELDS))

    named = RecordedSheet(workbook.add_worksheet("失学儿童名单"), cells)
    named.sheet.freeze_panes(1, 0)
    named.write(0, 0, "序号", header)
    named.sheet.set_column(0, 0, 6)
    for column, (_key, text, width) in enumerate(NAMED_COLUMNS, start=1):
        named.sheet.set_column(column, column, width)
        named.write(0, column, text, header)
    for index, item in enumerate(figures["outstanding"], start=1):
        named.write(index, 0, index)
        for column, (key, _text, _width) in enumerate(NAMED_COLUMNS, start=1):
            value = item[key]
            if key == "cause":
                value = cause_label(value)
            if key == "out_since":
                value = _date(value)
            named.write(index, column, value, wrap=True)
    named.sheet.autofilter(0, 0, len(figures["outstanding"]), len(NAMED_COLUMNS))

    adjustments = RecordedSheet(workbook.add_worksheet(ADJUSTMENTS_SHEET), cells)
    adjustments.sheet.freeze_panes(1, 0)
    for column, (text, width) in enumerate(ADJUSTMENT_COLUMNS):
        adjustments.sheet.set_column(column, column, width)
        adjustments.write(0, column, text, header)
    listed = figures.get("adjustments") or []
    for index, item in enumerate(listed, start=1):
        for column, value in enumerate(adjustment_row(item)):
            adjustments.write(index, column, value)
    adjustments.sheet.autofilter(0, 0, len(listed), len(ADJUSTMENT_COLUMNS) - 1)

    report = figures.get("report") or {}
    write_cover_sheet(
        workbook,
        title=f"{heading}（审计用工作簿）",
        lines=[
            ("报告", f"{figures['month']}失辍学儿童月报告"),
            ("范围", f"{figures['scope_name']}（{figures['scope_code']}）"),
            ("月份", figures["month"]),
            ("统计截至", _date(figures["as_of"])),
            ("生成时间", report.get("generated_at")),
            ("审核人", report.get("approved_by") or "未审核"),
            ("审核时间", report.get("approved_at")),
            ("锁定后调整", f"{len(listed)}项"),
        ],
        sheets=[
            summary.summary(first_row=3),
            breakdown.summary(first_row=1),
            named.summary(first_row=1),
            adjustments.summary(first_row=1),
        ],
    )
    workbook.close()
    return buffer.getvalue()


ADJUSTMENTS_SHEET = "锁定后调整"
ADJUSTMENT_COLUMNS = (
    ("所属月份", 10),
    ("指标", 44),
    ("指标代码", 30),
    ("审核锁定值", 12),
    ("重新计算值", 12),
    ("差额", 10),
)


def adjustment_row(item: dict) -> tuple:
    """One listed adjustment as the sheet (and the page) shows it."""
    return (
        item["month"],
        item["label"],
        item["key"],
        item["approved"],
        item["current"],
        item["difference"],
    )
