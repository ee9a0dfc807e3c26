"""Locked periods (审核锁定): what an approved report keeps and how a later report shows what
changed in a locked period since. Domain-free: the apps bring their figures and their sheets.

- `rows_checksum(rows)`: a SHA-256 over rows of cell values, the same for the values a report
  wrote and for the cells openpyxl reads back from its workbook (dates, datetimes, ints, floats
  and Decimals are written in one canonical form; None and "" are the empty cell; trailing empty
  cells and wholly empty rows carry no data and are left out). An auditor recomputes it from
  the sheet and compares it with the cover sheet.
- `flatten_figures(figures)` and `figure_differences(approved, current)`: the approved figures
  against the same period recomputed now, key by key (dotted keys for nested figures);
  `difference(approved, current)` of one figure.
- `add_cover_sheet(workbook)` (first, before any other sheet) and
  `write_cover_sheet(workbook, title=…, lines=…, sheets=…)` (last, when the sheets' rows are
  known): the workbook's first sheet, naming the report, its approval, and each sheet's row
  count and checksum.
- `RecordedSheet`: writes a worksheet's cells through `core.exports.CellWriter` and keeps the
  values written, so that the cover's counts and checksums are computed from exactly what
  the sheet holds.
"""

import datetime
import hashlib
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from numbers import Number

from django.utils import timezone

from .exports import CellWriter

COVER_SHEET = "封面"


# --- checksums -------------------------------------------------------------------------------


def _number_text(value) -> str:
    """1, 1.0 and Decimal("1.00") are one number: the shortest plain decimal text."""
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError):
        return str(value)
    if number.is_nan() or number.is_infinite():
        return str(number)
    if number == 0:
        return "0"
    return format(number.normalize(), "f")


def canonical_cell(value) -> str:
    """One cell's value as text, whichever Python type carried it (the database's or
    openpyxl's): a date is ISO (a datetime at midnight, as Excel gives a date back, is that
    date), a datetime local and to the second, a number its plain decimal text, None ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.make_naive(value)
        # Excel keeps times as fractions of a day: round to the second before comparing.
        value = (value + datetime.timedelta(microseconds=500_000)).replace(microsecond=0)
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, Number | Decimal):
        return _number_text(value)
    return str(value)


def canonical_rows(rows: Iterable[Sequence]) -> list[list[str]]:
    """The rows as canonical text, trailing empty cells dropped and empty rows left out."""
    result = []
    for row in rows:
        cells = [canonical_cell(value) for value in row]
        while cells and cells[-1] == "":
            cells.pop()
        if cells:
            result.append(cells)
    return result


def rows_checksum(rows: Iterable[Sequence]) -> str:
    """SHA-256 (hex) of the rows' canonical text: each row a JSON array on its own line."""
    digest = hashlib.sha256()
    for cells in canonical_rows(rows):
        digest.update(json.dumps(cells, ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


# --- figures ---------------------------------------------------------------------------------


def _is_figure(value) -> bool:
    return value is None or (isinstance(value, Number | Decimal) and not isinstance(value, bool))


def flatten_figures(figures: dict, *, prefix: str = "") -> dict:
    """{"totals": {"new": 3}} → {"totals.new": 3}: numbers (and None, "not computable") only;
    text, lists and flags are not figures and are left out."""
    flat = {}
    for key, value in figures.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten_figures(value, prefix=f"{name}."))
        elif _is_figure(value):
            flat[name] = value
    return flat


def difference(approved, current):
    """current − approved for two figures (an int for ints, a Decimal when either is one, a
    float otherwise, computed in decimal so that 92.31 − 92.3 is 0.01); None when either is
    None."""
    if approved is None or current is None:
        return None
    if isinstance(approved, int) and isinstance(current, int):
        return current - approved
    delta = Decimal(_number_text(current)) - Decimal(_number_text(approved))
    if isinstance(approved, Decimal) or isinstance(current, Decimal):
        return delta
    return float(delta)


def figure_differences(approved: dict, current: dict) -> list[dict]:
    """The keys of two flat dicts of figures whose value changed, in the approved dict's order
    then the new keys: {key, approved, current, difference} (difference None when either side
    is None or missing). Equal numbers of different types (1 and 1.0) are no change."""
    differences = []
    for key in [*approved, *(key for key in current if key not in approved)]:
        before, after = approved.get(key), current.get(key)
        if canonical_cell(before) == canonical_cell(after) and (before is None) == (after is None):
            continue
        differences.append(
            {
                "key": key,
                "approved": before,
                "current": after,
                "difference": difference(before, after),
            }
        )
    return differences


# --- the workbook's sheets and its cover -----------------------------------------------------


class RecordedSheet:
    """A worksheet whose cells are written through CellWriter (text as typed and never a
    formula, real dates, money) while the values are kept: `rows(first_row)` gives the rows
    from `first_row` (0-based) down, as the sheet holds them, for the cover's checksum."""

    def __init__(self, worksheet, cells: CellWriter):
        self.sheet = worksheet
        self.cells = cells
        self._values: dict[int, dict[int, object]] = {}

    @property
    def name(self) -> str:
        return self.sheet.get_name()

    def write(self, row: int, column: int, value, cell_format=None, *, wrap=False) -> None:
        """A value with the sheet's own format (a header, bold) or CellWriter's for its type."""
        if value is None or value == "":
            return
        if cell_format is not None and isinstance(value, str):
            self.sheet.write_string(row, column, value, cell_format)
        elif (
            cell_format is not None
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        ):
            self.sheet.write_number(row, column, value, cell_format)
        else:
            self.cells.write(self.sheet, row, column, value, wrap=wrap)
        self._values.setdefault(row, {})[column] = value

    def rows(self, first_row: int = 0) -> list[tuple]:
        if not self._values:
            return []
        width = max(max(columns) for columns in self._values.values()) + 1
        return [
            tuple(self._values.get(row, {}).get(column) for column in range(width))
            for row in range(first_row, max(self._values) + 1)
        ]

    def summary(self, first_row: int = 0) -> tuple[str, int, int, str]:
        """(sheet name, first data row as Excel numbers it, row count, checksum) for the cover:
        the data rows are the non-empty rows from `first_row` (0-based) on."""
        rows = self.rows(first_row)
        return self.name, first_row + 1, len(canonical_rows(rows)), rows_checksum(rows)


def add_cover_sheet(workbook):
    """Reserve the workbook's first sheet for the cover (call before adding any other)."""
    if workbook.worksheets():
        raise ValueError("The cover must be the workbook's first sheet.")
    return workbook.add_worksheet(COVER_SHEET)


def write_cover_sheet(workbook, *, title: str, lines: list[tuple], sheets: list[tuple]) -> None:
    """Fill the cover reserved by `add_cover_sheet`: the title, `lines` of (label, value) — the
    report, its scope and period, when it was made, who approved it — and a table of the
    other sheets: `sheets` as (name, row count, checksum) or (name, first data row, row count,
    checksum), e.g. `RecordedSheet.summary()`."""
    cover = workbook.get_worksheet_by_name(COVER_SHEET)
    if cover is None or workbook.worksheets()[0] is not cover:
        raise ValueError("Call add_cover_sheet() before adding the other sheets.")
    cells = CellWriter(workbook)
    bold = workbook.add_format({"bold": True})
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    cover.set_column(0, 0, 24)
    cover.set_column(1, 1, 14)
    cover.set_column(2, 2, 12)
    cover.set_column(3, 3, 68)
    cover.write_string(0, 0, title, workbook.add_format({"bold": True, "font_size": 14}))
    row = 2
    for label, value in lines:
        cover.write_string(row, 0, str(label), bold)
        cells.write(cover, row, 1, value if value not in (None, "") else "—")
        row += 1
    row += 1
    for column, text in enumerate(("工作表", "数据起始行", "数据行数", "校验值（SHA-256）")):
        cover.write_string(row, column, text, header)
    for entry in sheets:
        name, first_row, count, checksum = (
            entry if len(entry) == 4 else (entry[0], None, entry[1], entry[2])
        )
        row += 1
        cells.write(cover, row, 0, name)
        if first_row is not None:
            cover.write_number(row, 1, first_row)
        cover.write_number(row, 2, count)
        cover.write_string(row, 3, checksum)
    row += 2
    cover.write_string(
        row,
        0,
        "校验方法：自数据起始行起逐行读取各表的非空行，单元格值按规范文本（日期为YYYY-MM-DD，"
        "数值去除多余的零，空单元格为空文本，去除行尾空单元格）组成JSON数组，每行一行，"
        "计算SHA-256。",
    )
