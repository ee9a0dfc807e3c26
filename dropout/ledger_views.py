"""The ledgers page (every dropout-control ledger, exported to Excel for a date range) and the
register of numbered documents (发文登记簿). Rows come through for_user(); what a user cannot
see is neither counted nor exported."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core.export_jobs import export_redirect, posted_query
from enrollment.models import Township

from .filters import PersuasionFilter, RegisterFilter
from .ledgers import LEDGERS, ledger_title
from .models import DropoutCase, OfficialDocument
from .register import register_entries

REGISTER_PAGE_SIZE = 100


def _index(request, query: QueryDict, *, refused=None, failed: str = ""):
    """The page: the date range (checked with the rule every ledger applies) and, when it is
    valid, how many rows of the user's scope each ledger holds in it. `refused`: the filters
    of an export that did not validate (shown; the answer is 400)."""
    dates = PersuasionFilter(_dates_only(query))
    if refused is None and not dates.is_valid():
        refused = dates
    # A township (the annual summary's drill-down) narrows the ledgers that know one; the
    # others show no count rather than the whole scope's.
    townships = Township.objects.for_user(request.user).order_by("code")
    township = query.get("township", "")
    if township and not (township.isdigit() and townships.filter(pk=township).exists()):
        township = ""
    rows = []
    for ledger in LEDGERS.values():
        count = None
        narrowed = not township or "township" in ledger.filter_class.base_filters
        if refused is None and narrowed:
            data = _dates_only(query)
            if township:
                data["township"] = township
            filters = ledger.filter_class(data, queryset=ledger.rows(request.user))
            count = filters.qs.distinct().count()
        rows.append({"ledger": ledger, "count": count, "narrowed": narrowed})
    return render(
        request,
        "dropout/ledger_index.html",
        {
            "errors": _messages(refused) if refused is not None else [],
            "failed": LEDGERS[failed] if failed else None,
            "rows": rows,
            "date_from": query.get("date_from", ""),
            "date_to": query.get("date_to", ""),
            "township": township,
            "townships": townships,
            "statuses": DropoutCase.Status.choices,
            "causes": DropoutCase.Cause.choices,
            "kinds": OfficialDocument.Kind.choices,
        },
        status=200 if refused is None else 400,
    )


def _messages(filters) -> list[tuple[str, str]]:
    """(label, message) for each error of a FilterSet's form."""
    return [
        (str(filters.form.fields[name].label) if name in filters.form.fields else "", message)
        for name, messages in filters.errors.items()
        for message in messages
    ]


def _dates_only(query: QueryDict) -> QueryDict:
    dates = QueryDict(mutable=True)
    for name in ("date_from", "date_to"):
        if query.get(name):
            dates[name] = query[name]
    return dates


@login_required
@require_GET
def ledger_index(request):
    return _index(request, request.GET)


@login_required
@require_POST
def ledger_export(request, name: str):
    """Queue one ledger's workbook with the posted filters; filters that do not validate are
    shown on the ledgers page (400) and nothing is queued."""
    ledger = LEDGERS.get(name)
    if ledger is None:
        raise Http404
    posted = posted_query(request)
    query = {
        key: values for key, values in posted.items() if key in ledger.filter_class.base_filters
    }
    data = QueryDict(mutable=True)
    for key, values in query.items():
        data.setlist(key, values)
    filters = ledger.filter_class(data, queryset=ledger.rows(request.user))
    if not filters.is_valid():
        return _index(request, data, refused=filters, failed=name)
    return export_redirect(
        request,
        exporter=ledger.exporter,
        title=ledger_title(ledger, data),
        params={**(ledger.params or {}), "query": query},
    )


@login_required
@require_GET
def document_register(request):
    """发文登记簿: every number of the selected townships, kinds and years, in order, voided ones
    with what voided them; this year's unless a range is given."""
    query = request.GET.copy()
    if not query.get("date_from") and not query.get("date_to"):
        year = timezone.localdate().year
        query["date_from"], query["date_to"] = f"{year}-01-01", f"{year}-12-31"
    filters = RegisterFilter(query, queryset=OfficialDocument.objects.none())
    valid = filters.is_valid()
    entries = list(register_entries(request.user, query)) if valid else []
    page = Paginator(entries, REGISTER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "dropout/document_register.html",
        {
            "form": filters.form,
            "errors": _messages(filters),
            "page": page,
            "townships": Township.objects.for_user(request.user).order_by("code"),
            "kinds": OfficialDocument.Kind.choices,
            "query": query,
            "missing": sum(1 for entry in entries if entry.document is None),
        },
        status=200 if valid else 400,
    )
