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
`clean_text`, `clean_id`, `parse_date`, `parse_bool` and `parse_int` (`cells`), which raise
`CellError`'s message as a `ValueError`. Errors the pipeline itself finds (a formula in a text
column, an absurdly long cell) are already in `SheetRow.errors`; `RowOutcome(row)` starts with
them. Messages are in Chinese: the people who read them fix the file in Chinese Excel.
"""

from .cells import (
    IdStoredAsNumber,
    clean_id,
    clean_text,
    display,
    parse_bool,
    parse_date,
    parse_int,
)
from .pipeline import (
    CellError,
    ImportColumn,
    Importer,
    Outcome,
    OutcomeTally,
    Plan,
    ReportList,
    RowOutcome,
    SheetRow,
    StalePlan,
    WorkbookRefused,
    get_importer,
    importers,
    iter_chunks,
    register_importer,
    write_template,
)
from .workbook import MAX_UPLOAD_BYTES, SheetScan, check_workbook, read_rows, stream_rows

__all__ = [
    "MAX_UPLOAD_BYTES",
    "CellError",
    "IdStoredAsNumber",
    "ImportColumn",
    "Importer",
    "Outcome",
    "OutcomeTally",
    "Plan",
    "ReportList",
    "RowOutcome",
    "SheetRow",
    "SheetScan",
    "StalePlan",
    "WorkbookRefused",
    "check_workbook",
    "clean_id",
    "clean_text",
    "display",
    "get_importer",
    "importers",
    "iter_chunks",
    "parse_bool",
    "parse_date",
    "parse_int",
    "read_rows",
    "register_importer",
    "stream_rows",
    "write_template",
]
