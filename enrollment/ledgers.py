"""Building a ledger (place, day, filters) — shared by the ledger page and its Excel export."""

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404, QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from . import selectors
from .extensions import child_score_keys, with_child_scores
from .filters import LedgerFilter
from .models import Child, County, Grade, School, Township, Village
from .permissions import get_scoped_or_404

LEDGER_KINDS = {
    # kind: (model, how children of the place are found, how the summary groups them)
    "county": (County, "village__township__county", "village__township"),
    "township": (Township, "village__township", "village"),
    "village": (Village, "village", "ledger_grade"),
    "school": (School, "ledger_school_id", "ledger_grade"),
}


@dataclass
class Ledger:
    kind: str
    place: object
    day: datetime.date
    as_of: datetime.date | None
    population: QuerySet
    filter: LedgerFilter
    rows: QuerySet  # the filtered children, in ledger order
    group_by: str


def parse_as_of(raw: str) -> datetime.date | None:
    """?as_of=YYYY-MM-DD rebuilds the ledger of a past day from the status history."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        day = parse_date(raw) if len(raw) == 10 else None
    except ValueError:  # well-formed but impossible, e.g. 2026-13-45
        day = None
    if day is None or day > timezone.localdate():
        raise Http404(_("The date must be a past day written YYYY-MM-DD."))
    return day


def build_ledger(user, kind: str, pk: int, query: QueryDict) -> Ledger:
    """The place must be in the user's scope (else 404); children come through for_user()."""
    model, children_path, group_by = LEDGER_KINDS[kind]
    place = get_scoped_or_404(model.objects, user, pk=pk)
    as_of = parse_as_of(query.get("as_of", ""))
    day = as_of or timezone.localdate()
    population = selectors.ledger_population(
        Child.objects.for_user(user), day=day, as_of=as_of
    ).filter(**{children_path: place.pk})
    ledger_filter = LedgerFilter(query or None, queryset=population, user=user, day=day)
    if not ledger_filter.is_bound:
        rows = population
    elif ledger_filter.is_valid():
        rows = ledger_filter.qs
    else:
        rows = population.none()
    if not query.get("status"):
        rows = rows.exclude(selectors.LEDGER_DEPARTED)
    rows = selectors.with_case_flag(
        with_child_scores(rows.select_related("village__township", "household")), user
    ).order_by("village__code", "name", "pk")
    return Ledger(
        kind=kind,
        place=place,
        day=day,
        as_of=as_of,
        population=population,
        filter=ledger_filter,
        rows=rows,
        group_by=group_by,
    )


def summary_population(ledger: Ledger, user, query: QueryDict) -> QuerySet:
    """Counts follow the place/stage/focus filters but not the status filter (a rate of only
    dropouts means nothing) nor the modules' score filters (a rate of only high-risk children
    neither; and the cached counts change with the statuses, not with the nightly scores)."""
    if not query or not ledger.filter.is_valid():
        return ledger.population
    without_status = query.copy()
    for key in ("status", *child_score_keys()):
        without_status.pop(key, None)
    summary_filter = LedgerFilter(
        without_status, queryset=ledger.population, user=user, day=ledger.day
    )
    return summary_filter.qs if summary_filter.is_valid() else ledger.population


LEDGER_QUERY_KEYS = ("village", "school", "stage", "status", "focus", "q", "as_of")


def ledger_query_keys() -> tuple[str, ...]:
    """The ledger's filters that its export carries: the registry's and the modules' scores."""
    return (*LEDGER_QUERY_KEYS, *child_score_keys())


def cached_summary(ledger: Ledger, user, query: QueryDict) -> list[dict]:
    """The per-group counts of a ledger: the costly part of a county's ledger, cached on a
    shared cache until the next status change, per place, day, filters and the user's scopes."""
    from core.cache import cached

    from .scoping import scope_signature

    key = [
        ledger.kind,
        ledger.place.pk,
        ledger.day,
        ledger.as_of,
        scope_signature(user),
        sorted((k, v) for k, v in query.lists() if k in LEDGER_QUERY_KEYS),
    ]
    return cached(
        selectors.LEDGER_SUMMARY_CACHE,
        key,
        lambda: selectors.ledger_summary(
            summary_population(ledger, user, query), group_by=ledger.group_by
        ),
    )


def summary_group_label(group_by: str) -> str:
    return {
        "village__township": _("Township"),
        "village": _("Village"),
        "ledger_grade": _("Grade"),
    }[group_by]


def label_summary_rows(rows, group_by):
    """Names for the group keys, in one query per place type (never one per row)."""
    ids = [row[group_by] for row in rows]
    if group_by == "village__township":
        names = dict(Township.objects.filter(pk__in=ids).values_list("pk", "name"))
    elif group_by == "village":
        names = dict(Village.objects.filter(pk__in=ids).values_list("pk", "name"))
    else:
        names = {value: label for value, label in Grade.choices}
    for row in rows:
        row["label"] = names.get(row[group_by], _("Not on a roll"))
        row["key"] = row[group_by]


def cached_class_sizes(user, kind: str, place) -> dict:
    """大班额 of the place's schools in the user's scope (selectors.class_size_overview): one
    GROUP BY over the county's pupils, cached like the summaries until the next status change
    (placements change only with a status change or a roll import, both bump the cache)."""
    from core.cache import cached

    from .scoping import scope_signature

    key = [
        "class-sizes",
        kind,
        place.pk,
        scope_signature(user),
        selectors.class_size_thresholds(),
    ]
    return cached(
        selectors.LEDGER_SUMMARY_CACHE,
        key,
        lambda: selectors.class_size_overview(selectors.schools_of_place(user, kind, place)),
    )
