"""core.periods: checksums that survive a round trip through the workbook, figure differences,
and the cover sheet as the workbook's first sheet."""

import datetime
import io
from decimal import Decimal

import pytest
import xlsxwriter
from openpyxl import load_workbook

from core.exports import CellWriter
from core.periods import (
    COVER_SHEET,
    RecordedSheet,
    add_cover_sheet,
    canonical_cell,
    difference,
    figure_differences,
    flatten_figures,
    rows_checksum,
    write_cover_sheet,
)

ROWS = [
    ("一镇", 12, Decimal("1234.50"), datetime.date(2026, 3, 5), None, 92.31, "=1+1"),
    ("二镇", 0, Decimal("0.00"), datetime.date(2026, 3, 31), "王小一\n李四", 100.0, ""),
    ("合计", 12, Decimal("1234.5"), None, "", None, "@x"),
]


def _workbook(rows) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    add_cover_sheet(workbook)
    sheet = RecordedSheet(workbook.add_worksheet("数据"), CellWriter(workbook))
    for column, text in enumerate(("乡镇", "人数", "金额", "日期", "备注", "比率", "文字")):
        sheet.write(0, column, text, workbook.add_format({"bold": True}))
    for index, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            sheet.write(index, column, value)
    write_cover_sheet(
        workbook,
        title="测试报告",
        lines=[("范围", "测试县"), ("审核人", None)],
        sheets=[sheet.summary(first_row=1)],
    )
    workbook.close()
    return buffer.getvalue()


def test_the_same_rows_give_the_same_checksum_from_python_or_read_back_from_the_workbook():
    book = load_workbook(io.BytesIO(_workbook(ROWS)))
    read_back = list(book["数据"].iter_rows(min_row=2, values_only=True))
    # openpyxl gives other types back: datetimes for dates, floats and ints for Decimals.
    assert isinstance(read_back[0][3], datetime.datetime)
    assert not isinstance(read_back[0][2], Decimal)
    assert rows_checksum(read_back) == rows_checksum(ROWS)
    assert len(rows_checksum(ROWS)) == 64


def test_a_changed_cell_or_row_order_changes_the_checksum():
    changed = [ROWS[0], (*ROWS[1][:1], 1, *ROWS[1][2:]), ROWS[2]]
    assert rows_checksum(changed) != rows_checksum(ROWS)
    assert rows_checksum([ROWS[1], ROWS[0], ROWS[2]]) != rows_checksum(ROWS)
    assert rows_checksum([("a", "b")]) != rows_checksum([("a b",)])  # cells stay apart


def test_canonical_cells_equal_across_types():
    assert canonical_cell(None) == canonical_cell("") == ""
    assert canonical_cell(5) == canonical_cell(5.0) == canonical_cell(Decimal("5.00")) == "5"
    assert canonical_cell(100) == "100" and canonical_cell(Decimal("1E+2")) == "100"
    assert canonical_cell(92.31) == canonical_cell(Decimal("92.310")) == "92.31"
    assert canonical_cell(datetime.date(2026, 3, 5)) == "2026-03-05"
    assert canonical_cell(datetime.datetime(2026, 3, 5)) == "2026-03-05"
    assert canonical_cell(datetime.datetime(2026, 3, 5, 8, 30, 0, 999_999)) == "2026-03-05 08:30:01"
    # Trailing empty cells and empty rows are no data.
    assert rows_checksum([("a", None, ""), (None,), ()]) == rows_checksum([("a",)])


def test_the_cover_is_the_first_sheet_and_its_counts_and_checksums_match_the_sheet():
    book = load_workbook(io.BytesIO(_workbook(ROWS)))
    assert book.sheetnames == [COVER_SHEET, "数据"]
    cover = book[COVER_SHEET]
    assert cover["A1"].value == "测试报告"
    assert (cover["A3"].value, cover["B3"].value) == ("范围", "测试县")
    assert (cover["A4"].value, cover["B4"].value) == ("审核人", "—")
    header_row = next(
        row for row in range(1, 20) if cover.cell(row=row, column=1).value == "工作表"
    )
    name, first_row, count, checksum = (
        cover.cell(row=header_row + 1, column=column).value for column in range(1, 5)
    )
    assert (name, first_row, count) == ("数据", 2, 3)
    sheet_rows = list(book[name].iter_rows(min_row=first_row, values_only=True))
    assert checksum == rows_checksum(sheet_rows) == rows_checksum(ROWS)
    # Formula-like text is written as text, never as a formula.
    assert book["数据"]["G2"].value == "=1+1" and book["数据"]["G2"].data_type == "s"


def test_the_cover_must_be_reserved_first():
    workbook = xlsxwriter.Workbook(io.BytesIO(), {"in_memory": True})
    workbook.add_worksheet("数据")
    with pytest.raises(ValueError):
        add_cover_sheet(workbook)
    with pytest.raises(ValueError):
        write_cover_sheet(workbook, title="x", lines=[], sheets=[])
    workbook.close()


def test_flatten_figures_keeps_numbers_under_dotted_keys():
    figures = {
        "month": "2026-03",
        "totals": {"new": 3, "rate": None, "amount": Decimal("1.50")},
        "breakdown": {"510301": {"new": 2}},
        "outstanding": [{"name": "王小一"}],
        "flag": True,
    }
    assert flatten_figures(figures) == {
        "totals.new": 3,
        "totals.rate": None,
        "totals.amount": Decimal("1.50"),
        "breakdown.510301.new": 2,
    }


def test_figure_differences_lists_only_changed_keys_with_the_difference():
    approved = {"a": 5, "b": 2, "rate": 92.3, "same": 1, "gone": 4, "none": None}
    current = {"a": 6, "b": 2, "rate": 92.31, "same": 1.0, "new": 1, "none": None}
    assert figure_differences(approved, current) == [
        {"key": "a", "approved": 5, "current": 6, "difference": 1},
        {"key": "rate", "approved": 92.3, "current": 92.31, "difference": 0.01},
        {"key": "gone", "approved": 4, "current": None, "difference": None},
        {"key": "new", "approved": None, "current": 1, "difference": None},
    ]
    assert figure_differences(approved, approved) == []
    assert difference(Decimal("10.00"), Decimal("12.50")) == Decimal("2.50")
    assert difference(3, 1) == -2
