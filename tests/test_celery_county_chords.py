"""The scheduled runs over every county on a real Celery worker and Redis (not eager): one task
per county in a chord, each county's task run once, the summary callback run with every
county's figures, and one failing county stopping neither the others nor the summary."""

import threading

import pytest
from celery.result import AsyncResult
from celery.signals import task_postrun
from django.utils import timezone

from config.celery import app as celery_app
from core.models import Notification
from dropout.models import DropoutCase, MonthlyReport
from dropout.reports import previous_month
from dropout.tasks import daily_dropout_run, generate_monthly_reports
from enrollment.models import EnrollmentStatus

from .core.test_county_runs import absent_in_both_counties
from .test_celery_worker import redis_worker  # noqa: F401 (the fixture below)

pytestmark = pytest.mark.usefixtures("redis_worker")


class Ran:
    """The tasks the worker ran, by name: their arguments (the worker runs in this process)."""

    def __init__(self):
        self.calls, self.lock = [], threading.Lock()

    def __call__(self, sender=None, args=None, **kwargs):
        with self.lock:
            self.calls.append((sender.name, tuple(args or ())))

    def of(self, name):
        return [args for task, args in self.calls if task == name]


def _redis_backend():
    """This thread's result backend as configured now (Redis), not the eager tests' one."""
    celery_app._local.__dict__.pop("backend", None)


def _summary(dispatched: dict, timeout=60) -> dict:
    """The chord's callback's result, from the result backend (the worker wrote it)."""
    return AsyncResult(dispatched["summary"], app=celery_app).get(timeout=timeout)


def test_the_daily_run_is_a_chord_of_one_task_per_county_on_a_real_worker(
    transactional_db, world, monkeypatch
):
    import dropout.tasks

    county, child, bureau = absent_in_both_counties(world)
    original = dropout.tasks.advance_absences

    def broken_in_the_first_county(*, day, county):
        if county.pk == world.county.pk:
            raise ValueError("a disk went away")
        return original(day=day, county=county)

    monkeypatch.setattr(dropout.tasks, "advance_absences", broken_in_the_first_county)
    _redis_backend()
    ran = Ran()
    task_postrun.connect(ran, weak=False)
    try:
        dispatched = daily_dropout_run.delay().get(timeout=60)
        assert dispatched["counties"] == 2
        summary = _summary(dispatched)
    finally:
        task_postrun.disconnect(ran)
    # Each county's task ran once, then the summary once, with both counties' results.
    day = timezone.localdate().isoformat()
    assert sorted(ran.of("dropout.tasks.daily_dropout_county")) == [
        (world.county.pk, "daily_dropout", day),
        (county.pk, "daily_dropout", day),
    ]
    assert len(ran.of("core.tasks.county_run_summary")) == 1
    assert summary["counties"] == 2 and summary["failed"] == ["测试县"]
    assert summary["suspected"] == 1 and summary["dropped_out"] == 1
    # The second county went on: its pupil is a dropout with a case; the first county's is not.
    child.refresh_from_db()
    assert child.status == EnrollmentStatus.DROPPED_OUT
    assert DropoutCase.objects.get().child == child
    world.child1.refresh_from_db()
    assert world.child1.status == EnrollmentStatus.IN_SCHOOL
    # The failing county's bureau was told why, in Chinese.
    told = Notification.objects.filter(recipient=world.bureau, key__startswith="scheduled-run:")
    assert "测试县" in told.get().message and "系统发生意外错误" in told.get().message


def test_the_monthly_reports_run_as_a_chord_on_a_real_worker(transactional_db, world):
    county, _child, _bureau = absent_in_both_counties(world)
    _redis_backend()
    ran = Ran()
    task_postrun.connect(ran, weak=False)
    try:
        summary = _summary(generate_monthly_reports.delay().get(timeout=60))
    finally:
        task_postrun.disconnect(ran)
    assert len(ran.of("dropout.tasks.monthly_reports_county")) == 2
    assert len(ran.of("core.tasks.county_run_summary")) == 1
    assert summary == {"reports": 5, "counties": 2, "failed": []}
    month = previous_month(timezone.localdate())
    assert MonthlyReport.objects.filter(month=month, county=county).count() == 2
    assert MonthlyReport.objects.filter(month=month, county=world.county).count() == 3
