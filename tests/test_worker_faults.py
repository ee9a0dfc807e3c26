"""Worker faults: the process running a monthly report or an import commit is killed (SIGKILL)
in the middle of it; the task is redelivered, completes once, and nothing half-written was ever
visible."""

import datetime
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
from core.models import ImportJob
from dropout.models import MonthlyReport, ReportRun
from dropout.reports import previous_month
from enrollment.import_samples import POLICE_HEADERS, write_sheet
from enrollment.models import Child

from .conftest import client_for
from .imports.conftest import new_id

ROOT = Path(__file__).resolve().parent.parent
# A Redis database of its own, so that no other worker on the machine takes the message.
FAULT_REDIS_URL = settings.TEST_REDIS_URL.rsplit("/", 1)[0] + "/13"

# The worker: prefork, one child. At the step named on the command line the child notes its
# pid, and the first attempt then stops there until it is killed, so that the test kills it in
# the middle of the work whatever the machine's speed: a report between its figures and its
# workbook; an import after its rows are written but before its transaction commits. The
# redelivered attempt goes through. An attempt nobody killed fails after a generous timeout
# (the test then fails: the redelivered work never ran in a new process).
WORKER = """
import os, sys, time
import django
django.setup()
from config.celery import app
app.conf.update(broker_url=sys.argv[1], result_backend=sys.argv[1], task_always_eager=False)
from celery.signals import worker_ready

@worker_ready.connect
def say_ready(**kwargs):
    open(sys.argv[2] + ".ready", "w").close()

def note_pid():
    first = not os.path.exists(sys.argv[2])
    with open(sys.argv[2], "a") as pids:
        pids.write(f"{os.getpid()}\\n")
    if first:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:  # held here until the test kills this process
            time.sleep(0.1)
        raise RuntimeError("the first attempt was never killed")

if sys.argv[3] == "report":
    import dropout.services.reports as reports
    original = reports.build_workbook
    def slow_build(figures):
        note_pid()
        return original(figures)
    reports.build_workbook = slow_build
else:
    from enrollment.imports import PoliceExtractImporter
    original = PoliceExtractImporter.apply
    def slow_apply(self, plan, **kwargs):
        original(self, plan, **kwargs)
        note_pid()
    PoliceExtractImporter.apply = slow_apply
app.worker_main(["worker", "--pool=prefork", "--concurrency=1", "--loglevel=WARNING",
                 "--without-heartbeat", "--without-gossip", "--without-mingle"])
"""


def _pids(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def _wait(condition, seconds: float, what: str, log_file: Path):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    log = log_file.read_text()[-4000:] if log_file.exists() else ""
    pytest.fail(f"timed out waiting for {what}; the worker said:\n{log}")


def _start_worker(slow_step: str, pid_file: Path, log_file: Path) -> subprocess.Popen:
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
    }
    with log_file.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-c", WORKER, FAULT_REDIS_URL, str(pid_file), slow_step],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.fixture
def fault_worker(request, tmp_path):
    """A worker process of its own on a Redis database of its own; the test's param names the
    step to slow down. Yields the file the worker's children write their pids to."""
    if not settings.REDIS_AVAILABLE:
        pytest.fail(f"Redis is not reachable at {settings.TEST_REDIS_URL}")
    if connection.vendor != "postgresql":
        pytest.fail("the worker process needs the shared PostgreSQL test database")
    pid_file, log_file = tmp_path / "pids", tmp_path / "worker.log"
    previous = {
        key: celery_app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager")
    }
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.conf.update(
        broker_url=FAULT_REDIS_URL, result_backend=FAULT_REDIS_URL, task_always_eager=False
    )
    celery_app.control.purge()
    worker = _start_worker(request.param, pid_file, log_file)

    def ready():
        if worker.poll() is not None:
            pytest.fail(f"the worker exited ({worker.returncode}):\n{log_file.read_text()}")
        return Path(f"{pid_file}.ready").exists()

    try:
        _wait(ready, 120, "the worker to be ready", log_file)
        yield pid_file, log_file
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
@pytest.mark.parametrize("fault_worker", ["report"], indirect=True)
def test_a_report_survives_its_worker_being_killed(transactional_db, world, fault_worker):
    pid_file, log_file = fault_worker
    month = previous_month(timezone.localdate())
    client_for(world.bureau).post(reverse("dropout:report_generate"), {"month": f"{month:%Y-%m}"})
    run = ReportRun.objects.get()
    _wait(lambda: len(_pids(pid_file)) >= 1, 60, "the task to start", log_file)
    (first,) = _pids(pid_file)
    assert not MonthlyReport.objects.exists()  # half computed: nothing visible
    os.kill(first, signal.SIGKILL)

    def finished():
        run.refresh_from_db()
        return run.is_finished

    _wait(finished, 90, "the redelivered task to finish", log_file)
    assert run.status == ReportRun.Status.DONE, run.error
    assert len(set(_pids(pid_file))) >= 2  # it ran again, in a new process
    assert first not in _pids(pid_file)[1:]
    reports = MonthlyReport.objects.filter(month=month)
    assert reports.count() == 3  # once: the county and two townships, no duplicates
    assert all(report.workbook for report in reports)


def _police_extract(world, count: int) -> tuple[bytes, list[str]]:
    born = datetime.date(2016, 3, 4)
    ids = [new_id(born, 500 + n, "MF"[n % 2]) for n in range(count)]
    rows = [
        [
            n + 1,
            f"测试{n}",
            "男女"[n % 2],
            resident_id,
            born,
            f"一村{n}号",
            "",
            f"家长{n}",
            "父亲",
            f"1380000{n:04d}",
            world.village1.name,
        ]
        for n, resident_id in enumerate(ids)
    ]
    path = Path(settings.MEDIA_ROOT).parent / f"fault-extract-{os.getpid()}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_sheet(path, POLICE_HEADERS, rows)
    try:
        return path.read_bytes(), ids
    finally:
        path.unlink()


@pytest.mark.postgres
@pytest.mark.parametrize("fault_worker", ["import"], indirect=True)
def test_an_import_survives_its_worker_being_killed(transactional_db, world, fault_worker):
    from django.core.files.uploadedfile import SimpleUploadedFile

    pid_file, log_file = fault_worker
    content, ids = _police_extract(world, 40)
    client = client_for(world.township1_user)
    client.post(
        reverse("core:import_new", args=["police_extract"]),
        {"scope": f"township:{world.township1.pk}", "file": SimpleUploadedFile("x.xlsx", content)},
    )
    job = ImportJob.objects.get()

    def status_is(*statuses):
        def check():
            job.refresh_from_db()
            return job.status in statuses

        return check

    _wait(
        status_is(ImportJob.Status.CHECKED, ImportJob.Status.REJECTED), 60, "the dry run", log_file
    )
    assert job.status == ImportJob.Status.CHECKED and job.rows_new == 40, job.report
    client.post(reverse("core:import_commit", args=[job.pk]))
    _wait(lambda: len(_pids(pid_file)) >= 1, 60, "the commit to write its rows", log_file)
    (first,) = _pids(pid_file)
    # The rows are written in the worker's open transaction: none of them is visible.
    assert not Child.objects.filter(resident_id__in=ids).exists()
    os.kill(first, signal.SIGKILL)

    _wait(
        status_is(ImportJob.Status.COMMITTED, ImportJob.Status.FAILED),
        90,
        "the redelivered commit",
        log_file,
    )
    assert job.status == ImportJob.Status.COMMITTED, job.error
    assert len(set(_pids(pid_file))) >= 2 and first not in _pids(pid_file)[1:]
    assert Child.objects.filter(resident_id__in=ids).count() == 40  # each child once
    assert job.rows_new == 40
