"""Exemption requests: submitted → township_approved → filed, or rejected / returned."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from core.errors import DomainError, TransitionRefused
from core.models import Notification
from dropout.models import ExemptionRequest
from dropout.services import exemptions
from enrollment.models import EnrollmentStatus
from enrollment.services import update_child

from .conftest import days_ago, pdf_upload

R = ExemptionRequest.Status


def _register(world, child=None, actor=None, **overrides):
    data = {
        "kind": "suspended",
        "reason": "illness",
        "reason_detail": "肺结核需住院治疗",
        "start_date": days_ago(10),
        "end_date": days_ago(-200),
        "application_scan": pdf_upload(),
        "evidence": pdf_upload("cert.pdf"),
    }
    data.update(overrides)
    return exemptions.register_exemption(
        actor=actor or world.school1_user, child=child or world.child1, **data
    )


def test_the_whole_flow_sets_the_child_status_for_the_period(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    request = _register(world)
    assert request.status == R.SUBMITTED
    exemptions.township_approve(actor=world.township1_user, request=request)
    request.refresh_from_db()
    assert request.status == R.TOWNSHIP_APPROVED
    world.child1.refresh_from_db()
    assert world.child1.status == EnrollmentStatus.IN_SCHOOL  # not before filing
    exemptions.file_exemption(actor=world.bureau, request=request, note="同意备案")
    request.refresh_from_db()
    world.child1.refresh_from_db()
    assert request.status == R.FILED
    assert world.child1.status == EnrollmentStatus.SUSPENDED
    steps = list(request.steps.values_list("action", "actor__username"))
    assert steps == [("submit", "school1"), ("approve", "township1"), ("file", "bureau")]


def test_the_bureau_is_notified_of_requests_awaiting_filing(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    request = _register(world)
    with TestCase.captureOnCommitCallbacks(execute=True):
        exemptions.township_approve(actor=world.township1_user, request=request)
    assert Notification.objects.filter(recipient=world.bureau).count() == 1


@pytest.mark.parametrize("approver", ["bureau", "township2_user", "auditor", "school1_user"])
def test_only_the_childs_township_approves(world, tmp_path, settings, approver):
    settings.MEDIA_ROOT = tmp_path
    request = _register(world)
    with pytest.raises(PermissionDenied):
        exemptions.township_approve(actor=getattr(world, approver), request=request)


@pytest.mark.parametrize("filer", ["township1_user", "auditor", "inspector"])
def test_only_bureau_staff_file(world, tmp_path, settings, filer):
    settings.MEDIA_ROOT = tmp_path
    request = _register(world)
    exemptions.township_approve(actor=world.township1_user, request=request)
    with pytest.raises(PermissionDenied):
        exemptions.file_exemption(actor=getattr(world, filer), request=request)


def test_filing_before_township_approval_is_refused(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    request = _register(world)
    with pytest.raises(TransitionRefused):
        exemptions.file_exemption(actor=world.bureau, request=request)


def test_rejection_needs_a_reason_and_is_final(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    request = _register(world)
    with pytest.raises(DomainError):
        exemptions.reject_exemption(actor=world.township1_user, request=request, note="")
    exemptions.reject_exemption(actor=world.township1_user, request=request, note="证明不足")
    request.refresh_from_db()
    assert request.status == R.REJECTED
    with pytest.raises(TransitionRefused):
        exemptions.township_approve(actor=world.township1_user, request=request)


def test_bureau_rejects_at_its_step(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    request = _register(world)
    exemptions.township_approve(actor=world.township1_user, request=request)
    with pytest.raises(PermissionDenied):
        exemptions.reject_exemption(actor=world.township1_user, request=request, note="x")
    exemptions.reject_exemption(actor=world.bureau, request=request, note="不符合条件")
    request.refresh_from_db()
    assert request.status == R.REJECTED


def test_return_goes_back_one_step(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    request = _register(world)
    exemptions.township_approve(actor=world.township1_user, request=request)
    exemptions.return_exemption(actor=world.bureau, request=request, note="补充医院证明")
    request.refresh_from_db()
    assert request.status == R.SUBMITTED  # back to the township
    exemptions.return_exemption(actor=world.township1_user, request=request, note="补充材料")
    request.refresh_from_db()
    assert request.status == R.RETURNED  # back to whoever registered it
    exemptions.resubmit_exemption(
        actor=world.township1_user, request=request, evidence=pdf_upload("more.pdf")
    )
    request.refresh_from_db()
    assert request.status == R.SUBMITTED


def test_bad_uploads_and_periods_are_refused(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("scan.pdf", b"MZ not a pdf")
    with pytest.raises(DomainError) as error:
        _register(world, application_scan=fake)
    assert error.value.field == "application_scan"
    with pytest.raises(DomainError) as error:
        _register(world, end_date=days_ago(20))
    assert error.value.field == "end_date"
    with pytest.raises(DomainError) as error:
        _register(world, end_date=days_ago(-400))  # a suspension is at most a school year
    assert error.value.field == "end_date"
    with pytest.raises(DomainError) as error:
        _register(world, evidence=None)  # illness needs a certificate
    assert error.value.field == "evidence"
    assert not ExemptionRequest.objects.exists()


def test_home_delivery_needs_a_recorded_disability_and_a_school(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(DomainError):
        _register(world, kind="home_delivered", reason="disability")
    update_child(
        actor=world.admin,
        child=world.child1,
        is_disabled=True,
        disability_category="physical",
        disability_grade=1,
    )
    with pytest.raises(DomainError) as error:
        _register(world, kind="home_delivered", reason="disability")
    assert error.value.field == "school"
    request = _register(world, kind="home_delivered", reason="disability", school=world.school1)
    exemptions.township_approve(actor=world.township1_user, request=request)
    exemptions.file_exemption(actor=world.bureau, request=request)
    world.child1.refresh_from_db()
    assert world.child1.status == EnrollmentStatus.HOME_DELIVERED
    assert world.child1.current_school == world.school1


def test_one_pending_request_per_child(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    _register(world)
    with pytest.raises(DomainError):
        _register(world)


def test_due_back_list_and_notification_once(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    request = _register(world, start_date=days_ago(100), end_date=days_ago(2))
    exemptions.township_approve(actor=world.township1_user, request=request)
    exemptions.file_exemption(actor=world.bureau, request=request)
    assert list(exemptions.due_back()) == [request]
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert exemptions.notify_due_back() == 1
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert exemptions.notify_due_back() == 0
    assert Notification.objects.filter(recipient=world.township1_user).count() == 1
    assert not Notification.objects.filter(recipient=world.township2_user).exists()


def test_a_school_registers_a_request_for_its_pupil_only(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    _register(world, actor=world.school1_user)
    with pytest.raises(PermissionDenied):
        _register(world, child=world.child1b, actor=world.school1_user)


def test_the_status_starts_on_the_first_day_of_the_approved_period_not_before(
    world, tmp_path, settings
):
    from dropout.tasks import daily_dropout_run

    settings.MEDIA_ROOT = tmp_path
    request = _register(world, start_date=days_ago(-1), end_date=days_ago(-150))
    exemptions.township_approve(actor=world.township1_user, request=request)
    exemptions.file_exemption(actor=world.bureau, request=request)
    world.child1.refresh_from_db()
    assert world.child1.status == EnrollmentStatus.IN_SCHOOL  # the period starts tomorrow
    assert exemptions.start_due_exemptions() == 0
    # A day passes (the period moves to today, as the calendar would): the daily run starts it.
    ExemptionRequest.objects.filter(pk=request.pk).update(start_date=days_ago(0))
    request.refresh_from_db()
    assert daily_dropout_run()["exemptions_started"] == 1
    assert exemptions.start_due_exemptions() == 0  # idempotent
    world.child1.refresh_from_db()
    assert world.child1.status == EnrollmentStatus.SUSPENDED
    assert world.child1.status_since == request.start_date
    change = world.child1.status_changes.order_by("-pk").first()
    assert change.effective_date == request.start_date and change.recorded_by == world.bureau


def test_filing_a_period_that_has_started_dates_the_status_from_its_start(
    world, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    request = _register(world, start_date=days_ago(3), end_date=days_ago(-150))
    exemptions.township_approve(actor=world.township1_user, request=request)
    exemptions.file_exemption(actor=world.bureau, request=request)
    world.child1.refresh_from_db()
    assert world.child1.status_since == days_ago(3)


def test_the_official_who_registered_a_request_cannot_approve_it(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    request = _register(world, actor=world.township1_user)
    with pytest.raises(DomainError, match="另一名干部"):
        exemptions.township_approve(actor=world.township1_user, request=request)
    request.refresh_from_db()
    assert request.status == R.SUBMITTED


def test_a_one_person_township_may_approve_its_own_request_and_the_step_says_so(
    world, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    settings.EXEMPTION_SELF_APPROVAL_ALLOWED = True
    request = _register(world, actor=world.township1_user)
    exemptions.township_approve(actor=world.township1_user, request=request, note="属实")
    step = request.steps.get(action="approve")
    assert step.actor == world.township1_user
    assert "登记人与审批人为同一人" in step.note
    assert step.note.endswith("属实")
