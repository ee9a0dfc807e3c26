"""Pages of the dropout-risk warning: the risk list (with its export and the one-step help
pairing and visit links), the help page with the factors and their points, the county's
points, the backtest chart, and the runs asked for on demand."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.export_jobs import export_fields, export_redirect, posted_filters
from core.services import today
from enrollment.models import County, Township
from enrollment.permissions import get_scoped_or_404, has_any_role, user_county
from enrollment.roles import ASSIGN_PAIRING_ROLES, RECORD_VISIT_ROLES

from . import selectors, services
from .factors import FACTORS
from .forms import QUERY_KEYS, RiskFilterForm, WeightsForm, top_of
from .models import RiskRun
from .panels import chart_labels
from .roles import RUN_ROLES, WEIGHT_ROLES

PLACE_FILTERS = ("township", "village", "school")


def _filter_form(request, data):
    """The list's filters; a place outside the user's scope is a 404 (as everywhere)."""
    form = RiskFilterForm(data, user=request.user)
    if not form.is_valid():
        if any(name in form.errors for name in PLACE_FILTERS):
            raise Http404
        return form, None
    scores = form.scores()
    top = form.cleaned_data.get("top")
    return form, (top_of(scores, top) if top else scores)


@login_required
def risk_list(request):
    form, scores = _filter_form(request, request.GET)
    if scores is None:
        scores = selectors.risk_scores(request.user).none()
    page = Paginator(selectors.list_rows(scores), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "risk/risk_list.html",
        {
            "form": form,
            "page": page,
            "threshold": settings.RISK_HIGH_THRESHOLD,
            "export_fields": export_fields(request.GET, QUERY_KEYS),
            "may_pair": has_any_role(request.user, ASSIGN_PAIRING_ROLES),
            "may_visit": has_any_role(request.user, RECORD_VISIT_ROLES),
            "runs_county": user_county(request.user, roles=RUN_ROLES),
        },
    )


@login_required
@require_POST
def risk_export(request):
    form, scores = _filter_form(request, request.POST)
    if scores is None:
        messages.error(request, _("Correct the filters before exporting."))
        return redirect("risk:list")
    return export_redirect(
        request,
        exporter="risk_list",
        title=f"高风险儿童名单{today().isoformat()}",
        params={"query": posted_filters(request, QUERY_KEYS)},
    )


@login_required
def risk_help(request):
    county = user_county(request.user)
    points = services.county_points(county) if county else {f.key: f.points for f in FACTORS}
    return render(
        request,
        "risk/help.html",
        {
            "factors": [
                {"factor": factor, "points": points[factor.key], "default": factor.points}
                for factor in FACTORS
            ],
            "threshold": settings.RISK_HIGH_THRESHOLD,
            "county": county,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def risk_weights(request):
    county = user_county(request.user, roles=WEIGHT_ROLES)
    if county is None:
        raise PermissionDenied
    form = WeightsForm(request.POST or None, points=services.county_points(county))
    if request.method == "POST" and form.is_valid():
        try:
            services.set_points(actor=request.user, county=county, points=form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("The points are saved; the scores change at the next computation.")
            )
            return redirect("risk:weights")
    return render(request, "risk/weights.html", {"form": form, "county": county})


@login_required
@require_POST
def run_new(request):
    county = user_county(request.user, roles=RUN_ROLES)
    if county is None:
        raise PermissionDenied
    try:
        run = services.request_run(
            actor=request.user, county=county, kind=request.POST.get("kind", "")
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("risk:list")
    return redirect("risk:run", pk=run.pk)


@login_required
def run_detail(request, pk: int):
    run = get_scoped_or_404(RiskRun.objects.select_related("county"), request.user, pk=pk)
    template = "risk/run_progress.html" if request.headers.get("HX-Request") else "risk/run.html"
    return render(request, template, {"run": run})


@login_required
def backtest(request):
    """The chart of recall and precision per month: the county's for county-scoped users, a
    township's for its officials (and for the bureau when asked with ?township=)."""
    counties = list(County.objects.for_user(request.user).order_by("code")[:1])
    townships = list(Township.objects.for_user(request.user).order_by("code"))
    township = None
    wanted = request.GET.get("township", "")
    if wanted:
        township = next((t for t in townships if str(t.pk) == wanted), None)
        if township is None:
            raise Http404
    elif not counties and townships:
        township = townships[0]
    county = counties[0] if counties else (township.county if township else None)
    series = (
        selectors.backtest_series(request.user, county=county, township=township)
        if county
        else None
    )
    return render(
        request,
        "risk/backtest.html",
        {
            "county": county,
            "township": township,
            "townships": townships if counties else [],
            "series": series,
            "chart": {key: value for key, value in (series or {}).items() if key != "rows"},
            "chart_labels": chart_labels(),
            "runs_county": user_county(request.user, roles=RUN_ROLES),
        },
    )
