"""The police extract's plan in plain values (kept as JSON from the dry run to the commit) and its
SQL: the file's registered children in one query, a digest of what the plan depended on
(computed by the server), and the commit's bulk updates."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connection

from core.imports import IdStoredAsNumber, SheetRow, clean_id, iter_chunks
from core.resident_id import normalise as normalise_resident_id

# Imported under another name: the import methods keep `today` as the run's fixed day.
from core.services import today as local_today

from ..models import Child, Household, Township, Village
from .common import school_age_min


@dataclass
class PolicePayload:
    """What the commit writes, in plain values (no model instances: at 100,000 rows building
    them costs more than writing), so that the dry run's plan can be kept as JSON and reused by
    the commit when the database has not changed since (`digest`)."""

    digest: str = ""  # of everything in the database the plan depended on
    existing_ids: list = field(default_factory=list)  # the registered children it lists
    household_ids: dict = field(default_factory=dict)  # (village_id, address) -> pk, existing
    new_households: dict = field(default_factory=dict)  # (village_id, address) -> head's name
    # Child attributes + "household_key", as lists in police.NEW_CHILD_FIELDS' order
    new_children: list = field(default_factory=list)
    changed_children: list = field(default_factory=list)  # [pk, {attname: value}, key | None]
    first_listed_ids: list = field(default_factory=list)  # existing children never listed
    township_ids: set = field(default_factory=set)
    from_dry_run: bool = False  # kept since the dry run: apply() checks the digest first

    def to_json(self) -> dict:
        return {
            "digest": self.digest,
            "existing_ids": self.existing_ids,
            "household_ids": [[*key, pk] for key, pk in self.household_ids.items()],
            "new_households": [[*key, head] for key, head in self.new_households.items()],
            "new_children": self.new_children,
            "changed_children": self.changed_children,
            "first_listed_ids": self.first_listed_ids,
            "township_ids": sorted(self.township_ids),
        }

    @classmethod
    def from_json(cls, data: dict) -> PolicePayload:
        return cls(
            digest=data["digest"],
            existing_ids=data["existing_ids"],
            household_ids={(v, a): pk for v, a, pk in data["household_ids"]},
            new_households={(v, a): head for v, a, head in data["new_households"]},
            new_children=data["new_children"],
            changed_children=data["changed_children"],
            first_listed_ids=data["first_listed_ids"],
            township_ids=set(data["township_ids"]),
        )


# What the plan compares of an existing child (and shows of it in errors).
EXISTING_FIELDS = (
    "pk",
    "resident_id",
    "name",
    "guardian_name",
    "guardian_relation",
    "guardian_phone",
    "current_address",
    "police_listed_on",
    "village_id",
    "household_id",
    "household__address",
    "village__name",
    "village__township_id",
    "village__township__name",
)


def _tables() -> dict[str, str]:
    return {
        model.__name__: connection.ops.quote_name(model._meta.db_table)
        for model in (Child, Household, Village, Township)
    }


# EXISTING_FIELDS in SQL, and where they come from: the children {where} selects.
_EXISTING_COLUMNS = """c.id, c.resident_id, c.name, c.guardian_name, c.guardian_relation,
    c.guardian_phone, c.current_address, c.police_listed_on, c.village_id, c.household_id,
    h.address, v.name, v.township_id, t.name"""
_EXISTING_FROM = """{Child} c
    JOIN {Household} h ON h.id = c.household_id
    JOIN {Village} v ON v.id = c.village_id
    JOIN {Township} t ON t.id = v.township_id
    WHERE {where}"""


_BY_NUMBER = "c.resident_id = ANY(%(numbers)s)"


_EXISTING_INDEX = {name: index for index, name in enumerate(EXISTING_FIELDS)}
# The place names every child of a village repeats: one string each, not one per child.
_SHARED_NAMES = (_EXISTING_INDEX["village__name"], _EXISTING_INDEX["village__township__name"])


class ExistingChild(tuple):
    """A registered child's EXISTING_FIELDS, read by name (`child["name"]`) as from a dict:
    a tuple, a quarter of a dict's memory (a county's dry run holds 100,000 of them)."""

    __slots__ = ()

    def __getitem__(self, name: str):
        return tuple.__getitem__(self, _EXISTING_INDEX[name])


def children_by_id(numbers: list[str], rows: list | None = None) -> Iterator[ExistingChild]:
    """The registered children among `numbers`, as ExistingChild rows: from `rows` that
    fetch_children returned, or read now (on PostgreSQL one query with the IDs as an array:
    100,000 IN-list parameters cost seconds to build)."""
    if rows is None and connection.vendor != "postgresql":
        rows = []
        for chunk in iter_chunks(numbers, 5000):
            rows.extend(Child.objects.filter(resident_id__in=chunk).values_list(*EXISTING_FIELDS))
    if rows is None:
        with connection.cursor() as cursor:
            rows = fetch_children(cursor, numbers)
    names: dict[str, str] = {}
    for index, row in enumerate(rows):
        rows[index] = None  # each row let go of once converted
        row = list(row)
        for position in _SHARED_NAMES:
            row[position] = names.setdefault(row[position], row[position])
        yield ExistingChild(row)


def fetch_children(cursor, numbers: list[str]) -> list[tuple]:
    """The rows of EXISTING_FIELDS of the children among `numbers` (PostgreSQL)."""
    cursor.execute(
        f"SELECT {_EXISTING_COLUMNS} FROM {_EXISTING_FROM.format(**_tables(), where=_BY_NUMBER)}",
        {"numbers": list(numbers)},
    )
    return cursor.fetchall()


def candidate_numbers(rows: list[SheetRow]) -> list[str]:
    """The file's resident IDs as its rows will be checked to hold them, taken beforehand so
    that the database can look them up meanwhile. For every row whose ID is valid, the same
    string as the checked one; the others find nobody or do not matter (their rows fail)."""
    numbers = []
    for row in rows:
        try:
            number = normalise_resident_id(clean_id(row.values["resident_id"]))
        except IdStoredAsNumber:
            continue
        if number:
            numbers.append(number)
    return numbers


def households_of(village_ids: list[int]) -> dict[tuple[int, str], int]:
    """(village, address) -> the household's pk (the first one, should there be two)."""
    households = {}
    for village_id, address, pk in (
        Household.objects.filter(village_id__in=village_ids)
        .order_by("pk")
        .values_list("village_id", "address", "pk")
    ):
        households.setdefault((village_id, address), pk)
    return households


def state_digest(cursor, village_ids: list[int], child_ids: list[int]) -> str:
    """A digest of everything in the database a police extract's plan depends on: the place's
    villages and households and the registered children the file lists, to tell at the commit
    whether the dry run's plan still holds (a child registered since under one of the file's
    new IDs stops the commit's COPY instead: the resident ID is unique). On PostgreSQL the
    server computes it (a sum of row hashes: no rows travel, no sorting) through `cursor`, so
    that it can run in a WriteLane while Python works; elsewhere Python reads the rows."""
    digest = hashlib.sha256(repr((local_today().isoformat(), school_age_min())).encode())
    if connection.vendor != "postgresql":
        villages = Village.objects.filter(pk__in=village_ids).order_by("pk")
        for part in (
            list(villages.values_list("pk", "code", "name", "township_id")),
            sorted(
                tuple(child.values())
                for child in Child.objects.filter(pk__in=child_ids).values(*EXISTING_FIELDS)
            ),
            sorted((*key, pk) for key, pk in households_of(village_ids).items()),
        ):
            digest.update(repr(part).encode())
        return digest.hexdigest()

    def rows_hash(columns: str, source: str) -> str:
        return (
            f"(SELECT count(*) || ':' || coalesce(sum(hashtextextended(ROW({columns})::text, 0)),"
            f" 0) FROM {source})"
        )

    tables = _tables()
    cursor.execute(
        "SELECT "
        + ", ".join(
            (
                rows_hash(
                    "v.id, v.code, v.name, v.township_id",
                    f"{tables['Village']} v WHERE v.id = ANY(%(villages)s)",
                ),
                rows_hash(
                    _EXISTING_COLUMNS,
                    _EXISTING_FROM.format(**tables, where="c.id = ANY(%(children)s)"),
                ),
                rows_hash(
                    "h.id, h.village_id, h.address",
                    f"{tables['Household']} h WHERE h.village_id = ANY(%(villages)s)",
                ),
            )
        ),
        {"villages": list(village_ids), "children": list(child_ids)},
    )
    digest.update(repr(cursor.fetchone()).encode())
    return digest.hexdigest()


def prefer_index_lookups() -> None:
    """Every new household and child is checked against its village (a foreign key) when the
    transaction commits: 140,000 lookups in the few pages of the village table. With the
    default cost of a random read (4, for spinning disks) PostgreSQL plans those lookups as
    scans of the whole table, 2.5× slower than through its primary key; 1.1 is the usual
    figure for SSDs. For the rest of this transaction only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL random_page_cost = 1.1")


def mark_first_listed(cursor, child_ids: list[int], today: datetime.date) -> None:
    """Children already registered, listed by the police for the first time."""
    table = connection.ops.quote_name(Child._meta.db_table)
    for chunk in iter_chunks(child_ids, 5000):
        cursor.execute(
            f"UPDATE {table} SET police_listed_on = %s "
            f"WHERE id IN ({', '.join(['%s'] * len(chunk))}) AND police_listed_on IS NULL",
            [today, *chunk],
        )
