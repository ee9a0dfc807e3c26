"""What the risk warning adds to the registry's child page and to the home page."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from core.home import HomeQueue, QueueItem, counted_items
from enrollment.roles import Role
from enrollment.scoping import assigned_places

from . import selectors
from .models import RiskScore

QUEUE_ROLES = frozenset(
    {Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICIAL, Role.VILLAGE_CADRE}
)


def child_risk_panel(request, child):
    """The badge and the factors behind it; nothing for a child without a score (not in
    school age, not in an at-risk status) or outside the user's scope."""
    score = RiskScore.objects.for_user(request.user).filter(child=child).first()
    if score is None:
        return None
    return "risk/child_panel.html", {
        "risk": score,
        "threshold": settings.RISK_HIGH_THRESHOLD,
    }


def high_risk_queue(user, roles, day) -> list[HomeQueue]:
    """高风险儿童: the highest scores of the user's scope, each with its reasons."""
    if not roles & QUEUE_ROLES:
        return []
    scores = selectors.high_risk(selectors.risk_scores(user))

    def item(score):
        child = score.child
        return QueueItem(
            label=f"{child.name}（{score.score}）",
            url=reverse("enrollment:child_detail", args=[child.pk]),
            detail=score.explanation,
        )

    count, items = counted_items(
        scores.select_related("child").order_by("-score", "child_id"), item
    )
    selectors.high_risk_count(user, counted=count)  # the backtest panel shows it too
    return [
        HomeQueue(
            key="high-risk",
            title=_("High dropout risk"),
            count=count,
            items=items,
            more_url=reverse("risk:list"),
            more_label=_("Open the risk list"),
            empty=_("No child of your scope is at high risk of dropping out."),
            action_url=reverse("risk:backtest"),
            action_label=_("How well the warning worked"),
        )
    ]


def backtest_panel(request, roles):
    """The bureau's overview: the backtest chart of the county (a township official's: their
    township's), with the high-risk count and the link to the list."""
    from enrollment.models import County, Township

    if not roles & QUEUE_ROLES - {Role.VILLAGE_CADRE}:
        return None
    counties = assigned_places(County, request.user)  # the bureau's: no query
    if counties is None:
        county = County.objects.for_user(request.user).order_by("code").first()
    else:
        county = min(counties, key=lambda place: place.code, default=None)
    township = None
    if county is None:
        township = Township.objects.for_user(request.user).select_related("county").first()
        county = township.county if township else None
    if county is None:
        return None
    series = selectors.backtest_series(request.user, county=county, township=township)
    return "risk/backtest_panel.html", {
        "series": series,
        "chart": {key: value for key, value in series.items() if key != "rows"},
        "chart_labels": chart_labels(),
        "high_risk": selectors.high_risk_count(request.user),
    }


def chart_labels() -> dict:
    return {
        "recall5": _("Recall, top 5 %"),
        "recall10": _("Recall, top 10 %"),
        "precision5": _("Precision, top 5 %"),
        "precision10": _("Precision, top 10 %"),
    }
