"""The ledger as an Excel workbook: the page's filters applied, one row per child."""

from django.http import QueryDict
from django.utils.translation import override

from core.exports import PERSON_COLUMNS, Column, Export
from core.masking import mask_phone, mask_resident_id

from .extensions import child_scores
from .ledgers import build_ledger
from .models import REGISTERED_POOR_STATUSES, EnrollmentStatus, Grade, PovertyStatus, Sex
from .permissions import user_may
from .roles import FULL_IDENTITY_ROLES

FOCUS_LABELS = (
    ("is_left_behind", "留守儿童"),
    ("is_disabled", "残疾儿童"),
    ("is_orphan", "孤儿或事实无人抚养"),
    ("is_in_difficulty", "困境儿童"),
    ("is_migrant", "随迁子女"),
)

# 涉案未成年人 has its own column: 是 or empty where one of the user's CASE_FLAG_ROLES covers the
# child, masked on every other row (whatever the child's flag), as an ID is masked.
CASE_FLAG_HEADER = "涉案未成年人"
CASE_FLAG_MASK = "***"
CASE_FLAG_CELL = {True: "是", False: "", None: CASE_FLAG_MASK}


def ledger_query(params: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, values in params.get("query", {}).items():
        query.setlist(key, values)
    return query


def ledger_export_title(ledger, query: dict) -> str:
    """The export's (and its file's) name; a filtered export is named by its status filter:
    the dropped-out list is not the whole ledger."""
    with override("zh-hans"):
        labels = dict(EnrollmentStatus.choices)
        statuses = [str(labels.get(value, value)) for value in query.get("status", []) if value]
    filtered = f"（{'、'.join(statuses)}）" if statuses else ""
    return f"{ledger.place.name}台账{filtered}{ledger.day.isoformat()}"


def export_ledger(user, params: dict) -> Export:
    """params: {"kind", "pk", "query": {filter: [values]}} as the ledger page had them."""
    ledger = build_ledger(user, params["kind"], params["pk"], ledger_query(params))
    full_identity = user_may(user, type(ledger.place).objects, FULL_IDENTITY_ROLES, ledger.place)
    # Plain values, not model instances: a county ledger is ~100,000 children, and building
    # three instances per row cost a third of the export.
    rows = ledger.rows.select_related(None).order_by("village__code", "name", "pk")
    fields = (
        "name",
        "sex",
        "birth_date",
        "has_no_resident_id",
        "resident_id",
        "village__township__name",
        "village__name",
        "household__head_name",
        "household__poverty_status",
        "guardian_name",
        "guardian_relation",
        "guardian_phone",
        "ledger_status",
        "status_since",
        "ledger_school_name",
        "ledger_grade",
        "case_flag",  # 涉案未成年人 as the user may see it (None: masked)
        *(flag for flag, _label in FOCUS_LABELS),
        # The modules' per-child scores (extensions.CHILD_SCORES), annotated by build_ledger.
        *(score.annotation for score in child_scores()),
    )
    with override("zh-hans"):  # the county files its ledgers in Chinese
        columns = [
            *PERSON_COLUMNS,
            Column("乡镇", 12),
            Column("村（社区）", 12),
            Column("户主", 10),
            Column("家庭类别", 14),
            Column("监护人", 10),
            Column("与儿童关系", 10),
            Column("联系电话", 14),
            Column("就学状态", 14),
            Column("状态起始日期", 12),
            Column("学校", 22),
            Column("年级", 10),
            Column("重点监测群体", 24),
            Column(CASE_FLAG_HEADER, 12),
            *(Column(str(score.label), 10) for score in child_scores()),
        ]
        labels = {
            "status": {value: str(label) for value, label in EnrollmentStatus.choices},
            "grade": {value: str(label) for value, label in Grade.choices},
            "poverty": {value: str(label) for value, label in PovertyStatus.choices},
            "sex": {value: str(label) for value, label in Sex.choices},
        }

    def generate():
        values = rows.values_list(*fields).iterator(chunk_size=2000)
        for number, (
            name,
            sex,
            birth_date,
            unregistered,
            resident_id,
            township,
            village,
            head,
            poverty,
            guardian,
            relation,
            phone,
            status,
            status_since,
            school,
            grade,
            case_flag,
            *rest,
        ) in enumerate(values, start=1):
            flags, scores = rest[: len(FOCUS_LABELS)], rest[len(FOCUS_LABELS) :]
            focus = (["建档立卡"] if poverty in REGISTERED_POOR_STATUSES else []) + [
                label
                for (_flag, label), flagged in zip(FOCUS_LABELS, flags, strict=True)
                if flagged
            ]
            if unregistered:
                identity = "未落户"
            else:
                identity = resident_id if full_identity else mask_resident_id(resident_id)
            yield [
                number,
                name,
                labels["sex"][sex],
                birth_date,
                identity,
                township,
                village,
                head,
                labels["poverty"][poverty],
                guardian,
                relation,
                phone if full_identity else mask_phone(phone),
                labels["status"].get(status, status),
                status_since if ledger.as_of is None else None,
                school or "",
                labels["grade"].get(grade, ""),
                "、".join(focus),
                CASE_FLAG_CELL[case_flag],
                *("" if score is None else score for score in scores),
            ]

    title = ledger_export_title(ledger, params.get("query", {}))
    return Export(title=title, columns=columns, rows=generate(), total=rows.count())
