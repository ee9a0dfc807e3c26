"""The poverty and assistance registers (乡村振兴's 脱贫户 and 监测户 lists, 民政's 低保 and
特困供养): each row names a person of a household on a register (one row per member, as the
registers list them) with the household's number and the day it was put on the register.

A row finds its household by the member's resident ID (a child the registry holds) or by the
household number; rows of other members with the same number follow it. Households the registry
does not hold (no child of school age) are reported and skipped. The file is each listed
register's full list for the place: a household on that register that the file does not name
is listed on the report and waits on the "left a register" page for staff to confirm; nothing
about it changes until then. Statuses follow `enrollment.registers`.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from core.bulk_copy import copy_update
from core.imports import (
    ImportColumn,
    Importer,
    Outcome,
    Plan,
    ReportList,
    SheetRow,
    clean_id,
    clean_text,
    iter_chunks,
    parse_date,
)
from core.services import today as local_today

from ..models import (
    Child,
    Household,
    PovertyRegister,
    PovertyRegisterEntry,
    PovertyStatus,
)
from ..registers import (
    HOUSEHOLD_POVERTY_FIELDS,
    REGISTER_REASON,
    REGISTER_ROLES,
    REGISTER_STATUS,
    household_poverty,
)
from .common import CountyOrTownshipScope, named_row, parse_id_cell

R = PovertyRegister
# The registers as the departments and the townships spell them.
_REGISTER_WORDS = {
    **dict.fromkeys(("脱贫户", "脱贫人口", "脱贫家庭", "脱贫监测户外"), R.LIFTED),
    **dict.fromkeys(
        (
            "监测户",
            "监测对象",
            "防止返贫监测对象",
            "防返贫监测对象",
            "脱贫不稳定户",
            "边缘易致贫户",
            "突发严重困难户",
        ),
        R.MONITORED,
    ),
    **dict.fromkeys(
        ("低保", "低保户", "低保对象", "农村低保", "城市低保", "最低生活保障"), R.LOW_INCOME
    ),
    **dict.fromkeys(("特困", "特困户", "特困供养", "特困人员", "特困供养人员"), R.DESTITUTE),
}
_ENTRY_FIELDS = (
    "id",
    "household_id",
    "register",
    "number",
    "listed_on",
    "missing_since",
    "left_on",
)


def parse_register(value) -> str:
    text = clean_text(value).replace(" ", "")
    register = _REGISTER_WORDS.get(text)
    if register is None:
        raise ValueError(
            _("Not a register kind; write 脱贫户, 监测户, 低保 or 特困供养 (or 边缘易致贫户 …).")
        )
    return str(register)


@dataclass
class PovertyPayload:
    entries_new: list = field(default_factory=list)  # {household_id, register, number, …}
    entries_changed: list = field(default_factory=list)  # {id, number, listed_on, …}
    households: list = field(default_factory=list)  # {id, poverty fields…} that change


class PovertyRegisterImporter(CountyOrTownshipScope, Importer):
    name = "poverty_registers"
    roles = REGISTER_ROLES
    title = gettext_lazy("Poverty and assistance registers (脱贫户、监测户、低保、特困)")
    description = gettext_lazy(
        "The full lists of the rural revitalisation and civil affairs departments for the place "
        "chosen, one row per household member: sets each listed household's poverty status "
        "with the register and its date. A household a list no longer names is shown to "
        "confirm, not changed."
    )
    sheet_title = "贫困户名单"
    examples = [
        (gettext_lazy("poverty registers"), "enrollment/import-examples/poverty-registers.xlsx")
    ]
    columns = [
        ImportColumn(
            "register",
            "名单类别",
            aliases=("类别", "户类型", "人员类别", "救助类别", "监测对象类别"),
            example="脱贫户",
            width=12,
        ),
        ImportColumn(
            "household_number",
            "户编号",
            required=False,
            aliases=("户码", "家庭编号", "户档案编号"),
            example="5103040010010001",
            width=20,
        ),
        ImportColumn("head_name", "户主姓名", required=False, aliases=("户主",), example="王大明"),
        ImportColumn("name", "姓名", aliases=("成员姓名",), example="王小明", width=10),
        ImportColumn(
            "resident_id",
            "公民身份号码",
            aliases=("身份证号", "身份证号码", "证件号码"),
            example="510304201503041238",
            width=21,
        ),
        ImportColumn(
            "listed_on",
            "认定日期",
            text=False,
            aliases=("纳入日期", "识别日期", "纳入时间", "认定时间"),
            example=datetime.date(2021, 6, 1),
            width=12,
        ),
    ]

    # -- the dry run --

    def plan(self, rows: list[SheetRow], *, scope, user, progress=None) -> Plan:
        today = local_today()
        column = {c.field: c.header for c in self.columns}
        outcomes, parsed = self._check_rows(rows, column, today)
        county_id = self.county_id_of(scope)
        in_place = Household.objects.filter(**self.place_filter(scope))
        ids = [data["resident_id"] for data in parsed if data["resident_id"]]
        numbers = sorted({data["number"] for data in parsed if data["number"]})
        children = {}
        for chunk in iter_chunks(ids, 2000):
            for child in Child.objects.filter(
                resident_id__in=chunk, village__township__county_id=county_id
            ).values("resident_id", "name", "household_id"):
                children[child["resident_id"]] = child
        by_number = {}
        for chunk in iter_chunks(numbers, 2000):
            for pk, number in in_place.filter(poverty_registration_number__in=chunk).values_list(
                "pk", "poverty_registration_number"
            ):
                by_number.setdefault(number, pk)
            for pk, number in PovertyRegisterEntry.objects.filter(
                household__in=in_place, number__in=chunk
            ).values_list("household_id", "number"):
                by_number.setdefault(number, pk)
        household_ids = {child["household_id"] for child in children.values()}
        household_ids |= set(by_number.values())
        in_place_ids = set(in_place.filter(pk__in=household_ids).values_list("pk", flat=True))

        # Each row's household: its member's, or its number's (a member the registry lacks).
        row_household = [None] * len(parsed)
        for index, (outcome, data) in enumerate(zip(outcomes, parsed, strict=True)):
            if outcome.failed:
                continue
            child = children.get(data["resident_id"])
            numbered = by_number.get(data["number"]) if data["number"] else None
            if child is not None:
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
                    continue
                if child["household_id"] not in in_place_ids:
                    outcome.error(
                        column["resident_id"],
                        data["resident_id"],
                        _("This child's household is registered outside the place imported into."),
                    )
                    continue
                if numbered is not None and numbered != child["household_id"]:
                    outcome.error(
                        column["household_number"],
                        data["number"],
                        _("This household number belongs to another household than the child's."),
                    )
                    continue
                row_household[index] = child["household_id"]
            elif numbered is not None:
                row_household[index] = numbered
        # Other members of a household found through one of its rows follow it by number; a
        # number the file gives two households is refused on the later row.
        found_by_number, first_row = {}, {}
        for index, (outcome, data) in enumerate(zip(outcomes, parsed, strict=True)):
            household_id = row_household[index]
            if outcome.failed or household_id is None or not data["number"]:
                continue
            held = found_by_number.setdefault(data["number"], household_id)
            first_row.setdefault(data["number"], outcome.row.number)
            if held != household_id:
                outcome.error(
                    column["household_number"],
                    data["number"],
                    _("Row %(row)d gives this household number to another household.")
                    % {"row": first_row[data["number"]]},
                )
                row_household[index] = None
        for index, (outcome, data) in enumerate(zip(outcomes, parsed, strict=True)):
            if outcome.failed or row_household[index] is not None:
                continue
            household_id = found_by_number.get(data["number"]) if data["number"] else None
            if household_id is None:
                outcome.notes.append(
                    _(
                        "No household of the place has this member or household number (no "
                        "registered child): the row is not recorded."
                    )
                )
            row_household[index] = household_id

        # One entry per household and register; its date is the earliest its rows give.
        groups: dict[tuple, dict] = {}
        for index, (outcome, data) in enumerate(zip(outcomes, parsed, strict=True)):
            household_id = row_household[index]
            if outcome.failed or household_id is None:
                continue
            key = (household_id, data["register"])
            group = groups.get(key)
            if group is None:
                groups[key] = {
                    "outcome": outcome,
                    "number": data["number"],
                    "listed_on": data["listed_on"],
                    "row": outcome.row.number,
                }
                continue
            if data["number"] and group["number"] and data["number"] != group["number"]:
                outcome.error(
                    column["household_number"],
                    data["number"],
                    _("Row %(row)d gives this household another number on the same register.")
                    % {"row": group["row"]},
                )
                continue
            group["number"] = group["number"] or data["number"]
            group["listed_on"] = min(group["listed_on"], data["listed_on"])

        registers = sorted({data["register"] for data in parsed if data["register"]})
        payload, lists = self._compare(groups, registers, in_place, today)
        return Plan(outcomes=outcomes, payload=payload, lists=lists)

    def _check_rows(self, rows, column, today):
        outcomes, parsed, first = [], [], {}
        for row in rows:
            outcome, name = named_row(row, column)
            values = row.values
            resident_id = parse_id_cell(
                outcome, column["resident_id"], values["resident_id"], today
            )
            register = None
            try:
                register = parse_register(values["register"])
            except ValueError as error:
                outcome.error(column["register"], values["register"], str(error))
            number = clean_id(values["household_number"]) if values["household_number"] else ""
            if len(number) > 40:
                outcome.error(
                    column["household_number"], values["household_number"], _("Too long.")
                )
            listed_on = None
            try:
                listed_on = parse_date(values["listed_on"])
            except ValueError as error:
                outcome.error(column["listed_on"], values["listed_on"], str(error))
            else:
                if listed_on is None:
                    outcome.error(column["listed_on"], values["listed_on"], _("The date is empty."))
                elif listed_on > today:
                    outcome.error(
                        column["listed_on"], values["listed_on"], _("The date is in the future.")
                    )
            if resident_id and register:
                key = (resident_id, register)
                if key in first:
                    outcome.error(
                        column["resident_id"],
                        resident_id,
                        _("The same person is already on row %(row)d of this file, same list.")
                        % {"row": first[key]},
                    )
                else:
                    first[key] = row.number
            outcomes.append(outcome)
            parsed.append(
                {
                    "resident_id": resident_id,
                    "name": name,
                    "register": register,
                    "number": number,
                    "head_name": clean_text(values["head_name"]),
                    "listed_on": listed_on,
                }
            )
        return outcomes, parsed

    def _compare(self, groups, registers, in_place, today):
        """What changes: the entries the file names, the households' statuses, and the entries
        of the file's registers that it no longer names (to confirm)."""
        household_ids = {household_id for household_id, _register in groups}
        existing = defaultdict(list)
        leaving = []
        entries = PovertyRegisterEntry.objects.filter(
            household__in=in_place, register__in=registers
        )
        for entry in entries.values(*_ENTRY_FIELDS):
            existing[entry["household_id"]].append(entry)
        # Entries of other registers count for the status too (a household on several lists).
        others = PovertyRegisterEntry.objects.exclude(register__in=registers)
        for chunk in iter_chunks(sorted(household_ids), 2000):
            for entry in others.filter(household_id__in=chunk).values(*_ENTRY_FIELDS):
                existing[entry["household_id"]].append(entry)
        for household_id, held in existing.items():
            for entry in held:
                if (
                    entry["register"] in registers
                    and (household_id, entry["register"]) not in groups
                    and entry["left_on"] is None
                ):
                    leaving.append(entry)
        # A typed-in status of a listed register, on a household the file does not name.
        typed_in = list(
            in_place.filter(
                poverty_source="",
                poverty_status__in=[REGISTER_STATUS[R(register)] for register in registers],
            )
            .exclude(pk__in=household_ids)
            .exclude(register_entries__register__in=registers)
            .values("pk", "poverty_status", "poverty_registration_number", "poverty_registered_on")
        )
        touched = household_ids | {entry["household_id"] for entry in leaving}
        touched |= {row["pk"] for row in typed_in}
        households = {}
        for chunk in iter_chunks(sorted(touched), 2000):
            for row in Household.objects.filter(pk__in=chunk).values(
                "pk", "head_name", "address", "village__name", *HOUSEHOLD_POVERTY_FIELDS
            ):
                households[row["pk"]] = row

        payload = PovertyPayload()
        labels = dict(R.choices)
        statuses = dict(PovertyStatus.choices)
        for (household_id, register), group in groups.items():
            outcome = group["outcome"]
            held = next((e for e in existing[household_id] if e["register"] == register), None)
            wanted = {"number": group["number"], "listed_on": group["listed_on"]}
            if held is None:
                outcome.kind = Outcome.NEW
                payload.entries_new.append(
                    {"household_id": household_id, "register": register, **wanted}
                )
                existing[household_id].append({"register": register, "left_on": None, **wanted})
                outcome.changes.append((_("register"), "", str(labels[register])))
                continue
            wanted["number"] = wanted["number"] or held["number"]
            changed = {
                name: value
                for name, value in {**wanted, "missing_since": None, "left_on": None}.items()
                if held[name] != value
            }
            if changed:
                outcome.kind = Outcome.CHANGED
                payload.entries_changed.append(
                    {"id": held["id"], **wanted, "missing_since": None, "left_on": None}
                )
                if "left_on" in changed:
                    outcome.changes.append((_("register"), "", str(labels[register])))
                if "listed_on" in changed:
                    outcome.changes.append(
                        (
                            _("on the register since"),
                            _day(held["listed_on"]),
                            _day(wanted["listed_on"]),
                        )
                    )
                if "number" in changed:
                    outcome.changes.append(
                        (_("household number"), held["number"], wanted["number"])
                    )
                held.update(wanted, missing_since=None, left_on=None)
        for household_id in household_ids:
            household = households[household_id]
            fields = household_poverty(household, existing[household_id])
            if any(household[name] != value for name, value in fields.items()):
                payload.households.append({"id": household_id, **fields})
                first = min(
                    (g["outcome"] for (h, _r), g in groups.items() if h == household_id),
                    key=lambda outcome: outcome.row.number,
                )
                if first.kind == Outcome.UNCHANGED:
                    first.kind = Outcome.CHANGED
                first.changes.append(
                    (
                        _("poverty status"),
                        str(statuses.get(household["poverty_status"], "")),
                        str(statuses[fields["poverty_status"]]),
                    )
                )
        items, newly_missing = [], []
        for entry in sorted(leaving, key=lambda e: (e["household_id"], e["register"])):
            if entry["missing_since"] is None:
                newly_missing.append({"id": entry["id"], "missing_since": today})
            household = households[entry["household_id"]]
            items.append(_leaver_label(household, labels[entry["register"]]))
        for row in typed_in:
            register = str(row["poverty_status"])
            payload.entries_new.append(
                {
                    "household_id": row["pk"],
                    "register": register,
                    "number": row["poverty_registration_number"],
                    "listed_on": row["poverty_registered_on"],
                    "missing_since": today,
                }
            )
            items.append(_leaver_label(households[row["pk"]], labels[register]))
        payload.entries_changed.extend(newly_missing)
        lists = [
            ReportList(
                title=_("Households no longer on the imported lists (to confirm)"),
                items=items,
                writes=bool(newly_missing or typed_in),
                link=(
                    _("Confirm on the page of households that left a register"),
                    reverse("enrollment:left_registers"),
                ),
            )
        ]
        return payload, lists

    # -- the commit (the file is checked again inside the commit's transaction) --

    def apply(self, plan: Plan, *, scope, user, job) -> None:
        payload: PovertyPayload = plan.payload
        bulk_create_with_history(
            [PovertyRegisterEntry(**entry) for entry in payload.entries_new],
            PovertyRegisterEntry,
            default_user=user,
            default_change_reason=REGISTER_REASON,
        )
        by_fields = defaultdict(list)
        for change in payload.entries_changed:
            by_fields[tuple(sorted(name for name in change if name != "id"))].append(change)
        for fields, changes in by_fields.items():
            copy_update(
                PovertyRegisterEntry,
                changes,
                fields=list(fields),
                history_user=user,
                history_reason=REGISTER_REASON,
            )
        copy_update(
            Household,
            payload.households,
            fields=HOUSEHOLD_POVERTY_FIELDS,
            history_user=user,
            history_reason=REGISTER_REASON,
        )


def _day(value) -> str:
    return value.isoformat() if value else ""


def _leaver_label(household: dict, register_label) -> str:
    place = f"{household['village__name']} {household['address']}"
    return f"{household['head_name']}（{place}）· {register_label}"


POVERTY_REGISTERS = PovertyRegisterImporter()
