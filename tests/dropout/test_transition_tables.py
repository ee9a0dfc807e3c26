"""The dropout workflows' tables, walked: every (action, state, role) answers what the table
declares, through can() and through the service alike; the preconditions explain themselves."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from dropout.models import CaseMeasure, DropoutCase, ExemptionRequest, GuardianReply
from dropout.services import assignment, cases, documents, exemptions, penalties
from dropout.transitions import CASE_TRANSITIONS, EXEMPTION_TRANSITIONS

from ..transition_matrix import walk
from .conftest import days_ago, pdf_upload, persuade

SERVED = {
    "served_to": "王大",
    "service_method": "in_person",
    "served_by": "镇干部",
    "service_place": "王大家",
}

PRIOR_SERVED = {k: v for k, v in SERVED.items() if k != "served_by"}


def OFFICERS(case):  # noqa: N802 - the two officers of the shared world
    return list(get_user_model().objects.filter(username__in=["township1", "admin"]))


def _whole_procedure(world, case):
    """Every step of the penalty procedure has run, so that every precondition of every
    step holds at once: a prior notice with a hearing right and legal review, a reviewed
    statement, a held hearing, an approving legal review."""
    prior = penalties.issue_prior_notice(
        actor=world.township1_user,
        case=case,
        served_on=days_ago(0),
        penalty_kind="fine",
        fine_amount=2000,
        proposed_penalty="罚款2000元",
        officers=OFFICERS(case),
        **PRIOR_SERVED,
    )
    reply = penalties.record_reply(
        actor=world.township1_user, case=case, kind="statement", received_on=days_ago(0), text="x"
    )
    penalties.review_reply(
        actor=world.township1_user,
        case=case,
        reply=reply,
        review="不成立",
        outcome="rejected",
        reviewed_on=days_ago(0),
    )
    CASE_CALLS["request_hearing"](world.township1_user, case)
    CASE_CALLS["hold_hearing"](world.township1_user, case)
    CASE_CALLS["legal_review"](world.bureau, case)
    return prior


def _another_handler(case):
    """An official of the case's scope who is not its handler now (a reassignment that changes
    nothing is refused for that reason, not for the table's)."""
    current = DropoutCase.objects.values_list("handler__username", flat=True).get(pk=case.pk)
    return get_user_model().objects.get(username="bureau" if current != "bureau" else "township1")


CASE_CALLS = {
    "persuade": lambda user, case: cases.log_persuasion(
        actor=user,
        case=case,
        date=days_ago(1),
        visitors="镇干部",
        what_was_said="宣讲",
        family_answer="不愿",
        result="refused",
    ),
    "issue_notice": lambda user, case: documents.issue_resume_notice(
        actor=user, case=case, served_on=days_ago(0), **SERVED
    ),
    "decide_penalty": lambda user, case: documents.decide_penalty(
        actor=user,
        case=case,
        decided_on=days_ago(0),
        facts_and_evidence="劝返记录",
        penalty="罚款2000元",
        compliance="七日内复学",
        officers=OFFICERS(case),
        **SERVED,
    ),
    "issue_prior_notice": lambda user, case: penalties.issue_prior_notice(
        actor=user,
        case=case,
        served_on=days_ago(0),
        penalty_kind="warning",
        proposed_penalty="警告",
        officers=OFFICERS(case),
        **PRIOR_SERVED,
    ),
    "record_reply": lambda user, case: penalties.record_reply(
        actor=user, case=case, kind="waiver", received_on=days_ago(0)
    ),
    "review_reply": lambda user, case: penalties.review_reply(
        actor=user,
        case=case,
        reply=GuardianReply.objects.filter(kind="statement").first(),
        review="不成立",
        outcome="rejected",
        reviewed_on=days_ago(0),
    ),
    "request_hearing": lambda user, case: penalties.request_hearing(
        actor=user, case=case, received_on=days_ago(0)
    ),
    "hold_hearing": lambda user, case: penalties.hold_hearing(
        actor=user,
        case=case,
        held_on=days_ago(0),
        place="镇政府",
        presiding_officer=get_user_model().objects.get(username="bureau"),
        participants="当事人",
        transcript=pdf_upload("笔录.pdf"),
    ),
    "legal_review": lambda user, case: penalties.give_legal_review(
        actor=user, case=case, reviewed_on=days_ago(0), opinion="同意", approved=True
    ),
    "serve_decision": lambda user, case: penalties.serve_decision(
        actor=user, case=case, served_on=days_ago(0), officers=OFFICERS(case), **PRIOR_SERVED
    ),
    "add_measure": lambda user, case: cases.add_measure(
        actor=user, case=case, kind=CaseMeasure.Kind.DEMAND, date=days_ago(0), description="催告"
    ),
    "return": lambda user, case: cases.return_to_school(
        actor=user, case=case, school=case.school, grade=3, returned_on=days_ago(0)
    ),
    "close": lambda user, case: cases.close_case(
        actor=user, case=case, reason=DropoutCase.CloseReason.MOVED_OUT, evidence="迁出证明"
    ),
    "edit": lambda user, case: cases.update_case_details(
        actor=user, case=case, cause=case.cause, cause_detail="补充", responsible_persons="镇长"
    ),
    "reopen": lambda user, case: cases.reopen_case(actor=user, case=case, on=days_ago(0)),
    "reassign": lambda user, case: assignment.reassign_case(
        actor=user, case=case, handler=_another_handler(case), guarantors=[]
    ),
}


@pytest.mark.parametrize("state", DropoutCase.Status.values)
def test_every_case_step_for_every_role_answers_as_the_table_declares(world, case, state):
    # Every precondition holds: two persuasions, a notice whose deadline has passed.
    persuade(world, case)
    documents.issue_resume_notice(
        actor=world.township1_user, case=case, served_on=days_ago(20), **SERVED
    )
    _whole_procedure(world, case)
    # A decision not served on the spot, waiting for its service (Art. 61).
    documents.decide_penalty(
        actor=world.township1_user,
        case=case,
        decided_on=days_ago(0),
        facts_and_evidence="劝返记录",
        penalty="罚款2000元",
        compliance="七日内复学",
        officers=OFFICERS(case),
    )
    if state == DropoutCase.Status.RETURNED:  # back in school in the ledger too
        cases.return_to_school(
            actor=world.township1_user,
            case=case,
            school=case.school,
            grade=3,
            returned_on=days_ago(1),
        )
    DropoutCase.objects.filter(pk=case.pk).update(status=state)
    assert walk(world, CASE_TRANSITIONS, case, CASE_CALLS) == []


def test_a_notice_is_offered_disabled_until_enough_persuasions_are_recorded(world, case, settings):
    settings.DROPOUT_MIN_PERSUASIONS = 2
    persuade(world, case, times=1)
    case.refresh_from_db()
    answer = CASE_TRANSITIONS.can(case, "issue_notice", world.township1_user)
    assert not answer and answer.explains
    assert answer.reason == "还需1次劝返（每次须两名工作人员参加）"
    with pytest.raises(documents.TransitionRefused, match="还需1次劝返"):
        CASE_CALLS["issue_notice"](world.township1_user, case)
    persuade(world, case, times=1, start=30)
    case.refresh_from_db()
    assert CASE_TRANSITIONS.can(case, "issue_notice", world.township1_user)


def test_a_penalty_is_explained_until_the_notice_deadline_has_passed(world, case):
    persuade(world, case)
    notice = documents.issue_resume_notice(
        actor=world.township1_user, case=case, served_on=days_ago(3), **SERVED
    )
    case.refresh_from_db()
    answer = CASE_TRANSITIONS.can(case, "decide_penalty", world.township1_user)
    expected = f"{notice.deadline.isoformat()} 期满后可作出处罚"
    assert not answer and answer.explains and answer.reason == expected
    with pytest.raises(documents.TransitionRefused, match=expected):
        CASE_CALLS["decide_penalty"](world.township1_user, case)
    # The day after the deadline the procedure may start (the prior notice, 行政处罚法 Art. 44);
    # the decision then waits for it.
    later = notice.deadline + datetime.timedelta(days=1)
    assert CASE_TRANSITIONS.can(case, "issue_prior_notice", world.township1_user, on=later)
    answer = CASE_TRANSITIONS.can(case, "decide_penalty", world.township1_user, on=later)
    assert answer.reason == "还需送达事先告知书"


def test_the_case_page_shows_why_the_notice_is_not_possible_yet(world, case):
    from ..conftest import client_for

    persuade(world, case, times=1)
    page = client_for(world.township1_user).get(f"/dropout/cases/{case.pk}/").content.decode()
    assert 'id="action-notice-disabled"' in page and "还需1次劝返" in page
    assert 'id="action-notice"' not in page


@pytest.fixture
def exemption(world):
    return exemptions.register_exemption(
        actor=world.school1_user,
        child=world.child1,
        kind=ExemptionRequest.Kind.DEFERRED,
        reason=ExemptionRequest.Reason.OTHER,
        reason_detail="家庭变故",
        start_date=days_ago(0),
        end_date=days_ago(-120),
        application_scan=pdf_upload(),
    )


EXEMPTION_CALLS = {
    "approve": lambda user, r: exemptions.township_approve(actor=user, request=r),
    "file": lambda user, r: exemptions.file_exemption(actor=user, request=r),
    "reject": lambda user, r: exemptions.reject_exemption(actor=user, request=r, note="不符"),
    "return": lambda user, r: exemptions.return_exemption(actor=user, request=r, note="补材料"),
    "resubmit": lambda user, r: exemptions.resubmit_exemption(actor=user, request=r),
}


@pytest.mark.parametrize("state", ExemptionRequest.Status.values)
def test_every_exemption_step_for_every_role_answers_as_the_table_declares(world, exemption, state):
    ExemptionRequest.objects.filter(pk=exemption.pk).update(status=state)
    assert walk(world, EXEMPTION_TRANSITIONS, exemption, EXEMPTION_CALLS) == []
