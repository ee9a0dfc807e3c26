"""The payment list through the shared import pipeline: a dry run reports every bad row (the
service's own verdict included) and writes nothing; a clean file is committed in one go."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import TestCase
from openpyxl import Workbook

from core.import_jobs import request_commit, start_import
from core.models import ImportJob
from subsidies.services import batches

from .conftest import AUTUMN, programme

HEADERS = ["姓名", "公民身份号码", "资助项目", "学年/学期", "金额", "发放日期"]


@pytest.fixture
def batch(scenario, media):
    return batches.create_batch(
        actor=scenario.school1_user,
        county=scenario.county,
        programme=programme("boarding-living-allowance"),
        period=AUTUMN,
        school=scenario.school1,
    )


def workbook(rows) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(["城关镇中心小学寄宿生生活补助发放名单"])
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("名单.xlsx", buffer.getvalue())


def upload(user, batch, rows):
    with TestCase.captureOnCommitCallbacks(execute=True):
        job = start_import(
            user=user,
            importer="subsidy_payments",
            scope_key=f"batch:{batch.pk}",
            upload=workbook(rows),
        )
    job.refresh_from_db()
    return job


def test_a_clean_list_is_checked_then_committed(scenario, batch):
    w = scenario
    job = upload(
        w.school1_user,
        batch,
        [
            [
                "王小一",
                w.child1.resident_id,
                "家庭经济困难寄宿生生活补助",
                "2025-1",
                500,
                "2025-11-15",
            ]
        ],
    )
    assert job.status == ImportJob.Status.CHECKED, job.report
    assert not batch.payments.exists()  # the dry run wrote nothing
    with TestCase.captureOnCommitCallbacks(execute=True):
        request_commit(job=job, actor=w.school1_user)
    line = batch.payments.get()
    assert line.child == w.child1 and str(line.amount) == "500.00"
    assert line.paid_on.isoformat() == "2025-11-15"


def test_bad_rows_are_reported_with_row_column_and_reason(scenario, batch):
    w = scenario
    job = upload(
        w.school1_user,
        batch,
        [
            ["王小一", w.child1.resident_id, "家庭经济困难寄宿生生活补助", "2025-1", 900, ""],
            ["错名字", w.child1b.resident_id, "家庭经济困难寄宿生生活补助", "2025-1", 500, ""],
            ["王乙乙", w.child1b.resident_id, "作业本费", "2024-2", "abc", ""],
        ],
    )
    assert job.status == ImportJob.Status.REJECTED
    errors = {(error["row"], error["column"]) for error in job.report["errors"]}
    assert (3, "说明") in errors  # above the standard without a reason (the service says so)
    assert (4, "姓名") in errors
    assert {(5, "资助项目"), (5, "学年/学期"), (5, "金额")} <= errors
    assert not batch.payments.exists()


def test_only_a_batch_being_prepared_in_scope_can_be_imported_into(scenario, batch):
    w = scenario
    with pytest.raises(Http404):
        upload(w.school1_user, batch.__class__(pk=999999), [])
    other = batches.create_batch(
        actor=w.bureau,
        county=w.county,
        programme=programme("exercise-books"),
        period=AUTUMN,
        school=w.school2,
    )
    with pytest.raises(Http404):
        upload(w.school1_user, other, [])
    with pytest.raises(PermissionDenied):
        upload(w.auditor, batch, [])
