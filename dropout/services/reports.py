"""Generating the monthly reports: compute, write the workbooks, then replace the month's
snapshots in one transaction under the county's row lock (two runs of the same month at once
leave exactly one report per scope), and tell the people concerned once. Approving a report
(审核) locks it: generation keeps it as approved (report_lock lists later changes)."""

import datetime
import logging
import uuid

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import audit
from core.errors import DomainError
from core.notifications import notify
from core.people import person_name
from core.services import require_role, today
from enrollment.models import County
from enrollment.roles import Role
from enrollment.selectors import county_users, officials_by_township

from ..extensions import report_lines
from ..models import MonthlyReport, ReportRun
from ..report_lock import post_lock_adjustments
from ..report_workbook import build_workbook
from ..reports import compute_month, previous_month
from ..roles import MONTHLY_REPORT_ROLES
from ..transitions import REPORT_TRANSITIONS

logger = logging.getLogger(__name__)

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
    """Compute and store the county's and every township's report of `month` (idempotent);
    returns the reports written. An approved (locked) report is kept as it is: its scope is
    skipped and the run's note says so. Each report written lists the post-lock adjustments
    of the approved months before it (report_lock)."""
    month = check_reportable(month)
    locked = set(
        MonthlyReport.objects.filter(
            county=county, month=month, approved_at__isnull=False
        ).values_list("township_id", flat=True)
    )
    # The reports' time is when their figures are read: a change recorded after it is one the
    # figures may not hold (report_lock checks an approved month for changes since then).
    now = timezone.now()
    figures_by_scope = {
        scope: figures
        for scope, figures in compute_month(county, month).items()
        if (None if scope == "county" else scope) not in locked
    }
    if figures_by_scope:
        # The other apps' lines (dropout.extensions), stored with the figures: frozen with them.
        lines = report_lines(county, month)
        for scope, figures in figures_by_scope.items():
            figures["lines"] = lines.get(scope, [])
    adjustments = post_lock_adjustments(county, month) if figures_by_scope else {}
    total = len(figures_by_scope) + 2
    _progress(run, 1, total)
    workbooks = {}
    for done, (scope, figures) in enumerate(figures_by_scope.items(), start=2):
        workbooks[scope] = build_workbook(
            {
                **figures,
                "report": {"generated_at": now},
                "adjustments": adjustments.get(scope, []),
            }
        )
        _progress(run, done, total)
    reports, kept = _store(county, month, figures_by_scope, workbooks, adjustments, actor, now)
    _progress(run, total - 1, total)
    if kept:
        note = ngettext(
            "%(count)d approved report of %(month)s is locked and was kept as approved.",
            "%(count)d approved reports of %(month)s are locked and were kept as approved.",
            len(kept),
        ) % {"count": len(kept), "month": month.strftime("%Y-%m")}
        logger.info("%s %s: %s", county.code, month.strftime("%Y-%m"), note)
        if run is not None:
            ReportRun.objects.filter(pk=run.pk).update(note=note)
    return reports


@transaction.atomic
def _store(county, month, figures_by_scope, workbooks, adjustments, actor, now):
    """The month's snapshots replaced in place; (reports written, approved reports kept)."""
    # The county row lock serialises two generations of the same county (and an approval):
    # the second waits, then overwrites the first's snapshots in place (same rows, same
    # links) — except a report approved meanwhile, which stays as approved.
    County.objects.select_for_update().get(pk=county.pk)
    existing = {
        report.township_id: report
        for report in MonthlyReport.objects.filter(county=county, month=month)
    }
    kept = [report for report in existing.values() if report.approved_at]
    reports, replaced_files = [], []
    for scope, figures in figures_by_scope.items():
        township_id = None if scope == "county" else scope
        report = existing.get(township_id) or MonthlyReport(
            county=county, township_id=township_id, month=month
        )
        if report.approved_at:
            continue  # locked: never rewritten
        if report.workbook:
            replaced_files.append(report.workbook.name)
        report.figures = figures
        report.adjustments = adjustments.get(scope, [])
        report.generated_at = now
        report.generated_by = actor
        name = f"{figures['scope_code']}-{month:%Y-%m}-{uuid.uuid4().hex[:8]}.xlsx"
        report.workbook.save(name, ContentFile(workbooks[scope]), save=False)
        report.save()
        reports.append(report)
    storage = MonthlyReport._meta.get_field("workbook").storage
    transaction.on_commit(lambda: [storage.delete(name) for name in replaced_files])
    _announce(county, month, reports)
    return reports, kept


def approve_report(*, report: MonthlyReport, actor) -> MonthlyReport:
    """审核: the bureau approves a month's report (a township's or the county's), which locks
    it: its figures and adjustments are never rewritten, and its workbook is written once
    more from them, with the approval on the cover (the data sheets and their checksums are
    the same), then never again. 403 without the role, 409 when already approved."""
    with transaction.atomic():
        County.objects.select_for_update().get(pk=report.county_id)  # not during a generation
        report = MonthlyReport.objects.select_for_update().get(pk=report.pk)
        REPORT_TRANSITIONS.require(report, "approve", actor)
        report.approved_at = timezone.now()
        report.approved_by = actor
        previous = report.workbook.name
        workbook = build_workbook(
            {
                **report.figures,
                "report": {
                    "generated_at": report.generated_at,
                    "approved_by": person_name(actor),
                    "approved_at": report.approved_at,
                },
                "adjustments": report.adjustments,
            }
        )
        name = f"{report.figures['scope_code']}-{report.month:%Y-%m}-{uuid.uuid4().hex[:8]}.xlsx"
        report.workbook.save(name, ContentFile(workbook), save=False)
        report.full_clean()
        report.save(update_fields=["approved_at", "approved_by", "workbook"])
        audit.record(
            audit.A.UPDATE,
            user=actor,
            obj=report,
            detail={"step": "approve", "month": report.month.strftime("%Y-%m")},
        )
        storage = MonthlyReport._meta.get_field("workbook").storage
        if previous:
            transaction.on_commit(lambda: storage.delete(previous))
    return report


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
