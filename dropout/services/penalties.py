"""The procedure before a penalty decision (行政处罚法): the prior notice (Art. 44), the
guardian's statement and defence and the organ's review of it (Art. 45), the hearing
(Art. 63-64) and the legal review (Art. 58). Every step keeps the case in "notice issued"; the
decision (services/documents.py) is refused until the procedure has run (dropout/transitions.py).
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.services import check_upload, not_future, required_text, saved_by

from ..models import (
    DropoutCase,
    GuardianReply,
    LegalReview,
    OfficialDocument,
    PenaltyHearing,
    PenaltyKind,
    PriorNotice,
)
from ..transitions import CASE_TRANSITIONS, current_prior_notice
from .cases import event, locked_case
from .documents import (
    CAUSE_TEXT,
    SERVICE_METHOD_TEXT,
    _child_description,
    _issue,
    _legal_texts,
    _persuasion_summary,
    _validate_service,
    chinese_date,
    current_document,
    issuer_name,
    service_rows,
)
from .officers import officers_text, serving_officers_text, validate_officers

D = OfficialDocument.Kind


def _touch(case, actor, day, action, note=""):
    case.last_action_on = max(case.last_action_on, day)
    saved_by(case, actor)
    event(case, actor=actor, action=action, from_status=case.status, note=note)


def _fine(penalty_kind, fine_amount) -> Decimal | None:
    if penalty_kind not in PenaltyKind.values:
        raise DomainError(_("Choose the penalty."), field="penalty_kind")
    if penalty_kind != PenaltyKind.FINE:
        if fine_amount is not None:
            raise DomainError(_("Only a fine has an amount."), field="fine_amount")
        return None
    if fine_amount is None or fine_amount <= 0:
        raise DomainError(_("Give the amount of the fine."), field="fine_amount")
    return Decimal(fine_amount)


@transaction.atomic
def issue_prior_notice(
    *,
    actor,
    case: DropoutCase,
    served_on: datetime.date,
    penalty_kind: str,
    proposed_penalty: str,
    served_to: str,
    service_method: str,
    service_place: str,
    officers,
    fine_amount: Decimal | None = None,
    facts: str = "",
) -> PriorNotice:
    """行政处罚事先告知书: the proposed penalty, its facts, reasons and basis, and the rights to
    state a case, defend and — for a fine from the county's threshold — ask for a hearing. A
    second one supersedes the first (a heavier penalty than first proposed needs one)."""
    case = locked_case(case)
    CASE_TRANSITIONS.require(case, "issue_prior_notice", actor, on=served_on)
    fine_amount = _fine(penalty_kind, fine_amount)
    proposed_penalty = required_text(
        proposed_penalty, "proposed_penalty", _("Describe the proposed penalty.")
    )
    officers = validate_officers(case, officers)
    served_by = officers_text(officers)
    _validate_service(served_on, served_to, service_method, served_by, service_place)
    texts = _legal_texts(case)
    hearing_right = fine_amount is not None and fine_amount >= texts.hearing_fine_threshold
    days = settings.PENALTY_HEARING_REQUEST_DAYS if hearing_right else settings.PENALTY_REPLY_DAYS
    reply_until = served_on + datetime.timedelta(days=days)
    notice = current_document(case, D.RESUME_NOTICE)
    document = _issue(
        case,
        actor=actor,
        kind=D.PRIOR_NOTICE,
        issued_on=served_on,
        deadline=reply_until,
        content_builder=lambda number: _prior_notice_content(
            case,
            number,
            served_on=served_on,
            notice=notice,
            facts=facts,
            proposed_penalty=proposed_penalty,
            texts=texts,
            days=days,
            reply_until=reply_until,
            hearing_right=hearing_right,
            officers=served_by,
        ),
        served_to=served_to,
        method=service_method,
        served_by=served_by,
        place=service_place,
        officers=officers,
    )
    prior = PriorNotice.objects.create(
        case=case,
        document=document,
        penalty_kind=penalty_kind,
        fine_amount=fine_amount,
        proposed_penalty=proposed_penalty,
        served_on=served_on,
        reply_until=reply_until,
        hearing_right=hearing_right,
        legal_review_required=penalty_kind in (texts.legal_review_kinds or []),
    )
    _touch(
        case,
        actor,
        served_on,
        "prior_notice",
        f"{document.number}，陈述申辩期至{reply_until.isoformat()}",
    )
    return prior


def _prior_notice_content(
    case,
    number,
    *,
    served_on,
    notice,
    facts,
    proposed_penalty,
    texts,
    days,
    reply_until,
    hearing_right,
    officers,
) -> dict:
    child, household = case.child, case.child.household
    issuer = issuer_name(case.township)
    paragraphs = [
        f"经查，你的被监护人{_child_description(case)}，现住{household.address}，系义务教育"
        f"适龄儿童少年，自{chinese_date(case.opened_on)}起辍学（原因：{CAUSE_TEXT[case.cause]}）。"
        f"本机关于{_persuasion_summary(case)}入户动员劝返，并于{chinese_date(notice.issued_on)}"
        f"向你送达《限期复学通知书》（{notice.number}），责令你于{chinese_date(notice.deadline)}"
        f"前送其复学，你逾期仍未送其复学。",
    ]
    if facts.strip():
        paragraphs.append(facts.strip())
    paragraphs.append(
        f"你的上述行为违反了保证适龄儿童少年接受义务教育的法定义务。依据"
        f"{texts.penalty_legal_basis}，本机关拟对你作出如下行政处罚：{proposed_penalty}"
    )
    rights = [
        f"根据《中华人民共和国行政处罚法》第四十四条、第四十五条的规定，你有权进行陈述和申辩。"
        f"如需陈述、申辩，请于收到本告知书之日起{days}日内（{chinese_date(reply_until)}前）"
        f"向本机关提出；逾期未提出的，视为放弃此权利。"
    ]
    if hearing_right:
        rights.append(
            f"根据《中华人民共和国行政处罚法》第六十三条、第六十四条的规定，你有权要求举行听证。"
            f"如要求听证，请于收到本告知书之日起{days}日内（{chinese_date(reply_until)}前）"
            f"向本机关提出；逾期未提出的，视为放弃听证权利。"
        )
    return {
        "issuer_name": issuer,
        "title": "行政处罚事先告知书",
        "number": number,
        "addressee": f"{child.guardian_name}（{child.name}的{child.guardian_relation}）：",
        "sections": [
            {"heading": "一、违法事实、理由和依据", "paragraphs": paragraphs},
            {"heading": "二、当事人的权利", "paragraphs": rights},
            {"heading": None, "paragraphs": [f"执法人员：{officers}"]},
        ],
        "signature_lines": [issuer, chinese_date(served_on)],
        "footer_note": "本告知书一式两份，一份送达当事人，一份存档。",
    }


def _prior(case) -> PriorNotice:
    return current_prior_notice(case)


def _received_on(prior, received_on, field="received_on"):
    not_future(received_on, field)
    if received_on < prior.served_on:
        raise DomainError(_("The date is before the prior notice was served."), field=field)


@transaction.atomic
def record_reply(
    *,
    actor,
    case: DropoutCase,
    kind: str,
    received_on: datetime.date,
    text: str = "",
    attachment=None,
) -> GuardianReply:
    """The guardian's statement and defence (what was said, when, who took it, attachments)
    or written waiver."""
    case = locked_case(case)
    CASE_TRANSITIONS.require(case, "record_reply", actor, on=received_on)
    if kind not in (GuardianReply.Kind.STATEMENT, GuardianReply.Kind.WAIVER):
        raise DomainError(_("Choose a statement or a waiver."), field="kind")
    prior = _prior(case)
    _received_on(prior, received_on)
    if kind == GuardianReply.Kind.STATEMENT:
        text = required_text(text, "text", _("Write down what the guardian said."))
    reply = GuardianReply.objects.create(
        prior_notice=prior,
        kind=kind,
        received_on=received_on,
        text=text.strip(),
        taken_by=actor,
        attachment=check_upload(attachment, "attachment") or "",
    )
    _touch(case, actor, received_on, "reply", reply.get_kind_display())
    return reply


@transaction.atomic
def review_reply(
    *,
    actor,
    case: DropoutCase,
    reply: GuardianReply,
    review: str,
    outcome: str,
    reviewed_on: datetime.date,
) -> GuardianReply:
    """Art. 45: the organ reviews the facts, reasons and evidence the guardian put forward."""
    case = locked_case(case)
    CASE_TRANSITIONS.require(case, "review_reply", actor, on=reviewed_on)
    reply = (
        GuardianReply.objects.select_for_update()
        .filter(prior_notice=_prior(case), kind=GuardianReply.Kind.STATEMENT, pk=reply.pk)
        .first()
    )
    if reply is None:
        raise DomainError(_("Choose a statement of this prior notice."), field="reply")
    if outcome not in GuardianReply.Outcome.values:
        raise DomainError(_("Choose the outcome of the review."), field="outcome")
    _received_on(reply.prior_notice, reviewed_on, "reviewed_on")
    reply.review = required_text(review, "review", _("Write down the review."))
    reply.review_outcome, reply.reviewed_on, reply.reviewed_by = outcome, reviewed_on, actor
    reply.save()
    _touch(case, actor, reviewed_on, "reply_reviewed", reply.get_review_outcome_display())
    return reply


@transaction.atomic
def request_hearing(
    *, actor, case: DropoutCase, received_on: datetime.date, text: str = ""
) -> GuardianReply:
    """Art. 64: a request for a hearing within the period of the prior notice."""
    case = locked_case(case)
    CASE_TRANSITIONS.require(case, "request_hearing", actor, on=received_on)
    prior = _prior(case)
    _received_on(prior, received_on)
    reply = GuardianReply.objects.create(
        prior_notice=prior,
        kind=GuardianReply.Kind.HEARING_REQUEST,
        received_on=received_on,
        text=text.strip(),
        taken_by=actor,
    )
    _touch(case, actor, received_on, "hearing_requested")
    return reply


@transaction.atomic
def hold_hearing(
    *,
    actor,
    case: DropoutCase,
    held_on: datetime.date,
    place: str,
    presiding_officer,
    participants: str,
    transcript,
    summary: str = "",
) -> PenaltyHearing:
    """听证笔录: presided over by an official who did not investigate the case (Art. 64 (4)):
    not one of the officers who served the prior notice."""
    case = locked_case(case)
    CASE_TRANSITIONS.require(case, "hold_hearing", actor, on=held_on)
    prior = _prior(case)
    _received_on(prior, held_on, "held_on")
    if presiding_officer is None:
        raise DomainError(_("Choose the presiding officer."), field="presiding_officer")
    if prior.document.officers.filter(pk=presiding_officer.pk).exists():
        raise DomainError(
            _("The presiding officer may not be one of the officers who investigated the case."),
            field="presiding_officer",
        )
    if not transcript:
        raise DomainError(_("Upload the transcript of the hearing."), field="transcript")
    hearing = PenaltyHearing.objects.create(
        prior_notice=prior,
        held_on=held_on,
        place=required_text(place, "place", _("Give the place of the hearing.")),
        presiding_officer=presiding_officer,
        participants=required_text(participants, "participants", _("Name the participants.")),
        transcript=check_upload(transcript, "transcript"),
        summary=summary.strip(),
        recorded_by=actor,
    )
    _touch(case, actor, held_on, "hearing_held", f"{held_on.isoformat()} {hearing.place}")
    return hearing


@transaction.atomic
def give_legal_review(
    *,
    actor,
    case: DropoutCase,
    reviewed_on: datetime.date,
    opinion: str,
    approved: bool,
) -> LegalReview:
    """法制审核 (Art. 58): the reviewer's opinion; the latest one decides."""
    case = locked_case(case)
    CASE_TRANSITIONS.require(case, "legal_review", actor, on=reviewed_on)
    prior = _prior(case)
    _received_on(prior, reviewed_on, "reviewed_on")
    review = LegalReview.objects.create(
        prior_notice=prior,
        reviewer=actor,
        reviewed_on=reviewed_on,
        opinion=required_text(opinion, "opinion", _("Write down the opinion.")),
        approved=bool(approved),
    )
    _touch(case, actor, reviewed_on, "legal_review", "同意" if approved else "不同意")
    return review


@transaction.atomic
def serve_decision(
    *,
    actor,
    case: DropoutCase,
    served_on: datetime.date,
    served_to: str,
    service_method: str,
    service_place: str,
    officers,
    served_by: str = "",
) -> OfficialDocument:
    """送达 of a penalty decision not served on the spot (Art. 61: within
    DECISION_SERVICE_DAYS). A later service is still recorded — the decision must reach the
    guardian — and stays marked late on the case and in the ledger."""
    case = locked_case(case)
    CASE_TRANSITIONS.require(case, "serve_decision", actor, on=served_on)
    decision = OfficialDocument.objects.select_for_update().get(
        pk=current_document(case, D.PENALTY_DECISION).pk
    )
    if served_on < decision.issued_on:
        raise DomainError(
            _("A decision cannot be served before it was made (%(date)s).")
            % {"date": decision.issued_on.isoformat()},
            field="served_on",
        )
    officers = validate_officers(case, officers)
    served_by = serving_officers_text(officers, served_by)
    _validate_service(served_on, served_to, service_method, served_by, service_place)
    decision.served_on = served_on
    decision.served_to = served_to.strip()
    decision.service_method = service_method
    decision.served_by = served_by
    decision.service_place = service_place.strip()
    decision.content["service_record"]["rows"] = service_rows(
        decision.content["title"],
        decision.number,
        served_to=decision.served_to,
        served_on=served_on,
        place=decision.service_place,
        method_label=SERVICE_METHOD_TEXT[service_method],
        served_by=served_by,
    )
    decision.save(
        update_fields=[
            "served_on",
            "served_to",
            "service_method",
            "served_by",
            "service_place",
            "content",
        ]
    )
    decision.officers.add(*officers)
    note = f"{decision.number}，{served_on.isoformat()}"
    if decision.served_late:
        note += _("; served after the %(days)d-day limit (due %(date)s)") % {
            "days": settings.DECISION_SERVICE_DAYS,
            "date": decision.service_due_on.isoformat(),
        }
    _touch(case, actor, served_on, "decision_served", note)
    return decision
