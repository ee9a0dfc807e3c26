"""Writes of the risk app: the county's points, the scores (set-based, chunked), the backtest
and the runs that compute them on demand."""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.bulk_copy import copy_upsert
from core.errors import DomainError
from core.services import today
from enrollment.models import County, Township
from enrollment.permissions import require_county_role

from .backtest import month_figures, new_dropouts, ranked_by_month
from .factors import DEFAULT_POINTS, FACTOR_KEYS, FACTORS_BY_KEY
from .models import RiskBacktest, RiskRun, RiskScore, RiskWeight
from .roles import RUN_ROLES, WEIGHT_ROLES
from .scoring import population, score_county

logger = logging.getLogger(__name__)
BACKTEST_MONTHS = 24
HORIZON_MONTHS = 3  # a month's scores are judged by the new dropouts of the next three months


def county_points(county) -> dict[str, int]:
    """The points of every factor in the county: its own where set, the defaults otherwise."""
    points = dict(DEFAULT_POINTS)
    points.update(RiskWeight.objects.filter(county=county).values_list("factor", "points"))
    return points


@transaction.atomic
def set_points(*, actor, county: County, points: dict[str, int]) -> list[RiskWeight]:
    """Set the county's points (a value equal to the default is stored too: the county chose
    it). Refused without the role; nothing changes if any value is out of range."""
    require_county_role(actor, county.pk, WEIGHT_ROLES)
    unknown = set(points) - set(FACTOR_KEYS)
    if unknown:
        raise DomainError(_("Unknown factor: %(keys)s") % {"keys": ", ".join(sorted(unknown))})
    saved = []
    for key, value in points.items():
        weight = RiskWeight.objects.filter(county=county, factor=key).first() or RiskWeight(
            county=county, factor=key
        )
        weight.points, weight.updated_by = value, actor
        try:
            weight.full_clean()
        except ValidationError as error:
            raise DomainError(
                _("%(factor)s: %(error)s")
                % {"factor": FACTORS_BY_KEY[key].label, "error": "; ".join(error.messages)},
                field="points",
            ) from None
        weight.save()
        saved.append(weight)
    return saved


def keys_text(factors: list[dict]) -> str:
    return " " + " ".join(item["key"] for item in factors) + " " if factors else ""


def recompute_scores(*, county: County, progress=None, chunk: int | None = None) -> int:
    """Today's scores of the county's children (one current row per child), written chunk by
    chunk with bulk upserts; children no longer scored (left school age, dropped out, moved)
    lose their row. Returns the number of children scored."""
    day = today()
    end = day + datetime.timedelta(days=1)
    points = county_points(county)
    total = 0
    kwargs = {"chunk": chunk} if chunk else {}
    for scored in score_county(county, end=end, points=points, as_of=False, **kwargs):
        copy_upsert(
            RiskScore,
            [
                {
                    "child_id": item.child_id,
                    "county_id": county.pk,
                    "score": item.score,
                    "computed_on": day,
                    "factors": item.factors,
                    "factor_keys": keys_text(item.factors),
                }
                for item in scored
            ],
            unique="child_id",
            fields=["county_id", "score", "computed_on", "factors", "factor_keys"],
        )
        total += len(scored)
        if progress:
            progress(total)
    # Children who left the population (school age, an at-risk status) lose their row.
    still = population(county, end=end).values("pk")
    RiskScore.objects.filter(county=county).exclude(child__in=still).delete()
    return total


def month_starts(day: datetime.date, months: int) -> list[datetime.date]:
    """The first days of the `months` months whose three following months have all passed by
    `day` (oldest first)."""
    first = day.replace(day=1)
    starts = []
    for back in range(HORIZON_MONTHS, HORIZON_MONTHS + months):
        year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
        starts.append(datetime.date(year, month + 1, 1))
    return starts[::-1]


def add_months(day: datetime.date, months: int) -> datetime.date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return datetime.date(year, month + 1, 1)


def run_backtest(
    *, county: County, months: int = BACKTEST_MONTHS, day=None, progress=None
) -> list[RiskBacktest]:
    """The backtest of the county's last `months` judged months, stored per month and scope
    (each month replaced atomically)."""
    points = county_points(county)
    townships = set(Township.objects.filter(county=county).values_list("pk", flat=True))
    written = []
    starts = month_starts(day or today(), months)
    ranked = ranked_by_month(county, months=starts, points=points)
    if progress:
        progress(1, len(starts) + 1)
    for done, month in enumerate(starts, start=2):
        keys, township_of = ranked.pop(month)
        dropped = new_dropouts(county, start=month, until=add_months(month, HORIZON_MONTHS))
        figures = month_figures(keys, township_of, dropped)
        with transaction.atomic():
            RiskBacktest.objects.filter(county=county, month=month).delete()
            rows = [
                RiskBacktest(county=county, township_id=township_id, month=month, **values)
                for township_id, values in figures.items()
                if township_id is None or township_id in townships
            ]
            written.extend(RiskBacktest.objects.bulk_create(rows))
        if progress:
            progress(done, len(starts) + 1)
    return written


# --- runs on demand ----------------------------------------------------------------------------


def request_run(*, actor, county: County, kind: str) -> RiskRun:
    require_county_role(actor, county.pk, RUN_ROLES)
    if kind not in RiskRun.Kind.values:
        raise DomainError(_("Choose what to compute."), field="kind")
    with transaction.atomic():
        run = RiskRun.objects.create(county=county, kind=kind, requested_by=actor)
        from .tasks import run_risk_task

        transaction.on_commit(lambda: run_risk_task.delay(run.pk))
    return run


def _progress(run, done, total):
    RiskRun.objects.filter(pk=run.pk).update(
        steps_done=done, steps_total=max(total, 1), status=RiskRun.Status.RUNNING
    )


def execute_run(run_id: int) -> RiskRun:
    """Do a run (idempotent: a finished run is left alone)."""
    run = RiskRun.objects.select_related("county").get(pk=run_id)
    if run.is_finished:
        return run
    if run.kind == RiskRun.Kind.BACKTEST:
        run_backtest(county=run.county, progress=lambda d, t: _progress(run, d, t))
    else:
        from enrollment.models import Child

        expected = Child.objects.filter(village__township__county=run.county).count()
        recompute_scores(county=run.county, progress=lambda d: _progress(run, d, expected))
    RiskRun.objects.filter(pk=run.pk).update(status=RiskRun.Status.DONE, finished_at=timezone.now())
    run.refresh_from_db()
    return run
