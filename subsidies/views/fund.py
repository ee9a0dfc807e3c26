"""The relief fund's ledger, its entries and decisions, donations and donors."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.pagination import query_without_page
from core.params import LARGEST_ID, query_int, query_year
from enrollment.models import School
from enrollment.permissions import get_scoped_or_404, has_any_role, user_may

from .. import forms, selectors
from ..filters import FundEntryFilter
from ..models import Donation, FundEntry, ReliefFund
from ..roles import DONATION_ROLES, FUND_ROLES
from ..services import fund as fund_services
from ..transitions import GRANT_TRANSITIONS
from .common import _child_by_id, _county_or_404, _error, _form_page, _page


def _fund(request) -> ReliefFund:
    county = _county_or_404(request.user)
    fund = ReliefFund.objects.for_user(request.user).filter(county=county).first()
    if fund is None:
        raise Http404
    return fund


@login_required
def fund_ledger(request):
    fund = _fund(request)
    entries = FundEntryFilter(
        request.GET,
        queryset=FundEntry.objects.for_user(request.user)
        .filter(fund=fund)
        .select_related("child", "approved_by", "recorded_by"),
        request=request,
    )
    may_act = user_may(request.user, ReliefFund.objects, FUND_ROLES, fund)
    return render(
        request,
        "subsidies/fund_ledger.html",
        {
            "fund": fund,
            "filter": entries,
            "page": _page(request, entries.qs),
            "summary": selectors.fund_summary(fund),
            "may_act": may_act,
            # The rows a decision applies to (the table's answer; each is checked on decision).
            "decidable_states": GRANT_TRANSITIONS.sources("approve"),
            "query": query_without_page(request),
        },
        # A filter the form refuses (a year out of range) is shown on it, and said in the status.
        status=400 if entries.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def fund_new(request, kind: str):
    fund = _fund(request)
    if not user_may(request.user, ReliefFund.objects, FUND_ROLES, fund):
        raise PermissionDenied
    if kind not in ("inflow", "grant"):
        raise Http404
    form = (forms.InflowForm if kind == "inflow" else forms.GrantForm)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if kind == "inflow":
                fund_services.record_inflow(actor=request.user, fund=fund, **data)
            else:
                child = _child_by_id(request.user, data.pop("resident_id"))
                if child is None:
                    raise DomainError(
                        _("No child with this resident ID in your scope."), field="resident_id"
                    )
                fund_services.request_grant(actor=request.user, fund=fund, child=child, **data)
        except DomainError as error:
            _error(form, error)
        else:
            messages.success(request, _("Recorded."))
            return redirect("subsidies:fund_ledger")
    title = _("Record an inflow") if kind == "inflow" else _("Request a grant")
    return _form_page(request, form, title, back=reverse("subsidies:fund_ledger"))


@login_required
@require_POST
def fund_decide(request, pk: int, decision: str):
    entry = get_scoped_or_404(FundEntry.objects.select_related("fund"), request.user, pk=pk)
    if decision not in ("approve", "reject"):
        raise Http404
    if GRANT_TRANSITIONS.can(entry, decision, request.user).refused_for_role:
        raise PermissionDenied
    note = request.POST.get("note", "")
    try:
        if decision == "approve":
            fund_services.approve_grant(actor=request.user, entry=entry, note=note)
        else:
            fund_services.reject_grant(actor=request.user, entry=entry, note=note or _("Rejected"))
        messages.success(request, _("Decision recorded."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("subsidies:fund_ledger")


@login_required
def donation_list(request):
    donations = Donation.objects.for_user(request.user).select_related("school")
    year = query_year(request.GET)
    if year is not None:
        donations = donations.filter(date__year=year)
    township = query_int(request.GET, "township", minimum=1, maximum=LARGEST_ID)
    if township is not None:  # the gifts to a township's schools (the annual summary's)
        donations = donations.filter(school__township_id=township)
    totals = donations.order_by().values("kind").annotate(value=Sum("value"), n=Count("pk"))
    labels = dict(Donation.Kind.choices)
    return render(
        request,
        "subsidies/donation_list.html",
        {
            "page": _page(request, donations),
            "totals": [{**row, "label": labels[row["kind"]]} for row in totals],
            "may_record": has_any_role(request.user, DONATION_ROLES),
            "year": year,
            "query": query_without_page(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def donation_new(request):
    if not has_any_role(request.user, DONATION_ROLES):
        raise PermissionDenied
    county = _county_or_404(request.user)
    schools = School.objects.for_user(request.user).order_by("code")
    form = forms.DonationForm(
        request.POST or None, schools=schools, initial={"date": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            fund_services.record_donation(actor=request.user, county=county, **form.cleaned_data)
        except DomainError as error:
            _error(form, error)
        else:
            messages.success(request, _("Donation recorded."))
            return redirect("subsidies:donation_list")
    return _form_page(
        request, form, _("Record a donation"), back=reverse("subsidies:donation_list")
    )


@login_required
def donor_list(request):
    """The printable donors' list for public thanks (鸣谢名单)."""
    county = _county_or_404(request.user)
    year = query_year(request.GET)
    donations = Donation.objects.for_user(request.user).filter(county=county)
    if year is not None:
        donations = donations.filter(date__year=year)
    donors = (
        donations.order_by()
        .values("donor", "donor_kind", "publish_name")
        .annotate(value=Sum("value"), n=Count("pk"))
        .order_by("-value", "donor")
    )
    return render(
        request,
        "subsidies/donor_list.html",
        {"county": county, "donors": donors, "year": year, "today": timezone.localdate()},
    )
