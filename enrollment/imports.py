"""The registry's Excel imports: the police household extract of a township (派出所户籍花名册)
and a school's roll (学籍名单), through the generic pipeline of `core.imports`.

Both compare the whole file with the database in a few queries and write in bulk
(`bulk_create_with_history` / `bulk_update_with_history`), keeping the rules of the services:
a resident ID is checked with python-stdnum, a new child starts 'not verified' (or 'not yet
school age') with a dated status entry, a status change records the previous status, who and
why, and never goes back before the last recorded change.
"""

from __future__ import annotations

import datetime
import hashlib
import operator
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_update_with_history

from core.bulk_copy import copy_insert, reserve_ids, write_lane
from core.cache import bump_version
from core.errors import DomainError
from core.imports import (
    IdStoredAsNumber,
    ImportColumn,
    Importer,
    Outcome,
    Plan,
    RowOutcome,
    SheetRow,
    StalePlan,
    clean_id,
    clean_text,
    display,
    iter_chunks,
    parse_bool,
    parse_date,
)
from core.resident_id import ResidentIdError, parse_resident_id
from core.resident_id import normalise as normalise_resident_id

# Imported under another name: the import methods keep `today` as the run's fixed day.
from core.services import today as local_today

from .models import (
    ON_ROLL_STATUSES,
    Child,
    County,
    EnrollmentStatus,
    EnrollmentStatusChange,
    Grade,
    Household,
    RollEntry,
    School,
    Sex,
    Township,
    Village,
)
from .permissions import get_scoped_or_404, user_may
from .roles import Role
from .selectors import LEDGER_SUMMARY_CACHE, birth_range_for_ages

S = EnrollmentStatus

POLICE_IMPORT_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICIAL})
COUNTY_IMPORT_ROLES = frozenset({Role.COUNTY_ADMIN, Role.BUREAU_STAFF})
ROLL_IMPORT_ROLES = frozenset(
    {Role.COUNTY_ADMIN, Role.BUREAU_STAFF, Role.TOWNSHIP_OFFICIAL, Role.SCHOOL_STAFF}
)
BATCH = 2000
POLICE_REASON = "派出所户籍花名册导入"
ROLL_REASON = "学籍名单导入"


def _scope_from_key(key: str, kinds: dict):
    kind, _sep, pk = (key or "").partition(":")
    if kind not in kinds or not pk.isdigit():
        raise Http404
    return kind, int(pk)


def _sex_label(sex: str) -> str:
    return "男" if sex == Sex.MALE else "女"


def _yes_no(value: bool) -> str:
    return "是" if value else "否"


def _parse_id_cell(outcome: RowOutcome, column: str, raw, today) -> str | None:
    try:
        number = clean_id(raw)
    except IdStoredAsNumber as error:
        outcome.error(column, raw, str(error))
        return None
    if not number:
        outcome.error(column, raw, _("The resident ID is empty."))
        return None
    try:
        parsed = parse_resident_id(number, today=today)
    except ResidentIdError as error:
        outcome.error(column, raw, str(error))
        return None
    outcome.parsed_id = parsed
    return parsed.number


# --- the police household extract ------------------------------------------------------------


@dataclass
class PolicePayload:
    """What the commit writes, in plain values (no model instances: at 100,000 rows building
    them costs more than writing), so that the dry run's plan can be kept as JSON and reused by
    the commit when the database has not changed since (`digest`)."""

    digest: str = ""  # of everything in the database the plan depended on
    existing_ids: list = field(default_factory=list)  # the registered children it lists
    household_ids: dict = field(default_factory=dict)  # (village_id, address) -> pk, existing
    new_households: dict = field(default_factory=dict)  # (village_id, address) -> head's name
    new_children: list = field(default_factory=list)  # Child attributes + "household_key"
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
_EXISTING_FIELDS = (
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


# _EXISTING_FIELDS in SQL, and where they come from: the children {where} selects.
_EXISTING_COLUMNS = """c.id, c.resident_id, c.name, c.guardian_name, c.guardian_relation,
    c.guardian_phone, c.current_address, c.police_listed_on, c.village_id, c.household_id,
    h.address, v.name, v.township_id, t.name"""
_EXISTING_FROM = """{Child} c
    JOIN {Household} h ON h.id = c.household_id
    JOIN {Village} v ON v.id = c.village_id
    JOIN {Township} t ON t.id = v.township_id
    WHERE {where}"""


_BY_NUMBER = "c.resident_id = ANY(%(numbers)s)"


def _children_by_id(numbers: list[str], rows: list | None = None):
    """The registered children among `numbers`, as dicts of _EXISTING_FIELDS: from `rows`
    that _fetch_children returned, or read now (on PostgreSQL one query with the IDs as an
    array: 100,000 IN-list parameters cost seconds to build)."""
    if rows is None and connection.vendor != "postgresql":
        for chunk in iter_chunks(numbers, 5000):
            yield from Child.objects.filter(resident_id__in=chunk).values(*_EXISTING_FIELDS)
        return
    if rows is None:
        with connection.cursor() as cursor:
            rows = _fetch_children(cursor, numbers)
    for row in rows:
        yield dict(zip(_EXISTING_FIELDS, row, strict=True))


def _fetch_children(cursor, numbers: list[str]) -> list[tuple]:
    """The rows of _EXISTING_FIELDS of the children among `numbers` (PostgreSQL)."""
    cursor.execute(
        f"SELECT {_EXISTING_COLUMNS} FROM {_EXISTING_FROM.format(**_tables(), where=_BY_NUMBER)}",
        {"numbers": list(numbers)},
    )
    return cursor.fetchall()


def _candidate_numbers(rows: list[SheetRow]) -> list[str]:
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


def _households_of(village_ids: list[int]) -> dict[tuple[int, str], int]:
    """(village, address) -> the household's pk (the first one, should there be two)."""
    households = {}
    for village_id, address, pk in (
        Household.objects.filter(village_id__in=village_ids)
        .order_by("pk")
        .values_list("village_id", "address", "pk")
    ):
        households.setdefault((village_id, address), pk)
    return households


def _state_digest(cursor, village_ids: list[int], child_ids: list[int]) -> str:
    """A digest of everything in the database a police extract's plan depends on: the place's
    villages and households and the registered children the file lists, to tell at the commit
    whether the dry run's plan still holds (a child registered since under one of the file's
    new IDs stops the commit's COPY instead: the resident ID is unique). On PostgreSQL the
    server computes it (a sum of row hashes: no rows travel, no sorting) through `cursor`, so
    that it can run in a WriteLane while Python works; elsewhere Python reads the rows."""
    digest = hashlib.sha256(repr((local_today().isoformat(), _school_age_min())).encode())
    if connection.vendor != "postgresql":
        villages = Village.objects.filter(pk__in=village_ids).order_by("pk")
        for part in (
            list(villages.values_list("pk", "code", "name", "township_id")),
            sorted(
                tuple(child.values())
                for child in Child.objects.filter(pk__in=child_ids).values(*_EXISTING_FIELDS)
            ),
            sorted((*key, pk) for key, pk in _households_of(village_ids).items()),
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


_SEXES = {"男": str(Sex.MALE), "女": str(Sex.FEMALE)}
# A new child's status, by whether it is younger than school age.
_NEW_CHILD_STATUS = {True: str(S.NOT_SCHOOL_AGE), False: str(S.UNVERIFIED)}
# The cleaned text columns' lengths, in the order the plan checks them.
_TEXT_LIMITS = (
    ("name", 50),
    ("address", 200),
    ("current_address", 200),
    ("guardian_name", 50),
    ("guardian_relation", 20),
    ("guardian_phone", 20),
)
_SHORTEST_LIMIT = min(limit for _field, limit in _TEXT_LIMITS)

_COMPARED_FIELDS = (
    ("name", "姓名"),
    ("guardian_name", "监护人姓名"),
    ("guardian_relation", "与儿童关系"),
    ("guardian_phone", "联系电话"),
    ("current_address", "现住址"),
)


# Between a township's and a village's name: 城关镇 红星村, 城关镇/红星村, 城关镇·红星村.
_VILLAGE_SEPARATORS = re.compile(r"[\s/／·、\-－]+")


class PoliceExtractImporter(Importer):
    name = "police_extract"
    roles = POLICE_IMPORT_ROLES
    title = gettext_lazy("Police household extract (派出所户籍花名册)")
    description = gettext_lazy(
        "School-age children of a township as the police station lists them: creates or "
        "updates the children and their households. Village: its name; where two townships "
        "have a village of the same name, the township with the name (城关镇红星村) or the "
        "village's 12-digit code."
    )
    sheet_title = "户籍花名册"
    examples = [
        (gettext_lazy("clean extract"), "enrollment/import-examples/police-extract-clean.xlsx"),
        (gettext_lazy("messy extract"), "enrollment/import-examples/police-extract-messy.xlsx"),
    ]
    columns = [
        ImportColumn("sequence", "序号", required=False, text=False, example=1, width=6),
        ImportColumn("name", "姓名", example="王小明", width=10),
        ImportColumn("sex", "性别", example="男", width=6),
        ImportColumn(
            "resident_id",
            "公民身份号码",
            aliases=("身份证号", "身份证号码", "公民身份证号码"),
            example="510304201503041238",
            width=21,
        ),
        ImportColumn("birth_date", "出生日期", text=False, example=datetime.date(2015, 3, 4)),
        ImportColumn("address", "户籍地址", example="城关镇红星村3组15号", width=24),
        ImportColumn("current_address", "现住址", required=False, example="城关镇红星村3组15号"),
        ImportColumn("guardian_name", "监护人姓名", aliases=("监护人",), example="王大明"),
        ImportColumn("guardian_relation", "与儿童关系", aliases=("关系",), example="父亲"),
        ImportColumn("guardian_phone", "联系电话", required=False, example="13812345678", width=14),
        ImportColumn(
            "village",
            "村（社区）",
            aliases=("村(社区)", "村", "社区", "村（居）委会", "所属村（社区）"),
            # Where a name repeats in the county: the township with it, or the 12-digit code.
            example="城关镇红星村",
        ),
    ]

    # -- scope --

    def scope_choices(self, user):
        choices = [
            (f"county:{county.pk}", f"{county.name}（{_('whole county')}）")
            for county in County.objects.for_user(user, roles=COUNTY_IMPORT_ROLES)
        ]
        choices += [
            (f"township:{township.pk}", township.name)
            for township in Township.objects.for_user(user, roles=POLICE_IMPORT_ROLES)
        ]
        return choices

    def resolve_scope(self, user, key):
        kind, pk = _scope_from_key(key, {"county", "township"})
        if kind == "county":
            place = get_scoped_or_404(County.objects, user, pk=pk)
            roles = COUNTY_IMPORT_ROLES
        else:
            place = get_scoped_or_404(Township.objects.select_related("county"), user, pk=pk)
            roles = POLICE_IMPORT_ROLES
        if not user_may(user, type(place).objects, roles, place):
            raise PermissionDenied
        return place

    def scope_label(self, scope):
        return scope.name

    # -- the dry run --

    def _villages(self, scope) -> list:
        villages = Village.objects.select_related("township").order_by("pk")
        if isinstance(scope, County):
            return list(villages.filter(township__county=scope))
        return list(villages.filter(township=scope))

    def _read_state(self, villages, numbers, children_rows=None):
        """What the plan depends on in the database: the file's children as registered now and
        the households of the place."""
        existing = {
            child["resident_id"]: child for child in _children_by_id(numbers, children_rows)
        }
        return existing, _households_of([village.pk for village in villages])

    def plan(self, rows: list[SheetRow], *, scope, user, progress=None) -> Plan:
        today = local_today()
        villages = self._villages(scope)
        by_code = {village.code: village for village in villages}
        by_name = defaultdict(list)
        for village in villages:
            by_name[village.name].append(village)
            # Names repeat across townships (two 红星村): township + name tells them apart.
            by_name[village.township.name + village.name].append(village)
        village_ids = [village.pk for village in villages]
        village_id_set = set(village_ids)

        column = {c.field: c.header for c in self.columns}
        outcomes, parsed_rows = [], []
        if connection.vendor == "postgresql":
            numbers = _candidate_numbers(rows)
            with write_lane() as lane:  # PostgreSQL finds the file's children meanwhile
                children_rows = lane.submit(_fetch_children, numbers)

                def report(done):  # not while the lane holds the connection: it would wait
                    if progress and children_rows.done():
                        progress(done)

                self._check_rows(
                    rows, column, today, by_code, by_name, outcomes, parsed_rows, report
                )
            existing, households = self._read_state(villages, numbers, children_rows.result())
        else:
            self._check_rows(rows, column, today, by_code, by_name, outcomes, parsed_rows, progress)
            numbers = [data["number"] for data in parsed_rows if data["number"]]
            existing, households = self._read_state(villages, numbers)
        payload = PolicePayload(existing_ids=sorted(child["pk"] for child in existing.values()))
        with write_lane() as lane:  # the server computes the digest while the rows are planned
            digest = lane.submit(_state_digest, village_ids, payload.existing_ids)
            self._plan_rows(
                outcomes, parsed_rows, existing, households, payload, column, village_id_set
            )
        payload.digest = digest.result()
        return Plan(outcomes=outcomes, payload=payload)

    def _plan_rows(
        self, outcomes, parsed_rows, existing, households, payload, column, village_id_set
    ):
        """What each row that passed its own checks would do to the database."""
        today = local_today()
        # Born after this day: younger than school age on the reference date (31 August).
        youngest = _school_age_min()
        latest_school_age_birth = birth_range_for_ages(today, youngest, youngest)[1]
        for outcome, data in zip(outcomes, parsed_rows, strict=True):
            if outcome.failed:
                continue
            village = data["village"]
            key = (village.pk, data["address"])
            child = existing.get(data["number"])
            if child is None:
                self._plan_new(
                    outcome, data, key, households, payload, today, latest_school_age_birth
                )
                continue
            if child["village_id"] not in village_id_set:
                outcome.error(
                    column["resident_id"],
                    data["number"],
                    _(
                        "This child is registered in %(township)s, outside the place of this "
                        "import; the county bureau must confirm the move first."
                    )
                    % {"township": child["village__township__name"]},
                )
                continue
            self._plan_existing(outcome, child, data, key, households, payload)

    def _check_rows(self, rows, column, today, by_code, by_name, outcomes, parsed_rows, progress):
        """Each row checked on its own (and against the rows above it): its outcome, and its
        cleaned values for the plan."""
        first_row_of = {}
        for row in rows:
            outcome = RowOutcome(row)
            outcome.parsed_id = None
            values = row.values
            name = clean_text(values["name"])
            outcome.label = name
            if not name:
                outcome.error(column["name"], values["name"], _("The name is empty."))
            number = _parse_id_cell(outcome, column["resident_id"], values["resident_id"], today)
            parsed = outcome.parsed_id
            sex_text = clean_text(values["sex"])
            sex = _SEXES.get(sex_text)
            if sex is None:
                outcome.error(column["sex"], values["sex"], _("Write 男 or 女."))
            elif parsed and sex != parsed.sex:
                outcome.error(
                    column["sex"],
                    values["sex"],
                    _("The ID's 17th digit says %(id_sex)s, the sex column says %(sex)s.")
                    % {"id_sex": _sex_label(parsed.sex), "sex": sex_text},
                )
            try:
                birth_date = parse_date(values["birth_date"])
            except ValueError as error:
                outcome.error(column["birth_date"], values["birth_date"], str(error))
            else:
                if birth_date is None:
                    outcome.error(
                        column["birth_date"], values["birth_date"], _("The birth date is empty.")
                    )
                elif parsed and birth_date != parsed.birth_date:
                    outcome.error(
                        column["birth_date"],
                        values["birth_date"],
                        _("The ID gives the birth date %(id_date)s, the column %(date)s.")
                        % {
                            "id_date": parsed.birth_date.isoformat(),
                            "date": birth_date.isoformat(),
                        },
                    )
            village = self._village(outcome, values["village"], by_code, by_name, column)
            address = clean_text(values["address"])
            if not address:
                outcome.error(column["address"], values["address"], _("The address is empty."))
            guardian = clean_text(values["guardian_name"])
            if not guardian:
                outcome.error(
                    column["guardian_name"], values["guardian_name"], _("The guardian is empty.")
                )
            relation = clean_text(values["guardian_relation"])
            if not relation:
                outcome.error(
                    column["guardian_relation"],
                    values["guardian_relation"],
                    _("Say how the guardian is related to the child."),
                )
            phone = clean_text(values["guardian_phone"]).replace(" ", "")
            if phone and not phone.replace("-", "").isdigit():
                outcome.error(
                    column["guardian_phone"],
                    values["guardian_phone"],
                    _("A phone number has only digits (and a dash after the area code)."),
                )
            current_address = clean_text(values["current_address"])
            texts = (name, address, current_address, guardian, relation, phone)
            if max(map(len, texts)) > _SHORTEST_LIMIT:  # rare: check each against its limit
                for (field_name, limit), text in zip(_TEXT_LIMITS, texts, strict=True):
                    if len(text) > limit:
                        outcome.error(
                            column[field_name],
                            values[field_name],
                            _("At most %(max)d characters.") % {"max": limit},
                        )
            if number:
                if number in first_row_of:
                    outcome.error(
                        column["resident_id"],
                        values["resident_id"],
                        _("The same child is already on row %(row)d of this file.")
                        % {"row": first_row_of[number]},
                    )
                else:
                    first_row_of[number] = row.number
            outcomes.append(outcome)
            if current_address == address:
                current_address = ""  # kept only where the child lives elsewhere
            parsed_rows.append(
                {
                    "number": number,
                    "name": name,
                    "sex": sex,
                    "birth_date": parsed.birth_date if parsed else None,
                    "village": village,
                    "address": address,
                    "current_address": current_address,
                    "guardian_name": guardian,
                    "guardian_relation": relation,
                    "guardian_phone": phone,
                }
            )
            if progress and len(outcomes) % 5000 == 0:
                progress(len(outcomes))

    def _village(self, outcome, raw, by_code, by_name, column):
        text = clean_text(raw)
        header = column["village"]
        if not text:
            outcome.error(header, raw, _("The village is empty."))
            return None
        code = text.replace(" ", "")
        if code.isdigit():
            village = by_code.get(code)
            if village is None:
                outcome.error(
                    header,
                    raw,
                    _("No village of this place has the code %(code)s.") % {"code": code},
                )
            return village
        matches = by_name.get(text) or by_name.get(_VILLAGE_SEPARATORS.sub("", text), [])
        if not matches:
            outcome.error(
                header,
                raw,
                _("No village of this place is called %(name)s; use its name or 12-digit code.")
                % {"name": text},
            )
            return None
        if len(matches) > 1:
            outcome.error(
                header,
                raw,
                _(
                    "Several villages are called %(name)s (%(townships)s); write the 12-digit "
                    "code or the township with the name, e.g. %(example)s."
                )
                % {
                    "name": text,
                    "townships": "、".join(village.township.name for village in matches),
                    "example": matches[0].township.name + matches[0].name,
                },
            )
            return None
        return matches[0]

    def _household_for(self, key, head_name, households, payload) -> None:
        if key in households:
            payload.household_ids[key] = households[key]
        elif key not in payload.new_households:
            payload.new_households[key] = head_name

    def _plan_new(self, outcome, data, key, households, payload, today, latest_school_age_birth):
        outcome.kind = Outcome.NEW
        self._household_for(key, data["guardian_name"], households, payload)
        today_text = today.isoformat()
        young = data["birth_date"] > latest_school_age_birth
        payload.new_children.append(
            {
                "resident_id": data["number"],
                "name": data["name"],
                "sex": data["sex"],
                "birth_date": data["birth_date"].isoformat(),
                "village_id": key[0],
                "household_key": list(key),
                "guardian_name": data["guardian_name"],
                "guardian_relation": data["guardian_relation"],
                "guardian_phone": data["guardian_phone"],
                "current_address": data["current_address"],
                "police_listed_on": today_text,
                "status": _NEW_CHILD_STATUS[young],
                "status_since": today_text,
            }
        )
        payload.township_ids.add(data["village"].township_id)
        outcome.changes = [
            ("村（社区）", "", data["village"].name),
            ("户籍地址", "", data["address"]),
            ("监护人", "", f"{data['guardian_name']}（{data['guardian_relation']}）"),
        ]

    def _plan_existing(self, outcome, child, data, key, households, payload):
        changes, values = [], {}
        for field_name, label in _COMPARED_FIELDS:
            before, after = child[field_name], data[field_name]
            if before != after:
                changes.append((label, before, after))
                values[field_name] = after
        household_key = None
        if (child["village_id"], child["household__address"]) != key:
            if child["village_id"] != data["village"].pk:
                changes.append(("村（社区）", child["village__name"], data["village"].name))
            if child["household__address"] != data["address"]:
                changes.append(("户籍地址", child["household__address"], data["address"]))
            household_key = list(key)
            self._household_for(key, data["guardian_name"], households, payload)
        if child["police_listed_on"] is None:
            payload.first_listed_ids.append(child["pk"])
        if not changes:
            outcome.kind = Outcome.UNCHANGED
            return
        outcome.kind = Outcome.CHANGED
        outcome.changes = changes
        payload.changed_children.append([child["pk"], values, household_key])
        payload.township_ids.add(child["village__township_id"])
        payload.township_ids.add(data["village"].township_id)

    # -- keeping the dry run's plan for the commit --

    def freeze(self, plan: Plan) -> dict:
        return plan.payload.to_json()

    def thaw(self, frozen: dict, *, scope, user) -> Plan | None:
        """The dry run's plan, to be used when nothing it depended on has changed since: apply()
        checks that first (the townships are locked here, so no other import changes them
        until this one commits)."""
        payload = PolicePayload.from_json(frozen)
        villages = self._villages(scope)
        self._lock_townships({village.township_id for village in villages})
        payload.from_dry_run = True  # apply() checks it still holds, while it builds the rows
        return Plan(outcomes=[], payload=payload)

    def _verify(self, cursor, villages, payload: PolicePayload) -> None:
        village_ids = [village.pk for village in villages]
        if _state_digest(cursor, village_ids, payload.existing_ids) != payload.digest:
            raise StalePlan

    # -- the commit --

    def _lock_townships(self, township_ids) -> None:
        # One import at a time per township: the rows read by the plan stay as they were.
        Township.objects.select_for_update().filter(pk__in=township_ids).exists()

    def apply(self, plan: Plan, *, scope, user, job) -> None:
        payload: PolicePayload = plan.payload
        today = local_today()
        self._lock_townships(payload.township_ids)
        _prefer_index_lookups()
        # Rows go in the order of their indexes' keys: each index then grows page by page
        # instead of at random places (a quarter less time for the children).
        household_keys = sorted(payload.new_households)
        new_households = [
            {"village_id": village_id, "address": address, "head_name": head}
            for village_id, address in household_keys
            for head in (payload.new_households[(village_id, address)],)
        ]
        new_children = sorted(payload.new_children, key=operator.itemgetter("resident_id"))
        household_ids = dict(payload.household_ids)
        reserved = {
            "households": reserve_ids(Household, len(new_households)),
            "children": reserve_ids(Child, len(new_children)),
        }
        villages = self._villages(scope) if payload.from_dry_run else []
        try:
            # The lane writes while this thread builds the next rows (see WriteLane).
            with write_lane() as lane:
                if payload.from_dry_run:  # nothing is written if the plan is stale
                    lane.submit(self._verify, villages, payload)
                lane.submit(_mark_first_listed, payload.first_listed_ids, today)
                created = copy_insert(
                    Household,
                    new_households,
                    history_user=user,
                    history_reason=POLICE_REASON,
                    ids=reserved["households"],
                    lane=lane,
                )
                household_ids.update(zip(household_keys, created, strict=True))
                children = [
                    {
                        **{name: value for name, value in child.items() if name != "household_key"},
                        "household_id": household_ids[tuple(child["household_key"])],
                    }
                    for child in new_children
                ]
                child_ids = copy_insert(
                    Child,
                    children,
                    history_user=user,
                    history_reason=POLICE_REASON,
                    ids=reserved["children"],
                    lane=lane,
                )
                copy_insert(
                    EnrollmentStatusChange,
                    [
                        {
                            "child_id": child_id,
                            "status": child["status"],
                            "effective_date": today,
                            "reason": POLICE_REASON,
                            "recorded_by_id": user.pk,
                        }
                        for child_id, child in zip(child_ids, children, strict=True)
                    ],
                    return_ids=False,
                    lane=lane,
                )
        except IntegrityError:
            if not payload.from_dry_run:
                raise
            # A kept plan: a child registered since under one of its new IDs.
            raise StalePlan from None
        self._apply_changes(payload, household_ids, user)
        transaction.on_commit(lambda: bump_version(LEDGER_SUMMARY_CACHE))

    def _apply_changes(self, payload: PolicePayload, household_ids: dict, user) -> None:
        if not payload.changed_children:
            return
        wanted = {pk: (values, key) for pk, values, key in payload.changed_children}
        fields = set()
        changed = []
        for chunk in iter_chunks(list(wanted), 5000):
            for child in Child.objects.filter(pk__in=chunk):
                values, key = wanted[child.pk]
                for name, value in values.items():
                    setattr(child, name, value)
                fields.update(values)
                if key is not None:
                    child.village_id, child.household_id = key[0], household_ids[tuple(key)]
                    fields.update({"village", "household"})
                changed.append(child)
        bulk_update_with_history(
            changed,
            Child,
            fields=sorted(fields),
            batch_size=BATCH,
            default_user=user,
            default_change_reason=POLICE_REASON,
        )


def _prefer_index_lookups() -> None:
    """Every new household and child is checked against its village (a foreign key) when the
    transaction commits: 140,000 lookups in the few pages of the village table. With the
    default cost of a random read (4, for spinning disks) PostgreSQL plans those lookups as
    scans of the whole table, 2.5× slower than through its primary key; 1.1 is the usual
    figure for SSDs. For the rest of this transaction only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL random_page_cost = 1.1")


def _mark_first_listed(cursor, child_ids: list[int], today: datetime.date) -> None:
    """Children already registered, listed by the police for the first time."""
    table = connection.ops.quote_name(Child._meta.db_table)
    for chunk in iter_chunks(child_ids, 5000):
        cursor.execute(
            f"UPDATE {table} SET police_listed_on = %s "
            f"WHERE id IN ({', '.join(['%s'] * len(chunk))}) AND police_listed_on IS NULL",
            [today, *chunk],
        )


def _school_age_min() -> int:
    from django.conf import settings

    return settings.SCHOOL_AGE_MIN


# --- the school roll -------------------------------------------------------------------------

_GRADE_WORDS = {
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "初一": 7,
    "初二": 8,
    "初三": 9,
    "高一": 10,
    "高二": 11,
    "高三": 12,
}


def parse_grade(value) -> int:
    """1–12, 一年级…九年级, 七年级, 初一…初三, 高一…高三."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = int(value) if float(value).is_integer() else 0
    else:
        text = clean_text(value).replace(" ", "")
        for suffix in ("年级", "级"):
            text = text.removesuffix(suffix)
        number = int(text) if text.isdigit() else _GRADE_WORDS.get(text, 0)
    if number not in Grade.values:
        raise ValueError(_("Not a grade; write 1–12, 三年级, 初一 or 高一."))
    return number


@dataclass
class RollPayload:
    school: School = None
    entries_new: list = field(default_factory=list)
    entries_changed: list = field(default_factory=list)
    entries_removed: list = field(default_factory=list)
    status_changes: list = field(default_factory=list)  # (child, status fields, effective date)


class SchoolRollImporter(Importer):
    name = "school_roll"
    roles = ROLL_IMPORT_ROLES
    title = gettext_lazy("School roll (学籍名单)")
    description = gettext_lazy(
        "The pupils of one school: sets them in school there with grade, class, boarding and "
        "inclusive placement; the roll replaces the school's previous one for the cross-check."
    )
    sheet_title = "学籍名单"
    examples = [(gettext_lazy("school roll"), "enrollment/import-examples/school-roll.xlsx")]
    columns = [
        ImportColumn("name", "姓名", example="王小明", width=10),
        ImportColumn(
            "resident_id",
            "公民身份号码",
            required=False,
            aliases=("身份证号", "身份证号码"),
            example="510304201503041238",
            width=21,
        ),
        ImportColumn(
            "student_number",
            "学籍号",
            required=False,
            aliases=("全国学籍号", "学籍辅号"),
            example="G510304201503041238",
            width=22,
        ),
        ImportColumn("grade", "年级", text=False, example="三年级", width=8),
        ImportColumn("class_name", "班级", required=False, text=False, example="2班", width=8),
        ImportColumn(
            "entry_date", "入学日期", text=False, example=datetime.date(2021, 9, 1), width=12
        ),
        ImportColumn("is_boarder", "是否寄宿", required=False, example="否", width=8),
        ImportColumn("is_inclusive", "随班就读", required=False, example="否", width=8),
    ]

    def scope_choices(self, user):
        return [
            (f"school:{school.pk}", school.name)
            for school in School.objects.for_user(user, roles=ROLL_IMPORT_ROLES).order_by(
                "township__code", "code"
            )
        ]

    def resolve_scope(self, user, key):
        _kind, pk = _scope_from_key(key, {"school"})
        school = get_scoped_or_404(School.objects.select_related("township"), user, pk=pk)
        if not user_may(user, School.objects, ROLL_IMPORT_ROLES, school):
            raise PermissionDenied
        return school

    def scope_label(self, scope):
        return scope.name

    def plan(self, rows: list[SheetRow], *, scope, user, progress=None) -> Plan:
        today = local_today()
        school = scope
        column = {c.field: c.header for c in self.columns}
        outcomes, parsed_rows, first_row_of = [], [], {}
        for row in rows:
            outcome = RowOutcome(row)
            outcome.parsed_id = None
            values = row.values
            name = clean_text(values["name"])
            outcome.label = name
            if not name:
                outcome.error(column["name"], values["name"], _("The name is empty."))
            number = self._number(outcome, values, column, today)
            try:
                grade = parse_grade(values["grade"])
            except ValueError as error:
                grade = None
                outcome.error(column["grade"], values["grade"], str(error))
            class_name = clean_text(values["class_name"])
            if len(class_name) > 20:
                outcome.error(column["class_name"], values["class_name"], _("Too long."))
            try:
                entry_date = parse_date(values["entry_date"])
            except ValueError as error:
                entry_date = None
                outcome.error(column["entry_date"], values["entry_date"], str(error))
            else:
                if entry_date is None:
                    outcome.error(
                        column["entry_date"], values["entry_date"], _("The entry date is empty.")
                    )
                elif entry_date > today:
                    outcome.error(
                        column["entry_date"],
                        values["entry_date"],
                        _("The entry date is in the future."),
                    )
                elif outcome.parsed_id and entry_date < outcome.parsed_id.birth_date:
                    outcome.error(
                        column["entry_date"],
                        values["entry_date"],
                        _("The entry date is before the child's birth."),
                    )
            flags = {}
            for field_name in ("is_boarder", "is_inclusive"):
                try:
                    flags[field_name] = parse_bool(values[field_name])
                except ValueError as error:
                    outcome.error(column[field_name], values[field_name], str(error))
            if number:
                if number in first_row_of:
                    outcome.error(
                        column["resident_id"],
                        number,
                        _("The same pupil is already on row %(row)d of this file.")
                        % {"row": first_row_of[number]},
                    )
                else:
                    first_row_of[number] = row.number
            outcomes.append(outcome)
            parsed_rows.append(
                {
                    "number": number,
                    "name": name,
                    "grade": grade,
                    "class_name": class_name,
                    "entry_date": entry_date,
                    **flags,
                }
            )

        numbers = [data["number"] for data in parsed_rows if data["number"]]
        children, other_rolls = {}, defaultdict(list)
        for chunk in iter_chunks(numbers, 5000):
            for child in Child.objects.filter(
                resident_id__in=chunk, village__township__county_id=school.township.county_id
            ).select_related("current_school"):
                children[child.resident_id] = child
            for entry in (
                RollEntry.objects.filter(resident_id__in=chunk)
                .exclude(school=school)
                .select_related("school")
            ):
                other_rolls[entry.resident_id].append(entry.school)
        entries = {entry.resident_id: entry for entry in RollEntry.objects.filter(school=school)}

        payload = RollPayload(school=school)
        listed = set()
        for outcome, data in zip(outcomes, parsed_rows, strict=True):
            if data["number"]:
                listed.add(data["number"])
            if outcome.failed:
                continue
            child = children.get(data["number"])
            if child and child.name != data["name"]:
                outcome.error(
                    column["name"],
                    data["name"],
                    _(
                        "The registry has %(name)s under this ID; check the ID or the name "
                        "before importing."
                    )
                    % {"name": child.name},
                )
                continue
            if child and child.status == S.DECEASED:
                outcome.error(
                    column["resident_id"],
                    data["number"],
                    _("This child is recorded as deceased; check the ID."),
                )
                continue
            self._plan_entry(outcome, data, child, entries.get(data["number"]), payload, today)
            if child is None:
                outcome.notes.append(
                    _("No child with this ID is registered in the county (see the cross-check).")
                )
                continue
            elsewhere = [
                other
                for other in other_rolls.get(data["number"], [])
                if other.pk == child.current_school_id and child.status in ON_ROLL_STATUSES
            ]
            if elsewhere:
                outcome.notes.append(
                    _(
                        "Also on the roll of %(school)s, where the registry has the pupil; the "
                        "status is left as it is (see the cross-check: two rolls)."
                    )
                    % {"school": elsewhere[0].name}
                )
                continue
            self._plan_status(outcome, data, child, school, payload, today)
        payload.entries_removed = [
            entry.pk for number, entry in entries.items() if number not in listed
        ]
        return Plan(outcomes=outcomes, payload=payload)

    def _number(self, outcome, values, column, today):
        has_id = values["resident_id"] not in ("", None)
        has_student_number = values["student_number"] not in ("", None)
        if not has_id and not has_student_number:
            outcome.error(
                column["resident_id"],
                "",
                _("Give the resident ID or the student number (G followed by the ID)."),
            )
            return None
        number = None
        if has_id:
            number = _parse_id_cell(outcome, column["resident_id"], values["resident_id"], today)
            if number is None:
                return None
        if has_student_number:
            try:
                student = clean_id(values["student_number"])
            except IdStoredAsNumber as error:
                outcome.error(column["student_number"], values["student_number"], str(error))
                return None
            if not student.startswith("G") or len(student) != 19:
                outcome.error(
                    column["student_number"],
                    values["student_number"],
                    _("A student number is G followed by the 18-character resident ID."),
                )
                return None
            if number is None:
                return _parse_id_cell(outcome, column["student_number"], student[1:], today)
            if student[1:] != number:
                outcome.error(
                    column["student_number"],
                    values["student_number"],
                    _("The student number does not match the resident ID of the same row."),
                )
                return None
        return number

    def _plan_entry(self, outcome, data, child, entry, payload, today):
        wanted = {
            "name": data["name"],
            "grade": data["grade"],
            "class_name": data["class_name"],
            "entry_date": data["entry_date"],
            "is_boarder": data["is_boarder"],
            "is_inclusive": data["is_inclusive"],
            "child_id": child.pk if child else None,
        }
        if entry is None:
            outcome.kind = Outcome.NEW
            payload.entries_new.append(
                RollEntry(
                    school=payload.school, resident_id=data["number"], listed_on=today, **wanted
                )
            )
            return
        before = {key: getattr(entry, key) for key in wanted}
        differs = {key: value for key, value in wanted.items() if before[key] != value}
        if differs:
            outcome.kind = Outcome.CHANGED
            for key, value in differs.items():
                setattr(entry, key, value)
            entry.listed_on = today
            payload.entries_changed.append(entry)
            grades = dict(Grade.choices)
            shown = {
                "name": ("姓名", lambda value: value),
                "grade": ("年级", lambda value: str(grades.get(value, ""))),
                "class_name": ("班级", lambda value: value),
                "entry_date": ("入学日期", lambda value: value.isoformat() if value else ""),
                "is_boarder": ("寄宿", _yes_no),
                "is_inclusive": ("随班就读", _yes_no),
            }
            for key in differs:
                if key in shown:
                    label, show = shown[key]
                    outcome.changes.append((label, show(before[key]), show(wanted[key])))

    def _plan_status(self, outcome, data, child, school, payload, today):
        wanted = {
            "status": S.IN_SCHOOL,
            "current_school_id": school.pk,
            "grade": data["grade"],
            "class_name": data["class_name"],
            "is_inclusive": data["is_inclusive"],
            "is_boarder": data["is_boarder"],
            "outside_school_name": "",
            "outside_verified": False,
        }
        differs = {key: value for key, value in wanted.items() if getattr(child, key) != value}
        if not differs:
            return
        already_here = child.status == S.IN_SCHOOL and child.current_school_id == school.pk
        effective = today if already_here else data["entry_date"]
        if child.status_since and effective < child.status_since:
            effective = child.status_since
        if effective < child.birth_date:
            effective = child.birth_date
        labels = dict(S.choices)
        grades = dict(Grade.choices)
        before_school = child.current_school.name if child.current_school else ""
        change_rows = [
            ("就学状态", str(labels.get(child.status, child.status)), str(labels[S.IN_SCHOOL])),
            ("学校", before_school, school.name),
            ("年级", str(grades.get(child.grade, "")), str(grades[data["grade"]])),
            ("班级", child.class_name, data["class_name"]),
            ("寄宿", _yes_no(child.is_boarder), _yes_no(data["is_boarder"])),
            ("随班就读", _yes_no(child.is_inclusive), _yes_no(data["is_inclusive"])),
        ]
        status_rows = [change for change in change_rows if change[1] != change[2]]
        labels_shown = {change[0] for change in status_rows}
        outcome.changes = status_rows + [
            change for change in outcome.changes if change[0] not in labels_shown
        ]
        if outcome.kind == Outcome.UNCHANGED:
            outcome.kind = Outcome.CHANGED
        payload.status_changes.append((child, wanted, effective, child.status_since))

    def apply(self, plan: Plan, *, scope, user, job) -> None:
        payload: RollPayload = plan.payload
        today = local_today()
        School.objects.select_for_update().filter(pk=scope.pk).exists()
        RollEntry.objects.filter(pk__in=payload.entries_removed).delete()
        for entry in payload.entries_new:
            entry.import_job = job
        RollEntry.objects.bulk_create(payload.entries_new, batch_size=BATCH)
        for entry in payload.entries_changed:
            entry.import_job = job
        RollEntry.objects.bulk_update(
            payload.entries_changed,
            [
                "name",
                "grade",
                "class_name",
                "entry_date",
                "is_boarder",
                "is_inclusive",
                "child",
                "import_job",
                "listed_on",
            ],
            batch_size=BATCH,
        )
        if not payload.status_changes:
            return
        ids = [child.pk for child, *_rest in payload.status_changes]
        locked = {}
        for chunk in iter_chunks(ids, 5000):
            for pk, since in (
                Child.objects.select_for_update()
                .filter(pk__in=chunk)
                .values_list("pk", "status_since")
            ):
                locked[pk] = since
        changes, children = [], []
        for child, wanted, effective, since in payload.status_changes:
            if locked.get(child.pk) != since:
                raise DomainError(
                    _(
                        "The status of %(name)s changed while the file was being imported; "
                        "nothing was imported, please upload the file again."
                    )
                    % {"name": child.name}
                )
            if effective > today:
                effective = today
            changes.append(
                EnrollmentStatusChange(
                    child=child,
                    status=wanted["status"],
                    effective_date=effective,
                    school_id=wanted["current_school_id"],
                    grade=wanted["grade"],
                    class_name=wanted["class_name"],
                    is_inclusive=wanted["is_inclusive"],
                    is_boarder=wanted["is_boarder"],
                    reason=ROLL_REASON,
                    previous_status=child.status if child.status_since else "",
                    recorded_by=user,
                )
            )
            for key, value in wanted.items():
                setattr(child, key, value)
            child.status_since = effective
            children.append(child)
        EnrollmentStatusChange.objects.bulk_create(changes, batch_size=BATCH)
        bulk_update_with_history(
            children,
            Child,
            fields=[
                "status",
                "status_since",
                "current_school",
                "grade",
                "class_name",
                "is_inclusive",
                "is_boarder",
                "outside_school_name",
                "outside_verified",
            ],
            batch_size=BATCH,
            default_user=user,
            default_change_reason=ROLL_REASON,
        )
        transaction.on_commit(lambda: bump_version(LEDGER_SUMMARY_CACHE))


POLICE_EXTRACT = PoliceExtractImporter()
SCHOOL_ROLL = SchoolRollImporter()
__all__ = ["POLICE_EXTRACT", "SCHOOL_ROLL", "parse_grade", "display"]
