import logging

from celery import shared_task
from django.db import OperationalError
from django.utils.translation import gettext as _

from core.jobs import failure_message

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=30,
    max_retries=3,
    time_limit=30 * 60,
)
def generate_annual_summary(run_id: int) -> dict:
    """Idempotent: a redelivered run finds its summary there already; a failure is written on
    the run in Chinese for the page that waits on it."""
    from django.utils import timezone

    from .models import SummaryRun
    from .services import run_summary

    try:
        run = run_summary(run_id)
    except OperationalError:
        raise  # retried
    except Exception as error:
        SummaryRun.objects.filter(pk=run_id).update(
            status=SummaryRun.Status.FAILED,
            error=failure_message(error, logger=logger, job=f"{_('Annual summary')} #{run_id}"),
            finished_at=timezone.now(),
        )
        raise
    return {"run": run.pk, "status": run.status}
