from celery import shared_task

from .export_jobs import run_export


@shared_task(
    acks_late=True, reject_on_worker_lost=True, time_limit=30 * 60, soft_time_limit=29 * 60
)
def run_export_task(job_id: int) -> str:
    return run_export(job_id).status


@shared_task(
    acks_late=True, reject_on_worker_lost=True, time_limit=30 * 60, soft_time_limit=29 * 60
)
def run_import_check_task(job_id: int) -> str:
    from .import_jobs import run_check

    return run_check(job_id).status


@shared_task(
    acks_late=True, reject_on_worker_lost=True, time_limit=30 * 60, soft_time_limit=29 * 60
)
def run_import_commit_task(job_id: int) -> str:
    from .import_jobs import run_commit

    return run_commit(job_id).status


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=10 * 60)
def county_run_summary(results: list, run: str, day: str) -> dict:
    """The callback of a scheduled run's chord of one task per county (core/county_runs.py):
    the figures added up; each county whose part failed told why."""
    from .county_runs import summarise

    return summarise(results, run, day)
