from django.urls import reverse
from django.utils.translation import gettext as _

from .crosscheck import CROSSCHECK_ROLES
from .extensions import NavMenu
from .permissions import has_any_role
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
