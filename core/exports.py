"""The one Excel writer every ledger export uses, and the registry of exporters.

An exporter is a function `(user, params) -> Export` registered under a name by the app that owns
the data (in its AppConfig.ready); it reads only through for_user(). This module knows no domain.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.utils import timezone

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Column:
    header: str
    width: int = 14


# The columns a register of people starts with, in every ledger that lists people.
PERSON_COLUMNS = (
    Column("序号", 6),
    Column("姓名", 10),
    Column("性别", 6),
    Column("出生日期", 12),
    Column("身份证号", 21),
)


@dataclass
class Export:
    title: str
    columns: list[Column]
    rows: Iterable[list[Any]]
    total: int


_EXPORTERS: dict[str, Callable[..., Export]] = {}


def register_exporter(name: str, function: Callable[..., Export]) -> None:
    _EXPORTERS[name] = function


def get_exporter(name: str) -> Callable[..., Export]:
    return _EXPORTERS[name]


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (OWASP), for
    formats without cell styles (CSV); workbooks use CellWriter's quote prefix instead."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class CellWriter:
    """How every workbook writes a value: text as typed (text that a spreadsheet would run as a
    formula carries the cell's quote-prefix style, so Excel shows it as typed and never runs
    it: no visible apostrophe), dates and times as real Excel dates, money with two decimals
    and thousands separators, other numbers as numbers."""

    def __init__(self, workbook):
        self.date = workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.money = workbook.add_format({"num_format": "#,##0.00"})
        self.text = {
            (False, False): None,
            (False, True): workbook.add_format({"quote_prefix": True}),
            (True, False): workbook.add_format({"text_wrap": True, "valign": "top"}),
            (True, True): workbook.add_format(
                {"text_wrap": True, "valign": "top", "quote_prefix": True}
            ),
        }

    def write(self, sheet, row: int, column: int, value: Any, *, wrap: bool = False) -> None:
        if value is None or value == "":
            return
        if isinstance(value, str):
            quoted = value.startswith(FORMULA_PREFIXES)
            sheet.write_string(row, column, value, self.text[(wrap, quoted)])
        elif isinstance(value, datetime.datetime):
            if timezone.is_aware(value):
                value = timezone.make_naive(value)  # the local time the page shows
            sheet.write_datetime(row, column, value, self.datetime)
        elif isinstance(value, datetime.date):
            sheet.write_datetime(row, column, value, self.date)
        elif isinstance(value, Decimal):
            sheet.write_number(row, column, value, self.money)
        elif isinstance(value, bool):
            sheet.write_boolean(row, column, value)
        elif isinstance(value, int | float):
            sheet.write_number(row, column, value)
        else:
            self.write(sheet, row, column, str(value), wrap=wrap)


def write_xlsx(
    path, export: Export, *, progress: Callable[[int], None] | None = None, every: int = 1000
) -> int:
    """Stream the rows into the workbook with a bold, frozen header row; returns rows written.

    xlsxwriter in constant-memory mode: each row goes to disk as it is written (flat memory
    whatever the size), every value through CellWriter; an autofilter on the header row.
    """
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = workbook.add_worksheet(_sheet_title(export.title))
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    cells = CellWriter(workbook)
    for index, column in enumerate(export.columns):
        sheet.set_column(index, index, column_width(column))
        sheet.write_string(0, index, column.header, header)
    sheet.freeze_panes(1, 0)
    written = 0
    for written, row in enumerate(export.rows, start=1):
        for index, value in enumerate(row):
            cells.write(sheet, written, index, value)
        if progress and written % every == 0:
            progress(written)
    if export.columns:
        sheet.autofilter(0, 0, written, len(export.columns) - 1)
    workbook.close()
    return written


def column_width(column: Column) -> int:
    """The exporter's width, widened to show the whole header (a Chinese character is two
    columns wide in Excel) and capped so that one long column cannot push the rest away."""
    header = sum(2 if ord(character) > 0x2E7F else 1 for character in column.header) + 2
    return min(max(column.width, header), 60)


def _sheet_title(title: str) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\."""
    for character in "[]:*?/\\":
        title = title.replace(character, " ")
    return title[:31] or "Sheet1"
