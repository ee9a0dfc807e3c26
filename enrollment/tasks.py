"""Background work of the registry: the school-year promotion of a whole county (150,000
children take minutes, longer than a page may wait)."""

import logging

from celery import shared_task
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext as _

from core.jobs import failure_message
from core.notifications import notify

from .models import County

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=30 * 60)
def run_promotion(county_id: int, year: int, actor_id: int) -> dict | None:
    """Idempotent (the promotion leaves a promoted pupil alone), so a redelivered task changes
    nothing more; the requester is told the counts, or why nothing was changed."""
    from .promotion import promote_school_year

    county = County.objects.get(pk=county_id)
    actor = get_user_model().objects.get(pk=actor_id)
    link = reverse("enrollment:promotion")
    try:
        counts = promote_school_year(county=county, year=year, actor=actor)
    except Exception as error:  # told to the requester; nothing was written
        notify(
            [actor],
            _("The school-year promotion of %(year)s failed: %(reason)s")
            % {"year": year, "reason": failure_message(error, logger=logger, job="promotion")},
            link=link,
        )
        return None
    notify(
        [actor],
        _(
            "School year %(year)s: %(promoted)s pupils moved up a grade, %(primary)s "
            "primary graduates await their junior school, %(junior)s completed "
            "junior secondary."
        )
        % {
            "year": year,
            "promoted": counts["promoted"],
            "primary": counts["primary_graduates"],
            "junior": counts["junior_graduates"],
        },
        link=link,
    )
    return counts
