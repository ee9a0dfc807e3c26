"""Complaints: registering, the steps of handling them, linking records."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import run_on_form
from core.export_jobs import export_fields, export_redirect, posted_filters
from core.pagination import query_without_page
from enrollment.permissions import get_scoped_or_404, user_may

from .. import forms, selectors
from ..exports import COMPLAINT_QUERY_KEYS
from ..models import Complaint, Issue, RecordLink
from ..roles import MANAGE_ROLES
from ..services import complaints as complaint_services
from .common import _form_page, _link_view, _links, _managed_county, may_manage


@login_required
def complaint_list(request):
    filtered, rows = selectors.complaint_rows(request.user, request.GET)
    selectors.styled(filtered.form)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for complaint in page:
        complaint.handler_ids = {handler.pk for handler in complaint.handlers.all()}
        complaint.identity_visible = complaint_services.sees_complainant(request.user, complaint)
    return render(
        request,
        "inspections/complaint_list.html",
        {
            "filter": filtered,
            "page": page,
            "may_manage": may_manage(request.user),
            "query_string": query_without_page(request),
            "export_query": export_fields(request.GET, COMPLAINT_QUERY_KEYS),
        },
    )


@login_required
@require_POST
def complaint_export(request):
    query = posted_filters(request, COMPLAINT_QUERY_KEYS)
    return export_redirect(
        request,
        exporter="complaints",
        title=f"信访举报登记{timezone.localdate().isoformat()}",
        params={"query": query},
    )


@login_required
@require_http_methods(["GET", "POST"])
def complaint_new(request):
    county = _managed_county(request)
    form = forms.ComplaintForm(
        request.POST or None,
        user=request.user,
        county=county,
        initial={"handlers": [request.user.pk]},
    )
    if request.method == "POST" and form.is_valid():
        complaint = run_on_form(
            request,
            form,
            lambda d: complaint_services.register_complaint(actor=request.user, county=county, **d),
            _("Complaint registered."),
        )
        if complaint:
            return redirect("inspections:complaint_detail", pk=complaint.pk)
    return _form_page(request, form, _("Register a complaint"))


def _complaint(request, pk) -> Complaint:
    complaint = get_scoped_or_404(
        Complaint.objects.select_related("school", "township", "section", "campaign", "county"),
        request.user,
        pk=pk,
    )
    complaint.handler_list = list(complaint.handlers.all())
    complaint.handler_ids = {handler.pk for handler in complaint.handler_list}
    return complaint


@login_required
def complaint_detail(request, pk: int):
    complaint = _complaint(request, pk)
    identity = complaint_services.sees_complainant(request.user, complaint)
    manage = user_may(request.user, Complaint.objects, MANAGE_ROLES, complaint)
    return render(
        request,
        "inspections/complaint_detail.html",
        {
            "complaint": complaint,
            "identity_visible": identity,
            "steps": complaint.steps.select_related("actor"),
            "issues": Issue.objects.for_user(request.user)
            .filter(complaint=complaint)
            .select_related("school", "township", "section"),
            "links": _links(
                request,
                RecordLink.objects.filter(complaint=complaint).select_related("content_type"),
            ),
            "may_handle": manage and identity,
            "may_manage": manage,
            "is_open": complaint.status != Complaint.Status.CONCLUDED,
        },
    )


def _complaint_action(request, pk, form_factory, action, title, success):
    complaint = _complaint(request, pk)
    manage = user_may(request.user, Complaint.objects, MANAGE_ROLES, complaint)
    if not (manage and complaint_services.sees_complainant(request.user, complaint)):
        raise PermissionDenied
    form = form_factory(complaint, request.POST or None)
    back = f"/inspections/complaints/{complaint.pk}/"
    if request.method == "POST" and form.is_valid():
        if run_on_form(request, form, lambda d: action(complaint, d), success):
            return redirect(back)
    return _form_page(request, form, title, back=back)


@login_required
@require_http_methods(["GET", "POST"])
def complaint_step(request, pk: int):
    return _complaint_action(
        request,
        pk,
        lambda complaint, data: forms.StepForm(data),
        lambda complaint, d: complaint_services.add_step(
            actor=request.user, complaint=complaint, **d
        ),
        _("Record a handling step"),
        _("Step recorded."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def complaint_conclude(request, pk: int):
    return _complaint_action(
        request,
        pk,
        lambda complaint, data: forms.ConcludeForm(data),
        lambda complaint, d: complaint_services.conclude_complaint(
            actor=request.user, complaint=complaint, **d
        ),
        _("Conclude the complaint"),
        _("Complaint concluded."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def complaint_handlers(request, pk: int):
    return _complaint_action(
        request,
        pk,
        lambda complaint, data: forms.HandlersForm(
            data,
            county=complaint.county,
            initial={"handlers": list(complaint.handler_ids), "version": complaint.version},
        ),
        lambda complaint, d: complaint_services.set_handlers(
            actor=request.user, complaint=complaint, **d
        ),
        _("Change the handlers"),
        _("Handlers changed."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def complaint_link(request, pk: int):
    complaint = _complaint(request, pk)
    return _link_view(request, "complaint", complaint, f"/inspections/complaints/{complaint.pk}/")
