"""The scheduled runs over every county, one task per county in a chord (core/county_runs.py),
in eager mode as the demo runs them: each county counted once, a repeat does nothing more, and
one county's failure neither stops the others nor goes unreported."""

import datetime

import pytest
from django.utils import timezone

from core.models import Notification
from dropout.models import AbsenceReport, DropoutCase, MonthlyReport
from dropout.reports import previous_month
from dropout.services import absences
from dropout.tasks import daily_dropout_run, generate_monthly_reports
from enrollment.models import EnrollmentStatus
from enrollment.roles import Role
from enrollment.services import change_status, grant_role
from risk.models import RiskScore
from risk.tasks import recompute_all_scores
from tests.factories import (
    ChildFactory,
    CountyFactory,
    HouseholdFactory,
    SchoolFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
)

S = EnrollmentStatus


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def second_county(world):
    """Another county with one township, school and pupil, its bureau staff and school staff."""
    county = CountyFactory(code="510400", name="第二县")
    township = TownshipFactory(county=county, name="三镇")
    village = VillageFactory(township=township, name="三村")
    school = SchoolFactory(township=township, village=village, name="三镇小学")
    child = ChildFactory(
        household=HouseholdFactory(village=village, head_name="张三"), name="张小三"
    )
    change_status(
        actor=world.loader,
        child=child,
        status=S.IN_SCHOOL,
        effective_date=datetime.date(timezone.localdate().year - 1, 9, 1),
        reason="学籍注册",
        school=school,
        grade=3,
    )
    staff = UserFactory(username="school3")
    grant_role(user=staff, role=Role.SCHOOL_STAFF, place=school)
    bureau = UserFactory(username="bureau3")
    grant_role(user=bureau, role=Role.BUREAU_STAFF, place=county)
    return county, child, staff, bureau


def absent_in_both_counties(world, days=31):
    """A pupil of each county absent for `days` days (past the dropout threshold)."""
    county, child, staff, bureau = second_county(world)
    for actor, pupil in ((world.school1_user, world.child1), (staff, child)):
        absences.report_absence(
            actor=actor,
            child=pupil,
            first_absent_on=days_ago(days),
            reason_known="不详",
            called_home_by="班主任",
        )
    return county, child, bureau


def test_the_daily_run_goes_county_by_county_and_adds_the_counties_up(world):
    county, child, _bureau = absent_in_both_counties(world)
    first = daily_dropout_run.delay().get()
    assert first["counties"] == 2 and first["failed"] == []
    assert first["suspected"] == 2 and first["dropped_out"] == 2
    assert set(DropoutCase.objects.values_list("child__village__township__county", flat=True)) == {
        world.county.pk,
        county.pk,
    }
    child.refresh_from_db()
    assert child.status == S.DROPPED_OUT
    # Run again (a redelivered or repeated run): every count is 0, nothing new is written.
    second = daily_dropout_run.delay().get()
    assert second["counties"] == 2 and second["suspected"] == 0 and second["dropped_out"] == 0
    assert DropoutCase.objects.count() == 2


def test_a_county_task_run_twice_does_no_double_work(world):
    from dropout.tasks import daily_dropout_county

    county, child, _bureau = absent_in_both_counties(world)
    day = timezone.localdate().isoformat()
    once = daily_dropout_county.delay(county.pk, "daily_dropout", day).get()
    twice = daily_dropout_county.delay(county.pk, "daily_dropout", day).get()
    assert once["ok"] and once["suspected"] == 1 and once["dropped_out"] == 1
    assert twice["ok"] and twice["suspected"] == 0 and twice["dropped_out"] == 0
    # Only that county's pupil moved: the first county's absence waits for its own task.
    assert DropoutCase.objects.get().child == child
    world.child1.refresh_from_db()
    assert world.child1.status == S.IN_SCHOOL


def test_one_county_failing_stops_neither_the_others_nor_the_summary(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    import dropout.tasks

    county, child, bureau = absent_in_both_counties(world)
    original = dropout.tasks.advance_absences

    def broken_in_the_first_county(*, day, county):
        if county.pk == world.county.pk:
            raise ValueError("a disk went away")
        return original(day=day, county=county)

    monkeypatch.setattr(dropout.tasks, "advance_absences", broken_in_the_first_county)
    with django_capture_on_commit_callbacks(execute=True):  # the notifications are sent
        summary = daily_dropout_run()
    assert summary["counties"] == 2 and summary["failed"] == ["测试县"]
    assert summary["dropped_out"] == 1  # the second county's pupil
    child.refresh_from_db()
    assert child.status == S.DROPPED_OUT
    world.child1.refresh_from_db()
    assert world.child1.status == S.IN_SCHOOL
    # The failing county's bureau is told why, in Chinese, once; the other county's is not.
    told = Notification.objects.filter(key__startswith="scheduled-run:daily_dropout:")
    assert {n.recipient for n in told} == {world.admin, world.bureau}
    message = told.filter(recipient=world.bureau).get().message
    assert "测试县" in message and "每日缺勤" in message and "系统" in message, message
    assert "disk" not in message  # never the exception's own text
    assert not Notification.objects.filter(recipient=bureau, key__startswith="scheduled-run:")
    # The same day's summary again (a repeat) does not notify twice.
    with django_capture_on_commit_callbacks(execute=True):
        daily_dropout_run()
    assert told.count() == 2


def test_the_monthly_reports_go_county_by_county(world):
    county, _child, _bureau = absent_in_both_counties(world)
    month = previous_month(timezone.localdate())
    summary = generate_monthly_reports.delay().get()
    # Each county's report and each of its townships' (the world's two, the second county's one).
    assert summary == {"reports": 5, "counties": 2, "failed": []}
    assert MonthlyReport.objects.filter(month=month, county=county).count() == 2
    again = generate_monthly_reports.delay().get()
    assert again["reports"] == 5
    assert MonthlyReport.objects.filter(month=month).count() == 5  # replaced, not doubled


def test_the_nightly_risk_scores_go_county_by_county(world):
    county, child, _bureau = absent_in_both_counties(world, days=2)
    summary = recompute_all_scores.delay().get()
    assert summary["counties"] == 2 and summary["failed"] == []
    assert summary["scored"] == RiskScore.objects.count() > 0
    assert RiskScore.objects.filter(county=county).exists()
    assert recompute_all_scores.delay().get()["scored"] == summary["scored"]
    assert RiskScore.objects.count() == summary["scored"]  # one current row per child


def test_no_county_no_chord(db):
    assert daily_dropout_run() == {"counties": 0, "failed": []}


@pytest.mark.parametrize("run", ["daily_dropout", "monthly_reports", "risk_scores"])
def test_every_run_has_a_name_in_chinese(run):
    from django.utils import translation

    from core.county_runs import SCHEDULED_RUNS

    with translation.override("zh-hans"):
        name = str(SCHEDULED_RUNS[run])
    assert not name.isascii(), name


def test_the_absence_reports_stay(world):
    """The runs only move children along: the absence reports are as they were."""
    absent_in_both_counties(world)
    daily_dropout_run()
    assert AbsenceReport.objects.filter(returned_on__isnull=True).count() == 2


def test_a_county_whose_run_fails_midway_keeps_nothing_of_it(world, monkeypatch):
    """The failure notice says nothing was saved: a county's run is one transaction, so a step
    failing after the absences moved leaves the county's pupils where they were."""
    import dropout.tasks

    county, child, _bureau = absent_in_both_counties(world)

    def broken_in_the_first_county(*, day, county):
        if county.pk == world.county.pk:
            raise ValueError("a disk went away")
        return 0

    monkeypatch.setattr(dropout.tasks, "notify_overdue_notices", broken_in_the_first_county)
    summary = daily_dropout_run()
    assert summary["failed"] == ["测试县"] and summary["dropped_out"] == 1
    world.child1.refresh_from_db()
    assert world.child1.status == S.IN_SCHOOL  # its absences moved, then were undone
    assert not DropoutCase.objects.filter(child=world.child1).exists()
    child.refresh_from_db()
    assert child.status == S.DROPPED_OUT  # the other county's run stands
