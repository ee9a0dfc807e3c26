"""End to end: a township official records a household visit from the ledger."""

import pytest

from enrollment.models import EnrollmentStatus, HouseholdVisit

from ..conftest import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.mark.parametrize("viewport_name", ["desktop", "phone"])
def test_township_official_records_a_visit_and_sees_it_on_the_child_page(
    transactional_db, world, live_server, browser, screenshot, viewport_name
):
    viewport = DESKTOP if viewport_name == "desktop" else PHONE
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "township1")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    # The home page is the overview of the township; from there to its ledger.
    page.wait_for_selector("#open-ledger")
    screenshot(page, f"dashboard-{viewport_name}")
    page.click("#open-ledger")
    page.wait_for_selector("#summary")
    assert "乡镇台账" in page.content()
    assert world.child2.name not in page.content()  # township2's child is not listed
    screenshot(page, f"township-ledger-{viewport_name}")

    page.click(f"text={world.sibling1.name}")
    page.wait_for_selector("#record-visit")
    page.click("#record-visit")
    page.fill("#id_visitors", "乡镇干部张三、教师李四")
    page.fill("#id_findings", "孩子在家照顾祖母，未到校")
    page.select_option("#id_outcome", "at_home")
    page.select_option("#id_new_status", "never_enrolled")
    page.fill("#id_follow_up", "联系学校安排入学")
    screenshot(page, f"visit-form-{viewport_name}")
    page.click("main button[type=submit]")  # the header has a search form too

    page.wait_for_selector("#visits .visit")
    visits_text = page.inner_text("#visits")
    assert "孩子在家照顾祖母，未到校" in visits_text
    assert "失学" in page.inner_text("#status-history")
    screenshot(page, f"child-page-{viewport_name}")

    world.sibling1.refresh_from_db()
    assert world.sibling1.status == EnrollmentStatus.NEVER_ENROLLED
    assert HouseholdVisit.objects.get().recorded_by == world.township1_user
    context.close()
