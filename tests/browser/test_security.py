"""End to end in chromium: the Content-Security-Policy (no inline script) breaks nothing on the
main pages — the charts draw, the language menu still switches (by its button, no inline
handler) — and an idle login is sent back to the login page with a message."""

import time

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from core.middleware import SessionTimeoutMiddleware

from ..conftest import PASSWORD

pytestmark = pytest.mark.browser


def _log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_pages_run_under_the_csp_and_the_language_menu_still_switches(
    transactional_db, world, live_server, browser, screenshot
):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    _log_in(page, live_server, "township1")
    for path in (
        "/",
        f"/ledger/township/{world.township1.pk}/",
        f"/children/{world.child1.pk}/",
        "/dropout/cases/",
        "/api/docs/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/ledger/township/{world.township1.pk}/")
    page.wait_for_load_state("networkidle")
    screenshot(page, "csp-township-ledger")
    assert violations == []

    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.select_option("select[name=language]", "en")
    # Choosing alone does not leave the page (WCAG 3.2.2); the 切换 button switches.
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.click("form:has(select[name=language]) button[type=submit]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert "ledger" in page.content().lower()
    screenshot(page, "csp-language-switched")
    context.close()


def test_an_idle_login_lands_on_the_login_page_with_a_message(
    transactional_db, world, live_server, browser, screenshot, settings
):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    _log_in(page, live_server, "village1")

    (session,) = Session.objects.all()
    data = session.get_decoded()
    data[SessionTimeoutMiddleware.LAST_SEEN] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 5
    Session.objects.save(session.session_key, data, session.expire_date)

    page.goto(f"{live_server.url}/")
    page.wait_for_selector("#id_username")
    assert "/accounts/login/" in page.url
    assert "分钟无操作" in page.content()
    screenshot(page, "idle-logout-phone")
    context.close()
