"""End to end: a township official uploads a messy police extract, reads the errors, uploads the
corrected file, imports it, and opens the township's cross-check."""

import pytest

from core.models import ImportJob
from enrollment.models import Child

from ..conftest import PASSWORD
from ..imports.test_police_extract import Extract

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.mark.parametrize("viewport_name", ["desktop", "phone"])
def test_township_official_imports_a_police_extract_and_opens_the_cross_check(
    transactional_db, world, live_server, browser, screenshot, viewport_name, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    extract = Extract(world)
    messy, corrected = tmp_path / "花名册-有错.xlsx", tmp_path / "花名册.xlsx"
    messy.write_bytes(extract.messy_file())
    corrected.write_bytes(extract.corrected_file())
    viewport = DESKTOP if viewport_name == "desktop" else PHONE
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "township1")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    page.goto(f"{live_server.url}/imports/")
    page.wait_for_selector("[data-importer=police_extract]")
    screenshot(page, f"imports-{viewport_name}")
    page.click("[data-importer=police_extract] >> text=上传")
    page.set_input_files("#id_file", str(messy))
    page.click("main button[type=submit]")  # the header has a search form too
    page.wait_for_selector("#import-errors")
    assert page.get_attribute("#import-status", "data-status") == "rejected"
    assert "同一儿童已在本文件第 4 行" in page.inner_text("#import-errors")
    assert page.locator("#commit-import").count() == 0
    screenshot(page, f"import-errors-{viewport_name}")

    page.click("text=上传改正后的文件")
    page.set_input_files("#id_file", str(corrected))
    page.click("main button[type=submit]")
    page.wait_for_selector("#commit-import")
    assert page.inner_text("[data-count=new]") == "11"
    assert "13911112222" in page.inner_text("#import-rows")
    screenshot(page, f"import-dry-run-{viewport_name}")
    assert not Child.objects.filter(resident_id=extract.id_a).exists()
    page.click("#commit-import")
    page.wait_for_selector("#import-status[data-status=committed]")
    assert ImportJob.objects.filter(status=ImportJob.Status.COMMITTED).count() == 1
    assert Child.objects.filter(resident_id=extract.id_a).exists()

    page.goto(f"{live_server.url}/crosscheck/")
    page.wait_for_selector("#crosscheck-table")
    assert page.inner_text("[data-count=unaccounted]") == str(
        Child.objects.filter(village__township=world.township1, status="unverified").count()
    )
    screenshot(page, f"crosscheck-{viewport_name}")
    context.close()
