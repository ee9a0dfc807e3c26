"""The monthly report's workbook: a summary sheet, a sheet per township (or per village in a
township's report) and the named list, written from the stored figures in Chinese."""

import datetime
import io

import xlsxwriter
from django.utils import translation

from core.exports import CellWriter

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
    with translation.override("zh-hans"):
        return _build(figures)


def _build(figures: dict) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    title = workbook.add_format({"bold": True, "font_size": 14})
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    bold = workbook.add_format({"bold": True})
    cells = CellWriter(workbook)
    heading = f"{figures['scope_name']}{figures['month']}失辍学儿童月报告"

    summary = workbook.add_worksheet("汇总")
    summary.set_column(0, 0, 34)
    summary.set_column(1, 3, 14)
    summary.write_string(0, 0, heading, title)
    summary.write_string(1, 0, f"统计截至 {figures['as_of']}")
    summary.write_string(3, 0, "指标", header)
    summary.write_string(3, 1, "数值", header)
    row = 4
    for key, label in COUNT_FIELDS:
        summary.write_string(row, 0, str(label))
        value = figures["totals"].get(key)
        if value is not None:
            summary.write_number(row, 1, value)
        row += 1
    for caption, items, labels in (
        ("失学儿童按原因", figures["by_reason"], None),
        ("失学儿童按重点群体", figures["by_focus"], dict(FOCUS_FLAGS)),
        ("失学儿童按学段", figures["by_stage"], dict(STAGES)),
    ):
        row += 1
        summary.write_string(row, 0, caption, bold)
        row += 1
        for item in items:
            label = cause_label(item["key"]) if labels is None else str(labels[item["key"]])
            summary.write_string(row, 0, label)
            summary.write_number(row, 1, item["count"])
            row += 1
    row += 1
    summary.write_string(row, 0, "逾期未复学的限期复学通知书", bold)
    row += 1
    for column, text in enumerate(("文号", "学生", "期限", "逾期天数")):
        summary.write_string(row, column, text, header)
    for notice in figures["overdue_notices"]:
        row += 1
        summary.write_string(row, 0, notice["number"])
        cells.write(summary, row, 1, notice["child"])
        cells.write(summary, row, 2, _date(notice["deadline"]))
        summary.write_number(row, 3, notice["days_overdue"])
    row += 2
    summary.write_string(row, 0, "下月到期的缓学、休学等", bold)
    row += 1
    kinds = dict(ExemptionRequest.Kind.choices)
    for column, text in enumerate(("学生", "类别", "到期日期")):
        summary.write_string(row, column, text, header)
    for item in figures["exemptions_ending"]:
        row += 1
        cells.write(summary, row, 0, item["child"])
        summary.write_string(row, 1, str(kinds.get(item["kind"], item["kind"])))
        cells.write(summary, row, 2, _date(item["end_date"]))
    summary.autofilter(3, 0, 3 + len(COUNT_FIELDS), 1)  # the indicators' table

    place = "乡镇" if figures["kind"] == "county" else "村（社区）"
    breakdown = workbook.add_worksheet(f"分{place}"[:31])
    breakdown.freeze_panes(1, 1)
    breakdown.set_column(0, 0, 16)
    breakdown.set_column(1, len(COUNT_FIELDS), 12)
    breakdown.set_row(0, 48)
    breakdown.write_string(0, 0, place, header)
    header_wrap = workbook.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}
    )
    for column, (_key, label) in enumerate(COUNT_FIELDS, start=1):
        breakdown.write_string(0, column, str(label), header_wrap)
    rows = [*figures["breakdown"], {"name": "合计", **figures["totals"]}]
    for index, item in enumerate(rows, start=1):
        breakdown.write_string(index, 0, item["name"], bold if item["name"] == "合计" else None)
        for column, (key, _label) in enumerate(COUNT_FIELDS, start=1):
            if item.get(key) is not None:
                breakdown.write_number(index, column, item[key])
    breakdown.autofilter(0, 0, len(rows), len(COUNT_FIELDS))

    named = workbook.add_worksheet("失学儿童名单")
    named.freeze_panes(1, 0)
    named.write_string(0, 0, "序号", header)
    named.set_column(0, 0, 6)
    for column, (_key, text, width) in enumerate(NAMED_COLUMNS, start=1):
        named.set_column(column, column, width)
        named.write_string(0, column, text, header)
    for index, item in enumerate(figures["outstanding"], start=1):
        named.write_number(index, 0, index)
        for column, (key, _text, _width) in enumerate(NAMED_COLUMNS, start=1):
            value = item[key]
            if key == "cause":
                value = cause_label(value)
            if key == "out_since":
                value = _date(value)
            cells.write(named, index, column, value, wrap=True)
    named.autofilter(0, 0, len(figures["outstanding"]), len(NAMED_COLUMNS))
    workbook.close()
    return buffer.getvalue()
