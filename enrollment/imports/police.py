"""The police household extract of a township or county (派出所户籍花名册)."""

from __future__ import annotations

import datetime
import operator
import re
import sys
from collections import defaultdict
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_update_with_history

from core.bulk_copy import copy_insert, reserve_ids, write_lane
from core.cache import bump_version
from core.imports import (
    ImportColumn,
    Importer,
    Outcome,
    OutcomeTally,
    Plan,
    RowOutcome,
    SheetRow,
    StalePlan,
    clean_text,
    iter_chunks,
    parse_date,
)

# Imported under another name: the import methods keep `today` as the run's fixed day.
from core.services import today as local_today

from ..models import (
    Child,
    County,
    EnrollmentStatus,
    EnrollmentStatusChange,
    Household,
    Sex,
    Township,
    Village,
)
from ..selectors import LEDGER_SUMMARY_CACHE, birth_range_for_ages
from .common import (
    BATCH,
    POLICE_IMPORT_ROLES,
    POLICE_REASON,
    CountyOrTownshipScope,
    named_row,
    parse_id_cell,
    school_age_min,
    sex_label,
)
from .police_sql import (
    PolicePayload,
    children_by_id,
    households_of,
    mark_first_listed,
    prefer_index_lookups,
    state_digest,
)

S = EnrollmentStatus

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


# A new child in the plan (PolicePayload.new_children), in this order.
NEW_CHILD_FIELDS = (
    "resident_id",
    "name",
    "sex",
    "birth_date",
    "village_id",
    "household_key",
    "guardian_name",
    "guardian_relation",
    "guardian_phone",
    "current_address",
    "police_listed_on",
    "status",
    "status_since",
)

# What the plan keeps of a row that passed its own checks (a tuple, in this order).
_CHECKED = (
    "row",
    "label",
    "number",
    "name",
    "sex",
    "birth_date",
    "village",
    "address",
    "current_address",
    "guardian_name",
    "guardian_relation",
    "guardian_phone",
)
_NO_VALUES: dict = {}

# Between a township's and a village's name: 城关镇 红星村, 城关镇/红星村, 城关镇·红星村.
_VILLAGE_SEPARATORS = re.compile(r"[\s/／·、\-－]+")


class PoliceExtractImporter(CountyOrTownshipScope, Importer):
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
    streams_rows = True
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

    # -- the dry run (scope: CountyOrTownshipScope) --

    def _villages(self, scope) -> list:
        villages = Village.objects.select_related("township").order_by("pk")
        if isinstance(scope, County):
            return list(villages.filter(township__county=scope))
        return list(villages.filter(township=scope))

    def _read_state(self, villages, numbers, children_rows=None):
        """What the plan depends on in the database: the file's children as registered now and
        the households of the place."""
        existing = {child["resident_id"]: child for child in children_by_id(numbers, children_rows)}
        return existing, households_of([village.pk for village in villages])

    def plan(self, rows: Iterable[SheetRow], *, scope, user, progress=None) -> Plan:
        """Streamed (`streams_rows`): each row is checked as it is read and only what the plan
        needs of it kept; the outcomes go to the report's tally, not kept either."""
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
        tally = OutcomeTally()
        checked = []  # the rows that passed their own checks, as _CHECKED tuples
        self._check_rows(rows, column, today, by_code, by_name, tally, checked, progress)
        existing, households = self._read_state(villages, [item[2] for item in checked])
        payload = PolicePayload(existing_ids=sorted(child["pk"] for child in existing.values()))
        tally.next_pass()
        with write_lane() as lane:  # the server computes the digest while the rows are planned
            digest = lane.submit(state_digest, village_ids, payload.existing_ids)
            self._plan_rows(tally, checked, existing, households, payload, column, village_id_set)
        payload.digest = digest.result()
        return Plan(outcomes=[], payload=payload, tally=tally)

    def _plan_rows(self, tally, checked, existing, households, payload, column, village_id_set):
        """What each row that passed its own checks would do to the database (each row let go
        of once planned)."""
        today = local_today()
        # Born after this day: younger than school age on the reference date (31 August).
        youngest = school_age_min()
        latest_school_age_birth = birth_range_for_ages(today, youngest, youngest)[1]
        for index, item in enumerate(checked):
            checked[index] = None
            outcome = RowOutcome(SheetRow(item[0], _NO_VALUES))
            outcome.label = item[1]
            data = dict(zip(_CHECKED, item, strict=True))
            village = data["village"]
            key = (village.pk, data["address"])
            child = existing.get(data["number"])
            if child is None:
                self._plan_new(
                    outcome, data, key, households, payload, today, latest_school_age_birth
                )
            elif child["village_id"] not in village_id_set:
                outcome.error(
                    column["resident_id"],
                    data["number"],
                    _(
                        "This child is registered in %(township)s, outside the place of this "
                        "import; the county bureau must confirm the move first."
                    )
                    % {"township": child["village__township__name"]},
                )
            else:
                self._plan_existing(outcome, child, data, key, households, payload)
            tally.add(outcome)
        checked.clear()

    def _check_rows(self, rows, column, today, by_code, by_name, tally, checked, progress):
        """Each row checked on its own (and against the rows above it): a failing row's
        outcome to the tally, a passing row's cleaned values (_CHECKED) for the plan."""
        first_row_of = {}
        # Names and relations repeat across a county's 100,000 rows (15,000 names, six
        # relations): each kept once, not once per row.
        shared: dict[str, str] = {}
        count = 0
        for row in rows:
            outcome, name = named_row(row, column)
            values = row.values
            number = parse_id_cell(outcome, column["resident_id"], values["resident_id"], today)
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
                    % {"id_sex": sex_label(parsed.sex), "sex": sex_text},
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
            count += 1
            if outcome.failed:
                tally.add(outcome)
            else:
                if current_address == address:
                    current_address = ""  # kept only where the child lives elsewhere
                name = shared.setdefault(name, name)
                guardian = shared.setdefault(guardian, guardian)
                relation = shared.setdefault(relation, relation)
                checked.append(
                    (
                        row.number,
                        name,  # the outcome's label
                        number,
                        name,
                        sex,
                        parsed.birth_date,
                        village,
                        address,
                        current_address,
                        guardian,
                        relation,
                        phone,
                    )
                )
            if progress and count % 5000 == 0:
                progress(count)

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
        today_text = sys.intern(today.isoformat())  # one string for every row
        young = data["birth_date"] > latest_school_age_birth
        payload.new_children.append(
            [  # NEW_CHILD_FIELDS: a list, not a dict (a third of the memory at 100,000 rows)
                data["number"],
                data["name"],
                data["sex"],
                sys.intern(data["birth_date"].isoformat()),
                key[0],
                list(key),
                data["guardian_name"],
                data["guardian_relation"],
                data["guardian_phone"],
                data["current_address"],
                today_text,
                _NEW_CHILD_STATUS[young],
                today_text,
            ]
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
        if state_digest(cursor, village_ids, payload.existing_ids) != payload.digest:
            raise StalePlan

    # -- the commit --

    def _lock_townships(self, township_ids) -> None:
        # One import at a time per township: the rows read by the plan stay as they were.
        Township.objects.select_for_update().filter(pk__in=township_ids).exists()

    def apply(self, plan: Plan, *, scope, user, job) -> None:
        payload: PolicePayload = plan.payload
        today = local_today()
        self._lock_townships(payload.township_ids)
        prefer_index_lookups()
        # Rows go in the order of their indexes' keys: each index then grows page by page
        # instead of at random places (a quarter less time for the children).
        household_keys = sorted(payload.new_households)
        new_households = [
            {"village_id": village_id, "address": address, "head_name": head}
            for village_id, address in household_keys
            for head in (payload.new_households[(village_id, address)],)
        ]
        new_children = sorted(  # (a plan kept by an earlier version has dicts)
            (
                dict(zip(NEW_CHILD_FIELDS, child, strict=True))
                if isinstance(child, list)
                else child
                for child in payload.new_children
            ),
            key=operator.itemgetter("resident_id"),
        )
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
                lane.submit(mark_first_listed, payload.first_listed_ids, today)
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


POLICE_EXTRACT = PoliceExtractImporter()
