import logging

from celery import shared_task
from django.db import OperationalError

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=30,
    max_retries=3,
    time_limit=15 * 60,
)
def lapse_unconfirmed_transfers() -> dict:
    """Daily: moves out whose destination has not confirmed in time return the child to the
    unaccounted list (idempotent: a rerun finds nothing left)."""
    from .services import lapse_overdue

    return {"lapsed": lapse_overdue()}
