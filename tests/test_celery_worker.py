"""A real Celery worker on the machine's Redis runs an export end to end (not eager)."""

import io
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from config.celery import app as celery_app
from core.models import ExportJob

from .conftest import client_for


def _drop_connection_pools():
    """Eager tests leave pools bound to the in-memory broker; the next publish must reconnect."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def redis_worker(tmp_path):
    if not settings.REDIS_AVAILABLE:
        pytest.fail(f"Redis is not reachable at {settings.TEST_REDIS_URL}")
    previous = {
        key: celery_app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager")
    }
    _drop_connection_pools()
    celery_app.conf.update(
        broker_url=settings.TEST_REDIS_URL,
        result_backend=settings.TEST_REDIS_URL,
        task_always_eager=False,
    )
    celery_app.control.purge()  # the test database of Redis holds no stale messages
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        _drop_connection_pools()
        celery_app.conf.update(previous)


def test_a_real_worker_writes_the_ledger_export(
    transactional_db, world, redis_worker, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(world.township1_user)
    response = client.post(
        reverse("enrollment:export_ledger", args=["township", world.township1.pk])
    )
    assert response.status_code == 302
    job = ExportJob.objects.get()
    deadline = time.monotonic() + 30
    while not job.is_finished and time.monotonic() < deadline:
        time.sleep(0.2)
        job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error
    assert job.rows_written == 3
    download = client.get(reverse("core:export_download", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "王小一",
        "王小妹",
        "王乙乙",
    ]


def test_a_real_worker_generates_the_monthly_report_asked_for(
    transactional_db, world, redis_worker, tmp_path, settings
):
    """Bureau staff ask for last month; the worker (not eager) computes it as of the month's end
    and leaves one report per scope, each with its workbook."""
    from django.utils import timezone

    from dropout.models import MonthlyReport, ReportRun
    from dropout.reports import previous_month

    settings.MEDIA_ROOT = tmp_path
    month = previous_month(timezone.localdate())
    client = client_for(world.bureau)
    response = client.post(reverse("dropout:report_generate"), {"month": f"{month:%Y-%m}"})
    run = ReportRun.objects.get()
    assert response.url == reverse("dropout:report_run", args=[run.pk])
    deadline = time.monotonic() + 30
    while not run.is_finished and time.monotonic() < deadline:
        time.sleep(0.2)
        run.refresh_from_db()
    assert run.status == ReportRun.Status.DONE, run.error
    reports = MonthlyReport.objects.filter(month=month)
    assert reports.count() == 3  # the county and its two townships
    county = reports.get(township__isnull=True)
    assert county.figures["totals"]["enrolled"] == 2  # child1 and child2 are in school
    sheet = load_workbook(io.BytesIO(county.workbook.read()))["分乡镇"]
    assert [sheet.cell(row=r, column=1).value for r in (2, 3, 4)] == ["一镇", "二镇", "合计"]
