"""End to end: bureau staff open 辍学风险名单 from the menu, read the high-risk children with
their reasons, assign a help pairing from the list in one step, and read the backtest chart
(on its page and on the overview) — axe-checked at desktop and phone widths."""

import datetime

import pytest

from enrollment.models import HelpPairing, PovertyStatus
from risk.services import month_starts, recompute_scores, run_backtest
from tests.factories import HouseholdFactory

from ..conftest import PASSWORD
from ..risk.conftest import absence, backdate, history, pupil
from .a11y import AXE_SCRIPT, DESKTOP, PHONE, violations

pytestmark = pytest.mark.browser
DAY = datetime.timedelta(days=1)


def _risky_county(world, today):
    poor = HouseholdFactory(village=world.village1, poverty_status=PovertyStatus.MONITORED)
    high = pupil(world, household=poor, is_left_behind=True)
    absence(world, high, since=today - 6 * DAY, back=today - DAY)
    long_ago = datetime.datetime(today.year - 3, 1, 1, tzinfo=datetime.UTC)
    others = [pupil(world) for _ in range(12)]
    for child in [high, *others]:
        backdate(child, recorded=long_ago)
    for index, month in enumerate(month_starts(today, 6)):
        child = others[index]
        absence(world, child, since=month - 12 * DAY, back=month - 2 * DAY)
        history(child, "dropped_out", month + 20 * DAY)
    recompute_scores(county=world.county)
    run_backtest(county=world.county, months=6, day=today)
    return high


def test_bureau_reads_the_risk_list_pairs_a_child_and_reads_the_backtest(
    transactional_db, world, live_server, browser, screenshot
):
    from django.utils import timezone

    high = _risky_county(world, timezone.localdate())
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", bypass_csp=True)
    context.add_init_script(script=AXE_SCRIPT.read_text(encoding="utf-8"))
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "bureau")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    page.wait_for_selector("#risk-backtest-panel canvas#backtest-chart")
    page.click("a.dropdown-toggle:has(.bi-exclamation-octagon)")
    page.click("a.dropdown-item:has-text('辍学风险名单')")
    page.wait_for_selector("#risk-table")
    row = page.locator(f'tr[data-child="{high.pk}"]')
    assert "近30天缺课5天" in row.inner_text() and "留守儿童" in row.inner_text()
    assert violations(page) == []
    screenshot(page, "risk-list")
    page.set_viewport_size(PHONE)
    assert violations(page) == []
    screenshot(page, "risk-list-phone")
    page.set_viewport_size(DESKTOP)

    row.locator("a:has-text('安排结对帮扶')").click()
    page.fill("#id_partner_name", "张老师")
    page.select_option("#id_partner_kind", "teacher")
    page.fill("#id_plan", "每周家访一次，辅导数学")
    page.fill("#id_start_date", timezone.localdate().isoformat())
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert HelpPairing.objects.filter(child=high, partner_name="张老师").exists()

    page.goto(f"{live_server.url}/risk/backtest/")
    page.wait_for_selector("#backtest-chart")
    page.wait_for_function("() => window.Chart && Chart.getChart('backtest-chart')")
    assert page.locator("#backtest-table tbody tr").count() == 6
    assert violations(page) == []
    screenshot(page, "risk-backtest")
    page.set_viewport_size(PHONE)
    assert violations(page) == []
    screenshot(page, "risk-backtest-phone")
    context.close()
