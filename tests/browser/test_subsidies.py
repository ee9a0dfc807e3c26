"""End to end: a school lists its eligible boarders, the bureau approves and pays the batch,
runs the entitlement check and reads the gaps; screenshots of the main pages (desktop, phone)."""

import datetime

import pytest

from subsidies.models import Batch, GapRun
from subsidies.services import fund

from ..conftest import PASSWORD
from ..subsidies.conftest import AUTUMN, YEAR, programme
from ..subsidies.conftest import scenario as scenario  # noqa: F401 (the fixture)

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


def _click(page, selector):
    page.click(selector)
    page.wait_for_load_state("networkidle")


def test_a_batch_from_eligibility_to_payment_and_the_entitlement_check(
    transactional_db, scenario, live_server, browser, screenshot
):
    w = scenario
    the_fund = fund.open_fund(
        actor=w.bureau,
        county=w.county,
        name="测试县教育扶贫救助基金",
        founded_on=datetime.date(2022, 3, 1),
    )
    fund.record_inflow(
        actor=w.bureau,
        fund=the_fund,
        kind="income",
        amount="50000",
        date=datetime.date(YEAR, 12, 20),
        counterparty="县扶贫基金会",
        purpose="投资收益",
    )
    fund.approve_grant(
        actor=w.bureau,
        entry=fund.request_grant(
            actor=w.bureau,
            fund=the_fund,
            child=w.child1,
            amount="2000",
            date=datetime.date(YEAR, 12, 21),
            hardship="父亲因病去世",
        ),
    )

    context, page = _login(browser, live_server, "school1")
    page.goto(f"{live_server.url}/subsidies/batches/new/")
    page.select_option("#id_programme", str(programme("boarding-living-allowance").pk))
    page.fill("#id_period", AUTUMN)
    page.select_option("#id_school", str(w.school1.pk))
    _click(page, "main form button[type=submit]")  # not the header search
    batch = Batch.objects.get()
    _click(page, "#build-button")
    assert "王小一" in page.inner_text("#line-table")
    assert page.inner_text("#batch-total").strip() == "500.00"
    _click(page, "#review-button")
    assert not page.locator("#approve-button").count()  # a school does not approve
    context.close()

    context, page = _login(browser, live_server, "bureau")
    page.goto(f"{live_server.url}/subsidies/batches/{batch.pk}/")
    _click(page, "#approve-button")
    _click(page, "#pay-button")
    batch.refresh_from_db()
    assert batch.status == Batch.Status.PAID
    assert "已发放并锁定" in page.inner_text("#batch-status")
    screenshot(page, "subsidies-batch-paid")

    page.goto(f"{live_server.url}/subsidies/gaps/")
    page.fill("#id_period", AUTUMN)
    _click(page, "#start-check")
    run = GapRun.objects.get()
    page.goto(f"{live_server.url}/subsidies/gaps/{run.pk}/")
    table = page.inner_text("#gap-table")
    assert "李小二" in table and "应发未发" in table  # child2's allowance was never paid
    screenshot(page, "subsidies-gap-results")

    pages = {
        "payments": "/subsidies/payments/",
        "batches": "/subsidies/batches/",
        "totals": "/subsidies/totals/",
        "gap-runs": "/subsidies/gaps/",
        "fund": "/subsidies/fund/",
        "programmes": "/subsidies/programmes/",
        "identifications": "/subsidies/identifications/",
    }
    for name, url in pages.items():
        page.goto(f"{live_server.url}{url}")
        screenshot(page, f"subsidies-{name}-desktop")
    context.close()

    context, page = _login(browser, live_server, "bureau", viewport=PHONE)
    for name, url in pages.items():
        page.goto(f"{live_server.url}{url}")
        screenshot(page, f"subsidies-{name}-phone")
    page.goto(f"{live_server.url}/subsidies/gaps/{run.pk}/")
    screenshot(page, "subsidies-gap-results-phone")
    context.close()
