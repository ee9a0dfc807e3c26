import logging

from celery import shared_task
from django.db import OperationalError
from django.utils.translation import gettext as _

from core.jobs import failure_message

from .services.absences import advance_absences
from .services.cases import notify_overdue_notices, strike_off_consolidated
from .services.exemptions import notify_due_back, start_due_exemptions

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=30 * 60)
def daily_dropout_run() -> dict:
    """Every step is idempotent, so a redelivered or repeated run changes nothing more."""
    moved = advance_absences()
    return {
        **moved,
        "exemptions_started": start_due_exemptions(),
        "struck_off": strike_off_consolidated(),
        "due_back": notify_due_back(),
        "overdue_notices": notify_overdue_notices(),
    }


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
    of every county (1st of the month, 01:00). Idempotent: a repeat replaces the same
    snapshots, and each report is written whole in one transaction or not at all."""
    from django.utils import timezone

    from .models import ReportRun
    from .services.reports import generate_previous_month_everywhere, run_report

    if run_id is None:
        return {"reports": generate_previous_month_everywhere()}
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
