"""What the dropout procedure adds to the registry's child page."""

from django.db.models import Exists, OuterRef, Prefetch
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from enrollment.models import Child, EnrollmentStatus
from enrollment.permissions import user_may

from .models import AbsenceReport, DropoutCase, ExemptionRequest, ExemptionStep
from .roles import ABSENCE_ROLES, EXEMPTION_REGISTER_ROLES, OPEN_CASE_ROLES


def _cases_of(request, child) -> list[DropoutCase]:
    """Every case of the child, each marked whether the user's scopes show it: one query serves
    the panel (the visible ones) and the actions (whether any case is open, visible or not).
    Kept on the child object, which the panel and the actions of one page share."""
    cases = getattr(child, "_dropout_cases", None)
    if cases is None:
        in_scope = DropoutCase.objects.for_user(request.user).filter(pk=OuterRef("pk"))
        cases = list(
            DropoutCase.objects.filter(child=child)
            .annotate(visible=Exists(in_scope))
            .order_by("-pk")
        )
        child._dropout_cases = cases
    return cases


def child_panel(request, child):
    cases = [case for case in _cases_of(request, child) if case.visible]
    requests = (
        ExemptionRequest.objects.for_user(request.user)
        .filter(child=child)
        .prefetch_related(Prefetch("steps", queryset=ExemptionStep.objects.select_related("actor")))
        .order_by("-pk")
    )
    absences = AbsenceReport.objects.for_user(request.user).filter(child=child).order_by("-pk")
    return "dropout/child_panel.html", {
        "cases": cases,
        "exemption_requests": requests,
        "absences": absences[:5],
    }


def _has_open_case(request, child) -> bool:
    return any(case.is_open for case in _cases_of(request, child))


def child_actions(request, child) -> list[dict]:
    user, links = request.user, []
    query = urlencode({"child": child.pk})
    if (
        user_may(user, Child.objects, OPEN_CASE_ROLES, child)
        and child.status not in (EnrollmentStatus.MOVED_AWAY, EnrollmentStatus.DECEASED)
        and not _has_open_case(request, child)
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


def search_cases(user, query):
    """The header search's cases: by the child's name or ID, within the user's scope."""
    from django.db.models import Q

    from enrollment.search import LIMIT, Group, Result

    from .selectors import cases_for

    if query.kind == "resident_id":
        match = Q(child__resident_id=query.text)
    elif query.kind == "id_digits":
        match = Q(child__resident_id__endswith=query.text)
    else:
        match = Q(child__name__icontains=query.text)
    cases = list(cases_for(user).filter(match)[: LIMIT + 1])
    results = [
        Result(
            url=reverse("dropout:case_detail", args=[case.pk]),
            title=f"#{case.pk} {case.child.name}",
            lines=[
                f"{case.get_status_display()} · {case.get_cause_display()}",
                f"{case.township.name} · {case.child.village.name}",
            ],
        )
        for case in cases[:LIMIT]
    ]
    return Group("cases", _("Dropout cases"), results, more=len(cases) > LIMIT)
