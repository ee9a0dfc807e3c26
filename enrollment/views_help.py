"""Pages of 帮扶单位 (the county's catalogue), 帮扶活动 (list, record, Excel) and 学年升级."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError, run_on_form, show_on_form
from core.export_jobs import export_fields, export_redirect, posted_filters
from core.services import today

from . import help_services
from .filters import HelpActivityFilter
from .help_forms import HelpActivityForm, PartnerUnitForm, PromotionForm
from .help_models import HelpActivity, PartnerUnit
from .models import Child, Household
from .permissions import get_scoped_or_404, has_any_role, managed_county, require
from .promotion import check_promotion_day, promotion_plan
from .roles import ASSIGN_PAIRING_ROLES, PARTNER_UNIT_ROLES, PROMOTION_ROLES
from .selectors import school_year_of

ACTIVITY_QUERY_KEYS = ("date_from", "date_to", "township", "kind")


# --- partner units -----------------------------------------------------------------------------


@login_required
def partner_unit_list(request):
    units = (
        PartnerUnit.objects.for_user(request.user)
        .select_related("county")
        .order_by("-is_active", "name", "pk")
    )
    page = Paginator(units, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "enrollment/partner_unit_list.html",
        {"page": page, "may_edit": has_any_role(request.user, PARTNER_UNIT_ROLES)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def partner_unit_new(request):
    county = managed_county(request.user, roles=PARTNER_UNIT_ROLES)  # 403 without the role
    return _partner_unit_form(request, county, None)


@login_required
@require_http_methods(["GET", "POST"])
def partner_unit_edit(request, pk: int):
    unit = get_scoped_or_404(PartnerUnit.objects, request.user, pk=pk)
    require(request.user, PartnerUnit.objects, PARTNER_UNIT_ROLES, unit)
    return _partner_unit_form(request, unit.county, unit)


def _partner_unit_form(request, county, unit):
    form = PartnerUnitForm(request.POST or None, instance=unit)
    if request.method == "POST" and form.is_valid():
        if run_on_form(
            request,
            form,
            lambda data: help_services.save_partner_unit(
                actor=request.user, county=county, unit=unit, **data
            ),
            _("Partner unit saved."),
        ):
            return redirect("enrollment:partner_unit_list")
    return render(request, "enrollment/partner_unit_form.html", {"form": form, "unit": unit})


# --- help activities ---------------------------------------------------------------------------


def _activity_filter(user, query) -> HelpActivityFilter:
    """The list's filters; a township outside the user's scope is a page that does not exist
    (404), any other invalid filter shows its error and lists nothing."""
    activities = (
        HelpActivity.objects.for_user(user)
        .select_related("village__township", "unit", "child", "household", "recorded_by")
        .order_by("-date", "-pk")
    )
    activity_filter = HelpActivityFilter(query or None, queryset=activities, user=user)
    if activity_filter.is_bound and not activity_filter.is_valid():
        if "township" in activity_filter.errors:
            raise Http404
    return activity_filter


def filtered_activities(activity_filter: HelpActivityFilter):
    if not activity_filter.is_bound:
        return activity_filter.queryset
    return activity_filter.qs if activity_filter.is_valid() else activity_filter.queryset.none()


@login_required
def help_activity_list(request):
    activity_filter = _activity_filter(request.user, request.GET)
    rows = filtered_activities(activity_filter)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "enrollment/help_activity_list.html",
        {
            "filter": activity_filter,
            "page": page,
            "export_query": export_fields(request.GET, ACTIVITY_QUERY_KEYS),
        },
    )


@login_required
@require_http_methods(["POST"])
def help_activity_export(request):
    activity_filter = _activity_filter(request.user, request.POST)  # 404 outside the scope
    if activity_filter.is_bound and not activity_filter.is_valid():
        messages.error(request, _("Correct the filters before exporting."))
        return redirect("enrollment:help_activity_list")
    query = posted_filters(request, ACTIVITY_QUERY_KEYS)
    start, end = query.get("date_from", [""])[0], query.get("date_to", [""])[0]
    span = f"（{start}至{end}）" if start or end else today().isoformat()
    return export_redirect(
        request,
        exporter="enrollment_help_activities",
        title=f"帮扶活动台账{span}",
        params={"query": query},
    )


@login_required
@require_http_methods(["GET", "POST"])
def child_help_activity(request, pk: int):
    child = get_scoped_or_404(
        Child.objects.select_related("village__township", "household"), request.user, pk=pk
    )
    require(request.user, Child.objects, ASSIGN_PAIRING_ROLES, child)
    return _activity_form(request, child=child, household=child.household)


@login_required
@require_http_methods(["GET", "POST"])
def household_help_activity(request, pk: int):
    household = get_scoped_or_404(
        Household.objects.select_related("village__township"), request.user, pk=pk
    )
    require(request.user, Household.objects, ASSIGN_PAIRING_ROLES, household)
    return _activity_form(request, child=None, household=household)


def _activity_form(request, *, child, household):
    county_id = household.village.township.county_id
    units = PartnerUnit.objects.for_user(request.user).filter(county_id=county_id, is_active=True)
    form = HelpActivityForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        if run_on_form(
            request,
            form,
            lambda data: help_services.record_help_activity(
                actor=request.user, child=child, household=household, **data
            ),
            _("Help activity recorded."),
        ):
            if child is not None:
                return redirect("enrollment:child_detail", pk=child.pk)
            return redirect("enrollment:help_activity_list")
    return render(
        request,
        "enrollment/help_activity_form.html",
        {"form": form, "child": child, "household": household},
    )


# --- the school-year promotion -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def promotion(request):
    county = managed_county(request.user, roles=PROMOTION_ROLES)  # 403 without the role
    latest = school_year_of(today())
    form = PromotionForm(request.POST or None, latest=latest, initial={"year": latest})
    year = latest
    if request.method == "POST" and form.is_valid():
        year = form.cleaned_data["year"]
        try:
            check_promotion_day(year)
        except DomainError as error:
            show_on_form(form, error)
        else:
            from .tasks import run_promotion

            user_id = request.user.pk
            transaction.on_commit(lambda: run_promotion.delay(county.pk, year, user_id))
            messages.success(
                request,
                _(
                    "The promotion of school year %(year)s runs in the background; you will "
                    "be notified of what it did."
                )
                % {"year": year},
            )
            return redirect("enrollment:promotion")
    return render(
        request,
        "enrollment/promotion.html",
        {
            "form": form,
            "county": county,
            "year": year,
            "plan": promotion_plan(county=county, year=year),
        },
    )
