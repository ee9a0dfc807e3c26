"""Pages of the annual summary: the list (and the form that generates a year for a scope), the
progress of a generation, one summary with its figures, drill-downs and sentences, its approval,
and its workbook and Word document."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import audit
from core.errors import DomainError
from core.services import today
from enrollment.models import County, Township
from enrollment.permissions import get_scoped_or_404, has_any_role, user_may

from . import services
from .document import build_document
from .models import AnnualSummary, SummaryRun
from .roles import APPROVE_ROLES, GENERATE_ROLES
from .selectors import from_stored
from .workbook import basis_text

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _generate_places(user):
    """The county (for the bureau) and the townships the user may generate a summary for."""
    counties = list(County.objects.for_user(user, roles=APPROVE_ROLES).order_by("code"))
    townships = list(
        Township.objects.for_user(user, roles=GENERATE_ROLES)
        .select_related("county")
        .order_by("county__code", "code")
    )
    return counties, townships


@login_required
def summary_list(request):
    summaries = (
        AnnualSummary.objects.for_user(request.user)
        .select_related("county", "township", "generated_by", "approved_by")
        .defer("sections", "adjustments")
        .order_by("-year", "county__code", "township__code", "pk")
    )
    counties, townships = _generate_places(request.user)
    this_year = today().year
    return render(
        request,
        "yearend/summary_list.html",
        {
            "summaries": summaries[:200],
            "counties": counties,
            "townships": townships,
            "years": list(range(this_year, this_year - 6, -1)),
            "runs": SummaryRun.objects.for_user(request.user)
            .filter(requested_by=request.user)
            .select_related("county", "township")[:5],
        },
    )


@login_required
@require_POST
def summary_generate(request):
    counties, townships = _generate_places(request.user)
    if not counties and not townships:
        raise PermissionDenied
    # Without a scope: the user's county for the bureau, their township for its official.
    scope = request.POST.get("scope", "") or (
        f"county:{counties[0].pk}" if counties else f"township:{townships[0].pk}"
    )
    county = township = None
    if scope.startswith("county:"):
        county = next((c for c in counties if str(c.pk) == scope[7:]), None)
    elif scope.startswith("township:"):
        township = next((t for t in townships if str(t.pk) == scope[9:]), None)
        county = township.county if township else None
    if county is None:
        raise Http404
    try:
        year = services.parse_year(request.POST.get("year"))
        run = services.request_summary_run(
            actor=request.user, county=county, township=township, year=year
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("yearend:summary_list")
    return redirect("yearend:summary_run", pk=run.pk)


@login_required
def summary_run(request, pk: int):
    run = get_scoped_or_404(
        SummaryRun.objects.select_related("county", "township"), request.user, pk=pk
    )
    template = (
        "yearend/run_progress.html"
        if request.headers.get("HX-Request")
        else "yearend/run_detail.html"
    )
    return render(request, template, {"run": run})


def displayed_sections(summary: AnnualSummary) -> list[dict]:
    return [
        {
            **section,
            "figures": [
                {
                    **figure,
                    "value": from_stored(figure["value"]),
                    "period": basis_text(figure["basis"], summary.year, summary.counted_on),
                }
                for figure in section["figures"]
            ],
        }
        for section in summary.sections
    ]


def chart_data(sections: list[dict]) -> list[dict]:
    """The charts the sections ask for (figures people compare), in the order they appear: a
    rate chart against the 100 % target, or amounts (money in 10,000 yuan)."""
    charts: dict[str, dict] = {}
    for section in sections:
        for figure in section["figures"]:
            if not figure.get("chart") or figure["value"] is None:
                continue
            chart = charts.setdefault(
                figure["chart"],
                {
                    "title": figure["chart"],
                    "kind": "rate" if figure["unit"] == "%" else "amount",
                    "unit": "万元" if figure["unit"] == "元" else figure["unit"],
                    "labels": [],
                    "values": [],
                },
            )
            value = float(figure["value"])
            chart["labels"].append(figure["label"])
            chart["values"].append(round(value / 10000, 2) if figure["unit"] == "元" else value)
    return list(charts.values())


@login_required
def summary_detail(request, pk: int):
    summary = get_scoped_or_404(
        AnnualSummary.objects.select_related("county", "township", "generated_by", "approved_by"),
        request.user,
        pk=pk,
    )
    sections = displayed_sections(summary)
    return render(
        request,
        "yearend/summary_detail.html",
        {
            "summary": summary,
            "sections": sections,
            "charts": chart_data(sections),
            "may_approve": not summary.is_approved
            and user_may(request.user, County.objects, APPROVE_ROLES, summary.county),
            "may_generate": not summary.is_approved and has_any_role(request.user, GENERATE_ROLES),
        },
    )


@login_required
@require_POST
def summary_approve(request, pk: int):
    summary = get_scoped_or_404(AnnualSummary.objects.select_related("county"), request.user, pk=pk)
    if not user_may(request.user, County.objects, APPROVE_ROLES, summary.county):
        raise PermissionDenied
    try:
        services.approve_summary(summary=summary, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("yearend:summary_detail", pk=summary.pk)
    audit.record(audit.A.UPDATE, obj=summary, request=request, detail={"action": "approve"})
    messages.success(request, _("The summary is approved; the year is locked for this scope."))
    return redirect("yearend:summary_detail", pk=summary.pk)


@login_required
def summary_workbook(request, pk: int):
    summary = get_scoped_or_404(
        AnnualSummary.objects.select_related("county", "township"), request.user, pk=pk
    )
    if not summary.workbook:
        raise Http404
    audit.record(
        audit.A.EXPORT, obj=summary, request=request, detail={"exporter": "annual_summary"}
    )
    filename = f"{summary.scope_name}{summary.year}年度教育扶贫工作数据.xlsx"
    return FileResponse(summary.workbook.open("rb"), as_attachment=True, filename=filename)


@login_required
def summary_document(request, pk: int):
    summary = get_scoped_or_404(
        AnnualSummary.objects.select_related("county", "township", "approved_by"),
        request.user,
        pk=pk,
    )
    audit.record(
        audit.A.EXPORT, obj=summary, request=request, detail={"exporter": "annual_summary_docx"}
    )
    filename = f"{summary.scope_name}{summary.year}年度教育扶贫工作数据.docx"
    response = HttpResponse(build_document(summary), content_type=DOCX)
    response["Content-Disposition"] = _attachment(filename)
    return response


def _attachment(filename: str) -> str:
    from django.utils.http import content_disposition_header

    return content_disposition_header(as_attachment=True, filename=filename)
