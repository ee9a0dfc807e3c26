"""Campaigns, inspection groups, areas and bureau sections, and the campaign summary."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import run_on_form
from enrollment.permissions import may_edit_shared_catalogue

from .. import forms, selectors
from ..models import Area, BureauSection, Campaign, InspectionGroup
from ..roles import MANAGE_ROLES
from ..services import inspections as inspection_services
from .common import _int, _managed_county, may_manage


@login_required
@require_http_methods(["GET", "POST"])
def campaign_list(request):
    manage = may_manage(request.user)
    form = None
    if manage:
        county = _managed_county(request)
        form = forms.CampaignForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if run_on_form(
                request,
                form,
                lambda d: inspection_services.create_campaign(
                    actor=request.user, county=county, **d
                ),
                _("Campaign created."),
            ):
                return redirect("inspections:campaign_list")
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "inspections/campaign_list.html",
        {"campaigns": Campaign.objects.for_user(request.user), "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def group_list(request):
    manage = may_manage(request.user)
    form = None
    if manage:
        county = _managed_county(request)
        form = forms.GroupForm(request.POST or None, user=request.user, county=county)
        if request.method == "POST" and form.is_valid():
            if run_on_form(
                request,
                form,
                lambda d: inspection_services.create_group(actor=request.user, county=county, **d),
                _("Inspection group created."),
            ):
                return redirect("inspections:group_list")
    elif request.method == "POST":
        raise PermissionDenied
    groups = (
        InspectionGroup.objects.for_user(request.user)
        .select_related("campaign", "leader")
        .prefetch_related("members")
    )
    return render(request, "inspections/group_list.html", {"groups": groups, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def area_list(request):
    manage = may_manage(request.user)
    area_form = section_form = None
    if manage:
        county = _managed_county(request)
        # The areas are one list for every county: only who answers for all of them edits it.
        if may_edit_shared_catalogue(request.user, MANAGE_ROLES):
            area_form = forms.AreaForm(request.POST if "add_area" in request.POST else None)
        section_form = forms.SectionForm(request.POST if "add_section" in request.POST else None)
        if request.method == "POST":
            done = None
            if "add_area" in request.POST and area_form and area_form.is_valid():
                done = run_on_form(
                    request,
                    area_form,
                    lambda d: inspection_services.add_area(actor=request.user, county=county, **d),
                    _("Area added."),
                )
            elif "add_section" in request.POST and section_form.is_valid():
                done = run_on_form(
                    request,
                    section_form,
                    lambda d: inspection_services.add_section(
                        actor=request.user, county=county, **d
                    ),
                    _("Bureau section added."),
                )
            elif "retire" in request.POST:
                area = Area.objects.filter(pk=_int(request.POST["retire"])).first()
                if area is None:
                    raise Http404
                inspection_services.retire_area(actor=request.user, county=county, area=area)
                messages.success(request, _("Area no longer offered."))
                done = True
            if done:
                return redirect("inspections:area_list")
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "inspections/area_list.html",
        {
            "areas": Area.objects.all(),
            "sections": BureauSection.objects.for_user(request.user),
            "area_form": area_form,
            "section_form": section_form,
        },
    )


@login_required
def campaign_summary(request):
    today = timezone.localdate()
    form = forms.SummaryForm(request.GET or None, user=request.user)
    campaign = None
    date_from, date_to = datetime.date(today.year, 1, 1), today
    if form.is_bound and form.is_valid():
        campaign = form.cleaned_data["campaign"]
        if campaign is not None:
            date_from, date_to = campaign.start_date, campaign.end_date
        date_from = form.cleaned_data["date_from"] or date_from
        date_to = form.cleaned_data["date_to"] or date_to
    elif not form.is_bound:
        form = forms.SummaryForm(
            initial={"date_from": date_from, "date_to": date_to}, user=request.user
        )
    if date_to < date_from:
        date_from, date_to = date_to, date_from
    selectors.styled(form)
    summary = selectors.campaign_summary(
        request.user, date_from=date_from, date_to=date_to, campaign=campaign
    )
    return render(
        request,
        "inspections/summary.html",
        {
            "form": form,
            "summary": summary,
            "campaign": campaign,
            "date_from": date_from,
            "date_to": date_to,
        },
    )
