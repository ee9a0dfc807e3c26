"""The payment ledger and the totals page."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from core.pagination import CappedPaginator, query_without_page
from core.params import query_year

from .. import selectors
from ..filters import PaymentFilter
from .common import PER_PAGE


@login_required
def payment_list(request):
    payments = PaymentFilter(
        request.GET, queryset=selectors.payment_list(request.user), request=request
    )
    return render(
        request,
        "subsidies/payment_list.html",
        {
            "filter": payments,
            "page": CappedPaginator(payments.qs, PER_PAGE).get_page(request.GET.get("page")),
            "summary": selectors.cached_paid_summary(payments, request.user),
            "query": query_without_page(request),
        },
    )


@login_required
def totals(request):
    group_by = request.GET.get("by", "programme")
    if group_by not in selectors.TOTAL_DIMENSIONS:
        raise Http404
    payments = PaymentFilter(
        request.GET, queryset=selectors.payments_for(request.user), request=request
    )
    year = query_year(request.GET, default=timezone.localdate().year - 1)
    # Every figure of the page (the sentence, the table, the total) from the same payments:
    # the filters' and the report year's (by payment date; a reversal in its payment's year).
    rows = selectors.totals(selectors.paid_in_year(payments.qs, year), group_by)
    return render(
        request,
        "subsidies/totals.html",
        {
            "filter": payments,
            "rows": rows,
            "group_by": group_by,
            "dimensions": [
                ("programme", _("Programme")),
                ("stage", _("Stage")),
                ("school", _("School")),
                ("township", _("Township")),
                ("period", _("School year or term")),
            ],
            "grand_total": sum(row["amount"] for row in rows),
            "report": selectors.report_line(payments.qs, year),
            "filters_query": query_without_page(request, drop=("by", "year")),
            "year": year,
            "query": query_without_page(request),
        },
    )
