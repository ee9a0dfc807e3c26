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
class ReportList:
    """A list the report shows beside the rows: records the file is about without a row of
    their own (e.g. those a full list no longer names). `writes`: the commit changes them."""

    title: str
    items: list[str]
    writes: bool = False
    link: tuple[str, str] | None = None  # (label, url)

    def as_dict(self) -> dict:
        return {
            "title": self.title,
            "items": self.items,
            "writes": self.writes,
            "link": list(self.link) if self.link else None,
        }


# What a report shows at most: the first errors and the first rows that are not unchanged.
REPORT_MAX_ERRORS = 5000
REPORT_MAX_ROWS = 2000


class OutcomeTally:
    """The outcomes of a large file as the report needs them, without keeping them: the
    counts, the first REPORT_MAX_ERRORS errors and the first REPORT_MAX_ROWS rows worth
    showing, in the file's order. An importer that decides rows in several passes (the
    rows failing their own checks first, the others once the database has been read) calls
    `next_pass()` between them; within a pass, rows come in the file's order."""

    def __init__(self):
        self.total = 0
        self.counts = {Outcome.NEW: 0, Outcome.CHANGED: 0, Outcome.UNCHANGED: 0, Outcome.ERROR: 0}
        self.errors_total = 0
        self.rows_total = 0
        self._passes: list[tuple[list, list]] = []
        self.next_pass()

    def next_pass(self) -> None:
        self._errors, self._rows = [], []
        self._passes.append((self._errors, self._rows))

    def add(self, outcome: RowOutcome) -> None:
        self.total += 1
        failed = bool(outcome.errors)
        self.counts[Outcome.ERROR if failed else outcome.kind] += 1
        if failed:
            self.errors_total += len(outcome.errors)
            if len(self._errors) < REPORT_MAX_ERRORS:
                self._errors.extend(outcome.errors)
        if failed or outcome.kind != Outcome.UNCHANGED or outcome.notes:
            self.rows_total += 1
            if len(self._rows) < REPORT_MAX_ROWS:
                self._rows.append(
                    {
                        "row": outcome.row.number,
                        "kind": Outcome.ERROR if failed else outcome.kind,
                        "label": outcome.label,
                        "changes": [list(change) for change in outcome.changes],
                        "notes": outcome.notes,
                    }
                )

    def first_errors(self) -> list[CellError]:
        found = [error for errors, _rows in self._passes for error in errors]
        found.sort(key=lambda error: error.row)  # stable: a row's errors keep their order
        return found[:REPORT_MAX_ERRORS]

    def first_rows(self) -> list[dict]:
        found = [row for _errors, rows in self._passes for row in rows]
        found.sort(key=lambda row: row["row"])
        return found[:REPORT_MAX_ROWS]


@dataclass
class Plan:
    outcomes: list[RowOutcome]
    payload: Any = None  # whatever the importer's apply() needs
    sheet_errors: list[CellError] = field(default_factory=list)
    lists: list[ReportList] = field(default_factory=list)
    # Instead of `outcomes`: what the report needs of them (a large file's outcomes not kept).
    tally: OutcomeTally | None = None

    def count(self, kind: str) -> int:
        if self.tally is not None:
            return self.tally.counts[kind]
        if kind == Outcome.ERROR:
            return sum(1 for outcome in self.outcomes if outcome.failed)
        return sum(1 for outcome in self.outcomes if not outcome.failed and outcome.kind == kind)

    @property
    def rows(self) -> int:
        return self.tally.total if self.tally is not None else len(self.outcomes)

    @property
    def errors(self) -> list[CellError]:
        found = list(self.sheet_errors)
        if self.tally is not None:
            found.extend(self.tally.first_errors())
            return found
        for outcome in self.outcomes:
            found.extend(outcome.errors)
        return found

    @property
    def errors_total(self) -> int:
        if self.tally is not None:
            return len(self.sheet_errors) + self.tally.errors_total
        return len(self.errors)

    @property
    def ok(self) -> bool:
        if self.tally is not None:
            return not self.sheet_errors and not self.tally.counts[Outcome.ERROR]
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
    # plan() takes the rows as an iterator, read from the file as it goes (and reports in
    # Plan.tally): a large file's rows are then never all in memory.
    streams_rows: bool = False

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
