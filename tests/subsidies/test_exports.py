"""Every ledger's Excel export through the shared machinery, read back cell by cell."""

import datetime
import io

import pytest
from django.test import TestCase
from django.urls import reverse
from openpyxl import load_workbook

from core.models import ExportJob
from subsidies.services import fund, gaps, identification

from ..conftest import client_for
from .conftest import AUTUMN, YEAR, paid_batch


@pytest.fixture
def ledgers(scenario, media):
    w = scenario
    paid_batch(w, "boarding-living-allowance", AUTUMN, w.school1, [{"child": w.child1.pk}])
    paid_batch(w, "boarding-living-allowance", AUTUMN, w.school2, [{"child": w.child2.pk}])
    the_fund = fund.open_fund(
        actor=w.bureau, county=w.county, name="基金", founded_on=datetime.date(2022, 1, 1)
    )
    fund.record_donation(
        actor=w.bureau,
        county=w.county,
        donor="=HYPERLINK(1)",
        donor_kind="enterprise",
        kind="money",
        value="5000",
        purpose="助学",
        date=datetime.date(YEAR, 10, 1),
    )
    entry = fund.request_grant(
        actor=w.bureau,
        fund=the_fund,
        child=w.child1,
        amount="1200",
        date=datetime.date(YEAR, 10, 2),
        hardship="父亲重病",
    )
    fund.approve_grant(actor=w.bureau, entry=entry)
    identification.pre_identify(actor=w.school1_user, school=w.school1, school_year=YEAR)
    with TestCase.captureOnCommitCallbacks(execute=True):
        w.run = gaps.start_gap_run(actor=w.bureau, county=w.county, period=AUTUMN)
    return w


def export(user, name, data=None):
    client = client_for(user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("subsidies:export", args=[name]), data or {})
    job = ExportJob.objects.filter(requested_by=user).latest("pk")
    assert response["Location"] == reverse("core:export_detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == "done", job.error
    download = client.get(reverse("core:export_download", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_payments_export_holds_the_scoped_filtered_rows_cell_by_cell(ledgers):
    w = ledgers
    rows = export(w.school1_user, "payments")
    assert rows[0][:10] == [
        "序号",
        "姓名",
        "公民身份号码",
        "乡镇",
        "学校",
        "学段",
        "资助项目",
        "学年/学期",
        "类别",
        "金额（元）",
    ]
    assert len(rows) == 2  # school1 sees its own line only
    line = rows[1]
    assert line[1] == "王小一" and line[2] == w.child1.masked_resident_id
    assert line[3:9] == [
        "一镇",
        "一镇小学",
        "小学",
        "家庭经济困难寄宿生生活补助",
        "2025—2026学年秋季学期",
        "发放",
    ]
    assert line[9] == 500 and line[14] == "已发放并锁定"
    rows = export(w.auditor, "payments", {"school": str(w.school2.pk)})
    assert [row[1] for row in rows[1:]] == ["李小二"] and rows[1][9] == 312.5


def test_gap_export_is_the_run_scoped_to_the_user(ledgers):
    w = ledgers
    rows = export(w.township2_user, "gaps", {"run": str(w.run.pk)})
    assert rows[0][:4] == ["序号", "问题类别", "姓名", "公民身份号码"]
    expected = w.run.gaps.filter(township=w.township2).count()
    assert len(rows) - 1 == expected > 0
    assert {row[5] for row in rows[1:]} == {"二镇"}
    client = client_for(w.township2_user)
    assert (
        client.post(reverse("subsidies:export", args=["gaps"]), {"run": "999999"}).status_code
        == 404
    )


def test_fund_donation_batch_and_identification_exports(ledgers):
    w = ledgers
    fund_rows = export(w.auditor, "fund")
    assert fund_rows[0][:4] == ["日期", "类别", "收入（元）", "支出（元）"]
    assert fund_rows[1][1:5] == ["捐赠", 5000, None, "=HYPERLINK(1)"]
    assert fund_rows[2][1] == "资助学生" and fund_rows[2][3] == 1200 and fund_rows[2][5] == "王小一"
    donations = export(w.auditor, "donations")
    assert donations[1][1] == "=HYPERLINK(1)" and donations[1][3] == "资金"
    batch_rows = export(w.auditor, "batches")
    assert len(batch_rows) == 3 and batch_rows[0][0] == "批次"
    ids = export(w.school1_user, "identifications")
    assert ids[0][:3] == ["学年", "学校", "姓名"] and ids[1][2] == "王小一"


def test_an_unknown_export_is_404(ledgers):
    response = client_for(ledgers.bureau).post(reverse("subsidies:export", args=["nothing"]))
    assert response.status_code == 404
