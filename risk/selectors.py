"""Reads of the risk app: the risk list of a scope, the high-risk figures (the monthly line,
the annual summary, the home queue) and the backtest's series for the chart."""

import datetime

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery

from enrollment.models import HelpPairing, HouseholdVisit
from enrollment.permissions import assignment_county_ids

from .models import RiskBacktest, RiskScore

LIST_LIMIT_MAX = 1000


def last_visit():
    return Subquery(
        HouseholdVisit.objects.filter(children=OuterRef("child_id"))
        .order_by("-visit_date")
        .values("visit_date")[:1]
    )


def open_pairing():
    return Exists(HelpPairing.objects.filter(child=OuterRef("child_id"), end_date__isnull=True))


def risk_scores(user) -> QuerySet:
    scores = RiskScore.objects.for_user(user)
    counties = assignment_county_ids(user)
    if counties and not user.is_superuser:
        # The scope's counties said again on the score's own column (it never widens the
        # scope): PostgreSQL then starts from the (county, score) index rather than from a
        # scan of the county's children to find a township's.
        scores = scores.filter(county_id__in=counties)
    return scores


def filtered(
    scores: QuerySet, *, township=None, village=None, school=None, min_score=None, factor: str = ""
) -> QuerySet:
    if township:
        scores = scores.filter(child__village__township=township)
    if village:
        scores = scores.filter(child__village=village)
    if school:
        scores = scores.filter(child__current_school=school)
    if min_score is not None:
        scores = scores.filter(score__gte=min_score)
    if factor:
        scores = scores.filter(factor_keys__contains=f" {factor} ")
    return scores


def list_rows(scores: QuerySet) -> QuerySet:
    """What the list and the export show of each row (a fixed number of queries)."""
    return (
        scores.select_related(
            "child__village__township", "child__current_school", "child__household"
        )
        .annotate(last_visit=last_visit(), has_pairing=open_pairing())
        .order_by("-score", "child_id")
    )


def high_risk(scores: QuerySet) -> QuerySet:
    return scores.filter(score__gte=settings.RISK_HIGH_THRESHOLD)


# The user object lives for one request: the home page's queue and its backtest panel show the
# same figure, counted once.
_HIGH_RISK_COUNT = "_risk_high_risk_count"


def high_risk_count(user, *, counted: int | None = None) -> int:
    """How many children of the user's scope are at high risk, counted once per request;
    `counted`: the figure a query of this request already returned (remembered, not asked)."""
    if counted is not None:
        setattr(user, _HIGH_RISK_COUNT, counted)
    cached = getattr(user, _HIGH_RISK_COUNT, None)
    if cached is None:
        cached = high_risk(risk_scores(user)).count()
        setattr(user, _HIGH_RISK_COUNT, cached)
    return cached


def visit_in_month(start: datetime.date, end: datetime.date) -> Exists:
    """Whether the scored child has a household visit dated in [start, end]."""
    return Exists(
        HouseholdVisit.objects.filter(
            children=OuterRef("child_id"), visit_date__gte=start, visit_date__lte=end
        )
    )


def visited_between(scores: QuerySet, start: datetime.date, end: datetime.date) -> QuerySet:
    """The scored children with a household visit dated in [start, end]."""
    return scores.filter(visit_in_month(start, end))


def month_span(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and the last day of the month containing `month`."""
    first = month.replace(day=1)
    following = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return first, following - datetime.timedelta(days=1)


def monthly_figures(user, *, month: datetime.date, township=None) -> dict:
    """高风险儿童 N 名，已走访 M 名: today's high-risk children of the scope and, of them, those
    visited in `month` (two counts)."""
    scores = high_risk(filtered(risk_scores(user), township=township))
    start, last = month_span(month)
    return {
        "high_risk": scores.count(),
        "visited": visited_between(scores, start, last).count(),
    }


def monthly_figures_by_township(county, *, month: datetime.date) -> dict:
    """The monthly line's figures of the whole county and of each of its townships, for the
    monthly dropout report (no user: the report is generated for the county and each township
    alike): {"county": {"high_risk", "visited"}, <township id>: {…}, …}, in one grouped query.
    Townships without a high-risk child are in the answer with zeros. Empty when the county's
    scores were never computed (no line rather than a misleading 0)."""
    from django.db.models import Count

    from enrollment.models import Township

    scores = RiskScore.objects.filter(county=county)
    if not scores.exists():
        return {}
    start, last = month_span(month)
    rows = (
        high_risk(scores)
        .values(township_id=F("child__village__township_id"))
        .annotate(
            high_risk=Count("pk"),
            visited=Count("pk", filter=Q(visit_in_month(start, last))),
        )
        .order_by()
    )
    result = {
        township_id: {"high_risk": 0, "visited": 0}
        for township_id in Township.objects.filter(county=county).values_list("pk", flat=True)
    }
    for row in rows:
        result[row["township_id"]] = {"high_risk": row["high_risk"], "visited": row["visited"]}
    result["county"] = {
        key: sum(figures[key] for figures in result.values()) for key in ("high_risk", "visited")
    }
    return result


def monthly_line(figures: dict) -> str:
    return f"高风险儿童{figures['high_risk']}名，已走访{figures['visited']}名"


def backtest_series(user, *, county, township=None) -> dict:
    """The chart's series: per judged month, recall and precision at the top 5 % and 10 %."""
    rows = list(
        RiskBacktest.objects.for_user(user)
        .filter(county=county)
        .filter(Q(township=township) if township else Q(township__isnull=True))
        .order_by("month")
    )
    return {
        "labels": [row.month.strftime("%Y-%m") for row in rows],
        "recall5": [row.top5_recall for row in rows],
        "recall10": [row.top10_recall for row in rows],
        "precision5": [row.top5_precision for row in rows],
        "precision10": [row.top10_precision for row in rows],
        "rows": rows,
    }
