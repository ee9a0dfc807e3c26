"""Registrations: the menu, the child page's panel, the exporter, the home queue, the annual
summary's section, the worklist's order and the demo loader. Nothing imports this app: it adds
itself to the registries of core and enrollment."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .roles import READ_ROLES, WEIGHT_ROLES


def nav_menu(request):
    from enrollment.extensions import NavMenu
    from enrollment.permissions import has_any_role

    if not has_any_role(request.user, READ_ROLES):
        return None
    items = [
        {"url": reverse("risk:list"), "label": _("Children at risk")},
        {"url": reverse("risk:backtest"), "label": _("How well the warning worked")},
        {"url": reverse("risk:help"), "label": _("Risk factors")},
    ]
    if has_any_role(request.user, WEIGHT_ROLES):
        items.append({"url": reverse("risk:weights"), "label": _("Risk factor points")})
    return NavMenu(
        label=_("Dropout risk"), icon="exclamation-diamond", items=items, within="dropout_control"
    )


def risk_priority():
    """The worklist's order: each child's current risk score (0 without one)."""
    from django.db.models import OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    from .models import RiskScore

    return Coalesce(
        Subquery(RiskScore.objects.filter(child=OuterRef("pk")).values("score")[:1]), Value(0)
    )


def score_of_child(child_path: str):
    """Each row's child's current risk score (NULL without one): one subquery on the unique
    child index, so a ledger page costs no query per row."""
    from django.db.models import OuterRef, Subquery

    from .models import RiskScore

    return Subquery(RiskScore.objects.filter(child=OuterRef(child_path)).values("score")[:1])


def score_badge(score) -> str:
    """The ledgers' risk cell: the score with its level in words (not by colour alone)."""
    from django.conf import settings
    from django.utils.html import format_html

    if score is None:
        return format_html('<span class="text-secondary">{}</span>', "—")
    if score >= settings.RISK_HIGH_THRESHOLD:
        css, text = "text-bg-danger", _("High risk")
    elif score:
        css, text = "text-bg-warning", _("Watch")
    else:
        css, text = "text-bg-success", _("No sign")
    return format_html(
        '<span class="badge {}" data-risk-score="{}">{} {}</span>', css, score, score, text
    )


def child_score():
    from django.conf import settings

    from enrollment.extensions import ChildScore

    return ChildScore(
        key="risk",
        label=_("Dropout risk"),
        expression=score_of_child,
        levels=[
            ("high", _("High risk"), settings.RISK_HIGH_THRESHOLD),
            ("any", _("Any sign of risk"), 1),
        ],
        badge=score_badge,
    )


def report_line(county, month):
    """The monthly dropout report's line (dropout.extensions): 高风险儿童 N 名，已走访 M 名 for
    the county and each township — the scores as they stand when the report is generated
    (scores keep no history) and the visits dated inside the report's month."""
    from dropout.extensions import ReportLine

    from .selectors import monthly_figures_by_township, monthly_line

    return {
        scope: ReportLine(key="risk.high_risk", text=monthly_line(figures), values=figures)
        for scope, figures in monthly_figures_by_township(county, month=month).items()
    }


def register():
    from core.annual import register_annual_section
    from core.exports import register_exporter
    from core.home import register_home_panel, register_home_queue
    from enrollment.extensions import (
        register_child_panel,
        register_child_priority,
        register_demo_loader,
        register_nav_menu,
    )

    from .annual import annual_section
    from .demo import load_risk_demo
    from .exports import export_risk_list
    from .panels import backtest_panel, child_risk_panel, high_risk_queue

    register_nav_menu(nav_menu)
    register_child_panel(child_risk_panel)
    register_exporter("risk_list", export_risk_list)
    register_home_queue(high_risk_queue, order=30)
    register_home_panel(backtest_panel, order=20)
    register_child_priority(risk_priority)
    from enrollment.extensions import register_child_score

    register_child_score(child_score())
    register_annual_section(annual_section, order=25)
    register_demo_loader(load_risk_demo)
    from dropout.extensions import register_report_line

    register_report_line(report_line)
    from . import tasks  # noqa: F401  (registered with Celery at start-up)
