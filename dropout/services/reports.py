"""Generating the monthly reports: compute, write the workbooks, then replace the month's
snapshots in one transaction under the county's row lock (two runs of the same month at once
leave exactly one report per scope), and tell the people concerned once."""

import datetime
import uuid

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.notifications import notify
from core.services import require_role, today
from enrollment.models import County
from enrollment.roles import Role
from enrollment.selectors import county_users, officials_by_township

from ..models import MonthlyReport, ReportRun
from ..report_workbook import build_workbook
from ..reports import compute_month, previous_month
from ..roles import MONTHLY_REPORT_ROLES

# Who reads the county's report when it is published.
COUNTY_READERS = (Role.COUNTY_ADMIN, Role.BUREAU_STAFF)


def parse_month(value: str) -> datetime.date:
    """'2026-03' → 2026-03-01, with a clear message for anything else."""
    try:
        return datetime.datetime.strptime((value or "").strip(), "%Y-%m").date()
    except ValueError:
        raise DomainError(_("Give the month as YYYY-MM, e.g. 2026-03."), field="month") from None


def check_reportable(month: datetime.date) -> datetime.date:
    month = month.replace(day=1)
    if month >= today().replace(day=1):
        raise DomainError(
            _("Only a month that has ended can be reported; the latest is %(month)s.")
            % {"month": previous_month(today()).strftime("%Y-%m")},
            field="month",
        )
    if month.year < 2000:
        raise DomainError(_("Give a month from 2000 on."), field="month")
    return month


@transaction.atomic
def request_report_run(*, actor, county: County, month: datetime.date) -> ReportRun:
    """Bureau staff ask for a month (any past month); the worker generates it."""
    require_role(actor, county, MONTHLY_REPORT_ROLES)
    month = check_reportable(month)
    run = ReportRun.objects.create(county=county, month=month, requested_by=actor)
    from ..tasks import generate_monthly_reports

    transaction.on_commit(lambda: generate_monthly_reports.delay(run_id=run.pk))
    return run


def _progress(run, done, total):
    if run is not None:
        ReportRun.objects.filter(pk=run.pk).update(
            steps_done=done, steps_total=total, status=ReportRun.Status.RUNNING
        )


def generate_month(
    *, county: County, month: datetime.date, actor=None, run: ReportRun | None = None
) -> list[MonthlyReport]:
    """Compute and store the county's and every township's report of `month` (idempotent)."""
    month = check_reportable(month)
    figures_by_scope = compute_month(county, month)
    total = len(figures_by_scope) + 2
    _progress(run, 1, total)
    workbooks = {}
    for done, (scope, figures) in enumerate(figures_by_scope.items(), start=2):
        workbooks[scope] = build_workbook(figures)
        _progress(run, done, total)
    reports = _store(county, month, figures_by_scope, workbooks, actor)
    _progress(run, total - 1, total)
    return reports


@transaction.atomic
def _store(county, month, figures_by_scope, workbooks, actor) -> list[MonthlyReport]:
    # The county row lock serialises two generations of the same county: the second waits,
    # then overwrites the first's snapshots in place (same rows, same links).
    County.objects.select_for_update().get(pk=county.pk)
    now = timezone.now()
    existing = {
        report.township_id: report
        for report in MonthlyReport.objects.filter(county=county, month=month)
    }
    reports, replaced_files = [], []
    for scope, figures in figures_by_scope.items():
        township_id = None if scope == "county" else scope
        report = existing.get(township_id) or MonthlyReport(
            county=county, township_id=township_id, month=month
        )
        if report.workbook:
            replaced_files.append(report.workbook.name)
        report.figures = figures
        report.generated_at = now
        report.generated_by = actor
        name = f"{figures['scope_code']}-{month:%Y-%m}-{uuid.uuid4().hex[:8]}.xlsx"
        report.workbook.save(name, ContentFile(workbooks[scope]), save=False)
        report.save()
        reports.append(report)
    storage = MonthlyReport._meta.get_field("workbook").storage
    transaction.on_commit(lambda: [storage.delete(name) for name in replaced_files])
    _announce(county, month, reports)
    return reports


def _announce(county, month, reports) -> None:
    """Published: the county's readers and each township's officials, once per report; a
    township with children still out is named (通报) to its officials."""
    label = month.strftime("%Y-%m")
    officials = officials_by_township(r.township_id for r in reports if r.township_id)
    for report in reports:
        link = f"/dropout/reports/{report.pk}/"
        if report.township_id is None:
            notify(
                county_users(county.pk, COUNTY_READERS),
                _("The %(month)s dropout report of %(county)s is published.")
                % {"month": label, "county": county.name},
                link=link,
                key=f"monthly-report:{report.pk}",
            )
            continue
        readers = officials.get(report.township_id, [])
        notify(
            readers,
            _("The %(month)s dropout report of %(township)s is published.")
            % {"month": label, "township": report.scope_name},
            link=link,
            key=f"monthly-report:{report.pk}",
        )
        still_out = report.figures["totals"]["dropouts_end"]
        if still_out:
            notify(
                readers,
                _(
                    "Named in the %(month)s report: %(count)s children of %(township)s were "
                    "still out of school at the month's end."
                )
                % {"month": label, "count": still_out, "township": report.scope_name},
                link=link,
                key=f"monthly-report-outstanding:{report.pk}",
            )


def run_report(run_id: int) -> ReportRun:
    """The worker's side of an on-demand run: progress, then done or failed with the reason."""
    run = ReportRun.objects.select_related("county", "requested_by").get(pk=run_id)
    if run.status == ReportRun.Status.DONE:
        return run  # a redelivered task: the reports are there already
    ReportRun.objects.filter(pk=run.pk).update(status=ReportRun.Status.RUNNING)
    try:
        generate_month(county=run.county, month=run.month, actor=run.requested_by, run=run)
    except DomainError as error:
        ReportRun.objects.filter(pk=run.pk).update(
            status=ReportRun.Status.FAILED, error=error.message, finished_at=timezone.now()
        )
    else:
        ReportRun.objects.filter(pk=run.pk).update(
            status=ReportRun.Status.DONE, finished_at=timezone.now()
        )
    run.refresh_from_db()
    return run


def generate_previous_month_everywhere(*, day: datetime.date | None = None) -> int:
    """The schedule's run: last month for every county; returns the reports written."""
    month = previous_month(day or today())
    written = 0
    for county in County.objects.order_by("pk"):
        written += len(generate_month(county=county, month=month))
    return written
