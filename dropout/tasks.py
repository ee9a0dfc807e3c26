import datetime
import logging

from celery import shared_task
from django.db import OperationalError
from django.utils.translation import gettext as _

from core.county_runs import dispatch, run_for_county
from core.jobs import failure_message

from .services.absences import advance_absences
from .services.cases import notify_overdue_notices, strike_off_consolidated
from .services.exemptions import notify_due_back, start_due_exemptions

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=5 * 60)
def daily_dropout_run() -> dict:
    """The schedule's daily run (beat, 02:00): one `daily_dropout_county` per county in a chord
    across the workers, then the summary (core/county_runs.py). Every step is idempotent, so a
    redelivered or repeated run changes nothing more. Eager: returns the summary."""
    from core.services import today

    return dispatch("daily_dropout", daily_dropout_county, today())


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=30,
    max_retries=3,
    time_limit=30 * 60,
)
def daily_dropout_county(self, county_pk: int, run: str, day: str) -> dict:
    """The daily run for one county, as of `day` (the same for every county of the run)."""
    on = datetime.date.fromisoformat(day)

    def work(county):
        moved = advance_absences(day=on, county=county)
        return {
            **moved,
            "exemptions_started": start_due_exemptions(day=on, county=county),
            "struck_off": strike_off_consolidated(day=on, county=county),
            "due_back": notify_due_back(day=on, county=county),
            "overdue_notices": notify_overdue_notices(day=on, county=county),
        }

    return run_for_county(self, county_pk, run, work)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=30,
    max_retries=3,
    time_limit=30 * 60,
)
def generate_monthly_reports(run_id: int | None = None) -> dict:
    """With a run: the month bureau staff asked for. Without: the schedule's run for last month
    of every county (1st of the month, 01:00), one `monthly_reports_county` per county in a
    chord across the workers. Idempotent: a repeat replaces the same snapshots, and each report
    is written whole in one transaction or not at all."""
    from django.utils import timezone

    from core.services import today

    from .models import ReportRun
    from .services.reports import run_report

    if run_id is None:
        return dispatch("monthly_reports", monthly_reports_county, today())
    try:
        run = run_report(run_id)
    except OperationalError:
        raise  # retried
    except Exception as error:
        ReportRun.objects.filter(pk=run_id).update(
            status=ReportRun.Status.FAILED,
            error=failure_message(error, logger=logger, job=f"{_('Monthly report')} #{run_id}"),
            finished_at=timezone.now(),
        )
        raise
    return {"run": run.pk, "status": run.status}


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=30,
    max_retries=3,
    time_limit=30 * 60,
)
def monthly_reports_county(self, county_pk: int, run: str, day: str) -> dict:
    """Last month's reports (as of `day`) of one county: the county's and its townships'."""
    from .reports import previous_month
    from .services.reports import generate_month

    month = previous_month(datetime.date.fromisoformat(day))
    return run_for_county(
        self,
        county_pk,
        run,
        lambda county: {"reports": len(generate_month(county=county, month=month))},
    )
