"""送教上门: the sessions list, the recording form and the export."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Sum
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.export_jobs import export_fields, posted_query
from core.params import LARGEST_ID, query_int
from enrollment.models import Child, EnrollmentStatus, EnrollmentStatusChange
from enrollment.permissions import get_scoped_or_404, has_any_role

from .. import forms, selectors
from ..filters import HomeTeachingFilter
from ..models import Teacher
from ..roles import HOME_TEACHING_ROLES
from ..services import home_teaching
from .common import _export, _form_page


@login_required
def home_teaching_list(request):
    session_filter = HomeTeachingFilter(
        request.GET or None,
        queryset=selectors.home_teaching_sessions_for(request.user),
        user=request.user,
    )
    sessions = session_filter.qs
    return render(
        request,
        "teachers/home_teaching_list.html",
        {
            "filter": session_filter,
            "page": Paginator(sessions, 50).get_page(request.GET.get("page")),
            "totals": sessions.aggregate(
                sessions=Count("pk"), children=Count("child", distinct=True), hours=Sum("hours")
            ),
            "may_record": has_any_role(request.user, HOME_TEACHING_ROLES),
            "export_query": export_fields(request.GET),
        },
    )


@login_required
@require_POST
def home_teaching_export(request):
    return _export(
        request,
        "teacher_home_teaching",
        _("Home teaching sessions"),
        {"query": posted_query(request)},
    )


def home_delivered_children(user):
    """Children in the user's scope who were ever home-delivered (a session may be recorded
    late, for a day when the child still was)."""
    ever = EnrollmentStatusChange.objects.filter(
        child=OuterRef("pk"), status=EnrollmentStatus.HOME_DELIVERED
    )
    return Child.objects.for_user(user).filter(Exists(ever)).order_by("name", "pk")


@login_required
@require_http_methods(["GET", "POST"])
def home_teaching_new(request):
    user = request.user
    if not has_any_role(user, HOME_TEACHING_ROLES):
        raise PermissionDenied
    initial = {}
    child_pk = query_int(request.GET, "child", minimum=1, maximum=LARGEST_ID)
    if child_pk is not None:
        # From the child's page: a child outside the user's scope is a 404.
        initial["child"] = get_scoped_or_404(Child.objects, user, pk=child_pk).pk
    form = forms.HomeTeachingForm(
        request.POST or None,
        initial=initial,
        children=home_delivered_children(user),
        teachers=Teacher.objects.for_user(user, roles=HOME_TEACHING_ROLES)
        .filter(status=Teacher.Status.ACTIVE)
        .select_related("school")
        .order_by("school__code", "name", "pk"),
    )
    back = reverse("teachers:home_teaching_list")
    return _form_page(
        request,
        form,
        action=lambda d: home_teaching.record_session(actor=user, **d),
        success=_("Home teaching session recorded."),
        done=lambda session: f"{back}?{urlencode({'teacher': session.teacher_id})}",
        title=_("Record a home teaching session"),
        back=back,
    )
