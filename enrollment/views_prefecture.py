"""The city bureau's overview of its counties (市教育局): figures only, read-only."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from .prefecture import PREFECTURE_PAGES, county_figures, get_prefecture_or_404, prefecture_total


@login_required
def prefecture_overview(request, pk: int):
    """One row per county with its own overview's figures, the prefecture's total and a chart
    of the counties' rates; links to the monthly and annual roll-ups."""
    prefecture = get_prefecture_or_404(request.user, pk)
    day = timezone.localdate()
    rows = county_figures(prefecture, day=day)
    return render(
        request,
        "enrollment/prefecture_overview.html",
        {
            "prefecture": prefecture,
            "day": day,
            "rows": rows,
            "total": prefecture_total(rows),
            "pages": [
                {"url": reverse(page.url_name, args=[prefecture.pk]), "label": page.label}
                for page in PREFECTURE_PAGES
            ],
            "chart": {
                "rate_labels": [row["county"].name for row in rows],
                "rates": [row["rate"] for row in rows],
            },
        },
    )
