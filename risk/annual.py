"""The dropout-risk section of the annual summary (core.annual, order 25): 高风险儿童 N 名，
已走访 M 名 — the children at high risk on the summary's day and, of them, those visited in
the calendar year.

The current year reads today's scores (the risk list, filtered to the township and the
threshold, holds exactly the figure's rows). A past year's scores are not stored: they are
computed as of the year's last day from the records known then (the backtest's rule), with the
county's points of today; that figure has no list behind it."""

import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from core.annual import CALENDAR, ON_DAY, AnnualScope, Figure, Section
from core.services import today
from enrollment.models import Child

from . import selectors
from .scoring import score_county
from .services import county_points

WIDE_CHUNK = 20000  # a past year's scores: few chunks, so few queries


def _past_high_risk_ids(scope: AnnualScope) -> list[int]:
    end = scope.day + datetime.timedelta(days=1)
    threshold = settings.RISK_HIGH_THRESHOLD
    points = county_points(scope.county)
    return [
        item.child_id
        for chunk in score_county(
            scope.county, end=end, points=points, as_of=True, chunk=WIDE_CHUNK
        )
        for item in chunk
        if item.score >= threshold
        and (scope.township is None or item.township_id == scope.township.pk)
    ]


def annual_section(scope: AnnualScope) -> Section | None:
    start, end = scope.calendar
    drill = ""
    if scope.day >= today():
        scores = selectors.high_risk(selectors.risk_scores(scope.user).filter(county=scope.county))
        if scope.township is not None:
            scores = scores.filter(child__village__township=scope.township)
        high = scores.count()
        visited = selectors.visited_between(scores, start, end).count()
        query = {"min_score": settings.RISK_HIGH_THRESHOLD}
        if scope.township is not None:
            query["township"] = scope.township.pk
        drill = f"{reverse('risk:list')}?{urlencode(query)}"
    else:
        children = Child.objects.for_user(scope.user).filter(pk__in=_past_high_risk_ids(scope))
        high = children.count()
        visited = (
            children.filter(visits__visit_date__gte=start, visits__visit_date__lte=end)
            .distinct()
            .count()
        )
    return Section(
        key="risk",
        title=_("Dropout risk warning"),
        figures=[
            Figure(
                key="risk.high",
                label=_("Children at high risk of dropping out"),
                value=high,
                unit="名",
                basis=ON_DAY,
                drill_url=drill,
            ),
            Figure(
                key="risk.high_visited",
                label=_("Of whom visited in the year"),
                value=visited,
                unit="名",
                basis=CALENDAR,
            ),
        ],
        sentences=[selectors.monthly_line({"high_risk": high, "visited": visited}) + "。"],
    )
