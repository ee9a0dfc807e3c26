"""Worker faults: the process running a monthly report is killed (SIGKILL) in the middle of it;
the task is redelivered, completes once, and nothing half-written was ever visible."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from dropout.models import MonthlyReport, ReportRun
from dropout.reports import previous_month

from .conftest import client_for

ROOT = Path(__file__).resolve().parent.parent
# A Redis database of its own, so that no other worker on the machine takes the message.
FAULT_REDIS_URL = settings.TEST_REDIS_URL.rsplit("/", 1)[0] + "/13"

# The worker: prefork, one child; each workbook takes a moment and the child notes its pid, so
# that the test can kill the child while the report is half computed.
WORKER = """
import os, sys, time
import django
django.setup()
from config.celery import app
app.conf.update(broker_url=sys.argv[1], result_backend=sys.argv[1], task_always_eager=False)
import dropout.services.reports as reports
original = reports.build_workbook
def slow_build(figures):
    with open(sys.argv[2], "a") as pids:
        pids.write(f"{os.getpid()}\\n")
    time.sleep(1.0)
    return original(figures)
reports.build_workbook = slow_build
app.worker_main(["worker", "--pool=prefork", "--concurrency=1", "--loglevel=WARNING",
                 "--without-heartbeat", "--without-gossip", "--without-mingle"])
"""


def _pids(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def _wait(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def fault_worker(tmp_path):
    if not settings.REDIS_AVAILABLE:
        pytest.fail(f"Redis is not reachable at {settings.TEST_REDIS_URL}")
    if connection.vendor != "postgresql":
        pytest.fail("the worker process needs the shared PostgreSQL test database")
    pid_file = tmp_path / "pids"
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
    }
    previous = {
        key: celery_app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager")
    }
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.conf.update(
        broker_url=FAULT_REDIS_URL, result_backend=FAULT_REDIS_URL, task_always_eager=False
    )
    celery_app.control.purge()
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, FAULT_REDIS_URL, str(pid_file)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        _wait(
            lambda: worker.poll() is None and celery_app.control.ping(timeout=0.5),
            60,
            "the worker to answer a ping",
        )
        yield pid_file
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        celery_app.conf.update(previous)


@pytest.mark.postgres
def test_a_report_survives_its_worker_being_killed(transactional_db, world, fault_worker):
    pid_file = fault_worker
    month = previous_month(timezone.localdate())
    client_for(world.bureau).post(reverse("dropout:report_generate"), {"month": f"{month:%Y-%m}"})
    run = ReportRun.objects.get()
    _wait(lambda: len(_pids(pid_file)) >= 1, 60, "the task to start")
    (first,) = _pids(pid_file)
    assert not MonthlyReport.objects.exists()  # half computed: nothing visible
    os.kill(first, signal.SIGKILL)

    def finished():
        run.refresh_from_db()
        return run.is_finished

    _wait(finished, 90, "the redelivered task to finish")
    assert run.status == ReportRun.Status.DONE, run.error
    assert len(set(_pids(pid_file))) >= 2  # it ran again, in a new process
    assert first not in _pids(pid_file)[1:]
    reports = MonthlyReport.objects.filter(month=month)
    assert reports.count() == 3  # once: the county and two townships, no duplicates
    assert all(report.workbook for report in reports)
