"""Inspections and their attachments."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import run_on_form
from core.pagination import query_without_page
from enrollment.permissions import get_scoped_or_404, user_may

from .. import forms, selectors
from ..models import Inspection, Issue
from ..roles import MANAGE_ROLES
from ..services import inspections as inspection_services
from .common import _form_page, _managed_county, may_manage


@login_required
def inspection_list(request):
    filtered, rows = selectors.inspection_rows(request.user, request.GET)
    selectors.styled(filtered.form)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "inspections/inspection_list.html",
        {
            "filter": filtered,
            "page": page,
            "may_manage": may_manage(request.user),
            "query_string": query_without_page(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def inspection_new(request):
    county = _managed_county(request)
    form = forms.InspectionForm(
        request.POST or None, request.FILES or None, user=request.user, county=county
    )
    if request.method == "POST" and form.is_valid():
        inspection = run_on_form(
            request,
            form,
            lambda d: inspection_services.record_inspection(actor=request.user, county=county, **d),
            _("Inspection recorded."),
        )
        if inspection:
            return redirect("inspections:inspection_detail", pk=inspection.pk)
    return _form_page(request, form, _("Record an inspection"), multipart=True)


def _inspection(request, pk) -> Inspection:
    return get_scoped_or_404(
        Inspection.objects.select_related(
            "school", "township", "section", "group", "campaign", "recorded_by"
        ),
        request.user,
        pk=pk,
    )


@login_required
def inspection_detail(request, pk: int):
    inspection = _inspection(request, pk)
    return render(
        request,
        "inspections/inspection_detail.html",
        {
            "inspection": inspection,
            "areas": inspection.areas.all(),
            "members": inspection.group.members.all() if inspection.group else [],
            "attachments": inspection.attachments.all(),
            "issues": Issue.objects.for_user(request.user)
            .filter(inspection=inspection)
            .select_related("area", "school", "township", "section"),
            "may_manage": user_may(request.user, Inspection.objects, MANAGE_ROLES, inspection),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def inspection_attach(request, pk: int):
    inspection = _inspection(request, pk)
    if not user_may(request.user, Inspection.objects, MANAGE_ROLES, inspection):
        raise PermissionDenied
    form = forms.AttachmentForm(request.POST or None, request.FILES or None)
    back = f"/inspections/inspections/{inspection.pk}/"
    if request.method == "POST" and form.is_valid():
        if run_on_form(
            request,
            form,
            lambda d: inspection_services.add_attachment(
                actor=request.user, inspection=inspection, upload=d["upload"]
            ),
            _("Attachment added."),
        ):
            return redirect(back)
    return _form_page(request, form, _("Add an attachment"), back=back, multipart=True)
