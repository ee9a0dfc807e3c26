"""The administrative penalty procedure before a decision (行政处罚法 Art. 42-45, 58, 62-64): the
prior notice, being heard, the hearing, two officers, the legal review — every step allowed and
refused, the numbering of the prior notice, its PDF, and the API's answers."""

import datetime
import subprocess
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import DomainError, TransitionRefused
from dropout.models import (
    CaseEvent,
    DropoutCase,
    EnforcementCredential,
    GuardianReply,
    OfficialDocument,
)
from dropout.services import documents, penalties
from dropout.transitions import CASE_TRANSITIONS

from ..conftest import api_for, client_for
from .conftest import days_ago, pdf_upload, persuade

C = DropoutCase.Status
SERVED = {"served_to": "张大山", "service_method": "in_person", "service_place": "一组1号"}


@pytest.fixture
def noticed(world, case):
    """Two persuasions, a notice to resume schooling served 20 days ago (deadline passed)."""
    persuade(world, case)
    documents.issue_resume_notice(
        actor=world.township1_user, case=case, served_on=days_ago(20), served_by="王五", **SERVED
    )
    case.refresh_from_db()
    return case


def officers(world):
    return [world.township1_user, world.admin]


def prior_notice(world, case, *, served_on=None, kind="warning", fine=None, actor=None):
    return penalties.issue_prior_notice(
        actor=actor or world.township1_user,
        case=case,
        served_on=served_on or days_ago(12),
        penalty_kind=kind,
        fine_amount=fine,
        proposed_penalty="警告" if kind == "warning" else f"罚款{fine}元",
        officers=officers(world),
        **SERVED,
    )


def decide(world, case, *, decided_on=None, kind=None, fine=None, who=None):
    return documents.decide_penalty(
        actor=world.township1_user,
        case=case,
        decided_on=decided_on or days_ago(5),
        facts_and_evidence="入户记录三份",
        penalty="警告",
        compliance="收到本决定书之日起七日内送子女复学",
        officers=who if who is not None else officers(world),
        penalty_kind=kind,
        fine_amount=fine,
        **SERVED,
    )


def can(world, case, action, user=None, on=None):
    case.refresh_from_db()
    return CASE_TRANSITIONS.can(case, action, user or world.township1_user, on=on)


# --- the prior notice ------------------------------------------------------------------------


def test_prior_notice_is_numbered_in_its_own_series_and_sets_the_reply_window(world, noticed):
    prior = prior_notice(world, noticed, served_on=days_ago(12))
    document = prior.document
    year = days_ago(12).year
    assert document.kind == OfficialDocument.Kind.PRIOR_NOTICE
    assert document.number == f"{world.township1.name}教罚告字〔{year}〕1号"
    assert prior.reply_until == days_ago(9) and not prior.hearing_right
    assert set(document.officers.all()) == set(officers(world))
    noticed.refresh_from_db()
    assert noticed.status == C.NOTICE_ISSUED
    assert CaseEvent.objects.filter(case=noticed, action="prior_notice").exists()
    # A second one (superseding) takes the next number of the same series, gapless.
    again = prior_notice(world, noticed, served_on=days_ago(11))
    assert again.document.number == f"{world.township1.name}教罚告字〔{year}〕2号"
    # The decision series is untouched by them.
    decision = decide(world, noticed, decided_on=days_ago(5))
    assert decision.number == f"{world.township1.name}教罚字〔{year}〕1号"


def test_prior_notice_before_the_resume_deadline_is_refused(world, case):
    persuade(world, case)
    notice = documents.issue_resume_notice(
        actor=world.township1_user, case=case, served_on=days_ago(3), served_by="王五", **SERVED
    )
    with pytest.raises(TransitionRefused, match=notice.deadline.isoformat()):
        prior_notice(world, case, served_on=days_ago(0))


@pytest.mark.parametrize("state", [C.REPORTED, C.PERSUADING, C.PENALTY_DECIDED, C.CLOSED])
def test_prior_notice_is_refused_in_other_states(world, noticed, state):
    DropoutCase.objects.filter(pk=noticed.pk).update(status=state)
    with pytest.raises(TransitionRefused):
        prior_notice(world, noticed)


@pytest.mark.parametrize("user_name", ["auditor", "village1_user", "school1_user", "bureau"])
def test_prior_notice_needs_the_case_role(world, noticed, user_name):
    with pytest.raises(PermissionDenied):
        prior_notice(world, noticed, actor=getattr(world, user_name))


def test_a_fine_from_the_threshold_gives_a_hearing_and_five_days(world, noticed, legal_texts):
    legal_texts.hearing_fine_threshold = Decimal("500")
    legal_texts.save()
    small = prior_notice(world, noticed, kind="fine", fine=Decimal("200"), served_on=days_ago(12))
    assert not small.hearing_right and small.reply_until == days_ago(9)
    assert small.legal_review_required  # the default: a fine needs legal review
    large = prior_notice(world, noticed, kind="fine", fine=Decimal("500"), served_on=days_ago(12))
    assert large.hearing_right and large.reply_until == days_ago(7)


@pytest.mark.parametrize(
    "kind, fine, field",
    [
        ("fine", None, "fine_amount"),
        ("warning", Decimal("10"), "fine_amount"),
        ("x", None, "penalty_kind"),
    ],
)
def test_prior_notice_refuses_an_inconsistent_penalty(world, noticed, kind, fine, field):
    with pytest.raises(DomainError) as error:
        prior_notice(world, noticed, kind=kind, fine=fine)
    assert error.value.field == field


# --- two officers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "names",
    [
        ["township1_user"],
        ["township1_user", "township1_user"],
        ["township1_user", "bureau"],
        ["township1_user", "township2_user"],
        ["township1_user", "auditor"],
    ],
)
def test_two_distinct_officers_holding_the_enforcement_role(world, noticed, names):
    with pytest.raises(DomainError) as error:
        penalties.issue_prior_notice(
            actor=world.township1_user,
            case=noticed,
            served_on=days_ago(12),
            penalty_kind="warning",
            proposed_penalty="警告",
            officers=[getattr(world, name) for name in names],
            **SERVED,
        )
    assert error.value.field == "officers"
    assert not OfficialDocument.objects.filter(kind="prior_notice").exists()


def test_credential_numbers_are_printed_beside_the_officers(world, noticed):
    EnforcementCredential.objects.create(user=world.township1_user, number="51010020260001")
    prior = prior_notice(world, noticed)
    rows = dict(prior.document.content["service_record"]["rows"])
    assert "（执法证号：51010020260001）" in rows["送达人"]
    body = "".join(p for s in prior.document.content["sections"] for p in s["paragraphs"])
    assert "执法证号：51010020260001" in body


def test_the_decision_needs_two_officers_too(world, noticed):
    prior_notice(world, noticed)
    with pytest.raises(DomainError) as error:
        decide(world, noticed, who=[world.township1_user])
    assert error.value.field == "officers"


# --- the decision waits for the procedure ----------------------------------------------------


def test_decision_without_a_prior_notice_is_refused(world, noticed):
    answer = can(world, noticed, "decide_penalty")
    assert not answer and answer.explains and answer.reason == "还需送达事先告知书"
    with pytest.raises(TransitionRefused, match="还需送达事先告知书"):
        decide(world, noticed)


def test_decision_before_the_reply_window_ends_is_refused(world, noticed):
    prior = prior_notice(world, noticed, served_on=days_ago(2))
    until = prior.reply_until.isoformat()
    expected = f"事先告知书送达后3日陈述申辩期满前不得作出处罚决定（{until} 后可作出）"
    answer = can(world, noticed, "decide_penalty")
    assert not answer and answer.explains and answer.reason == expected
    with pytest.raises(TransitionRefused, match=expected):
        decide(world, noticed, decided_on=days_ago(0))
    on_last_day = prior.reply_until
    assert not can(world, noticed, "decide_penalty", on=on_last_day)
    assert can(world, noticed, "decide_penalty", on=on_last_day + datetime.timedelta(days=1))


def test_a_written_waiver_allows_the_decision_at_once(world, noticed):
    prior_notice(world, noticed, served_on=days_ago(1))
    penalties.record_reply(
        actor=world.township1_user, case=noticed, kind="waiver", received_on=days_ago(1)
    )
    decision = decide(world, noticed, decided_on=days_ago(0))
    noticed.refresh_from_db()
    assert noticed.status == C.PENALTY_DECIDED
    text = "".join(p for s in decision.content["sections"] for p in s["paragraphs"])
    assert "当事人书面放弃陈述、申辩" in text and "行政处罚事先告知书" in text


def test_a_statement_must_be_reviewed_before_the_decision(world, noticed):
    prior_notice(world, noticed, served_on=days_ago(2))
    assert not can(world, noticed, "review_reply")
    reply = penalties.record_reply(
        actor=world.village1_user if False else world.township1_user,
        case=noticed,
        kind="statement",
        received_on=days_ago(1),
        text="家中困难，孩子需照顾老人",
        attachment=pdf_upload("申辩书.pdf"),
    )
    assert reply.taken_by == world.township1_user and reply.attachment
    answer = can(world, noticed, "decide_penalty")
    assert not answer and answer.reason == "须先对当事人的陈述、申辩进行复核"
    with pytest.raises(TransitionRefused):
        decide(world, noticed, decided_on=days_ago(0))
    penalties.review_reply(
        actor=world.township1_user,
        case=noticed,
        reply=reply,
        review="所述困难可通过资助解决，不构成不送子女入学的正当理由",
        outcome="rejected",
        reviewed_on=days_ago(0),
    )
    # Replied and reviewed: no need to wait for the window (no hearing right).
    decide(world, noticed, decided_on=days_ago(0))


def test_a_statement_needs_its_text_and_a_date_after_service(world, noticed):
    prior_notice(world, noticed, served_on=days_ago(2))
    with pytest.raises(DomainError) as error:
        penalties.record_reply(
            actor=world.township1_user, case=noticed, kind="statement", received_on=days_ago(1)
        )
    assert error.value.field == "text"
    with pytest.raises(DomainError) as error:
        penalties.record_reply(
            actor=world.township1_user,
            case=noticed,
            kind="waiver",
            received_on=days_ago(5),
        )
    assert error.value.field == "received_on"


def test_replies_are_refused_before_a_prior_notice(world, noticed):
    with pytest.raises(TransitionRefused, match="还需送达事先告知书"):
        penalties.record_reply(
            actor=world.township1_user, case=noticed, kind="waiver", received_on=days_ago(0)
        )


def test_the_decision_may_not_be_heavier_than_notified(world, noticed):
    prior_notice(world, noticed, kind="fine", fine=Decimal("200"), served_on=days_ago(12))
    penalties.give_legal_review(
        actor=world.bureau, case=noticed, reviewed_on=days_ago(8), opinion="事实清楚", approved=True
    )
    with pytest.raises(TransitionRefused, match="不得重于"):
        decide(world, noticed, kind="fine", fine=Decimal("300"))
    noticed.refresh_from_db()
    assert noticed.status == C.NOTICE_ISSUED
    lighter = decide(world, noticed, kind="warning")
    assert lighter.content["penalty_kind"] == "warning"


def test_a_fine_is_heavier_than_a_notified_warning(world, noticed):
    prior_notice(world, noticed)
    with pytest.raises(TransitionRefused, match="不得重于"):
        decide(world, noticed, kind="fine", fine=Decimal("50"))


# --- the hearing -----------------------------------------------------------------------------


@pytest.fixture
def hearing_case(world, noticed, legal_texts):
    legal_texts.legal_review_kinds = []
    legal_texts.save()
    prior_notice(world, noticed, kind="fine", fine=Decimal("2000"), served_on=days_ago(6))
    return noticed


def _hold(world, case, presiding=None, **extra):
    return penalties.hold_hearing(
        actor=world.township1_user,
        case=case,
        held_on=extra.pop("held_on", days_ago(0)),
        place="镇政府会议室",
        presiding_officer=presiding or world.bureau,
        participants="当事人张大山；执法人员；记录员",
        transcript=extra.pop("transcript", pdf_upload("听证笔录.pdf")),
        **extra,
    )


def test_hearing_requested_in_time_then_held_before_the_decision(world, hearing_case):
    case = hearing_case
    assert not can(world, case, "hold_hearing")
    penalties.request_hearing(actor=world.township1_user, case=case, received_on=days_ago(4))
    answer = can(world, case, "decide_penalty")
    assert not answer and answer.reason == "当事人已申请听证，须先举行听证"
    with pytest.raises(TransitionRefused):
        decide(world, case, decided_on=days_ago(0), kind="fine", fine=Decimal("2000"))
    _hold(world, case)
    # A hearing was held: Art. 58 (2) — legal review is needed now.
    answer = can(world, case, "decide_penalty")
    assert not answer and "法制审核" in answer.reason
    assert not can(world, case, "legal_review")  # the township cannot review its own penalty
    penalties.give_legal_review(
        actor=world.bureau, case=case, reviewed_on=days_ago(0), opinion="程序合法", approved=True
    )
    decision = decide(world, case, decided_on=days_ago(0))
    text = "".join(p for s in decision.content["sections"] for p in s["paragraphs"])
    assert "依法举行了听证" in text


def test_hearing_request_after_the_window_is_refused(world, hearing_case):
    answer = can(world, hearing_case, "request_hearing", on=days_ago(0))
    assert not answer and answer.explains and days_ago(1).isoformat() in answer.reason
    with pytest.raises(TransitionRefused):
        penalties.request_hearing(
            actor=world.township1_user, case=hearing_case, received_on=days_ago(0)
        )


def test_no_hearing_for_a_warning(world, noticed):
    prior_notice(world, noticed, served_on=days_ago(1))
    with pytest.raises(TransitionRefused, match="不适用听证"):
        penalties.request_hearing(actor=world.township1_user, case=noticed, received_on=days_ago(0))


def test_the_presiding_officer_did_not_investigate_and_a_transcript_is_kept(world, hearing_case):
    penalties.request_hearing(
        actor=world.township1_user, case=hearing_case, received_on=days_ago(4)
    )
    with pytest.raises(DomainError) as error:
        _hold(world, hearing_case, presiding=world.township1_user)
    assert error.value.field == "presiding_officer"
    with pytest.raises(DomainError) as error:
        _hold(world, hearing_case, transcript=None)
    assert error.value.field == "transcript"


# --- legal review ----------------------------------------------------------------------------


def test_legal_review_required_for_the_marked_kind_and_must_approve(world, noticed):
    prior_notice(world, noticed, kind="fine", fine=Decimal("100"), served_on=days_ago(12))
    answer = can(world, noticed, "decide_penalty")
    assert not answer and answer.reason == "该处罚须先经法制审核"
    penalties.give_legal_review(
        actor=world.bureau,
        case=noticed,
        reviewed_on=days_ago(8),
        opinion="证据不足",
        approved=False,
    )
    assert can(world, noticed, "decide_penalty").reason == "法制审核意见为不同意，不得作出处罚决定"
    penalties.give_legal_review(
        actor=world.admin,
        case=noticed,
        reviewed_on=days_ago(7),
        opinion="已补充证据",
        approved=True,
    )
    decide(world, noticed)


def test_legal_review_not_needed_is_refused_and_roles_are_the_bureaus(world, noticed):
    prior_notice(world, noticed)
    answer = can(world, noticed, "legal_review", user=world.bureau)
    assert not answer and answer.status == 409
    assert can(world, noticed, "legal_review", user=world.township1_user).status == 403
    assert can(world, noticed, "legal_review", user=world.auditor).status == 403


# --- PDF -------------------------------------------------------------------------------------


def test_the_prior_notice_pdf_embeds_its_font_and_reads_back(world, noticed, tmp_path):
    prior = prior_notice(world, noticed, kind="fine", fine=Decimal("2000"))
    response = client_for(world.township1_user).get(f"/dropout/documents/{prior.document.pk}/pdf/")
    assert response.status_code == 200
    path = tmp_path / "prior.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    flat = "".join(text.split())
    for expected in (
        "行政处罚事先告知书",
        prior.document.number,
        "陈述和申辩",
        "要求举行听证",
        "罚款2000",
    ):
        assert expected in flat, expected
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert all(" yes " in line for line in fonts.splitlines()[2:])


# --- the case page ---------------------------------------------------------------------------


def test_the_case_page_offers_and_explains_the_procedure(world, noticed):
    page = client_for(world.township1_user).get(f"/dropout/cases/{noticed.pk}/").content.decode()
    assert 'id="action-prior-notice"' in page
    assert 'id="action-penalty-disabled"' in page and "还需送达事先告知书" in page
    prior_notice(world, noticed, served_on=days_ago(1))
    page = client_for(world.township1_user).get(f"/dropout/cases/{noticed.pk}/").content.decode()
    assert "陈述申辩期满前不得作出处罚决定" in page and 'id="action-reply"' in page
    assert 'id="penalty-procedure"' in page


def test_the_pages_walk_the_procedure(world, noticed):
    client = client_for(world.township1_user)
    response = client.post(
        f"/dropout/cases/{noticed.pk}/prior-notice/",
        {
            "served_on": days_ago(2).isoformat(),
            "penalty_kind": "warning",
            "proposed_penalty": "警告",
            "officers": [world.township1_user.pk, world.admin.pk],
            **SERVED,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    response = client.post(
        f"/dropout/cases/{noticed.pk}/reply/",
        {"kind": "statement", "received_on": days_ago(1).isoformat(), "text": "不服"},
    )
    assert response.status_code == 302
    reply = GuardianReply.objects.get()
    response = client.post(
        f"/dropout/cases/{noticed.pk}/reply-review/",
        {
            "reply": reply.pk,
            "review": "不成立",
            "outcome": "rejected",
            "reviewed_on": days_ago(0).isoformat(),
        },
    )
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.review_outcome == "rejected"
    # The decision form: refused on the form when heavier than notified.
    form = {
        "decided_on": days_ago(0).isoformat(),
        "facts_and_evidence": "记录",
        "penalty_kind": "fine",
        "fine_amount": "100",
        "penalty": "罚款100元",
        "compliance": "七日内",
        "officers": [world.township1_user.pk, world.admin.pk],
        **SERVED,
    }
    refused = client.post(f"/dropout/cases/{noticed.pk}/penalty/", form)
    assert refused.status_code == 200 and "不得重于" in refused.content.decode()
    done = client.post(
        f"/dropout/cases/{noticed.pk}/penalty/",
        form | {"penalty_kind": "warning", "fine_amount": "", "penalty": "警告"},
    )
    assert done.status_code == 302
    noticed.refresh_from_db()
    assert noticed.status == C.PENALTY_DECIDED


def test_hearing_and_review_pages(world, hearing_case, legal_texts):
    client = client_for(world.township1_user)
    assert (
        client.post(
            f"/dropout/cases/{hearing_case.pk}/hearing-request/",
            {"received_on": days_ago(4).isoformat(), "text": "申请听证"},
        ).status_code
        == 302
    )
    response = client.post(
        f"/dropout/cases/{hearing_case.pk}/hearing/",
        {
            "held_on": days_ago(0).isoformat(),
            "place": "镇政府",
            "presiding_officer": world.bureau.pk,
            "participants": "当事人",
            "transcript": pdf_upload("笔录.pdf"),
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    assert (
        client_for(world.township1_user)
        .get(f"/dropout/cases/{hearing_case.pk}/legal-review/")
        .status_code
        == 403
    )
    reviewed = client_for(world.bureau).post(
        f"/dropout/cases/{hearing_case.pk}/legal-review/",
        {"reviewed_on": days_ago(0).isoformat(), "opinion": "同意", "approved": "on"},
    )
    assert reviewed.status_code == 302
    assert can(world, hearing_case, "decide_penalty", on=days_ago(0))


# --- API -------------------------------------------------------------------------------------


def _prior_body(world, served_on=None):
    return {
        "served_on": (served_on or days_ago(2)).isoformat(),
        "penalty_kind": "warning",
        "proposed_penalty": "警告",
        "officers": [world.township1_user.pk, world.admin.pk],
        **SERVED,
    }


def test_api_walks_the_procedure(world, noticed):
    api = api_for(world.township1_user)
    base = f"/api/v1/dropout-cases/{noticed.pk}"
    response = api.post(f"{base}/prior-notice/", _prior_body(world), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["prior_notice"]["reply_until"] == days_ago(-1).isoformat()
    assert [d["kind"] for d in body["documents"]] == ["resume_notice", "prior_notice"]
    early = api.post(
        f"{base}/decide-penalty/",
        {
            **SERVED,
            "decided_on": days_ago(0).isoformat(),
            "facts_and_evidence": "记录",
            "penalty": "警告",
            "compliance": "七日内",
            "officers": [world.township1_user.pk, world.admin.pk],
        },
        format="json",
    )
    assert early.status_code == 409 and "陈述申辩期满前" in early.json()["detail"]
    waived = api.post(
        f"{base}/replies/",
        {"kind": "waiver", "received_on": days_ago(1).isoformat()},
        format="json",
    )
    assert waived.status_code == 201
    decided = api.post(
        f"{base}/decide-penalty/",
        {
            **SERVED,
            "decided_on": days_ago(0).isoformat(),
            "facts_and_evidence": "记录",
            "penalty": "警告",
            "compliance": "七日内",
            "officers": [world.township1_user.pk, world.admin.pk],
        },
        format="json",
    )
    assert decided.status_code == 201 and decided.json()["status"] == "penalty_decided"


def test_api_scope_404_auditor_403_state_409(world, noticed):
    url = f"/api/v1/dropout-cases/{noticed.pk}/prior-notice/"
    assert (
        api_for(world.township2_user).post(url, _prior_body(world), format="json").status_code
        == 404
    )
    assert api_for(world.auditor).post(url, _prior_body(world), format="json").status_code == 403
    DropoutCase.objects.filter(pk=noticed.pk).update(status=C.PERSUADING)
    refused = api_for(world.township1_user).post(url, _prior_body(world), format="json")
    assert refused.status_code == 409 and refused.json()["detail"]
    review = api_for(world.township1_user).post(
        f"/api/v1/dropout-cases/{noticed.pk}/legal-reviews/",
        {"reviewed_on": days_ago(0).isoformat(), "opinion": "x", "approved": True},
        format="json",
    )
    assert review.status_code == 403
