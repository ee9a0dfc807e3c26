"""The import pipeline every Excel import uses, and the registry of importers. Knows no domain.

The pipeline reads an uploaded workbook safely (`check_workbook`, `read_rows`), finds the header
row by its column names under any title rows, skips empty rows and a trailing 合计 row, normalises
what a person would (full-width digits and letters, spaces in IDs, trailing full-width spaces,
dates in the usual Chinese spellings or as Excel dates), and hands the importer one `SheetRow`
per data row. The importer compares each row with the database and says what it would do
(`plan`), then writes it in bulk (`apply`) inside the pipeline's one transaction; the jobs
(`core.import_jobs`) run the dry run and the commit in Celery and keep the report.

Registering an importer (in the owning app's `AppConfig.ready()`)::

    from core.imports import Importer, ImportColumn, Plan, register_importer

    class PaymentListImporter(Importer):
        name = "payments"                        # registry key, in URLs and ImportJob.importer
        title = _("Subsidy payment list")        # shown on the import pages
        columns = [                              # matched by header text (aliases allowed)
            ImportColumn("name", "姓名", example="张三"),
            ImportColumn("resident_id", "公民身份号码", example="510304201503041234"),
            ImportColumn("amount", "金额", text=False, example=625),
            ImportColumn("note", "备注", required=False),
        ]
        examples = []   # optional: [(label, static path of a sample file)] linked on the page

        def scope_choices(self, user):           # [(key, label)] the user may import into
            ...
        def resolve_scope(self, user, key):       # the place: Http404 outside the user's scope,
            ...                                   # PermissionDenied without a role that writes
        def plan(self, rows, *, scope, user, progress=None):  # -> Plan: one RowOutcome per
            ...                                   # SheetRow, no writes; may call progress(n)
        def apply(self, plan, *, scope, user, job):  # bulk writes; already inside a transaction
            ...

    register_importer(PaymentListImporter())

`SheetRow.values` maps each column's `field` to its raw cell value (str, float, int, bool,
date or datetime as the workbook holds it; "" when empty) — the importer normalises with
`clean_text`, `clean_id`, `parse_date`, `parse_bool` and `parse_int` below, which raise
`CellError`'s message as a `ValueError`. Errors the pipeline itself finds (a formula in a text
column, an absurdly long cell) are already in `SheetRow.errors`; `RowOutcome(row)` starts with
them. Messages are in Chinese: the people who read them fix the file in Chinese Excel.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

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


# --- errors and outcomes ---------------------------------------------------------------------


class StalePlan(Exception):
    """Raised by an importer's apply() when the kept plan it was given turns out to depend on
    data that changed since the dry run. Its writes are undone and the file is checked again."""


class WorkbookRefused(Exception):
    """The file as a whole cannot be trusted or read; the message says why, in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class CellError:
    row: int  # the Excel row number (1-based), 0 for the whole sheet
    column: str  # the column's header text
    value: str
    message: str

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


@dataclass
class ImportColumn:
    field: str
    header: str
    required: bool = True
    aliases: tuple[str, ...] = ()
    text: bool = True  # a formula in a text column is refused (its value is not what was typed)
    example: Any = ""
    width: int = 14


@dataclass
class SheetRow:
    number: int  # Excel row number
    values: dict[str, Any]
    errors: list[CellError] = field(default_factory=list)


class Outcome:
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    ERROR = "error"


@dataclass
class RowOutcome:
    row: SheetRow
    kind: str = Outcome.UNCHANGED
    label: str = ""  # who or what the row is about, for the report (e.g. a name)
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (what, before, after)
    errors: list[CellError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # not errors: said in the report

    def __post_init__(self):
        if self.row.errors and not self.errors:
            self.errors = list(self.row.errors)

    def error(self, column: str, value: Any, message: str) -> None:
        if any(error.column == column for error in self.row.errors):
            return  # the pipeline already refused this cell (a formula, an absurd length)
        self.errors.append(CellError(self.row.number, column, _display(value), message))

    @property
    def failed(self) -> bool:
        return bool(self.errors)


@dataclass
class Plan:
    outcomes: list[RowOutcome]
    payload: Any = None  # whatever the importer's apply() needs
    sheet_errors: list[CellError] = field(default_factory=list)

    def count(self, kind: str) -> int:
        if kind == Outcome.ERROR:
            return sum(1 for outcome in self.outcomes if outcome.failed)
        return sum(1 for outcome in self.outcomes if not outcome.failed and outcome.kind == kind)

    @property
    def errors(self) -> list[CellError]:
        found = list(self.sheet_errors)
        for outcome in self.outcomes:
            found.extend(outcome.errors)
        return found

    @property
    def ok(self) -> bool:
        return not self.sheet_errors and not any(outcome.failed for outcome in self.outcomes)


# --- the registry ----------------------------------------------------------------------------


class Importer:
    """Base class; see the module docstring. Subclasses set name, title and columns."""

    name: str = ""
    title: str = ""
    columns: list[ImportColumn] = []
    examples: list[tuple[str, str]] = []
    sheet_title: str = "Sheet1"
    # Who may use it (within their scope): the menu offers the imports page to these roles.
    roles: frozenset = frozenset()

    def scope_choices(self, user) -> list[tuple[str, str]]:
        raise NotImplementedError

    def resolve_scope(self, user, key: str):
        raise NotImplementedError

    def scope_label(self, scope) -> str:
        return str(scope)

    def plan(self, rows: list[SheetRow], *, scope, user) -> Plan:
        raise NotImplementedError

    def apply(self, plan: Plan, *, scope, user, job) -> None:
        raise NotImplementedError

    def freeze(self, plan: Plan) -> dict | None:
        """The checked plan's payload as JSON, kept for the commit; None: the commit checks
        the file again."""
        return None

    def thaw(self, frozen: dict, *, scope, user) -> Plan | None:
        """The kept plan, called inside the commit's transaction; None when the database has
        changed since the dry run (the commit then checks the file again). An importer may
        instead check that in apply(), while it writes, and raise StalePlan."""
        return None

    def column(self, field_name: str) -> ImportColumn:
        return next(column for column in self.columns if column.field == field_name)


_IMPORTERS: dict[str, Importer] = {}


def register_importer(importer: Importer) -> None:
    _IMPORTERS[importer.name] = importer


def get_importer(name: str) -> Importer:
    return _IMPORTERS[name]


def importers() -> list[Importer]:
    return list(_IMPORTERS.values())


# --- safe reading ----------------------------------------------------------------------------


@dataclass
class SheetScan:
    """What the raw XML of the first worksheet says before any reader builds a grid of it."""

    path: str
    last_row: int = 0
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
    scan = SheetScan(path=name)
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
    grid = read_grid(path)
    if not grid:
        return [], [CellError(0, "", "", _("The sheet is empty."))]
    header_index, positions, missing = find_header(grid, columns)
    if missing:
        return [], [
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
    by_field = {column.field: column for column in columns}
    max_chars = _limit("MAX_CELL_CHARS", MAX_CELL_CHARS)
    formulas = scan.formulas
    rows = []
    used = [
        (field_name, position, by_field[field_name])
        for field_name, position in sorted(positions.items(), key=lambda item: item[1])
    ]
    absent = [column.field for column in columns if column.field not in positions]
    for index in range(header_index + 1, len(grid)):
        cells = grid[index]
        first = next((cell for cell in cells if cell != "" and cell is not None), None)
        if first is None:
            continue
        if isinstance(first, str) and header_key(first) in TOTAL_ROW_WORDS:
            continue
        number = index + 1
        width = len(cells)
        values, errors = {}, []
        for field_name, position, column in used:
            value = cells[position] if position < width else ""
            if formulas and column.text and (number, position + 1) in formulas:
                errors.append(
                    CellError(
                        number,
                        column.header,
                        _display(value),
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
        rows.append(SheetRow(number=number, values=values, errors=errors))
    return rows, []


_ASCII_ONLY = str.maketrans(
    {
        **{chr(code): chr(code - 0xFEE0) for code in range(0xFF10, 0xFF1A)},  # ０-９
        **{chr(code): chr(code - 0xFEE0) for code in range(0xFF21, 0xFF3B)},  # Ａ-Ｚ
        **{chr(code): chr(code - 0xFEE0) for code in range(0xFF41, 0xFF5B)},  # ａ-ｚ
        "\u3000": " ",
        "\u00a0": " ",
    }
)
_SPACES = re.compile(r"\s+")


_MAPPED = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000\u00a0]")


def clean_text(value: Any) -> str:
    """Text as a person meant it: full-width digits and letters in ASCII (Chinese punctuation
    such as （） is kept), surrounding spaces — full-width ones too — removed."""
    if type(value) is str:
        # Most cells have nothing to map, and a search costs less than a translation.
        return (value.translate(_ASCII_ONLY) if _MAPPED.search(value) else value).strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).translate(_ASCII_ONLY).strip()


class IdStoredAsNumber(ValueError):
    """Excel kept an 18-digit number as a float: the last digits are already lost."""


def clean_id(value: Any) -> str:
    """An identifier typed as text: full-width to ASCII, spaces anywhere removed, x upper-cased.
    A number (Excel turned the text into 5.10304E+17) raises IdStoredAsNumber."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise IdStoredAsNumber(
            _(
                "Excel stored this ID as a number and has already lost its last digits. Set the "
                "column's format to Text (Format Cells → Text), type the IDs again (or paste them "
                "from the original list), and upload the file again."
            )
        )
    if type(value) is str and len(value) == 18 and value.isascii() and value.isalnum():
        return value.upper()  # the common case: nothing to clean
    return _SPACES.sub("", clean_text(value)).replace("-", "").upper()


_DATE_TEXT = re.compile(r"^(\d{4})\s*[./\-年]\s*(\d{1,2})\s*[./\-月]\s*(\d{1,2})\s*日?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EXCEL_EPOCH = datetime.date(1899, 12, 30)


def parse_date(value: Any) -> datetime.date | None:
    """2015.3.4, 2015年3月4日, 2015/03/04, 2015-3-4, 20150304, or an Excel date (a cell
    formatted as date, or its serial number). Empty → None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 80000 and float(value).is_integer():
            return _EXCEL_EPOCH + datetime.timedelta(days=int(value))
        if 19000101 <= value <= 21001231 and float(value).is_integer():
            value = str(int(value))
        else:
            raise ValueError(_bad_date())
    text = clean_text(value)
    match = _DATE_TEXT.match(text) or _DATE_COMPACT.match(text)
    if not match:
        raise ValueError(_bad_date())
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValueError(_bad_date()) from None


def _bad_date() -> str:
    return _("Not a date; write it as 2015-03-04, 2015.3.4 or 2015年3月4日.")


_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "寄宿", "住校"}
_FALSE = {"否", "n", "no", "false", "0", "×", "走读", "", "无"}


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = clean_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(_("Write 是 or 否."))


def parse_int(value: Any) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer():
            return int(value)
        raise ValueError(_("Not a whole number."))
    text = clean_text(value)
    if not text.isdigit():
        raise ValueError(_("Not a whole number."))
    return int(text)


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e20:  # an ID stored as a number shows as Excel does
            return str(int(value))
        return f"{value:.15g}"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)[:60]


def display(value: Any) -> str:
    """A cell value as the report shows it (numbers as Excel shows them)."""
    return _display(value)


# --- templates -------------------------------------------------------------------------------


def write_template(path, importer: Importer) -> None:
    """The header row and one example row; every text column formatted as Text, so that IDs
    typed into it stay text."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_numbers": False}
    )
    sheet = workbook.add_worksheet(importer.sheet_title[:31])
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for index, column in enumerate(importer.columns):
        sheet.set_column(index, index, column.width, text if column.text else None)
        sheet.write_string(0, index, column.header, header)
        example = column.example
        if isinstance(example, datetime.date):
            sheet.write_datetime(1, index, example, date)
        elif isinstance(example, str):
            sheet.write_string(1, index, example, text if column.text else None)
        elif example is not None:
            sheet.write(1, index, example)
    sheet.freeze_panes(1, 0)
    workbook.close()


def iter_chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
