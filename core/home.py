"""The home page's work queues: each app registers the queues it owns (its own query, through
its model's `for_user()`), the home page asks every provider for the user's roles and shows the
queues first, each item a link to where the work is done. Core knows no role: a provider gets
the user's role names and decides whether it has anything for them."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import F, Func, IntegerField, Subquery

# How many items a queue lists on the home page; the queue's link opens the rest.
QUEUE_ITEMS = 5


@dataclass
class QueueItem:
    label: str
    url: str
    detail: str = ""  # where, what, since when — one short line
    due: datetime.date | None = None
    overdue: bool = False
    flag: str = ""  # what an overdue item's badge says (default: overdue)


@dataclass
class HomeQueue:
    key: str  # stable: the page's element id (`queue-<key>`) and the tests' handle
    title: str
    count: int
    items: list[QueueItem] = field(default_factory=list)
    more_url: str = ""  # the list where the whole queue is worked through
    more_label: str = ""
    empty: str = ""  # what an empty queue says (nothing is waiting)
    action_url: str = ""  # the form that starts new work of this kind (report an absence…)
    action_label: str = ""


# Each provider: (user, roles: frozenset[str], day: date) -> list[HomeQueue]; registered with
# an order (lower first) so that a role's most urgent queue leads.
_PROVIDERS: list[tuple[int, Callable]] = []


def register_home_queue(provider: Callable, *, order: int = 100) -> None:
    _PROVIDERS.append((order, provider))


def home_queues(user, roles, *, day: datetime.date) -> list[HomeQueue]:
    roles = frozenset(roles)
    queues: list[HomeQueue] = []
    for _order, provider in sorted(_PROVIDERS, key=lambda entry: entry[0]):
        queues.extend(provider(user, roles, day) or [])
    return queues


def first_items(queryset, to_item: Callable, limit: int = QUEUE_ITEMS) -> list[QueueItem]:
    """The first `limit` rows of an ordered queryset as queue items (one query)."""
    return [to_item(row) for row in queryset[:limit]]


def counted_items(
    queryset, to_item: Callable, limit: int = QUEUE_ITEMS
) -> tuple[int, list[QueueItem]]:
    """How many rows the queue holds and its first `limit` rows as items, in one query: the
    count rides on each row as an uncorrelated scalar subquery, which the database evaluates
    once; no row means an empty queue (the subquery counts what the rows are drawn from).
    A grouped or distinct queryset (whose count is not its rows') takes two queries."""
    query = queryset.query
    grouped = query.group_by is not None or query.distinct or query.combinator
    if grouped or any(
        getattr(annotation, "contains_aggregate", False)
        for annotation in query.annotations.values()
    ):
        return queryset.count(), first_items(queryset, to_item, limit)
    total = (
        queryset.order_by()
        .annotate(_queue_total=Func(F("pk"), function="COUNT", output_field=IntegerField()))
        .values("_queue_total")
    )
    rows = list(queryset.annotate(_queue_total=Subquery(total))[:limit])
    return (rows[0]._queue_total if rows else 0), [to_item(row) for row in rows]


# Each panel provider: (request, roles: frozenset[str]) -> (template_name, context) or None; the
# overview page (the bureau's and the townships' dashboard) shows them after its own figures,
# in order. Core knows no role: a provider decides whether it has anything for the user.
_PANELS: list[tuple[int, Callable]] = []


def register_home_panel(provider: Callable, *, order: int = 100) -> None:
    if provider not in [registered for _order, registered in _PANELS]:
        _PANELS.append((order, provider))


def home_panels(request, roles) -> list[dict]:
    """The registered panels for this request: [{"template", "context"}]."""
    panels = []
    for _order, provider in sorted(_PANELS, key=lambda entry: entry[0]):
        shown = provider(request, frozenset(roles))
        if shown is not None:
            panels.append({"template": shown[0], "context": shown[1]})
    return panels
