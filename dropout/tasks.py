from celery import shared_task

from .services.absences import advance_absences
from .services.cases import notify_overdue_notices, strike_off_consolidated
from .services.exemptions import notify_due_back


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=30 * 60)
def daily_dropout_run() -> dict:
    """Every step is idempotent, so a redelivered or repeated run changes nothing more."""
    moved = advance_absences()
    return {
        **moved,
        "struck_off": strike_off_consolidated(),
        "due_back": notify_due_back(),
        "overdue_notices": notify_overdue_notices(),
    }
