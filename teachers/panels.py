"""What the teachers app adds to the registry's child page: a home-delivered child's last 送教上门
sessions (within the user's scope) and, for those who record them, a link to record one."""

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from enrollment.models import EnrollmentStatus
from enrollment.permissions import has_any_role

from .models import HomeTeachingSession
from .roles import HOME_TEACHING_ROLES

PANEL_SESSIONS = 5


def child_panel(request, child):
    """Shown for a home-delivered child only: no query on the page of every other child (a
    child back in school keeps its sessions on the sessions list)."""
    if child.status != EnrollmentStatus.HOME_DELIVERED:
        return None
    sessions = list(
        HomeTeachingSession.objects.for_user(request.user)
        .filter(child=child)
        .select_related("teacher")
        .order_by("-date", "-pk")[: PANEL_SESSIONS + 1]
    )
    return "teachers/child_panel.html", {
        "sessions": sessions[:PANEL_SESSIONS],
        "more": reverse("teachers:home_teaching_list") if len(sessions) > PANEL_SESSIONS else "",
    }


def child_actions(request, child) -> list[dict]:
    if child.status != EnrollmentStatus.HOME_DELIVERED or not has_any_role(
        request.user, HOME_TEACHING_ROLES
    ):
        return []
    return [
        {
            "url": f"{reverse('teachers:home_teaching_new')}?{urlencode({'child': child.pk})}",
            "label": _("Record home teaching"),
            "icon": "house-heart",
        }
    ]
