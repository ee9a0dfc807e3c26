from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=30 * 60)
def run_gap_check_task(run_id: int) -> dict:
    from .services.gaps import run_gap_check

    run = run_gap_check(run_id)
    return {"run": run.pk, "status": run.status, "counts": run.counts}
