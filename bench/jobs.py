"""One job per process (for a clean peak-memory reading): prints one JSON line."""

import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


class SelfTimed(NamedTuple):
    rows: int
    seconds: float
    queries: int | None = None  # of the timed part, when the job counts them itself


# A small export is timed several times (the median reported), a large one once: the ceiling
# and the product by the same rule, in warmed processes.
SMALL_EXPORT_SECONDS, SMALL_EXPORT_RUNS = 1.0, 5


def _timed(work) -> tuple[int, float, int]:
    """(what `work()` returns, the median seconds of its timed runs, the queries of one)."""
    seconds = []
    while True:
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            result = work()
            seconds.append(time.perf_counter() - started)
        if seconds[0] >= SMALL_EXPORT_SECONDS or len(seconds) == SMALL_EXPORT_RUNS:
            return result, statistics.median(seconds), len(queries.captured_queries)


def peak_mb() -> float:
    """This process's peak resident memory. Linux's VmHWM, which starts afresh with the job's
    program: ru_maxrss keeps the high-water mark of the process that started the job (the
    runner, ~135 MB after the page measurements), so a smaller job would report that."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _export(user, kind=None, pk=None, period=None):
    """The product's export of a ledger (`kind` and `pk`) or of one school year's subsidy
    payments (`period`), unfiltered otherwise."""
    if period is not None:
        from subsidies.exports import export_payments

        return export_payments(user, {"query": {"period": [period]}})
    if kind == "cases":  # 失辍学案件台账: every case in scope with each step of the procedure
        from dropout.exports import export_cases

        return export_cases(user, {"queue": "all"})
    from enrollment.exports import export_ledger

    return export_ledger(user, {"kind": kind, "pk": pk, "query": {}})


def ledger_export(user, kind=None, pk=None, period=None):
    """The product's export, written as the export task writes it (streamed), timed after a
    first run that warms the process as a worker's earlier exports have (Django's model
    relations resolved, the Chinese catalogs loaded, the rows in the database's cache), as the
    ceiling's untimed read warms its own process."""
    from core.exports import write_xlsx

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "ledger.xlsx"
        write_xlsx(path, _export(user, kind, pk, period))
        rows, seconds, queries = _timed(lambda: write_xlsx(path, _export(user, kind, pk, period)))
    return SelfTimed(rows=rows, seconds=seconds, queries=queries)


def ceiling_export(user, kind=None, pk=None, period=None):
    """The ceiling: raw xlsxwriter in constant-memory mode writing the same rows, with no
    database work (the rows are read first, untimed)."""
    import xlsxwriter

    export = _export(user, kind, pk, period)
    rows = list(export.rows)
    headers = [column.header for column in export.columns]

    def write(path):
        workbook = xlsxwriter.Workbook(
            str(path), {"constant_memory": True, "strings_to_formulas": False}
        )
        sheet = workbook.add_worksheet()
        sheet.write_row(0, 0, headers)
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                if hasattr(value, "isoformat"):
                    sheet.write_datetime(number, column, value, date_format)
                else:
                    sheet.write(number, column, value)
        workbook.close()
        return len(rows)

    with tempfile.TemporaryDirectory() as directory:
        written, seconds, _queries = _timed(lambda: write(Path(directory) / "ledger.xlsx"))
    return SelfTimed(rows=written, seconds=seconds, queries=0)


def peer_export(user, kind, pk):
    """django-import-export's default export of the same ledger (a ModelResource of the same
    children and fields, written as xlsx)."""
    from import_export import fields, resources

    from enrollment.ledgers import build_ledger
    from enrollment.models import Child

    class LedgerResource(resources.ModelResource):
        township = fields.Field(attribute="village__township__name", column_name="乡镇")
        village = fields.Field(attribute="village__name", column_name="村（社区）")
        head = fields.Field(attribute="household__head_name", column_name="户主")
        poverty = fields.Field(attribute="household__poverty_status", column_name="家庭类别")

        class Meta:
            model = Child
            fields = (
                "name",
                "sex",
                "birth_date",
                "resident_id",
                "township",
                "village",
                "head",
                "poverty",
                "guardian_name",
                "guardian_relation",
                "guardian_phone",
                "status",
                "status_since",
                "current_school__name",
                "grade",
            )

    from django.http import QueryDict

    ledger = build_ledger(user, kind, pk, QueryDict())
    dataset = LedgerResource().export(queryset=ledger.rows)
    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / "ledger.xlsx").write_bytes(dataset.export("xlsx"))
    return len(dataset)


def monthly_report(user, county_pk):
    """The county's monthly report of last month (county + every township), stored."""
    from django.utils import timezone

    from dropout.reports import previous_month
    from dropout.services.reports import generate_month
    from enrollment.models import County

    county = County.objects.get(pk=county_pk)
    return len(generate_month(county=county, month=previous_month(timezone.localdate())))


def annual_summary(user, county_pk):
    """The county's annual summary of this year, as the bureau makes it in December (every
    app's section, the workbook), stored as a fresh draft each run. A past year's summary
    rebuilds the ledger and the risk scores as of its last day from the dated history, and
    costs more (see docs/benchmarks.md)."""
    from django.utils import timezone

    from enrollment.models import County
    from yearend.models import AnnualSummary
    from yearend.services import generate_summary

    county = County.objects.get(pk=county_pk)
    year = timezone.localdate().year
    AnnualSummary.objects.filter(county=county, township=None, year=year).delete()
    summary = generate_summary(county=county, township=None, year=year, actor=user)
    return sum(len(section["figures"]) for section in summary.sections)


def risk_scores(user, county_pk):
    """Today's dropout-risk scores of every school-age pupil of the county (set-based, in
    chunks), written as one current row per child."""
    from enrollment.models import County
    from risk.services import recompute_scores

    return recompute_scores(county=County.objects.get(pk=county_pk))


def risk_backtest(user, county_pk, months=24):
    """The backtest of the county's last `months` judged months (the scores as of each month's
    first day from the history known then), stored per month and township."""
    from enrollment.models import County
    from risk.services import run_backtest

    return len(run_backtest(county=County.objects.get(pk=county_pk), months=months))


def monthly_report_everywhere(user):
    """The schedule's monthly run: last month's reports of every county in the database."""
    from dropout.services.reports import generate_previous_month_everywhere

    return generate_previous_month_everywhere()


def page_queries(user, path):
    """The queries of one request of `path` by `user`, after a warm-up request (as a running
    server's process is warm)."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        status = client.get(path).status_code
    if status != 200:
        raise RuntimeError(f"{path} answered {status}")
    return len(queries.captured_queries)


def growth_facts(user):
    """The size of the data set, and the county of `user` (the bureau user of the first
    county), for the growth measurement."""
    from enrollment.models import Child, County

    county = user.role_assignments.exclude(county=None).first().county
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()[0]
    return {
        "county_pk": county.pk,
        # The demo's city over the counties (None when the database has none).
        "prefecture_pk": county.prefecture_id,
        "counties": County.objects.count(),
        "children": Child.objects.count(),
        "county_children": Child.objects.filter(village__township__county=county).count(),
        "database_mb": round(size / 2**20),
    }


def clear_cache(user):
    """Empty the cache (the growth measurement's own Redis database) before measuring."""
    from django.core.cache import cache

    cache.clear()
    return 0


def entitlement_gaps(user, county_pk, period):
    """The entitlement-gap check (应享尽享) of a term for the whole county: its set queries."""
    from enrollment.models import County
    from subsidies.services.gaps import find_gaps

    return len(find_gaps(County.objects.get(pk=county_pk), period))


def staffing(user):
    """The county staffing table: quota from the rolls by stage against teachers in post."""
    from teachers.selectors import county_staffing

    table = county_staffing(user)
    return len(getattr(table, "schools", []) or [])


def write_extract(user, path, county_code, rows, heavy=False, error_every=0):
    from bench.import_files import write_police_extract

    return write_police_extract(
        path, county_code=county_code, rows=rows, heavy=heavy, error_every=error_every
    )


def _import_jobs():
    from bench import import_files

    return {
        "police_import": import_files.police_import,
        "police_dry_run": import_files.police_dry_run,
        "peer_police_import": import_files.peer_police_import,
        "copy_police_rows": import_files.copy_police_rows,
        "xueji_import": import_files.xueji_import,
        "peer_xueji_import": import_files.peer_xueji_import,
        "four_source_crosscheck": import_files.four_source_crosscheck,
    }


def write_roster(user, path, county_code, rows):
    from bench.import_files import write_xueji_roster

    return write_xueji_roster(path, county_code=county_code, rows=rows)


JOBS = {
    "monthly_report": monthly_report,
    "monthly_report_everywhere": monthly_report_everywhere,
    "annual_summary": annual_summary,
    "risk_scores": risk_scores,
    "risk_backtest": risk_backtest,
    "page_queries": page_queries,
    "growth_facts": growth_facts,
    "clear_cache": clear_cache,
    "entitlement_gaps": entitlement_gaps,
    "staffing": staffing,
    "write_extract": write_extract,
    "write_roster": write_roster,
    "ledger_export": ledger_export,
    "ceiling_export": ceiling_export,
    "peer_export": peer_export,
}


def main():
    name, params = sys.argv[1], json.loads(sys.argv[2])
    user = get_user_model().objects.get(username=params.pop("username"))
    JOBS.update(_import_jobs())
    reset_queries()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        rows = JOBS[name](user, **params)
    elapsed = time.perf_counter() - started
    counted = len(queries.captured_queries)
    if isinstance(rows, SelfTimed):  # a job that times only part of its work itself
        if rows.queries is not None:
            counted = rows.queries
        rows, elapsed = rows.rows, rows.seconds
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "rows": rows,
                "peak_mb": round(peak_mb(), 1),
                "queries": counted,
            }
        )
    )


if __name__ == "__main__":
    main()
