"""Pages of the monthly reports: the list (and the button to generate a past month), the print
page of one report, its workbook, and the progress of a generation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models.fields.json import KeyTransform
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import audit
from core.errors import DomainError
from core.services import today
from enrollment.models import County
from enrollment.permissions import get_scoped_or_404

from .models import DropoutCase, ExemptionRequest, MonthlyReport, ReportRun
from .report_workbook import cause_label
from .reports import COUNT_FIELDS, FOCUS_FLAGS, STAGES, previous_month
from .roles import MONTHLY_REPORT_ROLES
from .services import reports as report_services
from .transitions import REPORT_TRANSITIONS


def _counties_to_generate(user):
    return County.objects.for_user(user, roles=MONTHLY_REPORT_ROLES).order_by("code")


@login_required
def report_list(request):
    # The list shows a report's name and totals: those two keys of `figures`, not the whole
    # figures (a county's run to 140 kB of JSON, decoded for every row otherwise).
    reports = (
        MonthlyReport.objects.for_user(request.user)
        .select_related("township", "county")
        .defer("figures", "adjustments")
        .annotate(
            listed_scope_name=KeyTransform("scope_name", "figures"),
            listed_totals=KeyTransform("totals", "figures"),
        )
    )
    month = request.GET.get("month", "")
    if month:
        try:
            reports = reports.filter(month=report_services.parse_month(month))
        except DomainError:
            raise Http404 from None
    page = Paginator(reports.order_by("-month", "township__code", "pk"), 50).get_page(
        request.GET.get("page")
    )
    counties = list(_counties_to_generate(request.user))
    return render(
        request,
        "dropout/reports/report_list.html",
        {
            "page": page,
            "month": month,
            "counties": counties,
            "latest_month": previous_month(today()).strftime("%Y-%m"),
            "runs": ReportRun.objects.for_user(request.user).filter(requested_by=request.user)[:5],
        },
    )


@login_required
@require_POST
def report_generate(request):
    counties = _counties_to_generate(request.user)
    if not counties.exists():
        raise PermissionDenied
    county_id = request.POST.get("county", "")
    county = counties.filter(pk=county_id).first() if county_id.isdigit() else counties.first()
    if county is None:
        raise Http404
    try:
        month = report_services.parse_month(request.POST.get("month", ""))
        run = report_services.request_report_run(actor=request.user, county=county, month=month)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("dropout:report_list")
    return redirect("dropout:report_run", pk=run.pk)


@login_required
def report_run(request, pk: int):
    run = get_scoped_or_404(ReportRun.objects.select_related("county"), request.user, pk=pk)
    county_report = None
    if run.status == ReportRun.Status.DONE:
        county_report = MonthlyReport.objects.filter(
            county=run.county, township__isnull=True, month=run.month
        ).first()
    template = (
        "dropout/reports/run_progress.html"
        if request.headers.get("HX-Request")
        else "dropout/reports/run_detail.html"
    )
    return render(request, template, {"run": run, "county_report": county_report})


def labelled(figures: dict) -> dict:
    """The stored figures with the labels of the current language."""
    kinds = dict(ExemptionRequest.Kind.choices)
    focus, stages = dict(FOCUS_FLAGS), dict(STAGES)
    return {
        "rows": [
            {"key": key, "label": label, "value": figures["totals"].get(key)}
            for key, label in COUNT_FIELDS
        ],
        "by_reason": [
            {"label": cause_label(item["key"]), "count": item["count"]}
            for item in figures["by_reason"]
        ],
        "by_focus": [
            {"label": focus[item["key"]], "count": item["count"]} for item in figures["by_focus"]
        ],
        "by_stage": [
            {"label": stages[item["key"]], "count": item["count"]} for item in figures["by_stage"]
        ],
        "outstanding": [
            {**row, "cause_label": cause_label(row["cause"])} for row in figures["outstanding"]
        ],
        "exemptions_ending": [
            {**row, "kind_label": kinds.get(row["kind"], row["kind"])}
            for row in figures["exemptions_ending"]
        ],
    }


@login_required
def report_detail(request, pk: int):
    report = get_scoped_or_404(
        MonthlyReport.objects.select_related("township", "county", "generated_by", "approved_by"),
        request.user,
        pk=pk,
    )
    figures = report.figures
    approval = REPORT_TRANSITIONS.can(report, "approve", request.user)
    return render(
        request,
        "dropout/reports/report_detail.html",
        {
            "report": report,
            # The button for the roles that may approve; a locked report says who and when.
            "may_approve": bool(approval),
            "adjustments": report.adjustments,
            "figures": figures,
            "view": labelled(figures),
            "columns": COUNT_FIELDS,
            "chart": {
                "labels": [row["name"] for row in figures["breakdown"]],
                "rates": [row["rate"] for row in figures["breakdown"]],
                "still_out": [row["dropouts_end"] for row in figures["breakdown"]],
            },
            "case_statuses": dict(DropoutCase.Status.choices),
            "place_label": _("Township") if figures["kind"] == "county" else _("Village"),
        },
    )


@login_required
def report_workbook(request, pk: int):
    report = get_scoped_or_404(MonthlyReport.objects.all(), request.user, pk=pk)
    if not report.workbook:
        raise Http404
    audit.record(audit.A.EXPORT, obj=report, request=request, detail={"exporter": "monthly_report"})
    filename = f"{report.scope_name}{report.month:%Y年%m月}失辍学儿童月报告.xlsx"
    return FileResponse(report.workbook.open("rb"), as_attachment=True, filename=filename)


@login_required
@require_POST
def report_approve(request, pk: int):
    """审核并锁定: scope (404), the role (403), then the service's answer (already approved:
    the reason on the page); the form's confirmation box must be ticked."""
    report = get_scoped_or_404(MonthlyReport.objects.all(), request.user, pk=pk)
    if REPORT_TRANSITIONS.can(report, "approve", request.user).refused_for_role:
        raise PermissionDenied
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that the figures are to be locked."))
        return redirect("dropout:report_detail", pk=report.pk)
    try:
        report_services.approve_report(report=report, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The report is approved; its month is locked for this scope."))
    return redirect("dropout:report_detail", pk=report.pk)
