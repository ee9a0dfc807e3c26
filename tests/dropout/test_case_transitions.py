"""Every allowed and refused transition of a dropout case."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.test import override_settings

from core.errors import DomainError, TransitionRefused
from dropout.models import CaseEvent, DropoutCase, OfficialDocument
from dropout.services import cases, documents
from enrollment.models import EnrollmentStatus

from .conftest import days_ago, persuade

C = DropoutCase.Status


def _notice(world, case, served_on=None):
    return documents.issue_resume_notice(
        actor=world.township1_user,
        case=case,
        served_on=served_on or days_ago(20),
        served_to="张大山",
        service_method="in_person",
        served_by="镇干部王五",
        service_place="一组1号",
    )


def _penalty(world, case, decided_on=None):
    """The decision after the prior notice's window (行政处罚法 Art. 44-45): the prior notice
    is served the day after the notice's deadline, the guardian stays silent."""
    from dropout.services import penalties

    decided_on = decided_on or days_ago(5)
    penalties.issue_prior_notice(
        actor=world.township1_user,
        case=case,
        served_on=decided_on - datetime.timedelta(days=4),
        penalty_kind="warning",
        proposed_penalty="警告",
        served_to="张大山",
        service_method="in_person",
        service_place="一组1号",
        officers=[world.township1_user, world.admin],
    )
    return documents.decide_penalty(
        actor=world.township1_user,
        case=case,
        decided_on=decided_on,
        facts_and_evidence="入户记录三份",
        penalty="警告",
        compliance="收到本决定书之日起七日内送子女复学",
        served_to="张大山",
        service_method="left",
        served_by="镇干部王五",
        service_place="一组1号",
        officers=[world.township1_user, world.admin],
    )


def test_opening_a_case_makes_the_child_a_dropout(world, case):
    world.child1.refresh_from_db()
    assert case.status == C.REPORTED
    assert world.child1.status == EnrollmentStatus.DROPPED_OUT
    assert world.child1.current_school is None
    assert case.school == world.school1 and case.township == world.township1
    assert CaseEvent.objects.filter(case=case, action="opened").exists()


def test_one_open_case_per_child(world, case):
    with pytest.raises(TransitionRefused):
        cases.open_case(actor=world.township1_user, child=world.child1, cause="work")


def test_the_database_refuses_a_second_live_case(world, case):
    with pytest.raises(IntegrityError):
        DropoutCase.objects.create(
            child=world.child1,
            township=world.township1,
            cause="work",
            opened_on=days_ago(1),
            last_action_on=days_ago(1),
        )


def test_first_persuasion_moves_the_case_to_persuading(world, case):
    persuade(world, case, times=1)
    case.refresh_from_db()
    assert case.status == C.PERSUADING and case.persuasions.count() == 1


def test_notice_needs_the_minimum_number_of_persuasions(world, case):
    persuade(world, case, times=1)
    # The refusal says what is missing (the minimum is 2 by default).
    with pytest.raises(TransitionRefused, match="还需1次劝返"):
        _notice(world, case)
    case.refresh_from_db()
    assert case.status == C.PERSUADING and not case.documents.exists()


@override_settings(DROPOUT_MIN_PERSUASIONS=3)
def test_the_minimum_is_a_setting(world, case):
    persuade(world, case, times=2)
    with pytest.raises(TransitionRefused):
        _notice(world, case)


def test_notice_after_two_persuasions_sets_a_one_week_deadline(world, case):
    persuade(world, case)
    notice = _notice(world, case, served_on=days_ago(20))
    case.refresh_from_db()
    assert case.status == C.NOTICE_ISSUED
    assert notice.deadline == days_ago(20) + datetime.timedelta(days=7)
    year = days_ago(20).year
    assert notice.number == f"{world.township1.name}教字〔{year}〕1号"
    assert notice.content["title"] == "限期复学通知书"
    assert world.child1.name in "".join(notice.content["sections"][0]["paragraphs"])


def test_notice_refused_without_county_legal_texts(world, case, legal_texts):
    legal_texts.delete()
    persuade(world, case)
    with pytest.raises(TransitionRefused):
        _notice(world, case)


def test_a_second_notice_on_the_same_case_is_refused(world, case):
    persuade(world, case)
    _notice(world, case)
    with pytest.raises(TransitionRefused):
        _notice(world, case)


def test_penalty_before_the_deadline_is_refused(world, case):
    persuade(world, case)
    notice = _notice(world, case, served_on=days_ago(3))
    with pytest.raises(TransitionRefused, match=notice.deadline.isoformat()):
        _penalty(world, case, decided_on=days_ago(0))
    case.refresh_from_db()
    assert case.status == C.NOTICE_ISSUED


def test_penalty_on_the_deadline_day_is_still_refused(world, case):
    persuade(world, case)
    notice = _notice(world, case, served_on=days_ago(7))
    assert notice.deadline == days_ago(0)
    with pytest.raises(TransitionRefused):
        _penalty(world, case, decided_on=days_ago(0))


def test_penalty_without_notice_is_refused(world, case):
    persuade(world, case)
    with pytest.raises(TransitionRefused):
        _penalty(world, case)


def test_penalty_after_the_deadline_holds_what_article_59_requires(world, case):
    persuade(world, case)
    _notice(world, case, served_on=days_ago(20))
    decision = _penalty(world, case, decided_on=days_ago(5))
    case.refresh_from_db()
    assert case.status == C.PENALTY_DECIDED
    text = "".join(p for s in decision.content["sections"] for p in s["paragraphs"])
    assert "张大山" in text and "一组" in text  # party's name and address
    assert "《某省义务教育条例》第四十条" in text  # the configured legal basis
    assert "六十日内向测试县人民政府申请行政复议" in text
    assert "六个月内依法向测试县人民法院提起行政诉讼" in text
    assert "七日内" in text  # how and by when to comply
    assert decision.content["signature_lines"][0] == f"{world.township1.name}人民政府"
    assert decision.number.startswith(f"{world.township1.name}教罚字〔")


def test_measures_only_after_a_penalty_and_the_case_stays_open(world, case):
    persuade(world, case)
    with pytest.raises(TransitionRefused):
        cases.add_measure(
            actor=world.township1_user,
            case=case,
            kind="demand",
            date=days_ago(1),
            description="催告",
        )
    _notice(world, case)
    _penalty(world, case)
    cases.add_measure(
        actor=world.township1_user,
        case=case,
        kind="civil_suit",
        date=days_ago(1),
        description="乡镇政府起诉监护人",
    )
    case.refresh_from_db()
    assert case.status == C.PENALTY_DECIDED and case.is_open


@pytest.mark.parametrize("steps", [0, 1, 2, 3])
def test_a_return_at_any_step_ends_the_case_and_puts_the_child_back(world, case, steps):
    if steps >= 1:
        persuade(world, case)
    if steps >= 2:
        _notice(world, case)
    if steps >= 3:
        _penalty(world, case)
    cases.return_to_school(
        actor=world.township1_user,
        case=case,
        school=world.school1,
        grade=4,
        returned_on=days_ago(1),
    )
    case.refresh_from_db()
    world.child1.refresh_from_db()
    assert case.status == C.RETURNED
    assert case.consolidation_until == days_ago(1) + datetime.timedelta(days=60)
    assert (world.child1.status, world.child1.current_school, world.child1.grade) == (
        EnrollmentStatus.IN_SCHOOL,
        world.school1,
        4,
    )


def test_actions_on_a_closed_case_are_refused(world, case):
    cases.close_case(
        actor=world.township1_user,
        case=case,
        reason="moved_out",
        evidence="迁出证明",
        closed_on=days_ago(1),
    )
    world.child1.refresh_from_db()
    assert world.child1.status == EnrollmentStatus.MOVED_AWAY
    for action in (
        lambda: cases.log_persuasion(
            actor=world.township1_user,
            case=case,
            date=days_ago(0),
            visitors="a",
            what_was_said="b",
            family_answer="c",
            result="refused",
        ),
        lambda: _notice(world, case, served_on=days_ago(0)),
        lambda: cases.return_to_school(
            actor=world.township1_user,
            case=case,
            school=world.school1,
            grade=4,
            returned_on=days_ago(0),
        ),
        lambda: cases.close_case(
            actor=world.township1_user, case=case, reason="deceased", evidence="x"
        ),
    ):
        with pytest.raises(TransitionRefused):
            action()


def test_closing_for_an_exemption_needs_the_exemption_status(world, case):
    with pytest.raises(TransitionRefused):
        cases.close_case(actor=world.township1_user, case=case, reason="exempted", evidence="x")


def test_closing_as_aged_out_is_refused_for_a_school_age_child(world, case):
    with pytest.raises(TransitionRefused):
        cases.close_case(actor=world.township1_user, case=case, reason="aged_out", evidence="x")


def test_closing_needs_evidence(world, case):
    with pytest.raises(DomainError) as error:
        cases.close_case(actor=world.township1_user, case=case, reason="moved_out", evidence=" ")
    assert error.value.field == "evidence"


@pytest.mark.parametrize(
    "user_name", ["township2_user", "auditor", "inspector", "village1_user", "school1_user"]
)
def test_wrong_role_or_township_cannot_issue_a_notice(world, case, user_name):
    persuade(world, case)
    with pytest.raises(PermissionDenied):
        documents.issue_resume_notice(
            actor=getattr(world, user_name),
            case=case,
            served_on=days_ago(1),
            served_to="x",
            service_method="in_person",
            served_by="y",
            service_place="z",
        )
    assert not OfficialDocument.objects.exists()


@pytest.mark.parametrize(
    "user_name, allowed",
    [
        ("township1_user", True),
        ("village1_user", True),
        ("bureau", True),
        ("township2_user", False),
        ("auditor", False),
    ],
)
def test_who_may_record_a_persuasion(world, case, user_name, allowed):
    action = lambda: cases.log_persuasion(  # noqa: E731
        actor=getattr(world, user_name),
        case=case,
        date=days_ago(1),
        visitors="a",
        what_was_said="b",
        family_answer="c",
        result="refused",
    )
    if allowed:
        action()
    else:
        with pytest.raises(PermissionDenied):
            action()


def test_a_future_persuasion_is_refused(world, case):
    with pytest.raises(DomainError):
        cases.log_persuasion(
            actor=world.township1_user,
            case=case,
            date=days_ago(-1),
            visitors="a",
            what_was_said="b",
            family_answer="c",
            result="refused",
        )


def test_correcting_a_notice_voids_it_with_a_new_number(world, case):
    persuade(world, case)
    notice = _notice(world, case)
    corrected = documents.correct_document(
        actor=world.township1_user, document=notice, reason="住址有误", facts="补充说明"
    )
    notice.refresh_from_db()
    assert notice.voided_by == corrected
    assert corrected.number.endswith("〕2号") and corrected.deadline == notice.deadline
    with pytest.raises(TransitionRefused):
        documents.correct_document(actor=world.township1_user, document=notice, reason="again")


def test_documents_are_chinese_whatever_the_users_language(world, case):
    from django.utils import translation

    persuade(world, case)
    with translation.override("en"):
        notice = _notice(world, case)
    body = "".join(notice.content["sections"][0]["paragraphs"])
    assert "外出务工" in body and "Went out" not in body
    rows = dict(notice.content["service_record"]["rows"])
    assert rows["送达方式"] == "当面送达"


def test_officials_of_the_township_are_told_once_when_a_notice_is_overdue(world, case):
    from django.test import TestCase

    from core.models import Notification
    from dropout.services.cases import notify_overdue_notices

    persuade(world, case)
    _notice(world, case, served_on=days_ago(20))
    for _ in range(2):
        with TestCase.captureOnCommitCallbacks(execute=True):
            notify_overdue_notices()
    assert Notification.objects.filter(recipient=world.township1_user).count() == 1
    assert not Notification.objects.exclude(recipient=world.township1_user).exists()
    # The child returns: the notice about the case no longer waits to be read.
    assert Notification.objects.get().read_at is None
    with TestCase.captureOnCommitCallbacks(execute=True):
        cases.return_to_school(
            actor=world.township1_user,
            case=case,
            school=world.school1,
            grade=3,
            returned_on=days_ago(0),
        )
    assert Notification.objects.get().read_at is not None


def test_two_officials_editing_one_case_the_second_save_is_refused(world, case):
    """Lost update: both open the edit form at version 1; the first saves; the second's save
    would overwrite it, so it is refused with a message and the first one's text stays."""
    from django.urls import reverse

    from tests.conftest import client_for

    url = reverse("dropout:case_edit", args=[case.pk])
    first, second = client_for(world.township1_user), client_for(world.admin)
    opened_at = first.get(url).context["form"].initial["version"]
    assert second.get(url).context["form"].initial["version"] == opened_at == 1
    data = {"cause": "work", "cause_detail": "", "version": opened_at}
    saved = first.post(url, {**data, "responsible_persons": "镇长 张三（第一人）"})
    assert saved.status_code == 302
    refused = second.post(url, {**data, "responsible_persons": "校长 李四（第二人）"})
    assert refused.status_code == 200
    assert "已被他人修改" in refused.content.decode()
    case.refresh_from_db()
    assert case.responsible_persons == "镇长 张三（第一人）" and case.version == 2
    # Reopened at the new version, the second official's edit goes through.
    again = second.post(url, {**data, "version": 2, "responsible_persons": "校长 李四"})
    assert again.status_code == 302
    case.refresh_from_db()
    assert case.responsible_persons == "校长 李四" and case.version == 3


def test_a_form_without_its_version_is_refused(world, case):
    from django.urls import reverse

    from tests.conftest import client_for

    url = reverse("dropout:case_edit", args=[case.pk])
    response = client_for(world.township1_user).post(
        url, {"cause": "work", "cause_detail": "", "responsible_persons": "某人"}
    )
    assert response.status_code == 200 and response.context["form"].errors
    case.refresh_from_db()
    assert case.responsible_persons == "镇长 张三\n校长 李四"
