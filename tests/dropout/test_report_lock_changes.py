"""The post-lock check computes an approved month again only when something its figures are
made of was recorded or changed after its reports were generated: a month nothing touched costs
a handful of EXISTS queries, a back-dated correction is still found and listed."""

import datetime

import pytest
from django.utils import timezone

from dropout import report_lock
from dropout.models import DropoutCase, MonthlyReport
from dropout.report_lock import month_changed_since, post_lock_adjustments
from dropout.services import cases
from dropout.services import reports as report_services
from enrollment.models import EnrollmentStatus
from enrollment.services import change_status, update_child

from .test_monthly_reports import M1, M2, day, scenario  # noqa: F401 (the fixture)

S = EnrollmentStatus


@pytest.fixture
def approved_m1(world, scenario, media, monkeypatch):  # noqa: F811
    """M1 generated and its county report approved; the scenario's own records were written
    just before, so the safety margin is set to nothing for these tests."""
    monkeypatch.setattr(report_lock, "SNAPSHOT_MARGIN", datetime.timedelta(0))
    report_services.generate_month(county=world.county, month=M1)
    report = MonthlyReport.objects.get(month=M1, township__isnull=True)
    report_services.approve_report(report=report, actor=world.bureau)
    return report


@pytest.fixture
def computed(monkeypatch):
    """The months report_lock computes again, in order."""
    months = []
    original = report_lock.compute_month

    def counting(county, month):
        months.append(month)
        return original(county, month)

    monkeypatch.setattr(report_lock, "compute_month", counting)
    return months


def test_an_approved_month_nothing_changed_since_is_not_computed_again(
    world, approved_m1, computed, django_assert_max_num_queries
):
    # The approved reports, then at most eight EXISTS checks; no compute_month.
    with django_assert_max_num_queries(9):
        assert post_lock_adjustments(world.county, M2) == {}
    assert computed == []


def test_a_change_dated_after_the_month_and_a_new_persuasion_do_not_recompute_it(
    world,
    scenario,  # noqa: F811
    approved_m1,
    computed,
):
    change_status(
        actor=world.township1_user,
        child=scenario.d,
        status=S.DROPPED_OUT,
        effective_date=day(M2, 20),
        reason="M2月20日起未到校",
    )
    cases.log_persuasion(
        actor=world.township1_user,
        case=scenario.case_c,
        date=timezone.localdate(),
        visitors="",
        officers=[world.township1_user, world.admin],
        what_was_said="再次宣讲义务教育法",
        family_answer="仍不愿返校",
        result="refused",
    )
    assert not month_changed_since(world.county, M1, approved_m1.generated_at)
    assert post_lock_adjustments(world.county, M2) == {}
    assert computed == []


def test_a_backdated_status_change_is_computed_again_and_listed_once(
    world,
    scenario,  # noqa: F811
    approved_m1,
    computed,
):
    change_status(
        actor=world.township1_user,
        child=scenario.d,
        status=S.DROPPED_OUT,
        effective_date=day(M1, 25),
        reason="补录：M1月25日起未到校",
    )
    listed = {item["key"]: item for item in post_lock_adjustments(world.county, M2)["county"]}
    assert computed == [M1]
    new = listed["totals.dropouts_new"]
    assert (new["approved"], new["current"]) == (2, 3)


def test_a_corrected_cause_is_found_through_the_cases_history(
    world,
    scenario,  # noqa: F811
    approved_m1,
    computed,
):
    # C is still out at M1's end, counted under poverty; the township corrects the cause.
    cases.update_case_details(
        actor=world.township1_user,
        case=scenario.case_c,
        cause=DropoutCase.Cause.WORK,
        cause_detail="外出务工",
        responsible_persons="村主任 张三",
    )
    listed = {item["key"]: item for item in post_lock_adjustments(world.county, M2)["county"]}
    assert computed == [M1]
    assert listed["by_reason.poverty"]["difference"] == -1
    assert listed["by_reason.work"]["difference"] == 1


def test_a_focus_flag_set_on_a_child_out_of_school_is_found_through_the_childs_history(
    world,
    scenario,  # noqa: F811
    approved_m1,
    computed,
):
    assert not scenario.c.is_orphan
    update_child(actor=world.township1_user, child=scenario.c, is_orphan=True)
    listed = {item["key"]: item for item in post_lock_adjustments(world.county, M2)["county"]}
    assert computed == [M1]
    assert listed["by_focus.orphan"]["difference"] == 1
