"""The one Excel writer every ledger export uses, and the registry of exporters.

An exporter is a function `(user, params) -> Export` registered under a name by the app that owns
the data (in its AppConfig.ready); it reads only through for_user(). This module knows no domain.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

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
    """Stream the rows into a write-only workbook with a bold header row; returns rows written."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=export.title[:31])
    for index, column in enumerate(export.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    header_font, header_fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    headers = []
    for column in export.columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font, cell.fill = header_font, header_fill
        headers.append(cell)
    sheet.append(headers)
    written = 0
    for row in _cells(sheet, export.rows):
        sheet.append(row)
        written += 1
        if progress and written % every == 0:
            progress(written)
    workbook.save(path)
    return written


def _cells(sheet, rows: Iterable[list[Any]]) -> Iterator[list[Any]]:
    for row in rows:
        cells = []
        for value in row:
            value = neutralise(value)
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # never a formula, whatever the text
                cells.append(cell)
            else:
                cells.append(value)
        yield cells
