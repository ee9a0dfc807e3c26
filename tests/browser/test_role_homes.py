"""Each demo role's home leads with its own work queue (issue 17, point 10), at desktop and phone
widths, passes axe, and is saved as a screenshot (test-artifacts/screenshots/home-<role>-*.png).

One live server with a small demo county serves the module (the accessibility module's way of
loading it, without its page walk)."""

import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from enrollment import demo

from ..conftest import load_small_demo, restore_catalogues
from .a11y import AXE_SCRIPT, DESKTOP, PHONE, axe

ROLES = ["admin", "bureau", "township1", "village1", "school1", "inspector", "auditor"]


@pytest.fixture(scope="module")
def site_url(django_db_setup, django_db_blocker):
    from pytest_django.live_server_helper import LiveServer

    server = None
    try:
        with django_db_blocker.unblock():
            load_small_demo()
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        yield server.url
    finally:
        if server is not None:
            server._live_server_modified_settings.disable()
            server.stop()
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)
            restore_catalogues()


def _log_in(browser, site_url, username):
    # The CSP forbids inline script: only the test's own injected axe needs it bypassed.
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", bypass_csp=True)
    context.add_init_script(script=AXE_SCRIPT.read_text(encoding="utf-8"))
    page = context.new_page()
    page.goto(f"{site_url}{reverse('login')}")
    page.fill("#id_username", username)
    page.fill("#id_password", demo.DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector("#notification-bell", state="attached")
    return context, page


pytestmark = [pytest.mark.browser, pytest.mark.django_db]

# The queue each role's home leads with (core.home's providers in their order).
LEADS_WITH = {
    "admin": "issues_to_verify",
    "bureau": "exemptions_bureau",
    "township1": "cases_due",
    "village1": "visits_due",
    "school1": "absences",
    "inspector": "issues_to_verify",
    "auditor": "exports",
}
FIGURES = {"admin", "bureau", "township1"}
# Not any role's but the inspectors': (the inspector's home must not open with dropout KPIs).
NOT_OURS = {
    "inspector": {"cases_due", "visits_due", "absences", "exports"},
    "school1": {"issues_to_verify", "cases_due", "visits_due"},
    "village1": {"cases_due", "issues_to_verify", "absences"},
}


@pytest.mark.parametrize("role", ROLES)
def test_each_roles_home_leads_with_its_queue_at_both_widths(site_url, browser, screenshot, role):
    context, page = _log_in(browser, site_url, role)
    page.goto(f"{site_url}/")
    queues = page.locator("[data-queue]")
    keys = [queues.nth(index).get_attribute("data-queue") for index in range(queues.count())]
    assert keys and keys[0] == LEADS_WITH[role], keys
    assert not set(keys) & NOT_OURS.get(role, set())
    # The queues come before any figure; only the bureau and the townships have figures.
    html = page.content()
    assert html.index('id="home-queues"') < (
        html.index('id="rate-chart"') if role in FIGURES else len(html)
    )
    if role not in FIGURES:
        assert page.locator("#rate-chart").count() == 0
    # Every listed item leads to where the work is done, inside the site.
    for href in page.locator(".home-queue a").evaluate_all("els => els.map(e => e.href)"):
        assert href.startswith(site_url), href
    # The person is named, not the login.
    person = page.locator("#nav-person")
    assert not re.search(rf"\b{role}\b", person.inner_text())
    found = []
    axe(page, f"{role} home [desktop]", found)
    screenshot(page, f"home-{role}-desktop")
    page.set_viewport_size(PHONE)
    axe(page, f"{role} home [phone]", found)
    screenshot(page, f"home-{role}-phone")
    context.close()
    assert found == [], f"{len(found)} WCAG 2.1 A/AA violations:\n" + "\n".join(found)
