"""End to end: bureau staff open 年度工作数据 from the menu, generate this year's county summary,
watch its progress, read the figures, the sentences and the charts (axe-checked at desktop and
phone widths), approve it and download its Word document."""

import io

import pytest
from docx import Document

from yearend.models import AnnualSummary

from ..conftest import PASSWORD
from ..yearend.conftest import inspect_this_and_last_year, this_year
from .a11y import AXE_SCRIPT, DESKTOP, PHONE, violations

pytestmark = pytest.mark.browser


def test_bureau_generates_reads_and_approves_the_annual_summary(
    transactional_db, world, live_server, browser, screenshot, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    inspect_this_and_last_year(world)

    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", bypass_csp=True)
    context.add_init_script(script=AXE_SCRIPT.read_text(encoding="utf-8"))
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "bureau")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    page.click("a.dropdown-toggle:has(.bi-journal-text)")
    page.click("a.dropdown-item:has-text('年度工作数据')")
    page.wait_for_selector("#generate-form")
    page.select_option("#id_year", str(this_year()))
    page.select_option("#id_scope", f"county:{world.county.pk}")
    page.click("#generate-form button[type=submit]")
    page.wait_for_selector("#open-summary", timeout=60000)
    page.click("#open-summary")
    page.wait_for_selector("#section-inspections")

    row = page.locator('[data-figure="inspections.inspections"] [data-value]')
    assert row.inner_text() == "3次"
    sentences = page.locator("#section-inspections [data-sentence]").all_inner_texts()
    assert any("纵向监督检查3次，发现问题3个" in sentence for sentence in sentences)
    assert page.locator("canvas[data-annual-chart]").count() >= 1
    assert violations(page) == []
    screenshot(page, "annual-summary")
    page.set_viewport_size(PHONE)
    assert violations(page) == []
    screenshot(page, "annual-summary-phone")
    page.set_viewport_size(DESKTOP)

    with page.expect_download() as download_info:
        page.click("#download-document")
    document = Document(io.BytesIO(download_info.value.path().read_bytes()))
    assert any("纵向监督检查3次" in paragraph.text for paragraph in document.paragraphs)

    page.click("#approve-form button[type=submit]")
    page.wait_for_selector("#approval-state .text-bg-success")
    assert "已审核锁定" in page.inner_text("#approval-state")
    assert page.locator("#approve-form").count() == 0
    summary = AnnualSummary.objects.get(county=world.county, township=None, year=this_year())
    assert summary.is_approved and summary.approved_by == world.bureau
    context.close()
