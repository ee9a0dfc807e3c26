"""Reading an uploaded workbook safely: refuse what cannot be trusted before a reader touches it
(`check_workbook`), then read the first sheet's rows under the header row (`read_rows`)."""

from __future__ import annotations

import itertools
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import ParseError

from django.conf import settings
from django.utils.translation import gettext as _

from .cells import display
from .pipeline import CellError, ImportColumn, SheetRow, WorkbookRefused

# Limits (settings may override): a police extract of a whole county is ~10 MB as .xlsx.
MAX_UPLOAD_BYTES = 40 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024  # all members together, as the zip declares them
MAX_COMPRESSION_RATIO = 150  # per member larger than 1 MB; real sheets compress ~10×
MAX_MEMBERS = 2000
MAX_ROWS = 250_000
MAX_CELL_CHARS = 500
HEADER_SEARCH_ROWS = 30
TOTAL_ROW_WORDS = {"合计", "总计", "小计", "共计", "总数"}

_ZIP_MAGIC = b"PK\x03\x04"
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2: legacy .xls or an encrypted .xlsx
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")


def _limit(name: str, default: int) -> int:
    return getattr(settings, f"IMPORT_{name}", default)


# --- safe reading ----------------------------------------------------------------------------


@dataclass
class SheetScan:
    """What the raw XML of the first worksheet says before any reader builds a grid of it."""

    path: str
    last_row: int = 0
    size: int = 0  # of the sheet's XML, as the zip declares it
    formulas: set[tuple[int, int]] = field(default_factory=set)  # (row, column), 1-based


def check_workbook(path, *, filename: str = "") -> SheetScan:
    """Refuse what cannot be trusted before a reader touches it: too large, not a workbook,
    legacy .xls, encrypted, macro-enabled, a zip bomb, XML with a DTD (billion laughs), a sheet
    declaring absurd dimensions. Returns what the scan of the sheet's XML found (formulas)."""
    with open(path, "rb") as handle:
        head = handle.read(8)
        handle.seek(0, 2)
        size = handle.tell()
    max_bytes = _limit("MAX_UPLOAD_BYTES", MAX_UPLOAD_BYTES)
    if size > max_bytes:
        raise WorkbookRefused(
            _("The file is %(size).1f MB; at most %(max).0f MB can be imported.")
            % {"size": size / 1048576, "max": max_bytes / 1048576}
        )
    if filename.lower().endswith((".xlsm", ".xltm", ".xlam")):
        raise WorkbookRefused(
            _(
                "Macro-enabled workbooks (.xlsm) are not accepted: save the file as an ordinary "
                "Excel workbook (.xlsx) and upload that."
            )
        )
    if head.startswith(_CFB_MAGIC):
        with open(path, "rb") as handle:
            content = handle.read()
        if _ENCRYPTION_STREAM in content:
            raise WorkbookRefused(
                _(
                    "The workbook is protected with a password (encrypted), so it cannot be "
                    "read: remove the password in Excel (File → Info → Protect Workbook) and "
                    "upload it again."
                )
            )
        raise WorkbookRefused(
            _(
                "This is an old-format Excel file (.xls): open it in Excel and save it as an "
                "Excel workbook (.xlsx), then upload that."
            )
        )
    if not head.startswith(_ZIP_MAGIC):
        raise WorkbookRefused(_not_a_workbook())
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise WorkbookRefused(_not_a_workbook()) from None
    with archive:
        members = archive.infolist()
        names = {member.filename for member in members}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise WorkbookRefused(_not_a_workbook())
        if len(members) > MAX_MEMBERS:
            raise WorkbookRefused(_bomb())
        declared = sum(member.file_size for member in members)
        if declared > _limit("MAX_UNCOMPRESSED_BYTES", MAX_UNCOMPRESSED_BYTES):
            raise WorkbookRefused(_bomb())
        for member in members:
            if member.file_size > 1048576 and member.file_size > MAX_COMPRESSION_RATIO * max(
                member.compress_size, 1
            ):
                raise WorkbookRefused(_bomb())
        if "xl/vbaProject.bin" in names or b"macroEnabled" in _read_small(
            archive, "[Content_Types].xml"
        ):
            raise WorkbookRefused(
                _(
                    "Macro-enabled workbooks (.xlsm) are not accepted: save the file as an "
                    "ordinary Excel workbook (.xlsx) and upload that."
                )
            )
        for member in members:
            if member.filename.endswith((".xml", ".rels")) and not _is_sheet(member.filename):
                _refuse_dtd(_read_small(archive, member.filename, limit=member.file_size))
        sheet = _first_sheet_path(archive, names)
        return _scan_sheet(archive, sheet)


def _not_a_workbook() -> str:
    return _(
        "This file is not an Excel workbook (.xlsx), whatever its name says: open it in Excel "
        "and save it as an Excel workbook (.xlsx)."
    )


def _bomb() -> str:
    return _(
        "The workbook unpacks to far more data than any real sheet holds (a 'zip bomb'); it "
        "was not read."
    )


def _is_sheet(name: str) -> bool:
    return name.startswith("xl/worksheets/") and name.endswith(".xml")


def _read_small(archive: zipfile.ZipFile, name: str, *, limit: int = 64 * 1048576) -> bytes:
    """Read a member, never more than its declared size (zipfile enforces it and checks CRC)."""
    try:
        with archive.open(name) as stream:
            data = stream.read(limit + 1)
    except KeyError:
        return b""
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError):
        raise WorkbookRefused(_not_a_workbook()) from None
    if len(data) > limit:
        raise WorkbookRefused(_bomb())
    return data


def _refuse_dtd(data: bytes) -> None:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise WorkbookRefused(
            _(
                "The workbook contains XML declarations that Excel never writes (a DTD, used "
                "by 'billion laughs' attacks); it was not read."
            )
        )


def _first_sheet_path(archive: zipfile.ZipFile, names: set[str]) -> str:
    from defusedxml import ElementTree

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    try:
        workbook = ElementTree.fromstring(_read_small(archive, "xl/workbook.xml"))
        relations = ElementTree.fromstring(_read_small(archive, "xl/_rels/workbook.xml.rels"))
    except Exception:  # defusedxml refusals and malformed XML alike
        raise WorkbookRefused(_not_a_workbook()) from None
    sheets = workbook.find(f"{main}sheets")
    first = sheets[0] if sheets is not None and len(sheets) else None
    if first is None:
        raise WorkbookRefused(_("The workbook has no worksheet."))
    relation_id = first.get(f"{rel_ns}id")
    for relation in relations:
        if relation.get("Id") == relation_id:
            target = relation.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            if path in names:
                return path
    raise WorkbookRefused(_not_a_workbook())


_DIMENSION = re.compile(rb'<dimension ref="[A-Z]+\d+(?::([A-Z]+)(\d+))?"')
_LAST_ROW = re.compile(rb'<row [^>]*?r="(\d+)"')
_WIDE_CELL = re.compile(rb'<c r="(?:[A-Z]{3}|[B-Z][A-Z])\d')  # column BA (53) or beyond
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]{1,2})(\d+)"[^>]*?>(?:(?!</c>).){0,200}?<f[ >/]', re.S)


def _scan_sheet(archive: zipfile.ZipFile, name: str) -> SheetScan:
    """Stream the sheet's XML once (bounded by its declared size): refuse a DTD, declared or
    real dimensions beyond the limits, and note the cells holding formulas."""
    scan = SheetScan(path=name, size=archive.getinfo(name).file_size)
    max_rows = _limit("MAX_ROWS", MAX_ROWS)
    carry = b""
    first = True
    try:
        stream = archive.open(name)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
        raise WorkbookRefused(_not_a_workbook()) from None
    with stream:
        while True:
            try:
                chunk = stream.read(4 * 1048576)
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError):
                raise WorkbookRefused(_not_a_workbook()) from None
            data = carry + chunk
            if chunk:
                cut = data.rfind(b"<c ")
                if cut <= 0:
                    cut = max(0, len(data) - 256)
                part, carry = data[:cut], data[cut:]
            else:
                part, carry = data, b""
            if first:
                first = False
                _refuse_dtd(part[:4096])
                dimension = _DIMENSION.search(part[:4096])
                if dimension and dimension.group(2) and int(dimension.group(2)) > max_rows:
                    raise WorkbookRefused(_too_many_rows(int(dimension.group(2)), max_rows))
                if dimension and dimension.group(1) and len(dimension.group(1)) > 2:
                    raise WorkbookRefused(_too_wide())
            if b"<!ENTITY" in part or b"<!DOCTYPE" in part:
                _refuse_dtd(part)
            if _WIDE_CELL.search(part):
                raise WorkbookRefused(_too_wide())
            position = part.rfind(b"<row ")
            if position >= 0:
                last = _LAST_ROW.match(part, position)
                if last:
                    scan.last_row = max(scan.last_row, int(last.group(1)))
                    if scan.last_row > max_rows:
                        raise WorkbookRefused(_too_many_rows(scan.last_row, max_rows))
            if b"<f" in part:
                for match in _FORMULA_CELL.finditer(part):
                    scan.formulas.add((int(match.group(2)), _column_index(match.group(1))))
            if not chunk:
                break
    return scan


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + (letter - 64)
    return index


def _too_many_rows(rows: int, limit: int) -> str:
    return _(
        "The sheet declares %(rows)s rows; at most %(limit)s can be imported at once. Delete the "
        "empty rows below the data (or split the file) and upload it again."
    ) % {"rows": f"{rows:,}", "limit": f"{limit:,}"}


def _too_wide() -> str:
    return _(
        "The sheet uses columns far to the right (beyond column AZ); delete the columns after "
        "the data and upload it again."
    )


def read_grid(path) -> list[list[Any]]:
    """All cells of the first sheet from A1 (python-calamine: ~10× faster than openpyxl)."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        try:
            return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
        finally:
            workbook.close()
    except Exception:  # calamine's own errors: the content is not a readable workbook
        raise WorkbookRefused(_not_a_workbook()) from None


# Sheets whose XML is larger than this are streamed (SheetStream) instead of read whole by
# calamine, which holds every cell twice (in Rust and as Python objects): ~2 KB per row of 11
# columns, 1.1 GB for 150,000 rows of 35. Streaming costs more time per cell.
STREAM_SHEET_BYTES = 32 * 1024 * 1024


def iter_grid(path, scan: SheetScan) -> Iterator[tuple[int, list[Any]]]:
    """(Excel row number, cells from column A) of the first sheet's rows that hold any cell:
    streamed from the XML for a large sheet, from calamine's grid otherwise."""
    if scan.size > _limit("STREAM_SHEET_BYTES", STREAM_SHEET_BYTES):
        from .sheet_stream import SheetStream, UnreadableSheet

        try:
            yield from SheetStream(path, scan.path).rows()
        except (UnreadableSheet, zipfile.BadZipFile, OSError, EOFError, ParseError):
            raise WorkbookRefused(_not_a_workbook()) from None
        return
    for index, cells in enumerate(read_grid(path)):
        yield index + 1, cells


# --- header, rows, normalisers ---------------------------------------------------------------


def header_key(text: Any) -> str:
    """How header cells are compared: NFKC (full-width brackets), no spaces or line breaks."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or "")))


def find_header(
    grid: list[list[Any]], columns: list[ImportColumn]
) -> tuple[int, dict[str, int], list[str]]:
    """The index of the header row (the first row holding every required column name, under
    any title rows), the column index of each field found, and the required headers missing."""
    wanted = {
        column.field: {header_key(name) for name in (column.header, *column.aliases)}
        for column in columns
    }
    required = [column for column in columns if column.required]
    best_index, best_found = 0, {}
    for index, cells in enumerate(grid[:HEADER_SEARCH_ROWS]):
        keys = [header_key(cell) if isinstance(cell, str) else "" for cell in cells]
        found = {}
        for field_name, names in wanted.items():
            for position, key in enumerate(keys):
                if key in names:
                    found[field_name] = position
                    break
        if all(column.field in found for column in required):
            return index, found, []
        if len(found) > len(best_found):
            best_index, best_found = index, found
    missing = [column.header for column in required if column.field not in best_found]
    return best_index, best_found, missing


def read_rows(path, columns: list[ImportColumn], scan: SheetScan) -> tuple[list[SheetRow], list]:
    """The data rows below the header row, as SheetRow; empty rows and a total row (合计)
    skipped; formulas in text columns and absurdly long cells noted as errors. Returns the rows
    and the sheet-level errors (a missing header)."""
    rows, errors = stream_rows(path, columns, scan)
    return list(rows), errors


def stream_rows(
    path, columns: list[ImportColumn], scan: SheetScan
) -> tuple[Iterator[SheetRow], list]:
    """As read_rows, the rows one by one: a large sheet is never held whole (see iter_grid).
    The sheet-level errors are known before the first row is asked for."""
    grid = iter_grid(path, scan)
    # The rows the header is looked for in (and the first row below them, a data row).
    head, more = [], True
    for number, cells in grid:
        head.append((number, cells))
        if number >= HEADER_SEARCH_ROWS:
            break
    else:
        more = False
    top = [[] for _number in range(min(HEADER_SEARCH_ROWS, head[-1][0] if head else 0))]
    for number, cells in head:
        if number <= HEADER_SEARCH_ROWS:
            top[number - 1] = cells
    if not any(cell != "" and cell is not None for _number, cells in head for cell in cells) and (
        not more or next(grid, None) is None
    ):
        grid.close()
        return iter(()), [CellError(0, "", "", _("The sheet is empty."))]
    header_index, positions, missing = find_header(top, columns)
    if missing:
        grid.close()
        return iter(()), [
            CellError(
                0,
                "",
                "",
                _(
                    "The header row was not found: the columns %(missing)s are missing. Use the "
                    "column names of the template (download it from the import page)."
                )
                % {"missing": "、".join(missing)},
            )
        ]
    head_rows = [(number, cells) for number, cells in head if number > header_index + 1]
    return _sheet_rows(columns, scan, positions, head_rows, grid), []


def _sheet_rows(columns, scan, positions, head_rows, grid) -> Iterator[SheetRow]:
    by_field = {column.field: column for column in columns}
    max_chars = _limit("MAX_CELL_CHARS", MAX_CELL_CHARS)
    formulas = scan.formulas
    used = [
        (field_name, position, by_field[field_name])
        for field_name, position in sorted(positions.items(), key=lambda item: item[1])
    ]
    absent = [column.field for column in columns if column.field not in positions]
    for number, cells in itertools.chain(head_rows, grid):
        first = next((cell for cell in cells if cell != "" and cell is not None), None)
        if first is None:
            continue
        # (ASCII text never normalises to the Chinese words: most first cells need no check.)
        if type(first) is str and not first.isascii() and header_key(first) in TOTAL_ROW_WORDS:
            continue
        width = len(cells)
        values, errors = {}, []
        for field_name, position, column in used:
            value = cells[position] if position < width else ""
            if formulas and column.text and (number, position + 1) in formulas:
                errors.append(
                    CellError(
                        number,
                        column.header,
                        display(value),
                        _(
                            "This cell holds a formula; the column needs the text itself. Copy "
                            "the column and paste it back as values only."
                        ),
                    )
                )
            if isinstance(value, str) and len(value) > max_chars:
                errors.append(
                    CellError(
                        number,
                        column.header,
                        value[:30] + "…",
                        _("The cell holds %(count)d characters; at most %(max)d are accepted.")
                        % {"count": len(value), "max": max_chars},
                    )
                )
                value = ""
            values[field_name] = value
        for field_name in absent:
            values[field_name] = ""
        yield SheetRow(number=number, values=values, errors=errors)
