"""Every transition of an issue and every refusal: open → rectifying → submitted → verified,
a failed verification back to rectifying, withdrawal; each step dated and attributed."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import DomainError, TransitionRefused
from inspections.models import Issue, IssueEvent
from inspections.services import issues

from .conftest import area, days_ago, days_ahead, pdf_upload, raise_issue, submitted

S = Issue.Status


def test_an_issue_walks_from_open_to_verified_with_every_step_recorded(world, issue):
    assert issue.status == S.OPEN and issue.number.endswith("-1")
    issues.start_rectification(actor=world.school1_user, issue=issue, note="制定方案")
    issue.refresh_from_db()
    assert issue.status == S.RECTIFYING
    issues.report_progress(actor=world.school1_user, issue=issue, note="已补发一半")
    submitted(world, issue)
    issue.refresh_from_db()
    assert issue.status == S.SUBMITTED and issue.submitted_on is not None
    issues.verify_issue(actor=world.inspector, issue=issue, note="复核到位")
    issue.refresh_from_db()
    assert issue.status == S.VERIFIED
    assert issue.verified_by == world.inspector and issue.verified_on is not None
    steps = list(issue.events.values_list("action", "from_status", "to_status", "actor__username"))
    assert steps == [
        ("raised", "", "open", "inspector"),
        ("started", "open", "rectifying", "school1"),
        ("progress", "rectifying", "rectifying", "school1"),
        ("submitted", "rectifying", "submitted", "school1"),
        ("verified", "submitted", "verified", "inspector"),
    ]
    assert issue.events.get(action="submitted").evidence_file.name.endswith(".pdf")
    assert all(event.on is not None for event in issue.events.all())


def test_a_failed_verification_returns_the_issue_to_rectifying_with_the_reason(world, issue):
    submitted(world, issue)
    issues.reopen_issue(
        actor=world.inspector, issue=issue, reason="佐证不全", deadline=days_ahead(10)
    )
    issue.refresh_from_db()
    assert issue.status == S.RECTIFYING and issue.deadline == days_ahead(10)
    assert issue.submitted_on is None
    event = issue.events.last()
    assert (event.action, event.note, event.actor) == ("reopened", "佐证不全", world.inspector)
    submitted(world, issue)
    issues.verify_issue(actor=world.inspector, issue=issue)
    issue.refresh_from_db()
    assert issue.status == S.VERIFIED


def test_a_failed_verification_needs_a_reason(world, issue):
    submitted(world, issue)
    with pytest.raises(DomainError) as refused:
        issues.reopen_issue(actor=world.inspector, issue=issue, reason="  ")
    assert refused.value.field == "reason"
    issue.refresh_from_db()
    assert issue.status == S.SUBMITTED


def test_verification_before_submission_is_refused(world, issue):
    with pytest.raises(TransitionRefused):
        issues.verify_issue(actor=world.inspector, issue=issue)
    issues.start_rectification(actor=world.school1_user, issue=issue)
    with pytest.raises(TransitionRefused):
        issues.verify_issue(actor=world.inspector, issue=issue)
    issue.refresh_from_db()
    assert issue.status == S.RECTIFYING
    assert not issue.events.filter(action="verified").exists()


def test_reopening_an_issue_that_was_not_submitted_is_refused(world, issue):
    with pytest.raises(TransitionRefused):
        issues.reopen_issue(actor=world.inspector, issue=issue, reason="x")


def test_submitting_twice_or_after_verification_is_refused(world, issue):
    submitted(world, issue)
    with pytest.raises(TransitionRefused):
        submitted(world, issue)
    issues.verify_issue(actor=world.inspector, issue=issue)
    with pytest.raises(TransitionRefused):
        submitted(world, issue)
    with pytest.raises(TransitionRefused):
        issues.start_rectification(actor=world.school1_user, issue=issue)


def test_a_submission_needs_a_note_and_accepts_only_documents(world, issue):
    with pytest.raises(DomainError) as no_note:
        issues.submit_rectification(actor=world.school1_user, issue=issue, note="")
    assert no_note.value.field == "note"
    bad = SimpleUploadedFile("evil.exe", b"MZ\x90\x00binary", content_type="application/pdf")
    with pytest.raises(DomainError) as bad_file:
        issues.submit_rectification(
            actor=world.school1_user, issue=issue, note="已整改", evidence_file=bad
        )
    assert bad_file.value.field == "evidence_file"
    issue.refresh_from_db()
    assert issue.status == S.OPEN and issue.events.count() == 1


def test_another_school_cannot_answer_the_issue(world, issue):
    other = world.school2
    from enrollment.roles import Role
    from enrollment.services import grant_role
    from tests.factories import UserFactory

    school2_user = UserFactory(username="school2")
    grant_role(user=school2_user, role=Role.SCHOOL_STAFF, place=other)
    with pytest.raises(PermissionDenied):
        issues.submit_rectification(actor=school2_user, issue=issue, note="x")
    with pytest.raises(PermissionDenied):
        issues.start_rectification(actor=school2_user, issue=issue)


def test_a_township_answers_only_issues_addressed_to_the_township_itself(world, issue):
    with pytest.raises(PermissionDenied):
        issues.submit_rectification(actor=world.township1_user, issue=issue, note="x")
    own = raise_issue(world, unit=world.township1)
    issues.submit_rectification(actor=world.township1_user, issue=own, note="已整改")
    own.refresh_from_db()
    assert own.status == S.SUBMITTED
    other = raise_issue(world, unit=world.township2)
    with pytest.raises(PermissionDenied):
        issues.start_rectification(actor=world.township1_user, issue=other)


def test_bureau_staff_answer_for_bureau_sections(world, section):
    own = raise_issue(world, unit=section)
    issues.submit_rectification(actor=world.bureau, issue=own, note="已整改")
    school_issue = raise_issue(world)
    with pytest.raises(PermissionDenied):
        issues.submit_rectification(actor=world.bureau, issue=school_issue, note="x")


def test_the_responsible_unit_cannot_verify_its_own_rectification(world, issue):
    submitted(world, issue)
    for actor in (world.school1_user, world.township1_user, world.auditor, world.bureau):
        with pytest.raises(PermissionDenied):
            issues.verify_issue(actor=actor, issue=issue)
    issue.refresh_from_db()
    assert issue.status == S.SUBMITTED


def test_an_inspector_cannot_edit_a_verified_issue(world, issue):
    submitted(world, issue)
    issues.verify_issue(actor=world.inspector, issue=issue)
    with pytest.raises(TransitionRefused):
        issues.update_issue(actor=world.inspector, issue=issue, description="改写")
    with pytest.raises(TransitionRefused):
        issues.withdraw_issue(actor=world.inspector, issue=issue, reason="x")
    issue.refresh_from_db()
    assert issue.description == "建档立卡学生生活补助未足额发放"


def test_editing_an_open_issue_is_recorded_with_what_changed(world, issue):
    issues.update_issue(
        actor=world.inspector, issue=issue, description="补助发放不及时", deadline=days_ahead(5)
    )
    issue.refresh_from_db()
    assert issue.description == "补助发放不及时" and issue.deadline == days_ahead(5)
    event = issue.events.last()
    assert event.action == "edited" and event.actor == world.inspector
    assert issue.history.count() == 2


def test_editing_needs_the_inspector_role(world, issue):
    for actor in (world.school1_user, world.auditor, world.bureau):
        with pytest.raises(PermissionDenied):
            issues.update_issue(actor=actor, issue=issue, description="x")


def test_an_issue_is_withdrawn_with_a_reason_never_deleted(world, issue):
    with pytest.raises(DomainError):
        issues.withdraw_issue(actor=world.inspector, issue=issue, reason="")
    issues.withdraw_issue(actor=world.inspector, issue=issue, reason="误报")
    issue.refresh_from_db()
    assert issue.status == S.WITHDRAWN and issue.withdrawn_reason == "误报"
    assert Issue.objects.filter(pk=issue.pk).exists()
    with pytest.raises(TransitionRefused):
        issues.start_rectification(actor=world.school1_user, issue=issue)
    with pytest.raises(TransitionRefused):
        issues.withdraw_issue(actor=world.inspector, issue=issue, reason="again")


def test_raising_an_issue_validates_its_fields_and_writes_nothing_when_refused(world):
    with pytest.raises(DomainError) as refused:
        raise_issue(world, measures=" ")
    assert refused.value.field == "measures"
    with pytest.raises(DomainError) as early:
        raise_issue(world, deadline=days_ago(40))
    assert early.value.field == "deadline"
    with pytest.raises(DomainError):
        raise_issue(world, found_on=days_ahead(1))
    assert not Issue.objects.exists() and not IssueEvent.objects.exists()


def test_only_inspectors_and_county_admins_raise_issues(world):
    for actor in (world.auditor, world.bureau, world.school1_user, world.township1_user):
        with pytest.raises(PermissionDenied):
            raise_issue(world, actor=actor)
    assert raise_issue(world, actor=world.admin).raised_by == world.admin


def test_issue_numbers_run_per_county_and_year(world):
    first = raise_issue(world)
    second = raise_issue(world, area_name="营养餐")
    year = first.found_on.year
    assert (first.number, second.number) == (f"{year}-1", f"{year}-2")
    assert second.area == area("营养餐")


def test_evidence_file_of_an_issue_is_checked(world):
    with pytest.raises(DomainError):
        raise_issue(world, evidence_file=SimpleUploadedFile("x.txt", b"hello"))
    assert raise_issue(world, evidence_file=pdf_upload()).evidence_file
