"""A school's roll (学籍名单): sets its pupils in school there and replaces its roll entries."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_update_with_history

from core.cache import bump_version
from core.errors import DomainError
from core.imports import (
    IdStoredAsNumber,
    ImportColumn,
    Importer,
    Outcome,
    Plan,
    SheetRow,
    clean_id,
    clean_text,
    iter_chunks,
    parse_bool,
    parse_date,
)

# Imported under another name: the import methods keep `today` as the run's fixed day.
from core.services import today as local_today

from ..models import (
    ON_ROLL_STATUSES,
    STATUS_FIELDS,
    Child,
    EnrollmentStatus,
    EnrollmentStatusChange,
    Grade,
    RollEntry,
    School,
)
from ..permissions import get_scoped_or_404, user_may
from ..selectors import LEDGER_SUMMARY_CACHE
from ..status_dates import status_change_date
from .common import (
    BATCH,
    ROLL_IMPORT_ROLES,
    ROLL_REASON,
    named_row,
    parse_id_cell,
    scope_from_key,
    yes_no,
)

S = EnrollmentStatus


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
        _kind, pk = scope_from_key(key, {"school"})
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
            outcome, name = named_row(row, column)
            values = row.values
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
            number = parse_id_cell(outcome, column["resident_id"], values["resident_id"], today)
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
                return parse_id_cell(outcome, column["student_number"], student[1:], today)
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
                "is_boarder": ("寄宿", yes_no),
                "is_inclusive": ("随班就读", yes_no),
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
        try:
            # The entry date may be older than the registry's last change (the police extract
            # registered the child since): the change is then dated from that change.
            effective = status_change_date(
                requested=today if already_here else data["entry_date"],
                birth_date=child.birth_date,
                last_change=child.status_since,
                today=today,
                move_early=True,
            )
        except DomainError as error:
            outcome.error(self.column("entry_date").header, data["entry_date"], error.message)
            return
        labels = dict(S.choices)
        grades = dict(Grade.choices)
        before_school = child.current_school.name if child.current_school else ""
        change_rows = [
            ("就学状态", str(labels.get(child.status, child.status)), str(labels[S.IN_SCHOOL])),
            ("学校", before_school, school.name),
            ("年级", str(grades.get(child.grade, "")), str(grades[data["grade"]])),
            ("班级", child.class_name, data["class_name"]),
            ("寄宿", yes_no(child.is_boarder), yes_no(data["is_boarder"])),
            ("随班就读", yes_no(child.is_inclusive), yes_no(data["is_inclusive"])),
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
            # The same rule again at the commit, under the lock (the dry run may be days old).
            effective = status_change_date(
                requested=effective,
                birth_date=child.birth_date,
                last_change=since,
                today=today,
                move_early=True,
            )
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
            fields=list(STATUS_FIELDS),
            batch_size=BATCH,
            default_user=user,
            default_change_reason=ROLL_REASON,
        )
        transaction.on_commit(lambda: bump_version(LEDGER_SUMMARY_CACHE))


SCHOOL_ROLL = SchoolRollImporter()
