"""End to end: the inspector records an inspection and an issue, the school submits its
rectification on a phone, the inspector verifies it (销号); screenshots of the ledger."""

import pytest

from core.uploads import blank_pdf
from inspections.models import Complaint, Inspection, Issue
from inspections.services import complaints

from ..conftest import PASSWORD
from ..inspections.conftest import AREAS, area, days_ago, days_ahead, raise_issue

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _login(browser, live_server, username, viewport=None):
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page


def _submit(page):
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_an_issue_goes_from_inspection_to_verification(
    transactional_db, world, live_server, browser, screenshot, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    for name in AREAS:  # the migration's list, gone if an earlier transactional test flushed it
        area(name)
    # Some history for the ledger's figures: an overdue township issue and a complaint.
    raise_issue(world, unit=world.township1, deadline=days_ago(3), area_name="营养餐")
    complaints.register_complaint(
        actor=world.inspector,
        county=world.county,
        channel=Complaint.Channel.BOX,
        received_on=days_ago(2),
        content="匿名反映食堂问题",
        is_anonymous=True,
        handlers=[world.inspector],
        unit=world.school1,
    )

    context, page = _login(browser, live_server, "inspector")
    page.goto(f"{live_server.url}/inspections/inspections/new/")
    page.fill("#id_date", days_ago(1).isoformat())
    page.select_option("#id_unit", f"school:{world.school1.pk}")
    page.check(f"input[name=areas][value='{area('学生资助').pk}']")
    page.check(f"input[name=areas][value='{area('食堂').pk}']")
    page.fill("#id_summary", "查阅资助台账，走访食堂")
    _submit(page)
    inspection = Inspection.objects.get()
    page.click("#action-new-issue")
    page.fill("#id_responsible_person", "张校长")
    page.select_option("#id_area", str(area("学生资助").pk))
    page.select_option("#id_category", "funds")
    page.fill("#id_description", "建档立卡学生生活补助未足额发放")
    page.fill("#id_measures", "补发应发未发资金并公示")
    page.fill("#id_deadline", days_ahead(15).isoformat())
    _submit(page)
    issue = Issue.objects.get(inspection=inspection)
    assert issue.unit == world.school1 and "待整改" in page.inner_text("#issue-status")
    context.close()

    context, page = _login(browser, live_server, "school1", PHONE)
    page.goto(f"{live_server.url}/inspections/")
    screenshot(page, "inspections-ledger-school-phone")
    page.click(f"#issue-table a[href='/inspections/issues/{issue.pk}/']")
    screenshot(page, "inspections-issue-school-phone")
    page.click("#action-submit")
    page.fill("#id_note", "已补发并张榜公示")
    page.set_input_files(
        "#id_evidence_file",
        files=[{"name": "公示.pdf", "mimeType": "application/pdf", "buffer": blank_pdf()}],
    )
    _submit(page)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SUBMITTED
    assert "已提交整改" in page.inner_text("#issue-events")
    context.close()

    context, page = _login(browser, live_server, "inspector")
    page.goto(f"{live_server.url}/inspections/issues/{issue.pk}/")
    page.click("#action-verify")
    page.fill("#id_note", "现场复核，同意销号")
    _submit(page)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.VERIFIED
    page.goto(f"{live_server.url}/inspections/")
    assert page.inner_text("[data-stat=found]") == "2"
    assert page.inner_text("[data-stat=verified]") == "1"
    assert page.locator("#area-chart").is_visible()
    screenshot(page, "inspections-ledger-desktop")
    page.goto(f"{live_server.url}/inspections/summary/")
    screenshot(page, "inspections-summary-desktop")
    page.goto(f"{live_server.url}/inspections/complaints/")
    screenshot(page, "inspections-complaints-desktop")
    context.close()

    context, page = _login(browser, live_server, "inspector", PHONE)
    page.goto(f"{live_server.url}/inspections/")
    screenshot(page, "inspections-ledger-phone")
    context.close()
