"""The city bureau's monthly roll-up (市级汇总): its counties' own stored monthly reports of a
month side by side, with the prefecture's total the sum of the counties'.

The city reads the counties' reports through its Prefecture (`for_user()`, 404 otherwise) and
only their totals: a report's page and workbook also hold the named list of the children out of
school, which is why MonthlyReport has no "prefecture" scope path."""

import datetime

from django.contrib.auth.decorators import login_required
from django.db.models.fields.json import KeyTransform
from django.http import Http404
from django.shortcuts import render

from core.errors import DomainError
from core.services import today
from enrollment.prefecture import get_prefecture_or_404, prefecture_counties

from .models import MonthlyReport
from .reports import COUNT_FIELDS, SUMMED_FIELDS, _with_rate, previous_month
from .services import reports as report_services


def county_report_totals(prefecture, *, month: datetime.date) -> list[dict]:
    """One row per county of the prefecture (code order): its whole-county report of `month`
    (None when not generated) with the report's stored totals, read from the JSON in the
    database (one query, not the reports' whole figures)."""
    reports = {
        report.county_id: report
        for report in MonthlyReport.objects.filter(
            county__prefecture=prefecture, township__isnull=True, month=month
        )
        .defer("figures", "adjustments")
        .annotate(stored_totals=KeyTransform("totals", "figures"))
    }
    return [
        {"county": county, "report": reports.get(county.pk)}
        for county in prefecture_counties(prefecture)
    ]


def rollup_total(rows: list[dict]) -> dict | None:
    """The prefecture's total: each count the sum of the counties' reported counts, the rate
    recomputed from the sums as a report computes its own; None when no county reported."""
    reported = [row["report"].stored_totals for row in rows if row["report"] is not None]
    if not reported:
        return None
    return _with_rate(
        {key: sum(totals.get(key) or 0 for totals in reported) for key in SUMMED_FIELDS}
    )


@login_required
def prefecture_reports(request, pk: int):
    prefecture = get_prefecture_or_404(request.user, pk)
    raw = request.GET.get("month", "") or previous_month(today()).strftime("%Y-%m")
    try:
        month = report_services.parse_month(raw)
    except DomainError:
        raise Http404 from None
    rows = county_report_totals(prefecture, month=month)
    total = rollup_total(rows)
    table = [
        {
            "key": key,
            "label": label,
            "values": [
                row["report"].stored_totals.get(key) if row["report"] is not None else None
                for row in rows
            ],
            "total": total.get(key) if total else None,
        }
        for key, label in COUNT_FIELDS
    ]
    return render(
        request,
        "dropout/reports/prefecture_rollup.html",
        {
            "prefecture": prefecture,
            "month": month,
            "month_text": month.strftime("%Y-%m"),
            "latest_month": previous_month(today()).strftime("%Y-%m"),
            "rows": rows,
            "table": table,
            "total": total,
        },
    )
