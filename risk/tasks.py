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
    time_limit=60 * 60,
)
def run_risk_task(run_id: int) -> dict:
    """A run asked for on the page; a failure is written on the run in Chinese."""
    from django.utils import timezone

    from .models import RiskRun
    from .services import execute_run

    try:
        run = execute_run(run_id)
    except OperationalError:
        raise  # retried
    except Exception as error:
        RiskRun.objects.filter(pk=run_id).update(
            status=RiskRun.Status.FAILED,
            error=failure_message(error, logger=logger, job=f"{_('Dropout risk')} #{run_id}"),
            finished_at=timezone.now(),
        )
        raise
    return {"run": run.pk, "status": run.status}


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=5 * 60)
def recompute_all_scores() -> dict:
    """The nightly run (beat): one `recompute_county_scores` per county in a chord across the
    workers, then the summary (core/county_runs.py). Eager: returns the summary."""
    from core.county_runs import dispatch
    from core.services import today

    return dispatch("risk_scores", recompute_county_scores, today())


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=30,
    max_retries=3,
    time_limit=2 * 60 * 60,
)
def recompute_county_scores(self, county_pk: int, run: str, day: str) -> dict:
    """One county's scores (its children's rows upserted: a repeat rewrites the same rows); on
    the 1st, its backtest too (a new month has become judgeable; each month replaced)."""
    import datetime

    from core.county_runs import run_for_county

    from .services import recompute_scores, run_backtest

    on = datetime.date.fromisoformat(day)

    def work(county):
        scored = {"scored": recompute_scores(county=county)}
        if on.day == 1:
            scored["backtest_rows"] = len(run_backtest(county=county, day=on))
        return scored

    return run_for_county(self, county_pk, run, work)
