"""The scheduled runs over every county (the daily absence escalation, last month's reports, the
nightly risk scores), spread across the Celery workers: one task per county in a chord, whose
callback (`core.tasks.county_run_summary`) adds the counties' figures up and tells each county
whose part failed why, in the product's language, through the notifications.

A county's work is one transaction: when it fails, nothing of it is kept. A county's task
never raises (but for a lost database connection while it may still retry): its failure is
caught, logged and handed to the summary, so one county's failure stops neither the others nor
the summary (a chord whose part raises never calls its callback). Each county's task is
idempotent, as the single run over every county was: a redelivered or repeated county task
does no work twice.

Eager mode (the demo on SQLite, the unit tests: `CELERY_TASK_ALWAYS_EAGER`) runs the chord
inline and needs no result backend; with workers, the chord needs one (Redis:
`CELERY_RESULT_BACKEND`, set with `REDIS_URL`)."""

import datetime
import logging

from django.db import OperationalError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .jobs import failure_message

logger = logging.getLogger(__name__)

# The runs, by the key their tasks pass along: what a user reads as the run's name.
SCHEDULED_RUNS = {
    "daily_dropout": gettext_lazy("The daily absence escalation"),
    "monthly_reports": gettext_lazy("The monthly reports of last month"),
    "risk_scores": gettext_lazy("The nightly dropout-risk scores"),
}


def dispatch(run: str, county_task, day: datetime.date) -> dict:
    """One `county_task(county_pk, run, day)` per county, then the summary. Eager (the demo):
    the chord has run when this returns, and its summary is returned. With workers: returns the
    number of counties and the summary task's id (its result is in the result backend)."""
    from celery import chord
    from celery.result import EagerResult

    from enrollment.models import County

    from .tasks import county_run_summary

    counties = list(County.objects.order_by("pk").values_list("pk", flat=True))
    summary = county_run_summary.s(run, day.isoformat())
    if not counties:  # a chord of nothing never calls its callback
        return county_run_summary([], run, day.isoformat())
    result = chord(county_task.s(pk, run, day.isoformat()) for pk in counties)(summary)
    if isinstance(result, EagerResult):  # it has run, inline
        return result.get(disable_sync_subtasks=False)
    return {"counties": len(counties), "summary": result.id}


def run_for_county(task, county_pk: int, run: str, work) -> dict:
    """`work(county)` → a dict of counts, for one county: {"county": pk, "ok": True, counts…},
    or {"county": pk, "ok": False, "error": what its users read} when it failed. A lost database
    connection is raised while the task may still retry (`task` is the bound task)."""
    from enrollment.models import County

    county = None
    try:
        county = County.objects.get(pk=county_pk)
        # One transaction per county: a step failing after others leaves none of them (what
        # the failure notice tells the bureau), and the next run starts from a whole state.
        with transaction.atomic():
            counts = work(county)
        return {"county": county_pk, "ok": True, **counts}
    except OperationalError:
        if task.request.retries < task.max_retries:
            raise  # retried (autoretry_for)
        error_message = _failure(run, county, county_pk)
    except Exception as error:  # reported below; the other counties go on
        error_message = failure_message(
            error, logger=logger, job=f"{SCHEDULED_RUNS[run]} · {county or county_pk}"
        )
    return {"county": county_pk, "ok": False, "error": error_message}


def _failure(run, county, county_pk) -> str:
    logger.error("%s of county %s: the database stayed unreachable", run, county_pk)
    return failure_message(
        RuntimeError("database unreachable"),
        logger=logger,
        job=f"{SCHEDULED_RUNS[run]} · {county or county_pk}",
    )


def summarise(results: list[dict], run: str, day: str) -> dict:
    """The run's figures over every county (the counts added up), the counties whose part
    failed, and a notification to the county bureau of each of those (administrators and
    staff, once per run and day: a repeated summary does not notify again)."""
    from core.notifications import notify
    from enrollment.models import County
    from enrollment.roles import Role
    from enrollment.selectors import county_users

    totals: dict = {}
    failed = []
    for result in results:
        if not result.get("ok"):
            failed.append(result)
            continue
        for key, value in result.items():
            if key not in ("county", "ok") and isinstance(value, int):
                totals[key] = totals.get(key, 0) + value
    names = dict(
        County.objects.filter(pk__in=[r["county"] for r in failed]).values_list("pk", "name")
    )
    for result in failed:
        notify(
            county_users(result["county"], (Role.COUNTY_ADMIN, Role.BUREAU_STAFF)),
            _("%(run)s of %(day)s did not complete for %(county)s: %(reason)s")
            % {
                "run": SCHEDULED_RUNS[run],
                "day": day,
                "county": names.get(result["county"], result["county"]),
                "reason": result["error"],
            },
            key=f"scheduled-run:{run}:{day}:{result['county']}",
        )
    summary = {
        **totals,
        "counties": len(results),
        "failed": sorted(names.get(r["county"], str(r["county"])) for r in failed),
    }
    log = logger.warning if failed else logger.info
    log("%s of %s over %d counties: %s", run, day, len(results), summary)
    return summary
