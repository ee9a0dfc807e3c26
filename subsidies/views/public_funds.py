"""义务教育生均公用经费: the allocations to the schools per term (list with totals, form)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.pagination import query_without_page
from enrollment.models import School
from enrollment.permissions import get_scoped_or_404, has_any_role, user_may

from ..filters import PublicFundFilter
from ..forms import PublicFundForm, current_term
from ..models import PublicFundAllocation
from ..roles import PUBLIC_FUND_ROLES
from ..services import public_funds as services
from .common import _error, _form_page, _page


def allocations_for(user):
    return PublicFundAllocation.objects.for_user(user).select_related("school__township")


@login_required
def public_fund_list(request):
    allocations = PublicFundFilter(
        request.GET, queryset=allocations_for(request.user), request=request
    )
    rows = allocations.qs.order_by("-period", "school__township__code", "school__code", "pk")
    totals = allocations.qs.aggregate(
        schools=Count("school", distinct=True), pupils=Sum("pupils"), amount=Sum("amount")
    )
    return render(
        request,
        "subsidies/public_fund_list.html",
        {
            "filter": allocations,
            "page": _page(request, rows),
            "totals": totals,
            "may_record": has_any_role(request.user, PUBLIC_FUND_ROLES),
            "query": query_without_page(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def public_fund_new(request):
    if not has_any_role(request.user, PUBLIC_FUND_ROLES):
        raise PermissionDenied
    return _allocation_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def public_fund_edit(request, pk: int):
    """Correct an allocation: out of scope 404, without the bureau's role over it 403."""
    allocation = get_scoped_or_404(allocations_for(request.user), request.user, pk=pk)
    if not user_may(request.user, PublicFundAllocation.objects, PUBLIC_FUND_ROLES, allocation):
        raise PermissionDenied
    return _allocation_form(request, allocation)


def _allocation_form(request, allocation):
    schools = School.objects.for_user(request.user, roles=PUBLIC_FUND_ROLES).order_by("code")
    initial = {"period": current_term(), "allocated_on": timezone.localdate()}
    if allocation is not None:
        initial = {
            "school": allocation.school,
            "period": allocation.period,
            "pupils": allocation.pupils,
            "standard": allocation.standard,
            "amount": allocation.amount,
            "note": allocation.note,
            "allocated_on": allocation.allocated_on,
            "version": allocation.version,
        }
    form = PublicFundForm(
        request.POST or None, schools=schools, initial=initial, editing=allocation is not None
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_allocation(actor=request.user, allocation=allocation, **form.cleaned_data)
        except DomainError as error:
            _error(form, error)
        else:
            messages.success(request, _("Allocation saved."))
            return redirect("subsidies:public_fund_list")
    title = _("Correct an allocation") if allocation else _("Record a public funds allocation")
    return _form_page(request, form, title, back=reverse("subsidies:public_fund_list"))
