"""The cross-check (比对) of a township: the police extracts against the school rolls.

Four lists, each read through for_user() and exportable:
- unaccounted (去向不明): school-age residents of the township on no roll and in no legal status
  — the household-visit list;
- outside: pupils on a roll of the township's schools who live in another township;
- two rolls: children on the rolls of two schools at once (a school of the township, or a child
  living in it);
- unregistered: IDs on a roll of the township's schools that no police extract has listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from core.exports import PERSON_COLUMNS, Column, Export

from .models import UNACCOUNTED_STATUSES, Child, Grade, RollEntry, Township
from .permissions import get_scoped_or_404, user_may
from .roles import FULL_IDENTITY_ROLES, ROLE_SCOPE_KIND

# The check lists a township's children: whoever's scope covers a whole township (a village
# or a school scope sees no township, so its page would be empty; the menu leaves it out).
CROSSCHECK_ROLES = frozenset(
    role for role, kind in ROLE_SCOPE_KIND.items() if kind in ("county", "township")
)

LISTS = {
    "unaccounted": _("Unaccounted (visit them)"),
    "outside": _("On a roll, living outside the township"),
    "two_rolls": _("On two rolls at once"),
    "unregistered": _("On a roll, in no police extract"),
}


@dataclass
class CrossCheck:
    township: Township
    lists: dict  # name -> queryset


def _unaccounted(user, township, day) -> QuerySet:
    on_a_roll = RollEntry.objects.filter(resident_id=OuterRef("resident_id"))
    return (
        Child.objects.for_user(user)
        .filter(village__township=township, status__in=UNACCOUNTED_STATUSES)
        .school_age_on(day)
        .filter(~Exists(on_a_roll))
        .select_related("village", "household")
        .order_by("village__code", "name", "pk")
    )


def _outside(user, township) -> QuerySet:
    return (
        RollEntry.objects.for_user(user)
        .filter(school__township=township, child__isnull=False)
        .exclude(child__village__township=township)
        .select_related("school", "child__village__township")
        .order_by("school__code", "grade", "class_name", "name", "pk")
    )


def _two_rolls(user, township) -> QuerySet:
    doubled = (
        RollEntry.objects.order_by()
        .values("resident_id")
        .annotate(schools=Count("school", distinct=True))
        .filter(schools__gt=1)
        .values("resident_id")
    )
    return (
        RollEntry.objects.for_user(user)
        .filter(Q(school__township=township) | Q(child__village__township=township))
        .filter(resident_id__in=doubled)
        .select_related("school", "child__village__township")
        .order_by("resident_id", "school__code", "pk")
    )


def other_rolls(entries) -> dict[int, list[str]]:
    """For each entry, the names of the other schools whose rolls list the same ID (the page's
    rows or a chunk of an export: one query). Only school names are shown beyond the scope."""
    entries = list(entries)
    by_id = {}
    for resident_id, school_id, school_name in RollEntry.objects.filter(
        resident_id__in={entry.resident_id for entry in entries}
    ).values_list("resident_id", "school_id", "school__name"):
        by_id.setdefault(resident_id, []).append((school_id, school_name))
    return {
        entry.pk: [
            name
            for school_id, name in by_id.get(entry.resident_id, [])
            if school_id != entry.school_id
        ]
        for entry in entries
    }


def _unregistered(user, township) -> QuerySet:
    listed = Child.objects.filter(
        resident_id=OuterRef("resident_id"), police_listed_on__isnull=False
    )
    return (
        RollEntry.objects.for_user(user)
        .filter(school__township=township)
        .filter(~Exists(listed))
        .select_related("school")
        .order_by("school__code", "grade", "class_name", "name", "pk")
    )


def iter_chunks(iterable, size: int):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def cross_check(user, township_pk: int) -> CrossCheck:
    """The four lists of a township the user's scope covers (404 otherwise)."""
    township = get_scoped_or_404(Township.objects.select_related("county"), user, pk=township_pk)
    day = timezone.localdate()
    lists = {
        "unaccounted": _unaccounted(user, township, day),
        "outside": _outside(user, township),
        "two_rolls": _two_rolls(user, township),
        "unregistered": _unregistered(user, township),
    }
    return CrossCheck(township=township, lists=lists)


def export_cross_check(user, params: dict) -> Export:
    """params: {"township": pk, "list": name}."""
    check = cross_check(user, params["township"])
    name = params["list"]
    rows = check.lists[name]
    full = user_may(user, Township.objects, FULL_IDENTITY_ROLES, check.township)

    def shown(number: str | None, masked: str) -> str:
        return (number or "") if full else masked

    with override("zh-hans"):
        title = f"{check.township.name}比对-{LISTS[name]}"
        grades = {value: str(label) for value, label in Grade.choices}
    if name == "unaccounted":
        columns = [
            *PERSON_COLUMNS,
            Column("村（社区）", 12),
            Column("户籍地址", 24),
            Column("监护人", 10),
            Column("与儿童关系", 10),
            Column("联系电话", 14),
        ]

        def generate():
            for number, child in enumerate(rows.iterator(chunk_size=2000), start=1):
                yield [
                    number,
                    child.name,
                    "男" if child.sex == "M" else "女",
                    child.birth_date,
                    "未落户"
                    if child.has_no_resident_id
                    else shown(child.resident_id, child.masked_resident_id),
                    child.village.name,
                    child.household.address,
                    child.guardian_name,
                    child.guardian_relation,
                    child.guardian_phone if full else child.masked_guardian_phone,
                ]

    else:
        columns = [
            Column("序号", 6),
            Column("学校", 22),
            Column("姓名", 10),
            Column("身份证号", 21),
            Column("年级", 10),
            Column("班级", 8),
            Column("入学日期", 12),
            Column("户籍所在乡镇", 14),
            Column("户籍所在村（社区）", 16),
        ]

        if name == "two_rolls":
            columns.append(Column("同时在籍学校", 30))

        def generate():
            number = 0
            for chunk in iter_chunks(rows.iterator(chunk_size=2000), 2000):
                others = other_rolls(chunk) if name == "two_rolls" else {}
                for entry in chunk:
                    number += 1
                    child = entry.child
                    row = [
                        number,
                        entry.school.name,
                        entry.name,
                        shown(entry.resident_id, entry.masked_resident_id),
                        grades.get(entry.grade, ""),
                        entry.class_name,
                        entry.entry_date,
                        child.village.township.name if child else "",
                        child.village.name if child else "",
                    ]
                    if name == "two_rolls":
                        row.append("、".join(others.get(entry.pk, [])))
                    yield row

    return Export(title=title, columns=columns, rows=generate(), total=rows.count())
