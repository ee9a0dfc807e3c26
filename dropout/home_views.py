"""The home page: each role's own work queues first (core.home, every app's providers), then,
for the bureau and the townships, the figures of their place (dropout.dashboard)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from core.home import home_panels, home_queues
from enrollment.roles import Role
from enrollment.scoping import user_roles

# The roles whose home goes on with the enrollment figures and charts of their place.
FIGURE_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICIAL})


@login_required
def home(request):
    from enrollment.ledgers import summary_group_label

    from .dashboard import dashboard_figures

    user = request.user
    roles = user_roles(user)
    if not roles:
        return render(request, "enrollment/home.html", {"assignments": []})
    queues = home_queues(user, roles, day=timezone.localdate())
    figures = dashboard_figures(user) if roles & FIGURE_ROLES else None
    if figures is None:
        return render(request, "core/home.html", {"home_queues": queues})
    figures["home_queues"] = queues
    figures["home_panels"] = home_panels(request, roles)  # the other modules' (core.home)
    figures["group_label"] = summary_group_label(figures["group_by"])
    figures["chart"] = {
        "rate_labels": [row["label"] for row in figures["summary_rows"]],
        "rates": [row["rate"] for row in figures["summary_rows"]],
        "trend_labels": [point["month"] for point in figures["trend"]],
        "trend": [point["dropouts"] for point in figures["trend"]],
    }
    return render(request, "dropout/dashboard.html", figures)
