"""The one Excel writer every ledger export uses, and the registry of exporters.

An exporter is a function `(user, params) -> Export` registered under a name by the app that owns
the data (in its AppConfig.ready); it reads only through for_user(). This module knows no domain.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import xlsxwriter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Column:
    header: str
    width: int = 14


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
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_xlsx(
    path, export: Export, *, progress: Callable[[int], None] | None = None, every: int = 1000
) -> int:
    """Stream the rows into the workbook with a bold, frozen header row; returns rows written.

    xlsxwriter in constant-memory mode: each row goes to disk as it is written (flat memory
    whatever the size), text is always written as text (strings_to_formulas off, and formula-
    like text neutralised), dates get a date format.
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
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for index, column in enumerate(export.columns):
        sheet.set_column(index, index, column_width(column))
        sheet.write_string(0, index, column.header, header)
    sheet.freeze_panes(1, 0)
    written = 0
    for written, row in enumerate(export.rows, start=1):
        for index, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                sheet.write_string(written, index, neutralise(value))
            elif isinstance(value, datetime.date):
                sheet.write_datetime(written, index, value, date)
            else:
                sheet.write(written, index, value)
        if progress and written % every == 0:
            progress(written)
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
