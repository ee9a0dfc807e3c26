"""The entitlement-gap check (应享尽享): runs and their gaps."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.pagination import query_without_page
from enrollment.permissions import get_scoped_or_404, has_any_role

from .. import forms
from ..filters import GapFilter
from ..models import Gap, GapRun
from ..roles import GAP_CHECK_ROLES
from ..services import gaps as gap_services
from .common import _county_or_404, _error, _page


@login_required
@require_http_methods(["GET", "POST"])
def gap_runs(request):
    runs = GapRun.objects.for_user(request.user).select_related("started_by")
    may_start = has_any_role(request.user, GAP_CHECK_ROLES)
    form = forms.GapRunForm(request.POST or None)
    if request.method == "POST":
        if not may_start:
            raise PermissionDenied
        if form.is_valid():
            try:
                run = gap_services.start_gap_run(
                    actor=request.user,
                    county=_county_or_404(request.user),
                    period=form.cleaned_data["period"],
                )
            except DomainError as error:
                _error(form, error)
            else:
                messages.success(request, _("The check is running; its results appear here."))
                return redirect("subsidies:gap_detail", pk=run.pk)
    return render(
        request,
        "subsidies/gap_runs.html",
        {"page": _page(request, runs), "form": form, "may_start": may_start},
    )


@login_required
def gap_detail(request, pk: int):
    run = get_scoped_or_404(GapRun.objects.all(), request.user, pk=pk)
    scoped = Gap.objects.for_user(request.user).filter(run=run)
    gaps = GapFilter(
        request.GET,
        queryset=scoped.select_related(
            "child__household", "school", "township", "programme", "other_programme"
        ),
        request=request,
    )
    counts = dict(scoped.order_by().values_list("kind").annotate(n=Count("pk")))
    return render(
        request,
        "subsidies/gap_detail.html",
        {
            "run": run,
            "filter": gaps,
            "page": _page(request, gaps.qs),
            "counts": [(value, label, counts.get(value, 0)) for value, label in Gap.Kind.choices],
            "run_param": {"run": run.pk},
            "query": query_without_page(request),
        },
    )
