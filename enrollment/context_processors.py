from core.notifications import unread_count

from .extensions import NAV_MENUS
from .menus import account_menu
from .roles import RECORD_VISIT_ROLES, REGISTER_CHILD_ROLES, Role
from .scoping import user_post, user_roles


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .views import role_home_links

    roles = user_roles(user)
    return {
        "nav_scopes": role_home_links(user),
        "nav_may_register": user.is_superuser or bool(roles & REGISTER_CHILD_ROLES),
        "nav_sees_unaccounted": user.is_superuser
        or bool(roles & (RECORD_VISIT_ROLES | {Role.INSPECTOR, Role.AUDITOR})),
        "nav_is_admin": user.is_staff,
        # 我的走访 (the offline visit workbench): the officials who go on household visits.
        "nav_visits_app": bool(roles & {Role.TOWNSHIP_OFFICIAL, Role.VILLAGE_CADRE}),
        # The API serves the offices' systems; a village cadre works in the pages only.
        "nav_sees_api": user.is_superuser or bool(roles - {Role.VILLAGE_CADRE}),
        "nav_sees_audit": user.is_superuser or bool(roles & {Role.COUNTY_ADMIN, Role.AUDITOR}),
        "nav_roles": [Role(role).label for role in sorted(roles)],
        "nav_post": user_post(user),
        "nav_unread_notifications": unread_count(user),
        **_menus(request),
        # The person's own account pages: in the menu under their name, not in the bar.
        "nav_account": account_menu(request),
    }


def _menus(request) -> dict:
    """The registered menus: those of the bar, and the sections of the 控辍保学 menu."""
    menus = [menu for menu in (build(request) for build in NAV_MENUS) if menu]
    return {
        "nav_menus": [menu for menu in menus if not menu.within],
        "nav_dropout_sections": [menu for menu in menus if menu.within == "dropout_control"],
    }
