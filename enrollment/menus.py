from django.urls import reverse
from django.utils.translation import gettext as _

from .crosscheck import CROSSCHECK_ROLES
from .extensions import NavMenu
from .permissions import has_any_role
from .registers import REGISTER_ROLES
from .roles import Role
from .scoping import role_assignments


def import_roles() -> frozenset:
    """Whoever may use one of the registered importers (each declares its roles)."""
    from core.imports import importers

    return frozenset().union(*(importer.roles for importer in importers()))


def excel_menu(request):
    """Excel in and out: imports, the cross-check, the export log (by role)."""
    user = request.user
    if not user.is_authenticated or not role_assignments(user) and not user.is_superuser:
        return None
    items = []
    if has_any_role(user, import_roles()):
        items.append({"url": reverse("core:import_list"), "label": _("Excel imports")})
    if has_any_role(user, CROSSCHECK_ROLES):
        items.append({"url": reverse("enrollment:crosscheck_index"), "label": _("Cross-check")})
    if has_any_role(user, REGISTER_ROLES | {Role.AUDITOR}):
        items.append(
            {
                "url": reverse("enrollment:left_registers"),
                "label": _("Households that left a poverty register"),
            }
        )
    if has_any_role(user, {Role.COUNTY_ADMIN, Role.AUDITOR}):
        items.append({"url": reverse("enrollment:excel_log"), "label": _("Export and import log")})
    if not items:
        return None
    return NavMenu(label=_("Excel"), icon="file-earmark-spreadsheet", items=items)


def account_menu(request):
    """The user's own API tokens; for county administrators, their users' tokens and lockouts."""
    user = request.user
    if not user.is_authenticated:
        return None
    items = [{"url": reverse("core:token_list"), "label": _("My API tokens")}]
    if has_any_role(user, {Role.COUNTY_ADMIN}):
        items.append({"url": reverse("enrollment:account_list"), "label": _("Users and logins")})
    return NavMenu(label=_("Account"), icon="person-lock", items=items)


def help_menu(request):
    """帮扶: the help activities and the partner units (every role reads them within its
    scope); the school-year promotion for the bureau."""
    from .roles import PROMOTION_ROLES

    user = request.user
    if not user.is_authenticated or not role_assignments(user) and not user.is_superuser:
        return None
    items = [
        {"url": reverse("enrollment:help_activity_list"), "label": _("Help activities")},
        {"url": reverse("enrollment:partner_unit_list"), "label": _("Partner units")},
    ]
    if has_any_role(user, PROMOTION_ROLES):
        items.append({"url": reverse("enrollment:promotion"), "label": _("School-year promotion")})
    return NavMenu(label=_("Help"), icon="people", items=items, within="dropout_control")


def prefecture_menu(request):
    """市: the city bureau's overview of its counties and the modules' roll-ups (figures only)."""
    from .prefecture import PREFECTURE_PAGES, user_prefectures

    user = request.user
    if not user.is_authenticated or not any(
        assignment.scope_kind == "prefecture" for assignment in role_assignments(user)
    ):
        return None
    items = []
    for prefecture in user_prefectures(user):
        items.append(
            {
                "url": reverse("enrollment:prefecture_overview", args=[prefecture.pk]),
                "label": _("%(name)s: counties overview") % {"name": prefecture.name},
            }
        )
        items += [
            {"url": reverse(page.url_name, args=[prefecture.pk]), "label": str(page.label)}
            for page in PREFECTURE_PAGES
        ]
    return NavMenu(label=_("City"), icon="buildings", items=items) if items else None
