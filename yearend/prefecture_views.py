"""The city bureau's annual page (市级年度汇总): each county's own summary of a year (the whole
county's, approved or draft) side by side, for the figures the summaries share. Nothing is
computed here: the figures are those each county stored (services.generate_summary)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from core.services import today
from enrollment.prefecture import get_prefecture_or_404, prefecture_counties

from .models import AnnualSummary
from .selectors import from_stored
from .workbook import basis_text


def county_summaries(user, prefecture, *, year: int) -> list[dict]:
    """One row per county of the prefecture (code order) with its whole-county summary of
    `year` in the user's scope, or None."""
    summaries = {
        summary.county_id: summary
        for summary in AnnualSummary.objects.for_user(user).filter(
            county__prefecture=prefecture, township__isnull=True, year=year
        )
    }
    return [
        {"county": county, "summary": summaries.get(county.pk)}
        for county in prefecture_counties(prefecture)
    ]


def shared_figures(summaries: list[AnnualSummary]) -> list[dict]:
    """The figures every summary holds (by key), in the order of the first, each with its
    value per summary: summaries of different years' code may hold different figures."""
    if not summaries:
        return []
    values = [
        {figure["key"]: figure for section in summary.sections for figure in section["figures"]}
        for summary in summaries
    ]
    first = summaries[0]
    lines = []
    for section in first.sections:
        for figure in section["figures"]:
            key = figure["key"]
            if all(key in held for held in values):
                lines.append(
                    {
                        "key": key,
                        "section": section["title"],
                        "label": figure["label"],
                        "unit": figure["unit"],
                        "period": basis_text(figure["basis"], first.year, first.counted_on),
                        "values": [from_stored(held[key]["value"]) for held in values],
                    }
                )
    return lines


@login_required
def prefecture_summaries(request, pk: int):
    prefecture = get_prefecture_or_404(request.user, pk)
    this_year = today().year
    raw = request.GET.get("year", "")
    if raw and not (raw.isdigit() and 2000 <= int(raw) <= this_year):
        raise Http404
    year = int(raw) if raw else this_year - 1
    rows = county_summaries(request.user, prefecture, year=year)
    present = [row for row in rows if row["summary"] is not None]
    return render(
        request,
        "yearend/prefecture_summaries.html",
        {
            "prefecture": prefecture,
            "year": year,
            "years": list(range(this_year, this_year - 6, -1)),
            "rows": rows,
            "present": present,
            "lines": shared_figures([row["summary"] for row in present]),
        },
    )
