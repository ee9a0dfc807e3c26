"""Registrations: the menu link and the demo's summaries (the summary itself shows whatever
the apps register with core.annual)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .roles import READ_ROLES


def nav_menu(request):
    from enrollment.extensions import NavMenu
    from enrollment.permissions import has_any_role

    if not has_any_role(request.user, READ_ROLES):
        return None
    return NavMenu(
        label=_("Annual figures"),
        icon="journal-text",
        items=[{"url": reverse("yearend:summary_list"), "label": _("Annual work figures")}],
    )


def register():
    from enrollment.extensions import register_demo_loader, register_nav_menu
    from enrollment.prefecture import PrefecturePage, register_prefecture_page

    from .demo import load_yearend_demo

    register_nav_menu(nav_menu)
    register_prefecture_page(
        PrefecturePage(label=_("Annual figures by county"), url_name="yearend:prefecture_summaries")
    )
    register_demo_loader(load_yearend_demo)
    from . import tasks  # noqa: F401  (registered with Celery at start-up)
