"""Generating, storing and approving the annual summary.

A summary is a snapshot: generating computes every section and writes the workbook, then
replaces the scope's snapshot of that year in one transaction under the county's row lock.
Approval (审核) locks it: an approved summary is never regenerated, its workbook is the one
written at approval, and a later correction to data of that year shows up as a post-lock
adjustment on the next year's summary."""

import datetime
import uuid

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, TransitionRefused
from core.periods import figure_differences
from core.services import require_role, today
from enrollment.models import County, Township

from .models import AnnualSummary, SummaryRun
from .roles import APPROVE_ROLES, GENERATE_ROLES
from .selectors import compute_sections, figure_labels, figure_values, from_stored, to_stored
from .workbook import build_workbook

FIRST_YEAR = 2000


def parse_year(value) -> int:
    text = str(value or "").strip()
    if not text.isdigit() or not FIRST_YEAR <= int(text) <= today().year:
        raise DomainError(
            _("Give a year from %(first)s to %(last)s.")
            % {"first": FIRST_YEAR, "last": today().year},
            field="year",
        )
    return int(text)


def _scope_place(county: County, township: Township | None):
    return township if township is not None else county


def check_may_generate(*, actor, county: County, township: Township | None) -> None:
    """The bureau generates any scope of its county; a township official only their own
    township's summary (the county's needs a county-wide role)."""
    if township is not None and township.county_id != county.pk:
        raise DomainError(_("The township is not in this county."), field="township")
    roles = GENERATE_ROLES if township is not None else APPROVE_ROLES
    require_role(actor, _scope_place(county, township), roles)


def _existing(county, township, year) -> AnnualSummary | None:
    return AnnualSummary.objects.filter(county=county, township=township, year=year).first()


def _refuse_if_locked(summary: AnnualSummary | None) -> None:
    if summary is not None and summary.is_approved:
        raise TransitionRefused(
            _(
                "The %(year)s summary of %(scope)s was approved and is locked; corrections "
                "appear as adjustments on the next year's summary."
            )
            % {"year": summary.year, "scope": summary.scope_name}
        )


@transaction.atomic
def request_summary_run(*, actor, county: County, township: Township | None, year: int):
    check_may_generate(actor=actor, county=county, township=township)
    _refuse_if_locked(_existing(county, township, year))
    run = SummaryRun.objects.create(county=county, township=township, year=year, requested_by=actor)
    from .tasks import generate_annual_summary

    transaction.on_commit(lambda: generate_annual_summary.delay(run_id=run.pk))
    return run


def adjustments_since_lock(*, actor, county, township, year: int, day: datetime.date) -> list[dict]:
    """The previous year's approved figures against the same figures computed now: every
    difference is a correction made after the lock, listed on this year's summary."""
    locked = AnnualSummary.objects.filter(
        county=county, township=township, year=year - 1, approved_at__isnull=False
    ).first()
    if locked is None:
        return []
    current = compute_sections(
        user=actor, county=county, township=township, year=locked.year, today=day
    )
    labels = figure_labels(locked.sections)
    approved = {key: from_stored(value) for key, value in figure_values(locked.sections).items()}
    now = {key: from_stored(value) for key, value in figure_values(current).items()}
    return [
        {
            "year": locked.year,
            "key": change["key"],
            "label": labels.get(change["key"], change["key"]),
            "approved": to_stored(change["approved"]),
            "current": to_stored(change["current"]),
            "difference": to_stored(change["difference"]),
        }
        for change in figure_differences(approved, now)
    ]


def generate_summary(
    *, county: County, township: Township | None, year: int, actor, run: SummaryRun | None = None
) -> AnnualSummary:
    _refuse_if_locked(_existing(county, township, year))
    day = today()

    def progress(done, total):
        if run is not None:
            SummaryRun.objects.filter(pk=run.pk).update(
                steps_done=done, steps_total=total + 2, status=SummaryRun.Status.RUNNING
            )

    sections = compute_sections(
        user=actor, county=county, township=township, year=year, today=day, progress=progress
    )
    adjustments = adjustments_since_lock(
        actor=actor, county=county, township=township, year=year, day=day
    )
    return _store(
        county=county,
        township=township,
        year=year,
        sections=sections,
        adjustments=adjustments,
        counted_on=min(datetime.date(year, 12, 31), day),
        actor=actor,
    )


@transaction.atomic
def _store(*, county, township, year, sections, adjustments, counted_on, actor) -> AnnualSummary:
    # The county row lock serialises two generations (and an approval) of the same county.
    County.objects.select_for_update().get(pk=county.pk)
    summary = _existing(county, township, year)
    _refuse_if_locked(summary)  # approved while this one was computing
    summary = summary or AnnualSummary(county=county, township=township, year=year)
    replaced = summary.workbook.name if summary.workbook else None
    summary.sections = sections
    summary.adjustments = adjustments
    summary.counted_on = counted_on
    summary.generated_at = timezone.now()
    summary.generated_by = actor
    _write_workbook(summary)
    summary.save()
    if replaced:
        storage = AnnualSummary._meta.get_field("workbook").storage
        transaction.on_commit(lambda: storage.delete(replaced))
    return summary


def _write_workbook(summary: AnnualSummary) -> None:
    code = summary.township.code if summary.township_id else summary.county.code
    name = f"{code}-{summary.year}-{uuid.uuid4().hex[:8]}.xlsx"
    summary.workbook.save(name, ContentFile(build_workbook(summary)), save=False)


@transaction.atomic
def approve_summary(*, summary: AnnualSummary, actor) -> AnnualSummary:
    """审核: the bureau approves the summary and locks the year for its scope. The workbook is
    written once more with the approval on its cover, from the same stored figures."""
    County.objects.select_for_update().get(pk=summary.county_id)
    summary = AnnualSummary.objects.select_related("county", "township").get(pk=summary.pk)
    require_role(actor, summary.county, APPROVE_ROLES)
    if summary.is_approved:
        raise TransitionRefused(_("This summary has already been approved."))
    replaced = summary.workbook.name if summary.workbook else None
    summary.approved_at = timezone.now()
    summary.approved_by = actor
    _write_workbook(summary)
    summary.save(update_fields=["approved_at", "approved_by", "workbook"])
    if replaced:
        storage = AnnualSummary._meta.get_field("workbook").storage
        transaction.on_commit(lambda: storage.delete(replaced))
    return summary


def run_summary(run_id: int) -> SummaryRun:
    """The worker's side of a run: progress, then done (with the summary) or failed with the
    reason in Chinese."""
    run = SummaryRun.objects.select_related("county", "township", "requested_by").get(pk=run_id)
    if run.status == SummaryRun.Status.DONE:
        return run  # redelivered: the summary is there already
    SummaryRun.objects.filter(pk=run.pk).update(status=SummaryRun.Status.RUNNING)
    try:
        summary = generate_summary(
            county=run.county,
            township=run.township,
            year=run.year,
            actor=run.requested_by,
            run=run,
        )
    except DomainError as error:
        SummaryRun.objects.filter(pk=run.pk).update(
            status=SummaryRun.Status.FAILED, error=error.message, finished_at=timezone.now()
        )
    else:
        SummaryRun.objects.filter(pk=run.pk).update(
            status=SummaryRun.Status.DONE, summary=summary, finished_at=timezone.now()
        )
    run.refresh_from_db()
    return run
