"""The disabled persons' federation's certificate list (残联持证名单): the second-generation
残疾人证号 (20 digits: the holder's resident ID, the category digit 1–7 and the grade digit 1–4)
onto the child's disability fields.

A certificate holder the registry does not hold (an adult, a child of another county) is reported
and skipped; a child of another township than the one imported into is refused. The certificate
number holds the ID: the report masks it like an ID.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.bulk_copy import copy_update
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
)
from core.masking import mask_resident_id
from core.resident_id import ResidentIdError, parse_resident_id
from core.services import today as local_today

from ..models import Child, DisabilityCategory, Township
from .common import POLICE_IMPORT_ROLES, CountyOrTownshipScope, named_row

DISABILITY_REASON = "残疾人证名单导入"
DISABILITY_FIELDS = [
    "is_disabled",
    "disability_category",
    "disability_grade",
    "disability_certificate_number",
]
C = DisabilityCategory
# The certificate's 19th digit.
CATEGORY_DIGITS = {
    "1": C.VISUAL,
    "2": C.HEARING,
    "3": C.SPEECH,
    "4": C.PHYSICAL,
    "5": C.INTELLECTUAL,
    "6": C.MENTAL,
    "7": C.MULTIPLE,
}
_CATEGORY_WORDS = {
    "视力": C.VISUAL,
    "听力": C.HEARING,
    "言语": C.SPEECH,
    "肢体": C.PHYSICAL,
    "智力": C.INTELLECTUAL,
    "精神": C.MENTAL,
    "多重": C.MULTIPLE,
}
_GRADE_WORDS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def parse_certificate(value, *, today) -> tuple[str, str, str, int]:
    """(certificate number, resident ID, category, grade) of a 残疾人证号, or a ValueError
    saying what is wrong with it."""
    number = clean_id(value)
    if not number:
        raise ValueError(_("The certificate number is empty."))
    if len(number) != 20:
        raise ValueError(
            _(
                "A disability certificate number has 20 characters (the resident ID, the "
                "category digit and the grade digit); this one has %(count)d."
            )
            % {"count": len(number)}
        )
    try:
        parsed = parse_resident_id(number[:18], today=today)
    except ResidentIdError as error:
        raise ValueError(
            _("Its first 18 characters are not a valid resident ID: %(why)s") % {"why": error}
        ) from None
    category = CATEGORY_DIGITS.get(number[18])
    if category is None:
        raise ValueError(
            _("The 19th digit is the category and must be 1–7 (视力 … 多重), not %(digit)s.")
            % {"digit": number[18]}
        )
    if number[19] not in "1234":
        raise ValueError(
            _("The 20th digit is the grade and must be 1–4, not %(digit)s.") % {"digit": number[19]}
        )
    return number, parsed.number, str(category), int(number[19])


def parse_category(value) -> str:
    text = clean_text(value).replace(" ", "").removesuffix("残疾").removesuffix("类")
    category = _CATEGORY_WORDS.get(text) or CATEGORY_DIGITS.get(text)
    if category is None:
        raise ValueError(_("Not a category; write 视力, 听力, 言语, 肢体, 智力, 精神 or 多重."))
    return str(category)


def parse_disability_grade(value) -> int:
    text = clean_text(value).replace(" ", "").removesuffix("级")
    grade = _GRADE_WORDS.get(text)
    if grade is None:
        raise ValueError(_("Not a grade; write 一级 … 四级 or 1–4."))
    return grade


class DisabilityCertificateImporter(CountyOrTownshipScope, Importer):
    name = "disability_certificates"
    roles = POLICE_IMPORT_ROLES
    title = gettext_lazy("Disability certificates (残联持证名单)")
    description = gettext_lazy(
        "The certificate holders the disabled persons' federation lists: records each "
        "registered child's 20-digit certificate number with the category and grade it holds."
    )
    sheet_title = "残疾人证名单"
    examples = [
        (
            gettext_lazy("disability certificates"),
            "enrollment/import-examples/disability-certificates.xlsx",
        )
    ]
    columns = [
        ImportColumn("name", "姓名", example="王小明", width=10),
        ImportColumn(
            "certificate",
            "残疾人证号",
            aliases=("残疾证号", "残疾人证号码", "持证号"),
            example="51030420150304123842",
            width=24,
        ),
        ImportColumn(
            "resident_id",
            "公民身份号码",
            required=False,
            aliases=("身份证号", "身份证号码"),
            example="510304201503041238",
            width=21,
        ),
        ImportColumn(
            "category", "残疾类别", required=False, aliases=("类别",), example="肢体", width=10
        ),
        ImportColumn(
            "grade", "残疾等级", required=False, aliases=("等级",), example="二级", width=10
        ),
    ]

    # -- the dry run --

    def plan(self, rows: list[SheetRow], *, scope, user, progress=None) -> Plan:
        today = local_today()
        column = {c.field: c.header for c in self.columns}
        outcomes, parsed = self._check_rows(rows, column, today)
        ids = [data["resident_id"] for data in parsed if data["resident_id"]]
        children = {}
        # A township's import: its own children only (the county's finds them anywhere in it).
        township_ids = {scope.pk} if isinstance(scope, Township) else None
        for chunk in iter_chunks(ids, 2000):
            for child in Child.objects.filter(
                resident_id__in=chunk, village__township__county_id=self.county_id_of(scope)
            ).values("pk", "resident_id", "name", "village__township_id", *DISABILITY_FIELDS):
                children[child["resident_id"]] = child
        updates = []
        categories = dict(C.choices)
        for outcome, data in zip(outcomes, parsed, strict=True):
            if outcome.failed:
                continue
            child = children.get(data["resident_id"])
            if child is None:
                outcome.notes.append(
                    _(
                        "No child with this ID is registered in the county (an adult holder, or a "
                        "child of another county): the row is not recorded."
                    )
                )
                continue
            if township_ids is not None and child["village__township_id"] not in township_ids:
                outcome.error(
                    column["certificate"],
                    mask_resident_id(data["certificate"]),
                    _("This child is registered in another township than the one imported into."),
                )
                continue
            if child["name"] != data["name"]:
                outcome.error(
                    column["name"],
                    data["name"],
                    _(
                        "The registry has %(name)s under this ID; check the certificate number "
                        "or the name before importing."
                    )
                    % {"name": child["name"]},
                )
                continue
            wanted = {
                "is_disabled": True,
                "disability_category": data["category"],
                "disability_grade": data["grade"],
                "disability_certificate_number": data["certificate"],
            }
            if all(child[name] == value for name, value in wanted.items()):
                continue
            outcome.kind = (
                Outcome.NEW if not child["disability_certificate_number"] else Outcome.CHANGED
            )
            updates.append({"id": child["pk"], **wanted})
            shown = {
                "disability_category": (
                    _("disability category"),
                    lambda value: str(categories.get(value, "")),
                ),
                "disability_grade": (_("disability grade"), lambda value: str(value or "")),
                "disability_certificate_number": (
                    _("disability certificate number"),
                    mask_resident_id,
                ),
            }
            for name, (label, show) in shown.items():
                if child[name] != wanted[name]:
                    outcome.changes.append((label, show(child[name]), show(wanted[name])))
        return Plan(outcomes=outcomes, payload=updates)

    def _check_rows(self, rows, column, today):
        outcomes, parsed, first = [], [], {}
        for row in rows:
            outcome, name = named_row(row, column)
            values = row.values
            certificate = resident_id = category = grade = None
            shown = mask_resident_id(clean_text(values["certificate"]))
            try:
                certificate, resident_id, category, grade = parse_certificate(
                    values["certificate"], today=today
                )
            except IdStoredAsNumber as error:
                outcome.error(column["certificate"], values["certificate"], str(error))
            except ValueError as error:
                outcome.error(column["certificate"], shown, str(error))
            if values["resident_id"] not in ("", None):
                try:
                    given = clean_id(values["resident_id"])
                except IdStoredAsNumber as error:
                    outcome.error(column["resident_id"], values["resident_id"], str(error))
                else:
                    if resident_id and given != resident_id:
                        outcome.error(
                            column["resident_id"],
                            mask_resident_id(given),
                            _(
                                "The certificate number begins with another resident ID than "
                                "this one."
                            ),
                        )
            if values["category"] not in ("", None):
                try:
                    if category and parse_category(values["category"]) != category:
                        outcome.error(
                            column["category"],
                            values["category"],
                            _("The certificate number's 19th digit says another category."),
                        )
                except ValueError as error:
                    outcome.error(column["category"], values["category"], str(error))
            if values["grade"] not in ("", None):
                try:
                    if grade and parse_disability_grade(values["grade"]) != grade:
                        outcome.error(
                            column["grade"],
                            values["grade"],
                            _("The certificate number's 20th digit says another grade."),
                        )
                except ValueError as error:
                    outcome.error(column["grade"], values["grade"], str(error))
            if resident_id:
                if resident_id in first:
                    outcome.error(
                        column["certificate"],
                        mask_resident_id(certificate),
                        _("The same person is already on row %(row)d of this file.")
                        % {"row": first[resident_id]},
                    )
                else:
                    first[resident_id] = row.number
            outcomes.append(outcome)
            parsed.append(
                {
                    "name": name,
                    "certificate": certificate,
                    "resident_id": resident_id,
                    "category": category,
                    "grade": grade,
                }
            )
        return outcomes, parsed

    # -- the commit (the file is checked again inside the commit's transaction) --

    def apply(self, plan: Plan, *, scope, user, job) -> None:
        copy_update(
            Child,
            plan.payload,
            fields=DISABILITY_FIELDS,
            history_user=user,
            history_reason=DISABILITY_REASON,
        )


DISABILITY_CERTIFICATES = DisabilityCertificateImporter()
