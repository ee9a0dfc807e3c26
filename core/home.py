"""The home page's work queues: each app registers the queues it owns (its own query, through
its model's `for_user()`), the home page asks every provider for the user's roles and shows the
queues first, each item a link to where the work is done. Core knows no role: a provider gets
the user's role names and decides whether it has anything for them."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

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
