"""The rectification ledger (整改台账) and its export."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.export_jobs import export_fields, export_redirect, posted_filters
from core.pagination import query_without_page

from .. import selectors
from ..exports import LEDGER_QUERY_KEYS
from ..models import Issue
from .common import may_manage


@login_required
def ledger(request):
    filtered = selectors.ledger_filter(request.user, request.GET)
    if filtered.is_bound and not filtered.is_valid():
        rows = Issue.objects.none()
    else:
        rows = selectors.ledger_rows(filtered)
    figures = selectors.ledger_figures(rows)
    selectors.styled(filtered.form)
    paginator = Paginator(rows, 50)
    paginator.count = figures.total["found"]  # the same rows, already counted
    page = paginator.get_page(request.GET.get("page"))
    today = timezone.localdate()
    return render(
        request,
        "inspections/ledger.html",
        {
            "filter": filtered,
            "page": page,
            "figures": figures,
            "today": today,
            "may_manage": may_manage(request.user),
            "chart": {
                "labels": [row["area__name"] for row in figures.by_area],
                "found": [row["found"] for row in figures.by_area],
                "rectified": [row["rectified"] for row in figures.by_area],
                "verified": [row["verified"] for row in figures.by_area],
            },
            "export_query": export_fields(request.GET, LEDGER_QUERY_KEYS),
            "query_string": query_without_page(request),
        },
    )


@login_required
@require_POST
def ledger_export(request):
    query = posted_filters(request, LEDGER_QUERY_KEYS)
    return export_redirect(
        request,
        exporter="rectification_ledger",
        title=f"整改台账{timezone.localdate().isoformat()}",
        params={"query": query},
    )
