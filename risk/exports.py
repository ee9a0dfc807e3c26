"""高风险儿童名单: the risk list of the user's scope as a workbook (masked IDs like the other
ledgers), filtered like the page."""

from django.http import QueryDict

from enrollment.ledger_exports import child_identity, export_query, ledger_export

from . import selectors
from .forms import RiskFilterForm, top_of

RISK_COLUMNS = [
    ("序号", 6),
    ("姓名", 10),
    ("身份证号", 21),
    ("乡镇", 12),
    ("村（社区）", 12),
    ("学校", 20),
    ("年级", 6),
    ("风险分", 8),
    ("风险因素", 60),
    ("结对帮扶", 8),
    ("最近走访", 12),
    ("计算日期", 12),
]


def export_risk_list(user, params: dict):
    form = RiskFilterForm(export_query(params) or QueryDict(), user=user)
    if form.is_valid():
        scores = form.scores()
        top = form.cleaned_data.get("top")
        if top:
            scores = top_of(scores, top)
    else:  # filters that no longer validate export nothing rather than everything
        scores = selectors.risk_scores(user).none()
    identity = child_identity(user)

    def row(score) -> list:
        child = score.child
        return [
            child.name,
            identity(child),
            child.village.township.name,
            child.village.name,
            child.current_school.name if child.current_school else "",
            child.grade or "",
            score.score,
            score.explanation,
            "是" if score.has_pairing else "否",
            score.last_visit,
            score.computed_on,
        ]

    return ledger_export("高风险儿童名单", RISK_COLUMNS, selectors.list_rows(scores), row)
