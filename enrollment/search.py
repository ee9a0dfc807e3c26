"""The header's one search box: children (by name, full resident ID or its last digits),
households and — through providers the modules register — their records (cases), always within
the user's scope and masked as lists are."""

import re
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.db.models.functions import Reverse
from django.utils.translation import gettext_lazy as _

from core.masking import Shown, mask_resident_id, shows_full

from .models import Child, Household

LIMIT = 20  # per kind; a longer list means the query should be narrower
# An ID's last characters, four at least: digits, or digits and the X check character
# (尾号 of an ID ending in X is three digits and the X).
ID_DIGITS = re.compile(r"^(?:\d{4,18}|\d{3,17}[Xx])$")
FULL_ID = re.compile(r"^\d{17}[\dXx]$")


@dataclass
class Query:
    text: str
    kind: str  # "resident_id", "id_digits" or "text"

    @classmethod
    def parse(cls, raw: str) -> "Query | None":
        text = (raw or "").strip()[:50]
        if FULL_ID.match(text):
            return cls(text.upper(), "resident_id")
        if ID_DIGITS.match(text):
            return cls(text.upper(), "id_digits")
        # A Chinese surname alone is a sensible search; three digits or one Latin letter is not.
        if not text or text.isdigit() or (len(text) < 2 and text.isascii()):
            return None
        return cls(text, "text")

    @property
    def for_the_log(self) -> str:
        """What the audit log may keep of the query: never an ID, a name or any value typed
        (a search for a name is as personal as the name), only what kind of search it was."""
        return self.kind


@dataclass
class Result:
    url: str
    title: str
    lines: list[str] = field(default_factory=list)


@dataclass
class Group:
    key: str
    label: str
    results: list[Result]
    more: bool = False


def _child_q(query: Query) -> Q:
    if query.kind == "resident_id":
        return Q(resident_id=query.text)
    if query.kind == "id_digits":
        # The ID read backwards begins with the digits read backwards: a prefix, which the
        # expression index on REVERSE(resident_id) answers on PostgreSQL (migration 0018)
        # instead of reading every child as `LIKE '%digits'` does. The same rows either way.
        return Q(resident_id_reversed__startswith=query.text[::-1])
    return Q(name__icontains=query.text)


def search_children(user, query: Query) -> Group:
    from django.urls import reverse

    children = list(
        Child.objects.for_user(user)
        .alias(resident_id_reversed=Reverse("resident_id"))
        .filter(_child_q(query))
        .select_related("village__township", "current_school")
        .order_by("name", "pk")[: LIMIT + 1]
    )
    results = [
        Result(
            url=reverse("enrollment:child_detail", args=[child.pk]),
            title=child.name,
            lines=[
                # A list of people masks the ID for everyone (core.masking's one rule).
                mask_resident_id(child.resident_id)
                if not shows_full(Shown.LIST, needs_full=True)
                else child.resident_id or "",
                f"{child.village.township.name} · {child.village.name}",
                child.get_status_display()
                + (f" · {child.current_school.name}" if child.current_school_id else ""),
            ],
        )
        for child in children[:LIMIT]
    ]
    return Group("children", _("Children"), results, more=len(children) > LIMIT)


def search_households(user, query: Query) -> Group:
    from django.urls import reverse

    if query.kind != "text":
        return Group("households", _("Households"), [])
    households = list(
        Household.objects.for_user(user)
        .filter(Q(head_name__icontains=query.text) | Q(address__icontains=query.text))
        .select_related("village__township")
        .prefetch_related(
            Prefetch("children", queryset=Child.objects.for_user(user).order_by("name"))
        )
        .order_by("head_name", "pk")[: LIMIT + 1]
    )
    results = []
    for household in households[:LIMIT]:
        children = list(household.children.all())
        results.append(
            Result(
                url=reverse("enrollment:child_detail", args=[children[0].pk]) if children else "",
                title=f"{household.head_name}（{household.address}）",
                lines=[
                    f"{household.village.township.name} · {household.village.name}",
                    "、".join(child.name for child in children),
                ],
            )
        )
    return Group("households", _("Households"), results, more=len(households) > LIMIT)


def search(user, query: Query) -> list[Group]:
    from .extensions import SEARCH_PROVIDERS

    groups = [search_children(user, query), search_households(user, query)]
    groups += [provider(user, query) for provider in SEARCH_PROVIDERS]
    return groups
