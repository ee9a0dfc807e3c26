"""Registrations with the registry and core: the menu, the exporters, the demo loader and the
payment-list importer."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def nav_menu(request):
    from enrollment.extensions import NavMenu
    from enrollment.scoping import role_assignments, user_roles

    user = request.user
    if not (user.is_superuser or user_roles(user)):
        return None
    items = [
        {"url": reverse("subsidies:payment_list"), "label": _("Payments")},
        {"url": reverse("subsidies:batch_list"), "label": _("Payment batches")},
        {"url": reverse("subsidies:totals"), "label": _("Totals")},
        {"url": reverse("subsidies:gap_runs"), "label": _("Entitlement check")},
        {"url": reverse("subsidies:identification_list"), "label": _("Economic difficulty")},
        {"url": reverse("subsidies:programme_list"), "label": _("Programme catalogue")},
    ]
    # The fund and the donations are the county's (scope COUNTY_ONLY): only users with a
    # county-wide scope can open them.
    if user.is_superuser or any(a.county_id for a in role_assignments(user)):
        items[-1:-1] = [
            {"url": reverse("subsidies:fund_ledger"), "label": _("Relief fund")},
            {"url": reverse("subsidies:donation_list"), "label": _("Donations")},
        ]
    return NavMenu(label=_("Subsidies"), icon="cash-coin", items=items)


def register():
    from core.exports import register_exporter
    from enrollment.extensions import register_demo_loader, register_nav_menu

    from .demo import load_subsidies_demo
    from .exports import EXPORTERS

    register_nav_menu(nav_menu)
    from core.home import register_home_queue

    from .home import approval_queues

    register_home_queue(approval_queues, order=20)
    from enrollment.extensions import register_child_panel

    from .panels import child_panel

    register_child_panel(child_panel)
    for name, function in EXPORTERS.items():
        register_exporter(name, function)
    register_demo_loader(load_subsidies_demo)
    # The gap check's task is registered with Celery at start-up, not on first use.
    from . import tasks  # noqa: F401

    try:
        from core.imports import register_importer  # noqa: F401
    except ImportError:  # the shared import pipeline is not there: nothing to register
        return
    from .imports import register_payment_importer

    register_payment_importer()
