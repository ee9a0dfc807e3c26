"""失辍学案件台账: the cases of a work queue, one row each, with every step of the procedure and
its date — persuasions, the notice, the penalty procedure (prior notice, reply, hearing, legal
review), the decision and its service (Art. 61: late services marked) and how the case ended."""

from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import override

from core.exports import Export
from core.masking import Shown, mask_resident_id, shows_full
from core.people import person_name
from enrollment.ledger_exports import filtered, ledger_export
from enrollment.models import Sex, Township
from enrollment.permissions import user_may
from enrollment.roles import FULL_IDENTITY_ROLES

from .filters import CaseFilter
from .models import DropoutCase, OfficialDocument, Persuasion, PriorNotice
from .selectors import QUEUE_TITLES, case_queue
from .transitions import counted_among, in_force

D = OfficialDocument.Kind
COLUMNS = [
    ("序号", 6),
    ("案件号", 8),
    ("姓名", 10),
    ("性别", 6),
    ("身份证号", 21),
    ("乡镇", 12),
    ("村（社区）", 12),
    ("原就读学校", 20),
    ("失学原因", 14),
    ("案件状态", 12),
    ("承办人", 10),
    ("立案日期", 12),
    ("劝返次数", 8),
    ("其中两名工作人员参加", 10),
    ("限期复学通知书文号", 24),
    ("通知书送达日期", 12),
    ("复学期限", 12),
    ("事先告知书文号", 24),
    ("事先告知送达日期", 12),
    ("陈述申辩期限", 12),
    ("当事人陈述申辩", 30),
    ("听证日期", 12),
    ("法制审核", 20),
    ("处罚决定书文号", 24),
    ("处罚决定日期", 12),
    ("决定书送达日期", 12),
    ("送达期限", 12),
    ("逾期送达", 8),
    ("复学日期", 12),
    ("结案日期", 12),
    ("结案原因", 16),
]


def _replies_text(prior) -> str:
    return "；".join(
        f"{reply.received_on.isoformat()} {reply.get_kind_display()}"
        + (f"（复核：{reply.get_review_outcome_display()}）" if reply.reviewed_on else "")
        for reply in sorted(prior.replies.all(), key=lambda r: (r.received_on, r.pk))
    )


# What a row reads of the case, its child and places: one row of values per case (six model
# instances per case cost the export more than the database's work).
_CASE_VALUES = (
    "pk",
    "child__name",
    "child__sex",
    "child__resident_id",
    "township_id",
    "township__name",
    "child__village__name",
    "school__name",
    "cause",
    "status",
    "handler_id",
    "opened_on",
    "returned_on",
    "closed_on",
    "close_reason",
)
# What the row reads of a document (in_force, late_service, the numbers and dates).
_DOCUMENT_FIELDS = (
    "pk",
    "case_id",
    "kind",
    "voided_by_id",
    "number",
    "issued_on",
    "deadline",
    "served_on",
)


class _Officers(NamedTuple):
    """A persuasion as counted_among() counts it: its number of officers."""

    officer_count: int


def export_cases(user, params: dict) -> Export:
    """params: {"queue": one of selectors.QUEUES, "query": the filters of filters.CaseFilter
    (optional: date range, stage, cause, township, handler)}; the rows are the queue's, in its
    scope."""
    queue = params.get("queue", "all")
    queued = case_queue(user, queue)
    if "query" in params:
        queued = filtered(CaseFilter, params, queued)
    full_by_township: dict[int, bool] = {}
    handlers: dict[int, Any] = {}

    def prepare(cases: list[dict]) -> dict[int, tuple]:
        """case pk -> (documents, prior notices, persuasions) of a chunk of cases, and the
        chunk's townships (is the full ID shown?) and handlers, each read once."""
        townships = {case["township_id"] for case in cases} - full_by_township.keys()
        for township in Township.objects.filter(pk__in=townships).select_related("county"):
            full_by_township[township.pk] = shows_full(
                Shown.EXPORT,
                needs_full=user_may(user, Township.objects, FULL_IDENTITY_ROLES, township),
            )
        wanted = {case["handler_id"] for case in cases} - handlers.keys() - {None}
        # The names person_name() shows, not the accounts (no password hash read).
        handlers.update(
            get_user_model().objects.only("username", "first_name", "last_name").in_bulk(wanted)
        )
        pks = [case["pk"] for case in cases]
        related = {pk: ([], [], []) for pk in pks}
        for document in OfficialDocument.objects.filter(case_id__in=pks).only(*_DOCUMENT_FIELDS):
            related[document.case_id][0].append(document)
        for prior in (
            PriorNotice.objects.filter(case_id__in=pks)
            .select_related("document")
            .prefetch_related("replies", "hearings", "legal_reviews")
        ):
            related[prior.case_id][1].append(prior)
        # The two-officer rule needs each persuasion's number of officers, not their accounts.
        for case_pk, officers in (
            Persuasion.objects.filter(case_id__in=pks)
            .annotate(officer_count=Count("officers"))
            .values_list("case_id", "officer_count")
        ):
            related[case_pk][2].append(_Officers(officers))
        return related

    with override("zh-hans"):  # the county files its ledgers in Chinese
        title = f"失辍学案件台账（{QUEUE_TITLES[queue]}）"
        # Each choice's label once, not through get_FOO_display() for every row (it hashes
        # every lazy label of the field's choices on each call).
        labels = {
            name: {value: str(label) for value, label in choices}
            for name, choices in (
                ("sex", Sex.choices),
                ("cause", DropoutCase.Cause.choices),
                ("status", DropoutCase.Status.choices),
                ("close_reason", DropoutCase.CloseReason.choices),
            )
        }
    # Cases are hundreds to a few thousand per county: a chunk reads each related table once.
    return ledger_export(
        title,
        COLUMNS,
        queued.values(*_CASE_VALUES),
        lambda case, related: _row(
            case,
            related[case["pk"]],
            labels,
            full_by_township[case["township_id"]],
            handlers.get(case["handler_id"]),
        ),
        chunk_size=2000,
        prepare=prepare,
    )


def _row(case: dict, related: tuple, labels: dict, full_identity: bool, handler) -> list:
    documents, prior_notices, persuasions = related
    notice = in_force(documents, D.RESUME_NOTICE)
    decision = in_force(documents, D.PENALTY_DECISION)
    priors = [p for p in prior_notices if p.document.voided_by_id is None]
    prior = max(priors, key=lambda p: (p.served_on, p.pk)) if priors else None
    hearings = sorted(prior.hearings.all(), key=lambda h: h.held_on) if prior else []
    reviews = sorted(prior.legal_reviews.all(), key=lambda r: r.reviewed_on) if prior else []
    review = reviews[-1] if reviews else None
    resident_id = case["child__resident_id"]
    identity = resident_id if full_identity else mask_resident_id(resident_id)
    return [
        case["pk"],
        case["child__name"],
        labels["sex"].get(case["child__sex"], ""),
        identity or "",
        case["township__name"],
        case["child__village__name"],
        case["school__name"] or "",
        labels["cause"].get(case["cause"], case["cause"]),
        labels["status"][case["status"]],
        person_name(handler),
        case["opened_on"],
        len(persuasions),
        counted_among(persuasions),
        notice.number if notice else "",
        notice.issued_on if notice else None,
        notice.deadline if notice else None,
        prior.document.number if prior else "",
        prior.served_on if prior else None,
        prior.reply_until if prior else None,
        _replies_text(prior) if prior else "",
        hearings[-1].held_on if hearings else None,
        (
            f"{review.reviewed_on.isoformat()} {'同意' if review.approved else '不同意'}"
            if review
            else ""
        ),
        decision.number if decision else "",
        decision.issued_on if decision else None,
        decision.served_on if decision else None,
        decision.service_due_on if decision else None,
        late_service(decision),
        case["returned_on"],
        case["closed_on"],
        labels["close_reason"].get(case["close_reason"], "") if case["close_reason"] else "",
    ]


def late_service(document: OfficialDocument | None) -> str:
    """逾期送达 of a document with a service limit (a penalty decision): 是 when served after the
    limit, or still unserved once it has passed; empty otherwise, and for a document without
    a limit."""
    if document is None or document.service_due_on is None:
        return ""
    if document.served_on:
        return "是" if document.served_late else "否"
    return "是（未送达）" if timezone.localdate() > document.service_due_on else ""
