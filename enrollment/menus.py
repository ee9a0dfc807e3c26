from django.urls import reverse
from django.utils.translation import gettext as _

from .extensions import NavMenu
from .permissions import has_any_role
from .roles import Role
from .scoping import role_assignments

CROSSCHECK_ROLES = frozenset(
    {Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICIAL, Role.INSPECTOR, Role.AUDITOR}
)
IMPORT_ROLES = frozenset(
    {Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICIAL, Role.SCHOOL_STAFF}
)


def excel_menu(request):
    """Excel in and out: imports, the cross-check, the export log (by role)."""
    user = request.user
    if not user.is_authenticated or not role_assignments(user) and not user.is_superuser:
        return None
    items = []
    if has_any_role(user, IMPORT_ROLES):
        items.append({"url": reverse("core:import_list"), "label": _("Excel imports")})
    if has_any_role(user, CROSSCHECK_ROLES):
        items.append({"url": reverse("enrollment:crosscheck_index"), "label": _("Cross-check")})
    if has_any_role(user, {Role.COUNTY_ADMIN, Role.AUDITOR}):
        items.append({"url": reverse("enrollment:excel_log"), "label": _("Export and import log")})
    if not items:
        return None
    return NavMenu(label=_("Excel"), icon="file-earmark-spreadsheet", items=items)
