"""The prefecture (市) above the counties: what the city bureau reads of them.

The city bureau (Role.PREFECTURE_VIEWER) holds a scope of kind "prefecture" and reads its
Prefecture through `for_user()` (404 otherwise). Below it, it reads figures only: no model that
names a child has a "prefecture" scope path. So the figures of its counties are counted here over
the counties of the prefecture it was let into, with the county overview's own selectors
(`ledger_population`, `ledger_summary`, `summary_total`): a county's row is the sum of its
townships' rows on the county's own overview, by construction.
"""

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from core.cache import cached

from . import selectors
from .models import Child, County, Prefecture
from .roles import Role

PREFECTURE_ROLES = frozenset({Role.PREFECTURE_VIEWER})


@dataclass(frozen=True)
class PrefecturePage:
    """A roll-up page of a module above the registry for the city bureau (its counties side by
    side), linked from the prefecture overview and the city menu; registered by the module, so
    that the registry imports none of them (like enrollment.extensions' hooks)."""

    label: str
    url_name: str  # reversed with the prefecture's pk


PREFECTURE_PAGES: list[PrefecturePage] = []


def register_prefecture_page(page: PrefecturePage) -> None:
    if page not in PREFECTURE_PAGES:
        PREFECTURE_PAGES.append(page)


# A county's row, grouped as the county ledger groups its children.
COUNTY_GROUP = "village__township__county"


def get_prefecture_or_404(user, pk: int) -> Prefecture:
    """The prefecture, if one of the user's scopes reaches it (404 otherwise)."""
    return get_object_or_404(Prefecture.objects.for_user(user), pk=pk)


def user_prefectures(user) -> QuerySet:
    return Prefecture.objects.for_user(user).order_by("code")


def prefecture_counties(prefecture: Prefecture) -> list[County]:
    return list(County.objects.filter(prefecture=prefecture).order_by("code"))


def county_figures(prefecture: Prefecture, *, day: datetime.date) -> list[dict]:
    """One row per county of the prefecture (code order), with the figures of the county's own
    overview on `day`: population, enrolled, exempted, suspected, dropped_out, unaccounted and
    rate. One GROUP BY over the prefecture's children, cached like the counties' summaries
    (until the next status change)."""

    def compute():
        children = Child.objects.filter(village__township__county__prefecture=prefecture)
        population = selectors.ledger_population(children, day=day)
        return selectors.ledger_summary(population, group_by=COUNTY_GROUP)

    counts = {
        row[COUNTY_GROUP]: row
        for row in cached(
            selectors.LEDGER_SUMMARY_CACHE, ["prefecture-overview", prefecture.pk, day], compute
        )
    }
    rows = []
    for county in prefecture_counties(prefecture):
        row = counts.get(county.pk) or selectors.summary_total([])
        rows.append({**row, "county": county})
    return rows


def prefecture_total(rows: list[dict]) -> dict:
    """The prefecture's total: the sum of its counties' rows, the rate of the sums."""
    return selectors.summary_total(rows)
