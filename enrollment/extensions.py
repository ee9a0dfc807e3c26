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


# Each menu: (request) -> NavMenu or None (nothing for this user); shown in the top bar in
# registration order.
NAV_MENUS: list[Callable] = []


def register_nav_menu(menu: Callable) -> None:
    NAV_MENUS.append(menu)
