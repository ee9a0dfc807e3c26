"""The ledger as an Excel workbook: the page's filters applied, one row per child."""

from django.http import QueryDict
from django.utils.translation import override

from core.exports import Column, Export

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


def ledger_query(params: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, values in params.get("query", {}).items():
        query.setlist(key, values)
    return query


def export_ledger(user, params: dict) -> Export:
    """params: {"kind", "pk", "query": {filter: [values]}} as the ledger page had them."""
    ledger = build_ledger(user, params["kind"], params["pk"], ledger_query(params))
    full_identity = user_may(user, type(ledger.place).objects, FULL_IDENTITY_ROLES, ledger.place)
    rows = (
        ledger.rows.select_related(None)
        .select_related("village__township", "household")
        .order_by("village__code", "name", "pk")
    )
    with override("zh-hans"):  # the county files its ledgers in Chinese
        columns = [
            Column("序号", 6),
            Column("姓名", 10),
            Column("性别", 6),
            Column("出生日期", 12),
            Column("身份证号", 21),
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
        ]
        labels = {
            "status": {value: str(label) for value, label in EnrollmentStatus.choices},
            "grade": {value: str(label) for value, label in Grade.choices},
            "poverty": {value: str(label) for value, label in PovertyStatus.choices},
            "sex": {value: str(label) for value, label in Sex.choices},
        }

    def generate():
        for number, child in enumerate(rows.iterator(chunk_size=2000), start=1):
            focus = (
                ["建档立卡"] if child.household.poverty_status in REGISTERED_POOR_STATUSES else []
            ) + [label for flag, label in FOCUS_LABELS if getattr(child, flag)]
            if child.has_no_resident_id:
                identity = "未落户"
            else:
                identity = child.resident_id if full_identity else child.masked_resident_id
            yield [
                number,
                child.name,
                labels["sex"][child.sex],
                child.birth_date,
                identity,
                child.village.township.name,
                child.village.name,
                child.household.head_name,
                labels["poverty"][child.household.poverty_status],
                child.guardian_name,
                child.guardian_relation,
                child.guardian_phone if full_identity else child.masked_guardian_phone,
                labels["status"].get(child.ledger_status, child.ledger_status),
                child.status_since if ledger.as_of is None else None,
                child.ledger_school_name or "",
                labels["grade"].get(child.ledger_grade, ""),
                "、".join(focus),
            ]

    title = f"{ledger.place.name}台账{ledger.day.isoformat()}"
    return Export(title=title, columns=columns, rows=generate(), total=rows.count())
