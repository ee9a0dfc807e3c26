"""The annual summary's workbook, written from the stored snapshot only (so the workbook of an
approved year always reproduces the approved figures): a cover sheet with each sheet's row
count and checksum, the figures, the report's sentences and the post-lock adjustments."""

import io

import xlsxwriter
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.annual import CALENDAR, ON_DAY, SCHOOL_YEAR
from core.exports import CellWriter
from core.periods import RecordedSheet, add_cover_sheet, write_cover_sheet

from .selectors import from_stored

FIGURE_COLUMNS = (
    ("板块", 16),
    ("指标", 40),
    ("数值", 16),
    ("单位", 8),
    ("统计口径", 26),
    ("代码", 28),
)
SENTENCE_COLUMNS = (("板块", 16), ("报告文字", 120))
ADJUSTMENT_COLUMNS = (
    ("年度", 8),
    ("指标", 44),
    ("审核时", 14),
    ("现在", 14),
    ("差额", 14),
    ("代码", 28),
)


def basis_text(basis: str, year: int, counted_on) -> str:
    if basis == SCHOOL_YEAR:
        return _("School year %(first)s–%(last)s") % {"first": year - 1, "last": year}
    if basis == ON_DAY:
        return _("As of %(day)s") % {"day": counted_on.isoformat()}
    if basis == CALENDAR:
        return _("Calendar year %(year)s") % {"year": year}
    return basis


def figure_rows(summary) -> list[list]:
    return [
        [
            section["title"],
            figure["label"],
            from_stored(figure["value"]),
            figure["unit"],
            basis_text(figure["basis"], summary.year, summary.counted_on),
            figure["key"],
        ]
        for section in summary.sections
        for figure in section["figures"]
    ]


def sentence_rows(summary) -> list[list]:
    return [
        [section["title"], sentence]
        for section in summary.sections
        for sentence in section["sentences"]
    ]


def adjustment_rows(summary) -> list[list]:
    return [
        [
            item["year"],
            item["label"],
            from_stored(item["approved"]),
            from_stored(item["current"]),
            from_stored(item["difference"]),
            item["key"],
        ]
        for item in summary.adjustments
    ]


def sheets_of(summary) -> list[tuple[str, tuple, list[list]]]:
    return [
        ("年度工作数据", FIGURE_COLUMNS, figure_rows(summary)),
        ("报告文字", SENTENCE_COLUMNS, sentence_rows(summary)),
        ("锁定后调整", ADJUSTMENT_COLUMNS, adjustment_rows(summary)),
    ]


def build_workbook(summary) -> bytes:
    with translation.override("zh-hans"):
        return _build(summary)


def _build(summary) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    add_cover_sheet(workbook)
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    cells = CellWriter(workbook)
    written = []
    for name, columns, rows in sheets_of(summary):
        sheet = RecordedSheet(workbook.add_worksheet(name), cells)
        for index, (title, width) in enumerate(columns):
            sheet.sheet.set_column(index, index, width)
            sheet.sheet.write_string(0, index, title, header)
        sheet.sheet.freeze_panes(1, 0)
        for row_index, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                sheet.write(row_index, column, value, wrap=column == 1)
        written.append(sheet.summary(first_row=1))
    approved = (
        f"{summary.approved_by.get_full_name() or summary.approved_by.get_username()} "
        f"{timezone.localtime(summary.approved_at):%Y-%m-%d %H:%M}"
        if summary.approved_at and summary.approved_by
        else _("Not yet approved")
    )
    write_cover_sheet(
        workbook,
        title=f"{summary.scope_name}{summary.year}年度教育扶贫工作数据",
        lines=[
            (_("Scope"), summary.scope_name),
            (_("Year"), str(summary.year)),
            (_("Stock figures counted on"), summary.counted_on),
            (_("Generated at"), f"{timezone.localtime(summary.generated_at):%Y-%m-%d %H:%M}"),
            (_("Approval"), approved),
        ],
        sheets=written,
    )
    workbook.close()
    return buffer.getvalue()
