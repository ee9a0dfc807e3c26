"""From absence to suspected dropout to dropout with a case; consolidation and strike-off."""

import datetime

import pytest
from django.test import override_settings

from core.errors import TransitionRefused
from dropout.models import AbsenceReport, DropoutCase
from dropout.services import absences, cases
from dropout.tasks import daily_dropout_run
from enrollment.models import EnrollmentStatus

from .conftest import days_ago

S = EnrollmentStatus


def _report(world, since):
    return absences.report_absence(
        actor=world.school1_user,
        child=world.child1,
        first_absent_on=days_ago(since),
        reason_known="不详",
        called_home_by="班主任",
    )


def test_absence_becomes_suspected_after_seven_days_then_dropout_with_a_case(world):
    report = _report(world, 40)
    absences.advance_absences(day=days_ago(33))  # the daily run 7 days after the absence
    world.child1.refresh_from_db()
    assert world.child1.status == S.SUSPECTED_DROPOUT
    assert world.child1.current_school == world.school1  # still on the roll
    assert world.child1.status_since == days_ago(33)
    absences.advance_absences(day=days_ago(11))  # 29 days: not yet
    assert not DropoutCase.objects.exists()
    absences.advance_absences(day=days_ago(10))  # 30 days: a dropout, and a case opens
    world.child1.refresh_from_db()
    case = DropoutCase.objects.get()
    assert world.child1.status == S.DROPPED_OUT
    assert case.status == DropoutCase.Status.REPORTED and case.opened_by is None
    assert case.opened_on == report.first_absent_on + datetime.timedelta(days=30)
    assert case.school == world.school1


def test_the_daily_run_is_idempotent(world):
    _report(world, 31)
    first = daily_dropout_run.delay().get()
    second = daily_dropout_run.delay().get()
    assert first["suspected"] == 1 and first["dropped_out"] == 1
    assert second == {
        "suspected": 0,
        "dropped_out": 0,
        "exemptions_started": 0,
        "struck_off": 0,
        "due_back": 0,
        "overdue_notices": 0,
        "counties": 1,  # one task per county (a chord), added up by the summary
        "failed": [],
    }
    assert DropoutCase.objects.count() == 1


@override_settings(SUSPECTED_DROPOUT_DAYS=3, DROPOUT_DAYS=10)
def test_thresholds_are_settings(world):
    _report(world, 4)
    absences.advance_absences()
    world.child1.refresh_from_db()
    assert world.child1.status == S.SUSPECTED_DROPOUT


def test_a_short_absence_changes_nothing(world):
    _report(world, 3)
    absences.advance_absences()
    world.child1.refresh_from_db()
    assert world.child1.status == S.IN_SCHOOL


def test_back_in_school_before_dropout_closes_the_absence(world):
    report = _report(world, 10)
    absences.advance_absences()
    absences.record_back_in_school(actor=world.school1_user, report=report, returned_on=days_ago(0))
    world.child1.refresh_from_db()
    report.refresh_from_db()
    assert world.child1.status == S.IN_SCHOOL and report.returned_on == days_ago(0)
    absences.advance_absences(day=days_ago(-40))
    assert not DropoutCase.objects.exists()


def test_only_pupils_on_a_roll_can_be_reported_absent(world):
    with pytest.raises(TransitionRefused):
        absences.report_absence(
            actor=world.township1_user, child=world.child1b, first_absent_on=days_ago(1)
        )


def test_one_open_absence_per_pupil(world):
    _report(world, 2)
    with pytest.raises(TransitionRefused):
        _report(world, 1)


def test_absence_inside_consolidation_reopens_the_same_case(world, case):
    from .conftest import persuade

    persuade(world, case)
    cases.return_to_school(
        actor=world.township1_user,
        case=case,
        school=world.school1,
        grade=4,
        returned_on=days_ago(20),
    )
    absences.report_absence(
        actor=world.school1_user, child=world.child1, first_absent_on=days_ago(2)
    )
    case.refresh_from_db()
    world.child1.refresh_from_db()
    assert DropoutCase.objects.count() == 1
    assert case.status == DropoutCase.Status.PERSUADING  # its persuasions still count
    assert case.persuasions.count() == 2
    assert world.child1.status == S.DROPPED_OUT
    assert case.events.filter(action="reopened").exists()


def test_after_consolidation_the_case_is_struck_off_and_a_new_one_may_open(world, case):
    cases.return_to_school(
        actor=world.township1_user,
        case=case,
        school=world.school1,
        grade=4,
        returned_on=days_ago(30),
    )
    assert cases.strike_off_consolidated(day=days_ago(-29)) == 0
    assert cases.strike_off_consolidated(day=days_ago(-31)) == 1
    case.refresh_from_db()
    assert case.struck_off_on == days_ago(-31)
    new = cases.open_case(actor=world.township1_user, child=world.child1, cause="learning")
    assert new.pk != case.pk
    assert AbsenceReport.objects.count() == 0


def test_a_dropout_comes_back_through_its_case_not_through_the_absence(world):
    report = _report(world, 40)
    absences.advance_absences(day=days_ago(33))
    absences.advance_absences(day=days_ago(10))
    with pytest.raises(TransitionRefused):
        absences.record_back_in_school(
            actor=world.school1_user, report=report, returned_on=days_ago(0)
        )
    report.refresh_from_db()
    assert report.returned_on is None
