"""Hooks through which the modules above the registry add to its pages without the registry
importing them (the dependency direction stays one-way)."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class LedgerTab:
    label: str
    url_name: str  # reversed with (kind, pk)
    preset_status: str


LEDGER_TABS: list[LedgerTab] = []
# Each panel: (request, child) -> (template_name, context) or None to show nothing.
CHILD_PANELS: list[Callable] = []
# Each action: (request, child) -> list of {"url", "label", "icon"} links for the child page.
CHILD_ACTIONS: list[Callable] = []


def register_ledger_tab(tab: LedgerTab) -> None:
    LEDGER_TABS.append(tab)


def register_child_panel(panel: Callable) -> None:
    CHILD_PANELS.append(panel)


def register_child_actions(actions: Callable) -> None:
    CHILD_ACTIONS.append(actions)


# Each provider: (user, enrollment.search.Query) -> enrollment.search.Group of the module's
# records within the user's scope, for the header's search box.
SEARCH_PROVIDERS: list[Callable] = []


def register_search_provider(provider: Callable) -> None:
    SEARCH_PROVIDERS.append(provider)


# Each loader: (county, users_by_username, scale) -> str summary; run by seed_demo after the
# registry. `scale` is enrollment.demo.Scale: a loader sizes its data by it (bulk inserts at
# county scale) and returns at once when its data are already present.
DEMO_LOADERS: list[Callable] = []


def register_demo_loader(loader: Callable) -> None:
    DEMO_LOADERS.append(loader)


@dataclass
class NavMenu:
    label: str
    icon: str  # a Bootstrap icon name, e.g. "cash-coin"
    items: list[dict]  # {"url": ..., "label": ...}
    # "dropout_control": a section of the 控辍保学 menu (risk, transfers, help: the work of
    # keeping children in school) instead of a menu of its own; the bar has room for few.
    within: str = ""


# Each menu: (request) -> NavMenu or None (nothing for this user); shown in the top bar in
# registration order.
NAV_MENUS: list[Callable] = []


def register_nav_menu(menu: Callable) -> None:
    NAV_MENUS.append(menu)


# Each priority: (children queryset) -> an expression of each child's need (an integer, higher
# first) for lists that order children by it (the visit worklist); the modules above add theirs
# (the dropout-risk score) and the list adds them up. None registered: every child is 0.
CHILD_PRIORITIES: list[Callable] = []


def register_child_priority(priority: Callable) -> None:
    if priority not in CHILD_PRIORITIES:
        CHILD_PRIORITIES.append(priority)


def with_priority(children):
    """`children` annotated with `priority` (the sum of the registered priorities)."""
    from django.db.models import Value

    total = Value(0)
    for priority in CHILD_PRIORITIES:
        total = total + priority()
    return children.annotate(priority=total)


@dataclass
class FourSourceCount:
    """A mismatch kind of the 四查三比对 that a module above the registry lists itself (the
    poverty registers' children without the subsidies they are entitled to): its open count in
    the township and the link to its list."""

    kind: str  # enrollment.crosscheck_models.MismatchKind
    label: str
    count: int
    url: str


# Each provider: (user, township) -> FourSourceCount or None (nothing for this user).
FOUR_SOURCE_PROVIDERS: list[Callable] = []


def register_four_source_provider(provider: Callable) -> None:
    FOUR_SOURCE_PROVIDERS.append(provider)


@dataclass
class ChildScore:
    """A per-child score that a module above the registry keeps (the dropout-risk score),
    shown on the ledgers as a column with a badge and offered as a filter; the registry never
    reads the module's tables itself, only the expression it is given."""

    key: str  # the query parameter of the filter ("risk"); the annotation is f"score_{key}"
    label: str  # the column's and the filter's label
    # (path to the child's pk from the rows: "pk" for children, "child_id" for cases) -> an
    # integer expression of the child's score, NULL where the child has none (one subquery:
    # the column costs no query per row).
    expression: Callable
    # The filter's choices: (value, label, lowest score kept), e.g. ("high", "高风险", 60).
    levels: list[tuple[str, str, int]]
    # score (int or None) -> the badge's HTML
    badge: Callable

    @property
    def annotation(self) -> str:
        return f"score_{self.key}"

    def minimum(self, value: str) -> int | None:
        return next((low for key, _label, low in self.levels if key == value), None)


CHILD_SCORES: list[ChildScore] = []


def register_child_score(score: ChildScore) -> None:
    if all(existing.key != score.key for existing in CHILD_SCORES):
        CHILD_SCORES.append(score)


def child_scores() -> list[ChildScore]:
    """The registered scores, read when asked (a test may empty the registry)."""
    return list(CHILD_SCORES)


def child_score_keys() -> tuple[str, ...]:
    return tuple(score.key for score in CHILD_SCORES)


def with_child_scores(rows, child_path: str = "pk"):
    """`rows` annotated with every registered score (`score_<key>`)."""
    return rows.annotate(
        **{score.annotation: score.expression(child_path) for score in CHILD_SCORES}
    )


def filter_child_scores(rows, query, child_path: str = "pk"):
    """`rows` narrowed by the scores' filters in `query` (an unknown value filters nothing:
    the form shows the choices it accepts)."""
    for score in CHILD_SCORES:
        low = score.minimum(query.get(score.key, ""))
        if low is not None:
            alias = f"{score.annotation}_filter"
            rows = rows.alias(**{alias: score.expression(child_path)}).filter(
                **{f"{alias}__gte": low}
            )
    return rows
