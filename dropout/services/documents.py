"""The official documents of the escalation: 限期复学通知书, 行政处罚事先告知书 (the prior notice
is issued in services/penalties.py) and 行政处罚决定书.

Each is numbered gaplessly per township, kind and year, frozen as issued (its text is stored),
and corrected only by a new document that voids it.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError, TransitionRefused
from core.masking import mask_resident_id
from core.numbering import format_document_number, take_next_number
from core.services import require_role, saved_by, today

from ..models import (
    PENALTY_SEVERITY,
    CountyLegalTexts,
    DropoutCase,
    OfficialDocument,
    PenaltyKind,
    PriorNotice,
)
from ..roles import CASE_ROLES
from ..transitions import CASE_TRANSITIONS, LEGAL_TEXTS_MISSING, current_prior_notice
from .cases import event, locked_case
from .officers import serving_officers_text, validate_officers

C = DropoutCase.Status
D = OfficialDocument.Kind

# Official documents are written in Chinese whatever language the user's screen is in.
SERVICE_METHOD_TEXT = {"in_person": "当面送达", "left": "留置送达", "post": "邮寄送达"}
CAUSE_TEXT = {
    "learning": "厌学或学习困难",
    "work": "外出务工",
    "marriage": "早婚早育",
    "religion": "宗教原因",
    "poverty": "家庭贫困",
    "illness": "疾病",
    "distance": "上学路远",
    "family": "家庭原因",
    "other": "其他原因",
}


def chinese_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def issuer_name(township) -> str:
    return f"{township.name}人民政府"


def number_prefix(township, kind: str) -> str:
    if kind == D.RESUME_NOTICE:
        return township.document_prefix or f"{township.name}教字"
    penalty_prefix = township.penalty_document_prefix or f"{township.name}教罚字"
    if kind == D.PRIOR_NOTICE:  # 教罚字 -> 教罚告字: its own series beside the decisions
        return f"{penalty_prefix.removesuffix('字')}告字"
    return penalty_prefix


def current_document(case, kind) -> OfficialDocument | None:
    return case.documents.filter(kind=kind, voided_by__isnull=True).order_by("-pk").first()


def _legal_texts(case) -> CountyLegalTexts:
    texts = CountyLegalTexts.objects.filter(county_id=case.township.county_id).first()
    if texts is None:
        raise TransitionRefused(str(LEGAL_TEXTS_MISSING))
    return texts


def service_rows(document_title, number, *, served_to, served_on, place, method_label, served_by):
    return [
        ["送达文书", f"{document_title} {number}"],
        ["受送达人", served_to],
        ["送达时间", chinese_date(served_on) if served_on else ""],
        ["送达地点", place],
        ["送达方式", method_label],
        ["送达人", served_by],
        ["受送达人签名", ""],
        ["备注", ""],
    ]


def _child_description(case) -> str:
    child = case.child
    sex = "男" if child.sex == "M" else "女"
    identity = f"，公民身份号码{mask_resident_id(child.resident_id)}" if child.resident_id else ""
    return f"{child.name}（{sex}，{chinese_date(child.birth_date)}出生{identity}）"


def _persuasion_summary(case) -> str:
    dates = [chinese_date(p.date) for p in case.persuasions.order_by("date", "pk")]
    return f"{'、'.join(dates)}先后{len(dates)}次" if dates else ""


def _validate_service(served_on, served_to, method, served_by, place):
    if served_on > today():
        raise DomainError(_("The date of service cannot be in the future."), field="served_on")
    if method not in OfficialDocument.ServiceMethod.values:
        raise DomainError(_("Choose how the document was served."), field="service_method")
    for field, value in (
        ("served_to", served_to),
        ("served_by", served_by),
        ("service_place", place),
    ):
        if not value.strip():
            raise DomainError(_("This field is required."), field=field)


def _issue(
    case,
    *,
    actor,
    kind,
    issued_on,
    deadline,
    content_builder,
    served_to,
    method,
    served_by,
    place,
    officers=(),
    served=True,
) -> OfficialDocument:
    """Number and store a document; `served=False` leaves its 送达回证 blank (a penalty
    decision served later, by serve_decision)."""
    township = case.township
    sequence = take_next_number(issuer=f"township:{township.pk}", kind=kind, year=issued_on.year)
    number = format_document_number(number_prefix(township, kind), issued_on.year, sequence)
    method_label = SERVICE_METHOD_TEXT[method] if served else ""
    content = content_builder(number)
    content["service_record"] = {
        "title": "送达回证",
        "rows": service_rows(
            content["title"],
            number,
            served_to=served_to,
            served_on=issued_on if served else None,
            place=place,
            method_label=method_label,
            served_by=served_by,
        ),
    }
    document = OfficialDocument.objects.create(
        case=case,
        kind=kind,
        township=township,
        year=issued_on.year,
        sequence=sequence,
        number=number,
        issued_on=issued_on,
        issued_by=actor,
        deadline=deadline,
        content=content,
        served_on=issued_on if served else None,
        served_to=served_to.strip(),
        service_method=method,
        served_by=served_by.strip(),
        service_place=place.strip(),
    )
    if officers:
        document.officers.set(officers)
    return document


@transaction.atomic
def issue_resume_notice(
    *,
    actor,
    case: DropoutCase,
    served_on: datetime.date,
    served_to: str,
    service_method: str,
    served_by: str,
    service_place: str,
    facts: str = "",
) -> OfficialDocument:
    """限期复学通知书: only after repeated failed persuasion (多次动员仍不返校); orders
    criticism and correction with a deadline one week (a setting) after service."""
    case = locked_case(case)
    CASE_TRANSITIONS.require(case, "issue_notice", actor)
    _validate_service(served_on, served_to, service_method, served_by, service_place)
    texts = _legal_texts(case)
    deadline = served_on + datetime.timedelta(days=settings.RESUME_NOTICE_DAYS)
    document = _issue(
        case,
        actor=actor,
        kind=D.RESUME_NOTICE,
        issued_on=served_on,
        deadline=deadline,
        content_builder=lambda number: _notice_content(
            case, number, served_on, deadline, facts, texts
        ),
        served_to=served_to,
        method=service_method,
        served_by=served_by,
        place=service_place,
    )
    previous = case.status
    case.status, case.last_action_on = C.NOTICE_ISSUED, served_on
    saved_by(case, actor)
    event(
        case,
        actor=actor,
        action="notice_issued",
        from_status=previous,
        note=f"{document.number}，限期至{deadline.isoformat()}",
    )
    return document


def _notice_content(case, number, served_on, deadline, facts, texts) -> dict:
    child, household = case.child, case.child.household
    school = case.school.name if case.school else "就近学校"
    paragraphs = [
        f"经查，你的被监护人{_child_description(case)}，现住{household.address}，系义务教育"
        f"适龄儿童少年，应当依法接受并完成义务教育。该生自{chinese_date(case.opened_on)}起辍学"
        f"（原因：{CAUSE_TEXT[case.cause]}）。{issuer_name(case.township)}于"
        f"{_persuasion_summary(case)}入户动员劝返，你至今仍未送其返校。",
    ]
    if facts.strip():
        paragraphs.append(facts.strip())
    paragraphs += [
        f"依据{texts.notice_legal_basis}，现对你提出批评教育，并责令你于"
        f"{chinese_date(deadline)}前送{child.name}到{school}复学。",
        "逾期仍不送其复学的，将依法对你作出行政处罚，并采取相应制约措施。",
    ]
    return {
        "issuer_name": issuer_name(case.township),
        "title": "限期复学通知书",
        "number": number,
        "addressee": f"{child.guardian_name}（{child.name}的{child.guardian_relation}）：",
        "sections": [{"heading": None, "paragraphs": paragraphs}],
        "signature_lines": [issuer_name(case.township), chinese_date(served_on)],
        "footer_note": "本通知书一式两份，一份送达监护人，一份存档。",
    }


@transaction.atomic
def decide_penalty(
    *,
    actor,
    case: DropoutCase,
    decided_on: datetime.date,
    facts_and_evidence: str,
    penalty: str,
    compliance: str,
    officers,
    served_to: str = "",
    service_method: str = "",
    service_place: str = "",
    served_by: str = "",
    penalty_kind: str | None = None,
    fine_amount=None,
) -> OfficialDocument:
    """行政处罚决定书: only after the notice's deadline has passed without a return and the
    procedure of 行政处罚法 Art. 44-45, 58 and 63-64 has run (the table's preconditions, on the
    day of the decision); never heavier than the prior notice proposed; holds what Art. 59
    requires. `penalty_kind`/`fine_amount` default to the proposed ones. With a service record
    it was served on the spot (当场送达); without one it awaits service (serve_decision)."""
    case = locked_case(case)
    CASE_TRANSITIONS.require(case, "decide_penalty", actor, on=decided_on)
    notice = current_document(case, D.RESUME_NOTICE)
    prior = current_prior_notice(case)
    penalty_kind = penalty_kind or prior.penalty_kind
    if penalty_kind not in PenaltyKind.values:
        raise DomainError(_("Choose the penalty."), field="penalty_kind")
    if fine_amount is None and penalty_kind == prior.penalty_kind:
        fine_amount = prior.fine_amount
    _check_not_heavier(prior, penalty_kind, fine_amount)
    officers = validate_officers(case, officers)
    for field, value in (
        ("facts_and_evidence", facts_and_evidence),
        ("penalty", penalty),
        ("compliance", compliance),
    ):
        if not value.strip():
            raise DomainError(_("This field is required."), field=field)
    served_now = any(value.strip() for value in (served_to, service_method, service_place))
    if served_now:
        served_by = serving_officers_text(officers, served_by)
        _validate_service(decided_on, served_to, service_method, served_by, service_place)
    else:
        served_by = ""
    texts = _legal_texts(case)
    document = _issue(
        case,
        actor=actor,
        kind=D.PENALTY_DECISION,
        issued_on=decided_on,
        deadline=None,
        content_builder=lambda number: (
            _penalty_content(
                case,
                number,
                decided_on,
                notice,
                facts_and_evidence,
                penalty,
                compliance,
                texts,
                prior,
            )
            | {"penalty_kind": penalty_kind, "fine_amount": str(fine_amount or "")}
        ),
        served_to=served_to,
        method=service_method,
        served_by=served_by,
        place=service_place,
        officers=officers,
        served=served_now,
    )
    previous = case.status
    case.status, case.last_action_on = C.PENALTY_DECIDED, decided_on
    saved_by(case, actor)
    event(case, actor=actor, action="penalty_decided", from_status=previous, note=document.number)
    return document


def _check_not_heavier(prior, penalty_kind, fine_amount) -> None:
    """Art. 45: the guardian's defence never makes the penalty heavier — the decision is at most
    what the prior notice proposed (a heavier one needs a new prior notice)."""
    if fine_amount is not None and penalty_kind != PenaltyKind.FINE:
        raise DomainError(_("Only a fine has an amount."), field="fine_amount")
    if penalty_kind == PenaltyKind.FINE and (fine_amount is None or fine_amount <= 0):
        raise DomainError(_("Give the amount of the fine."), field="fine_amount")
    heavier = PENALTY_SEVERITY[penalty_kind] > PENALTY_SEVERITY[prior.penalty_kind] or (
        penalty_kind == prior.penalty_kind == PenaltyKind.FINE and fine_amount > prior.fine_amount
    )
    if heavier:
        raise TransitionRefused(
            _(
                "The decision may not be heavier than the penalty of the prior notice "
                "(%(proposed)s)."
            )
            % {"proposed": prior.proposed_penalty}
        )


def _procedure_paragraph(prior) -> str:
    """How the guardian was heard, as the decision states it."""
    from ..models import GuardianReply

    document = prior.document
    text = (
        f"{chinese_date(prior.served_on)}，本机关向当事人送达《行政处罚事先告知书》"
        f"（{document.number}），告知其拟作出的行政处罚及陈述、申辩"
        f"{'、要求听证' if prior.hearing_right else ''}的权利。"
    )
    replies = list(prior.replies.order_by("received_on", "pk"))
    kinds = {reply.kind for reply in replies}
    if GuardianReply.Kind.STATEMENT in kinds:
        text += "当事人提出了陈述、申辩，本机关已进行复核。"
    if GuardianReply.Kind.WAIVER in kinds:
        text += "当事人书面放弃陈述、申辩。"
    hearing = prior.hearings.order_by("-held_on", "-pk").first()
    if hearing:
        text += f"本机关于{chinese_date(hearing.held_on)}依法举行了听证。"
    if not replies:
        text += "当事人在规定期限内未提出陈述、申辩。"
    return text


def _penalty_content(
    case, number, decided_on, notice, facts, penalty, compliance, texts, prior
) -> dict:
    child, household = case.child, case.child.household
    issuer = issuer_name(case.township)
    return {
        "issuer_name": issuer,
        "title": "行政处罚决定书",
        "number": number,
        "addressee": None,
        "sections": [
            {
                "heading": None,
                "paragraphs": [
                    f"当事人：{child.guardian_name}，系{child.name}的{child.guardian_relation}"
                    f"（法定监护人），住址：{household.address}。"
                ],
            },
            {
                "heading": "一、违法事实和证据",
                "paragraphs": [
                    f"当事人的被监护人{_child_description(case)}系义务教育适龄儿童少年，自"
                    f"{chinese_date(case.opened_on)}起辍学。{issuer}于{_persuasion_summary(case)}"
                    f"入户动员劝返，并于{chinese_date(notice.issued_on)}向当事人送达《限期复学通知书》"
                    f"（{notice.number}），责令其于{chinese_date(notice.deadline)}前送子女复学。"
                    f"当事人逾期仍未送其复学。",
                    facts.strip(),
                    _procedure_paragraph(prior),
                ],
            },
            {
                "heading": "二、处罚依据和处罚内容",
                "paragraphs": [
                    f"当事人的行为违反了保证适龄儿童少年接受义务教育的法定义务。依据"
                    f"{texts.penalty_legal_basis}，决定对当事人作出如下行政处罚：{penalty.strip()}"
                ],
            },
            {"heading": "三、履行方式和期限", "paragraphs": [compliance.strip()]},
            {
                "heading": "四、申请行政复议或者提起行政诉讼的途径和期限",
                "paragraphs": [
                    f"如不服本处罚决定，可以在收到本决定书之日起六十日内向{texts.review_authority}"
                    f"申请行政复议，或者在六个月内依法向{texts.court}提起行政诉讼。"
                ],
            },
        ],
        "signature_lines": [issuer, chinese_date(decided_on)],
        "footer_note": "本决定书一式三份，一份送达当事人，一份存档，一份报县教育局备案。",
    }


@transaction.atomic
def correct_document(
    *, actor, document: OfficialDocument, reason: str, facts: str = ""
) -> OfficialDocument:
    """An issued document is never edited: a correction is a new document (new number, same
    service record) that voids the old one."""
    require_role(actor, document.case, CASE_ROLES)
    old = OfficialDocument.objects.select_for_update().get(pk=document.pk)
    if old.voided_by_id:
        raise TransitionRefused(_("This document has already been corrected."))
    if not reason.strip():
        raise DomainError(_("Give the reason for the correction."), field="reason")
    case = locked_case(old.case)
    if old.kind == D.RESUME_NOTICE:
        texts = _legal_texts(case)
        builder = lambda number: _notice_content(  # noqa: E731
            case, number, old.issued_on, old.deadline, facts, texts
        )
    else:
        content = old.content

        def builder(number):
            return {**content, "number": number}

    new = _issue(
        case,
        actor=actor,
        kind=old.kind,
        issued_on=today(),
        deadline=old.deadline,
        content_builder=builder,
        served_to=old.served_to,
        method=old.service_method,
        served_by=old.served_by,
        place=old.service_place,
        served=old.served_on is not None,
    )
    new.officers.set(old.officers.all())
    old.voided_by, old.void_reason = new, reason.strip()
    old.save(update_fields=["voided_by", "void_reason"])
    # The prior notice's procedure (replies, hearing, review) carries over to its correction.
    PriorNotice.objects.filter(document=old).update(document=new)
    event(
        case,
        actor=actor,
        action="document_corrected",
        from_status=case.status,
        note=f"{old.number} → {new.number}：{reason.strip()}",
    )
    return new
