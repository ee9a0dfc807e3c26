"""What the dropout procedure adds to the registry's child page."""

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from enrollment.models import Child, EnrollmentStatus
from enrollment.permissions import user_may
from enrollment.roles import ABSENCE_ROLES, EXEMPTION_REGISTER_ROLES, OPEN_CASE_ROLES

from .models import AbsenceReport, DropoutCase, ExemptionRequest


def child_panel(request, child):
    cases = DropoutCase.objects.for_user(request.user).filter(child=child).order_by("-pk")
    requests = (
        ExemptionRequest.objects.for_user(request.user)
        .filter(child=child)
        .prefetch_related("steps__actor")
        .order_by("-pk")
    )
    absences = AbsenceReport.objects.for_user(request.user).filter(child=child).order_by("-pk")
    return "dropout/child_panel.html", {
        "cases": cases,
        "exemption_requests": requests,
        "absences": absences[:5],
    }


def _has_open_case(child) -> bool:
    return DropoutCase.objects.filter(child=child, status__in=DropoutCase.OPEN_STATUSES).exists()


def child_actions(request, child) -> list[dict]:
    user, links = request.user, []
    query = urlencode({"child": child.pk})
    if (
        user_may(user, Child.objects, OPEN_CASE_ROLES, child)
        and child.status not in (EnrollmentStatus.MOVED_AWAY, EnrollmentStatus.DECEASED)
        and not _has_open_case(child)
    ):
        links.append(
            {
                "url": f"{reverse('dropout:open_case')}?{query}",
                "label": _("Open dropout case"),
                "icon": "exclamation-octagon",
                "style": "danger",
            }
        )
    if (
        user_may(user, Child.objects, ABSENCE_ROLES, child)
        and child.current_school_id
        and child.status == EnrollmentStatus.IN_SCHOOL
    ):
        links.append(
            {
                "url": f"{reverse('dropout:absence_new')}?{query}",
                "label": _("Report absence"),
                "icon": "calendar-x",
            }
        )
    if user_may(user, Child.objects, EXEMPTION_REGISTER_ROLES, child):
        links.append(
            {
                "url": f"{reverse('dropout:exemption_new')}?{query}",
                "label": _("Exemption request"),
                "icon": "file-earmark-medical",
            }
        )
    return links
