"""The import pipeline's vocabulary (columns, rows, outcomes, plans), the importer base class and
its registry, and the template an importer offers for download. See the package docstring."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .cells import display

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
        self.errors.append(CellError(self.row.number, column, display(value), message))

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
