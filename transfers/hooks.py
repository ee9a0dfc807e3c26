"""Registrations: the menu, the child page's panel (转出 and the transfers of the child), the home
queue and the demo loader. Nothing imports this app: it adds itself to the registries of core
and enrollment."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .roles import PROPOSE_ROLES


def nav_menu(request):
    from enrollment.extensions import NavMenu
    from enrollment.permissions import has_any_role

    from .home import QUEUE_ROLES

    if not has_any_role(request.user, QUEUE_ROLES):
        return None
    return NavMenu(
        label=_("Transfers"),
        icon="arrow-left-right",
        items=[
            {"url": reverse("transfers:list") + "?status=pending", "label": _("Under way")},
            {"url": reverse("transfers:list"), "label": _("All transfers")},
        ],
        within="dropout_control",
    )


def child_transfer_panel(request, child):
    """The child's transfers, and 转出/转学 for the roles of the sending side."""
    from enrollment.models import DEPARTED_STATUSES, Child
    from enrollment.permissions import user_may

    from .models import Transfer

    transfers = list(
        Transfer.objects.for_user(request.user)
        .filter(child=child)
        .select_related("from_township", "to_township")
        .order_by("-pk")[:10]
    )
    pending = any(t.is_pending for t in transfers)
    may_move = (
        not pending
        and child.status not in DEPARTED_STATUSES
        and user_may(request.user, Child.objects, PROPOSE_ROLES, child)
    )
    if not transfers and not may_move:
        return None
    return "transfers/child_panel.html", {
        "transfers": transfers,
        "may_move": may_move,
        "child": child,
    }


def register():
    from core.home import register_home_queue
    from enrollment.extensions import (
        register_child_panel,
        register_demo_loader,
        register_nav_menu,
    )

    from .demo import load_transfers_demo
    from .home import pending_transfers_queue

    register_nav_menu(nav_menu)
    register_child_panel(child_transfer_panel)
    register_home_queue(pending_transfers_queue, order=40)
    register_demo_loader(load_transfers_demo)
    from . import tasks  # noqa: F401  (registered with Celery at start-up)
