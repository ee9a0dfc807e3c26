from celery import shared_task

from .services.issues import notify_overdue_issues


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=30 * 60)
def notify_overdue_issues_task() -> int:
    """Idempotent: an issue is flagged and its unit notified once per deadline."""
    return notify_overdue_issues()
