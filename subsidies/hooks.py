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
        {"url": reverse("subsidies:public_fund_list"), "label": _("Public funds of the schools")},
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


def four_source_gaps(user, township):
    """四查三比对's poverty kind: the township's children of registered poor households that the
    county's latest entitlement check found not paid (or paid short), with the link to it."""
    from enrollment.crosscheck_models import MismatchKind
    from enrollment.extensions import FourSourceCount
    from enrollment.models import REGISTERED_POOR_STATUSES

    from .models import Gap, GapRun

    run = (
        GapRun.objects.for_user(user)
        .filter(county_id=township.county_id, status=GapRun.Status.DONE)
        .order_by("-requested_at", "-pk")
        .first()
    )
    count = 0
    url = reverse("subsidies:gap_runs")
    if run is not None:
        count = (
            Gap.objects.for_user(user)
            .filter(
                run=run,
                township=township,
                kind__in=[Gap.Kind.MISSING, Gap.Kind.SHORT],
                child__household__poverty_status__in=REGISTERED_POOR_STATUSES,
            )
            .values("child")
            .distinct()
            .count()
        )
        url = reverse("subsidies:gap_detail", args=[run.pk])
    return FourSourceCount(
        kind=MismatchKind.POVERTY_NO_SUBSIDY,
        label=str(MismatchKind.POVERTY_NO_SUBSIDY.label),
        count=count,
        url=url,
    )


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
    from core.annual import register_annual_section

    from .annual import annual_section

    register_annual_section(annual_section, order=30)
    from enrollment.extensions import register_four_source_provider

    register_four_source_provider(four_source_gaps)
    # The gap check's task is registered with Celery at start-up, not on first use.
    from . import tasks  # noqa: F401

    try:
        from core.imports import register_importer  # noqa: F401
    except ImportError:  # the shared import pipeline is not there: nothing to register
        return
    from .imports import register_payment_importer

    register_payment_importer()
