"""Identification of students in financial difficulty: applications, decisions, the notice."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.pagination import query_without_page
from enrollment.models import School
from enrollment.permissions import get_scoped_or_404, has_any_role, user_may

from .. import forms
from ..filters import IdentificationFilter
from ..models import DifficultyIdentification
from ..roles import IDENTIFY_ROLES
from ..services import identification as identification_services
from .common import _child_by_id, _error, _form_page, _int, _page


@login_required
def identification_list(request):
    identifications = IdentificationFilter(
        request.GET,
        queryset=DifficultyIdentification.objects.for_user(request.user).select_related(
            "child__household", "school"
        ),
        request=request,
    )
    may_identify = has_any_role(request.user, IDENTIFY_ROLES)
    schools = School.objects.for_user(request.user, roles=IDENTIFY_ROLES).order_by("code")
    return render(
        request,
        "subsidies/identification_list.html",
        {
            "filter": identifications,
            "page": _page(request, identifications.qs),
            "may_identify": may_identify,
            "notice_form": forms.NoticeForm(
                schools=schools, initial={"school_year": timezone.localdate().year}
            ),
            "query": query_without_page(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def identification_apply(request):
    if not has_any_role(request.user, IDENTIFY_ROLES):
        raise PermissionDenied
    form = forms.ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        child = _child_by_id(request.user, data.pop("resident_id"))
        if child is None:
            form.add_error("resident_id", _("No child with this resident ID in your scope."))
        else:
            try:
                identification_services.apply(actor=request.user, child=child, **data)
            except DomainError as error:
                _error(form, error)
            else:
                messages.success(request, _("Application recorded."))
                return redirect("subsidies:identification_list")
    return _form_page(
        request,
        form,
        _("Application for identification"),
        back=reverse("subsidies:identification_list"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def identification_decide(request, pk: int):
    item = get_scoped_or_404(
        DifficultyIdentification.objects.select_related("child", "school__township"),
        request.user,
        pk=pk,
    )
    if not user_may(request.user, DifficultyIdentification.objects, IDENTIFY_ROLES, item):
        raise PermissionDenied
    decide_title = _("Decide the level")
    form = forms.DecideForm(request.POST or None, initial={"level": item.applied_level})
    if request.method == "POST" and form.is_valid():
        try:
            identification_services.decide(
                actor=request.user, identification=item, **form.cleaned_data
            )
        except DomainError as error:
            _error(form, error)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("subsidies:identification_list")
    return _form_page(
        request,
        form,
        f"{decide_title} · {item.child.name}",
        back=reverse("subsidies:identification_list"),
    )


@login_required
@require_POST
def identification_school_action(request, action: str):
    if action not in ("pre-identify", "notice", "file"):
        raise Http404
    schools = School.objects.for_user(request.user, roles=IDENTIFY_ROLES)
    form = forms.NoticeForm(request.POST, schools=schools)
    if not form.is_valid():
        raise PermissionDenied if not schools.exists() else Http404
    data = form.cleaned_data
    try:
        if action == "pre-identify":
            count = identification_services.pre_identify(
                actor=request.user, school=data["school"], school_year=data["school_year"]
            )
        elif action == "notice":
            if not data["notice_from"] or not data["notice_until"]:
                raise DomainError(_("Enter the dates of the public notice."))
            count = identification_services.publish_notice(actor=request.user, **data)
        else:
            count = identification_services.file_identifications(
                actor=request.user, school=data["school"], school_year=data["school_year"]
            )
        messages.success(request, _("%(count)d identifications updated.") % {"count": count})
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("subsidies:identification_list")


@login_required
def identification_notice(request):
    """The printable public notice (公示名单) of a school and year."""
    school = get_scoped_or_404(
        School.objects.select_related("township"), request.user, pk=_int(request.GET.get("school"))
    )
    year = _int(request.GET.get("school_year"))
    items = (
        DifficultyIdentification.objects.for_user(request.user)
        .filter(school=school, school_year=year)
        .exclude(level__in=["", "none"])
        .select_related("child")
        .order_by("child__name", "pk")
    )
    return render(
        request,
        "subsidies/identification_notice.html",
        {"school": school, "year": year, "items": items, "today": timezone.localdate()},
    )
