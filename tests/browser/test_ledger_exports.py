"""End to end: an auditor finds the dropout-control ledgers in the menu, exports the persuasions
of a date range (the ID masked in the workbook), and reads the register of numbered documents."""

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from core.masking import mask_resident_id
from dropout.services import cases, documents

from ..conftest import PASSWORD

pytestmark = pytest.mark.browser

SERVED = {"served_to": "张大山", "service_method": "in_person", "service_place": "一组1号"}


def _days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def test_the_auditor_exports_a_ledger_and_reads_the_register(
    transactional_db, world, legal_texts, live_server, browser, screenshot, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    case = cases.open_case(
        actor=world.township1_user, child=world.child1, cause="work", opened_on=_days_ago(40)
    )
    for index in range(2):
        cases.log_persuasion(
            actor=world.township1_user,
            case=case,
            date=_days_ago(35 - index),
            visitors="班主任",
            officers=[world.township1_user, world.admin],
            what_was_said="宣讲义务教育法",
            family_answer="不愿返校",
            result="refused",
        )
    notice = documents.issue_resume_notice(
        actor=world.township1_user,
        case=case,
        served_on=timezone.localdate(),
        served_by="王五",
        **SERVED,
    )
    correction = documents.correct_document(
        actor=world.township1_user, document=notice, reason="姓名有误"
    )

    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "auditor")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.click("a.dropdown-toggle:has(.bi-exclamation-octagon)")
    page.click("a.dropdown-item:has-text('台账与Excel导出')")
    page.wait_for_selector("#ledger-table")
    page.fill("#id_date_from", _days_ago(34).isoformat())
    page.click("#ledger-range button[type=submit]")
    page.wait_for_selector('[data-count="persuasions"]')
    assert page.inner_text('[data-count="persuasions"]') == "1"
    screenshot(page, "dropout-ledgers")

    with page.expect_navigation():
        page.click("#export-persuasions")
    page.wait_for_selector("a[href$='/download/']", timeout=30000)
    screenshot(page, "dropout-ledger-export-done")
    with page.expect_download() as download_info:
        page.click("a[href$='/download/']")
    sheet = load_workbook(io.BytesIO(download_info.value.path().read_bytes())).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1
    assert mask_resident_id(world.child1.resident_id) in rows[0]

    page.goto(f"{live_server.url}/dropout/ledgers/register/")
    page.wait_for_selector("#register-table")
    table = page.inner_text("#register-table")
    assert notice.number in table and correction.number in table and "已作废" in table
    assert page.locator("#register-table tbody tr[data-sequence]").count() == 2
    screenshot(page, "dropout-document-register")
    context.close()
