"""The student-status roster (学籍花名册, the national student-status system's export of the
county's or a township's schools): the pupils' 学籍号, status, school, grade and class.

It records what the roster says on the child (`student_number`, `roster_*`) and nothing else:
a roster status the registry does not share (休学 while the registry has the child in school, a
转出) is a mismatch the cross-check lists for the township to resolve, never a status change.
Pupils the registry does not know are reported, not created (the police extract registers
children). Pupils of the place's schools that the new roster no longer lists leave it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.bulk_copy import copy_update
from core.imports import (
    ImportColumn,
    Importer,
    Outcome,
    OutcomeTally,
    Plan,
    SheetRow,
    StalePlan,
    clean_id,
    clean_text,
    iter_chunks,
)

# Imported under another name: the import methods keep `today` as the run's fixed day.
from core.services import today as local_today

from ..models import (
    ROSTER_STATUS_AGREES,
    Child,
    County,
    EnrollmentStatus,
    Grade,
    RosterStatus,
    School,
    Township,
)
from ..student_number import parse_student_number
from .common import (
    POLICE_IMPORT_ROLES,
    CountyOrTownshipScope,
    named_row,
    parse_id_cell,
)
from .roll import parse_grade

ROSTER_REASON = "学籍花名册导入"
ROSTER_FIELDS = [
    "student_number",
    "roster_status",
    "roster_school_id",
    "roster_grade",
    "roster_class",
    "roster_listed_on",
]
# A pupil the roster no longer lists loses only the roster status: the school, grade, class and
# date stay as the last listing (where and when the pupil left the roster). Clearing the school
# would also cost a full row rewrite: it is indexed, so PostgreSQL could not update in place (a
# HOT update) and would add an entry to each of the child's indexes, 1.3 s of a county's
# 100,000-row roster.
_OFF_ROSTER = {"roster_status": ""}
# The statuses as the student-status system and the schools spell them.
_STATUS_WORDS = {
    "在籍": RosterStatus.ENROLLED,
    "在读": RosterStatus.ENROLLED,
    "在校": RosterStatus.ENROLLED,
    "休学": RosterStatus.SUSPENDED,
    "转出": RosterStatus.TRANSFERRED_OUT,
    "转学": RosterStatus.TRANSFERRED_OUT,
    "辍学": RosterStatus.DROPPED_OUT,
    "退学": RosterStatus.DROPPED_OUT,
    "毕业": RosterStatus.GRADUATED,
    "死亡": RosterStatus.DECEASED,
}
# What the plan reads of a registered child (and the digest covers).
_CHILD_COLUMNS = (
    "id",
    "resident_id",
    "student_number",
    "name",
    "status",
    "roster_status",
    "roster_school_id",
    "roster_grade",
    "roster_class",
)


def parse_roster_status(value) -> str:
    text = clean_text(value).replace(" ", "").removesuffix("状态")
    status = _STATUS_WORDS.get(text)
    if status is None:
        raise ValueError(_("Not a roster status; write 在籍, 休学, 转出, 辍学, 毕业 or 死亡."))
    return str(status)


@dataclass
class RosterPayload:
    digest: str = ""
    child_ids: list = field(default_factory=list)  # the registered children the file lists
    updates: list = field(default_factory=list)  # {"id": pk, field: value…} of changed children
    listed_ids: list = field(default_factory=list)  # every child the file lists
    school_ids: list = field(default_factory=list)  # the place's schools
    from_dry_run: bool = False

    def to_json(self) -> dict:
        return {
            "digest": self.digest,
            "child_ids": self.child_ids,
            "updates": self.updates,
            "listed_ids": self.listed_ids,
            "school_ids": self.school_ids,
        }

    @classmethod
    def from_json(cls, data: dict) -> RosterPayload:
        return cls(**data)


# PostgreSQL: a list parameter travels as one comma-separated text (`_text_list()`), split by the
# server: 100,000 IN-list parameters cost seconds, and even an array parameter costs the client
# half a second to quote element by element. The values are ids or checked numbers (a 学籍号, a
# resident ID: letters and digits), never holding a comma.
_ANY_TEXT = "ANY(string_to_array(%s, ','))"
_ANY_ID = "ANY(string_to_array(%s, ',')::bigint[])"


def _text_list(values) -> str:
    """The parameter of _ANY_TEXT or _ANY_ID."""
    return ",".join(map(str, values))


def _child_rows(where: str, params: list) -> list[dict]:
    """PostgreSQL: the children (_CHILD_COLUMNS) of a WHERE clause over `c` (the child) and
    `t` (its township), by id."""
    from ..models import Village

    quote = connection.ops.quote_name
    columns = ", ".join(f"c.{quote(name)}" for name in _CHILD_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {quote(Child._meta.db_table)} c "
            f"JOIN {quote(Village._meta.db_table)} v ON v.id = c.village_id "
            f"JOIN {quote(Township._meta.db_table)} t ON t.id = v.township_id "
            f"WHERE {where} ORDER BY c.id",
            params,
        )
        return [dict(zip(_CHILD_COLUMNS, row, strict=True)) for row in cursor.fetchall()]


def _registered(county_id: int, numbers: list[str], ids: list[str]) -> list[dict]:
    """The county's children holding one of the file's student numbers or resident IDs."""
    if connection.vendor == "postgresql":
        return _child_rows(
            f"t.county_id = %s AND (c.student_number = {_ANY_TEXT} OR c.resident_id = {_ANY_TEXT})",
            [county_id, _text_list(numbers), _text_list(ids)],
        )
    found = {}
    in_county = Child.objects.filter(village__township__county_id=county_id)
    for chunk in iter_chunks(numbers, 2000):
        for row in in_county.filter(student_number__in=chunk).values(*_CHILD_COLUMNS):
            found[row["id"]] = row
    for chunk in iter_chunks(ids, 2000):
        for row in in_county.filter(resident_id__in=chunk).values(*_CHILD_COLUMNS):
            found[row["id"]] = row
    return [found[pk] for pk in sorted(found)]


def _digest(child_ids: list[int], school_ids: list[int], today, *, rows=None) -> str:
    """What the plan read of the children it matched (`rows`, read again when not given), the
    day and the place's schools: the commit refuses a plan whose digest no longer holds.
    PostgreSQL hashes the rows itself: reading 100,000 rows back to hash them in Python cost
    the commit a second."""
    digest = hashlib.sha256(repr((today.isoformat(), sorted(school_ids))).encode())
    if connection.vendor == "postgresql":
        digest.update(_rows_md5(child_ids).encode())
        return digest.hexdigest()
    if rows is None:
        rows = []
        for chunk in iter_chunks(child_ids, 5000):
            rows.extend(Child.objects.filter(pk__in=chunk).values(*_CHILD_COLUMNS))
        rows.sort(key=lambda row: row["id"])
    for child in rows:
        digest.update(repr(tuple(child[name] for name in _CHILD_COLUMNS)).encode())
    return digest.hexdigest()


def _rows_md5(child_ids: list[int]) -> str:
    """PostgreSQL: the md5 of the children's _CHILD_COLUMNS, by id (a NULL spelled apart from
    every value, each column and row separated by a character no value holds)."""
    quote = connection.ops.quote_name
    columns = ", ".join(f"coalesce(c.{quote(name)}::text, '\\N')" for name in _CHILD_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT md5(coalesce(string_agg(concat_ws(chr(31), {columns}), chr(30) "
            f"ORDER BY c.id), '')) FROM {quote(Child._meta.db_table)} c WHERE c.id = {_ANY_ID}",
            [_text_list(child_ids)],
        )
        return cursor.fetchone()[0]


def _mark_listed(pks: list[int], today) -> None:
    """The children the roster still lists unchanged: listed on `today` (no history row: the
    date is when the roster last confirmed them, not a change of them)."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Child._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET roster_listed_on = %s WHERE id = {_ANY_ID}",
                [today, _text_list(pks)],
            )
        return
    for chunk in iter_chunks(pks, 5000):
        Child.objects.filter(pk__in=chunk).update(roster_listed_on=today)


def _off_roster_now(payload: RosterPayload, listed: set[int]) -> list[int]:
    """The children on the roster of the place's schools that the new roster does not list."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Child._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {table} WHERE roster_status <> '' "
                f"AND roster_school_id = {_ANY_ID} AND NOT id = {_ANY_ID} ORDER BY id",
                [_text_list(payload.school_ids), _text_list(sorted(listed))],
            )
            return [row[0] for row in cursor.fetchall()]
    return [
        pk
        for pk in Child.objects.filter(roster_school_id__in=payload.school_ids)
        .exclude(roster_status="")
        .values_list("pk", flat=True)
        if pk not in listed
    ]


class StudentRosterImporter(CountyOrTownshipScope, Importer):
    name = "xueji_roster"
    roles = POLICE_IMPORT_ROLES
    title = gettext_lazy("Student-status roster (学籍花名册)")
    description = gettext_lazy(
        "The pupils of the place's schools as the national student-status system lists them: "
        "records each registered child's 学籍号 and the roster's status, school, grade and "
        "class. Differences from the registry's status are listed in the cross-check to "
        "resolve; nothing changes the registry's status."
    )
    sheet_title = "学籍花名册"
    # Rows are checked as they are read, and the outcomes go to the report's tally once
    # decided (a county's roster is 100,000 rows).
    streams_rows = True
    examples = [
        (gettext_lazy("student-status roster"), "enrollment/import-examples/xueji-roster.xlsx")
    ]
    columns = [
        ImportColumn(
            "student_number",
            "全国学籍号",
            aliases=("学籍号", "学籍辅号"),
            example="G510304201503041238",
            width=22,
        ),
        ImportColumn("name", "姓名", example="王小明", width=10),
        ImportColumn(
            "resident_id",
            "公民身份号码",
            required=False,
            aliases=("身份证号", "身份证号码", "身份证件号"),
            example="510304201503041238",
            width=21,
        ),
        ImportColumn(
            "school_code", "学校标识码", aliases=("学校代码", "学校识别码"), example="2151000001"
        ),
        ImportColumn("grade", "年级", text=False, example="三年级", width=8),
        ImportColumn("class_name", "班级", required=False, text=False, example="2班", width=8),
        ImportColumn("status", "学籍状态", aliases=("学生状态", "状态"), example="在籍", width=10),
    ]

    # -- scope (CountyOrTownshipScope): the county's schools, or a township's --

    def _schools(self, scope) -> dict[str, School]:
        schools = School.objects.order_by("pk")
        if isinstance(scope, County):
            schools = schools.filter(township__county=scope)
        else:
            schools = schools.filter(township=scope)
        return {school.code: school for school in schools}

    # -- the dry run --

    def plan(self, rows: Iterable[SheetRow], *, scope, user, progress=None) -> Plan:
        today = local_today()
        schools = self._schools(scope)
        county_id = scope.pk if isinstance(scope, County) else scope.county_id
        column = {c.field: c.header for c in self.columns}
        outcomes, parsed = self._check_rows(rows, column, schools, today, progress)
        numbers = [data["number"] for data in parsed if data["number"]]
        ids = [data["resident_id"] for data in parsed if data["resident_id"]]
        children = _registered(county_id, numbers, ids)
        by_number = {child["student_number"]: child for child in children}
        by_id = {child["resident_id"]: child for child in children if child["resident_id"]}
        school_ids = sorted(school.pk for school in schools.values())
        payload = RosterPayload(
            digest=_digest([child["id"] for child in children], school_ids, today, rows=children),
            child_ids=[child["id"] for child in children],
            school_ids=school_ids,
        )
        # Each label in words once, not a lazy translation per row and change.
        statuses = {value: str(label) for value, label in RosterStatus.choices}
        labels = {value: str(label) for value, label in EnrollmentStatus.choices}
        grades = {value: str(label) for value, label in Grade.choices}
        differs_note = _(
            "The roster says %(roster)s, the registry %(status)s: listed in the cross-check to "
            "resolve; the registry's status is not changed."
        )
        school_names = {school.pk: school.name for school in schools.values()}
        shown = {
            "student_number": ("学籍号", str),
            "roster_status": ("学籍状态", lambda value: statuses.get(value, "")),
            "roster_school_id": ("学校", lambda value: school_names.get(value, "")),
            "roster_grade": ("年级", lambda value: grades.get(value, "")),
            "roster_class": ("班级", str),
        }

        def decide(outcome, data) -> None:
            """The row's kind, changes and notes, and the plan's part of it."""
            if outcome.errors:
                return
            child = self._match(outcome, data, by_number, by_id, column)
            if child is None:
                return
            payload.listed_ids.append(child["id"])
            wanted = {
                "student_number": data["number"],
                "roster_status": data["status"],
                "roster_school_id": data["school"].pk,
                "roster_grade": data["grade"],
                "roster_class": data["class_name"],
            }
            differs = [name for name, value in wanted.items() if child[name] != value]
            if differs:
                outcome.kind = Outcome.NEW if not child["roster_status"] else Outcome.CHANGED
                payload.updates.append({"id": child["id"], **wanted})
                for name in differs:
                    label, show = shown[name]
                    before = child[name]
                    outcome.changes.append(
                        (label, "" if before is None else show(before), show(wanted[name]))
                    )
            if child["status"] not in ROSTER_STATUS_AGREES[data["status"]]:
                outcome.notes.append(
                    differs_note
                    % {
                        "roster": statuses[data["status"]],
                        "status": labels.get(child["status"], child["status"]),
                    }
                )

        tally = OutcomeTally()
        for outcome, data in zip(outcomes, parsed, strict=True):
            decide(outcome, data)
            tally.add(outcome)
        return Plan(outcomes=[], payload=payload, tally=tally)

    def _check_rows(self, rows, column, schools, today, progress):
        outcomes, parsed, first_number, first_id, grades = [], [], {}, {}, {}
        for row in rows:
            outcome, name = named_row(row, column)
            values = row.values
            resident_id = None
            if values["resident_id"] not in ("", None):
                resident_id = parse_id_cell(
                    outcome, column["resident_id"], values["resident_id"], today
                )
            number = kind = None
            raw_number = values["student_number"]
            text = clean_text(raw_number)
            if resident_id and text == "G" + resident_id:
                number, kind = text, "G"  # the usual case: the ID just checked, after a G
            else:
                try:
                    number, kind = parse_student_number(text, today=today)
                except ValidationError as error:
                    outcome.error(column["student_number"], raw_number, error.messages[0])
            school = schools.get(clean_id(values["school_code"]) if values["school_code"] else "")
            if school is None:
                outcome.error(
                    column["school_code"],
                    values["school_code"],
                    _("No school of this place has this 10-digit code."),
                )
            grade = status = None
            raw_grade = values["grade"]
            try:
                # A roster spells a few grades 100,000 times: each spelling is parsed once.
                grade = grades[raw_grade] if raw_grade in grades else parse_grade(raw_grade)
                grades[raw_grade] = grade
            except (ValueError, TypeError) as error:
                outcome.error(column["grade"], raw_grade, str(error))
            class_name = clean_text(values["class_name"])
            if len(class_name) > 20:
                outcome.error(column["class_name"], values["class_name"], _("Too long."))
            try:
                status = parse_roster_status(values["status"])
            except ValueError as error:
                outcome.error(column["status"], values["status"], str(error))
            for value, first, header in (
                (number, first_number, "student_number"),
                (resident_id, first_id, "resident_id"),
            ):
                if value and value in first:
                    outcome.error(
                        column[header],
                        value,
                        _("The same pupil is already on row %(row)d of this file.")
                        % {"row": first[value]},
                    )
                elif value:
                    first[value] = row.number
            outcomes.append(outcome)
            parsed.append(
                {
                    "number": number,
                    "kind": kind,
                    "name": name,
                    "resident_id": resident_id,
                    "school": school,
                    "grade": grade,
                    "class_name": class_name,
                    "status": status,
                }
            )
            if progress and len(outcomes) % 5000 == 0:
                progress(len(outcomes))
        return outcomes, parsed

    def _match(self, outcome, data, by_number, by_id, column) -> dict | None:
        """The registered child the row is about, or None (an error or a note says why)."""
        number, resident_id = data["number"], data["resident_id"]
        holder = by_number.get(number)
        child = by_id.get(resident_id) if resident_id else holder
        if holder is not None and holder is not child:
            outcome.error(
                column["student_number"],
                number,
                _("This student number belongs to %(name)s in the registry, another child.")
                % {"name": holder["name"]},
            )
            return None
        if data["kind"] == "G" and resident_id and number[1:] != resident_id and holder is None:
            outcome.error(
                column["student_number"],
                number,
                _(
                    "A G number is G followed by the pupil's resident ID, and this one differs "
                    "from the ID of the row: check both."
                ),
            )
            return None
        if child is None:
            outcome.notes.append(
                _(
                    "No child with this ID or student number is registered in the county; the "
                    "row is not recorded (import the police extract first)."
                )
            )
            return None
        held = child["student_number"]
        if held and held != number and not held.startswith("L"):
            outcome.error(
                column["student_number"],
                number,
                _(
                    "The registry has %(name)s with the student number %(held)s; a formal "
                    "number stays with the pupil for life."
                )
                % {"name": child["name"], "held": held},
            )
            return None
        if child["name"] != data["name"]:
            outcome.error(
                column["name"],
                data["name"],
                _(
                    "The registry has %(name)s under this ID; check the ID or the name "
                    "before importing."
                )
                % {"name": child["name"]},
            )
            return None
        return child

    # -- keeping the dry run's plan for the commit --

    def freeze(self, plan: Plan) -> dict:
        return plan.payload.to_json()

    def thaw(self, frozen: dict, *, scope, user) -> Plan | None:
        payload = RosterPayload.from_json(frozen)
        payload.from_dry_run = True
        return Plan(outcomes=[], payload=payload)

    # -- the commit --

    def apply(self, plan: Plan, *, scope, user, job) -> None:
        payload: RosterPayload = plan.payload
        today = local_today()
        # One roster import at a time per school: the children read by the plan stay as they were.
        School.objects.select_for_update().filter(pk__in=payload.school_ids).exists()
        if payload.from_dry_run and (
            _digest(payload.child_ids, payload.school_ids, today) != payload.digest
        ):
            raise StalePlan
        for update in payload.updates:
            update["roster_listed_on"] = today
        try:
            copy_update(
                Child,
                payload.updates,
                fields=ROSTER_FIELDS,
                history_user=user,
                history_reason=ROSTER_REASON,
            )
        except IntegrityError:
            if not payload.from_dry_run:
                raise
            raise StalePlan from None  # a number given to another child since the dry run
        listed = set(payload.listed_ids)
        unchanged = sorted(listed - {update["id"] for update in payload.updates})
        # Pupils of the place's schools the roster no longer lists have left it.
        gone = [{"id": pk, **_OFF_ROSTER} for pk in _off_roster_now(payload, listed)]
        _mark_listed(unchanged, today)
        copy_update(
            Child,
            gone,
            fields=list(_OFF_ROSTER),
            history_user=user,
            history_reason=ROSTER_REASON,
        )


STUDENT_ROSTER = StudentRosterImporter()
