"""WCAG 2.1 AA (GB/T 37668-2019 follows WCAG 2.0 AA) on every page, checked in chromium.

axe-core (vendored under vendor/axe-core, a test asset: never a CDN) runs on every page the route
walk (tests/test_route_walk.py) can open for each demo role at desktop (1366x900) width, and at
phone (390x844) width for the first role that opens it (the breakpoints are the same for every
role; what differs between roles is content, which desktop covers), in the opened states too
(the navbar's menus, the phone menu, each form after a refused submit, the login page after a
wrong password). Any violation tagged wcag2a, wcag2aa,
wcag21a or wcag21aa fails the test, with every page, rule and element listed.

The keyboard is walked by hand where axe cannot judge: the skip link is the first Tab stop, every
Tab stop shows a focus outline at least 3:1 against the colours next to it, the error summary
takes the focus after a bad submit and its links lead to the fields, the language select changes
nothing on an arrow key, and the bell's name says how many notifications are unread.

One server with the demo county serves the whole module (loading it takes most of a minute):
the data are committed for the server's thread and flushed when the module ends.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Error as PlaywrightError

from config import access
from core.models import Notification
from enrollment import demo

from ..conftest import load_small_demo, restore_catalogues
from ..test_route_walk import _own_records, inside_url
from .a11y import AXE_SCRIPT, DESKTOP, PHONE, axe

# django_db: the test database is set up and the tests may read it; the server's thread reads
# the demo data the module fixture committed, outside the tests' rolled-back transactions.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

NOT_A_PAGE = ("Download is starting", "ERR_ABORTED", "ERR_HTTP_RESPONSE_CODE_FAILURE")
# One account per role (township2 is a second township official: the same pages as township1).
ROLES = [
    "admin",
    "bureau",
    "township1",
    "village1",
    "school1",
    "inspector",
    "auditor",
    "prefecture",
]
MIN_FOCUS_CONTRAST = 3.0


# --- the demo county behind one live server -------------------------------------------------


class Site:
    def __init__(self, url, pages):
        self.url = url
        self.pages = pages  # role -> [(route name, path)]
        # Pages already audited at the phone width (by route name or refusal status): the
        # layout's breakpoints are the same for every role, so the next roles check desktop only.
        self.phone_audited = set()

    def path(self, role, name):
        return next(path for route, path in self.pages[role] if route == name)


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    from pytest_django.live_server_helper import LiveServer

    server = None
    try:
        with django_db_blocker.unblock():
            place, accounts = load_small_demo()
            _own_records(place, accounts)
            # Every role's bell shows a count: two each, as the page walk opens (reads) one.
            for role in ROLES:
                for _ in range(2):
                    Notification.objects.create(
                        recipient=accounts[role], message="待办提醒", link="/"
                    )
            pages = {role: list(_page_paths(accounts[role])) for role in ROLES}
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        yield Site(server.url, pages)
    finally:
        if server is not None:
            server._live_server_modified_settings.disable()
            server.stop()
        with django_db_blocker.unblock():  # also after a failed load: the data were committed
            call_command("flush", interactive=False, verbosity=0)
            restore_catalogues()


def _page_paths(user):
    """Every page route a GET opens, for a record inside the user's scope (the routes declared
    in config.access, as the route walk reads them)."""
    for name, door in sorted(access.PAGES.items()):
        if door.public or not door.get.accepted:
            continue
        found = inside_url(name, door, user)
        if found is not None:
            yield name, found[0]


# --- the browser side ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def axe_source():
    return AXE_SCRIPT.read_text(encoding="utf-8")


def new_context(browser, axe_source, viewport=DESKTOP):
    # The CSP forbids inline script: only the test's own injected axe needs it bypassed.
    context = browser.new_context(viewport=viewport, locale="zh-CN", bypass_csp=True)
    context.add_init_script(script=axe_source)
    return context


def log_in(context, site, username):
    page = context.new_page()
    page.goto(f"{site.url}{reverse('login')}")
    page.fill("#id_username", username)
    page.fill("#id_password", demo.DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector("#notification-bell", state="attached")  # hidden in the phone menu
    return page


def axe_both_widths(page, where, found):
    page.set_viewport_size(DESKTOP)
    axe(page, f"{where} [desktop]", found)
    page.set_viewport_size(PHONE)
    axe(page, f"{where} [phone]", found)
    page.set_viewport_size(DESKTOP)


def assert_no_violations(found):
    assert found == [], f"{len(found)} WCAG 2.1 A/AA violations:\n" + "\n".join(found)


def open_page(page, url):
    """(the tab, the page's response); (a fresh tab, None) for a route that is not a page:
    a download (an export, a PDF) or a POST-only action answering GET with an empty 405."""
    try:
        response = page.goto(url)
    except PlaywrightError as error:
        if not any(reason in str(error) for reason in NOT_A_PAGE):
            raise
        response = None
    if response is None or "text/html" not in response.headers.get("content-type", ""):
        # chromium may still be showing its own error page: a new tab, not a race with it.
        fresh = page.context.new_page()
        page.close()
        return fresh, None
    return page, response


# --- every page, every role, both widths ----------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_can_open_passes_axe_at_desktop_and_phone_widths(
    site, browser, axe_source, role
):
    context = new_context(browser, axe_source)
    page = log_in(context, site, role)
    found, audited, statuses = [], set(), set()
    for name, path in site.pages[role]:
        page, response = open_page(page, f"{site.url}{path}")
        if response is None:
            continue
        landed = page.url.removeprefix(site.url).split("#")[0]
        if response.status != 200:
            # A refusal (403) or a page outside the scope (404): each kind once per role.
            if response.status in statuses:
                continue
            statuses.add(response.status)
        elif landed in audited:
            continue  # a redirect to a page already audited
        audited.add(landed)
        # Both widths the first time a route (or a refusal) is seen in the module, desktop only
        # for the next roles: what differs between roles is content, not the breakpoints.
        key = name if response.status == 200 else response.status
        if key in site.phone_audited:
            axe(page, f"{role} {name} {landed} [desktop]", found)
        else:
            site.phone_audited.add(key)
            axe_both_widths(page, f"{role} {name} {landed}", found)
    assert len(audited) > 20, f"{role} opened only {sorted(audited)}"
    context.close()
    assert_no_violations(found)


@pytest.mark.parametrize("role", ROLES)
def test_the_opened_menus_pass_axe(site, browser, axe_source, role):
    """Every navbar menu opened on a desktop, and the phone menu opened with each of its menus."""
    context = new_context(browser, axe_source)
    page = log_in(context, site, role)
    found = []
    toggles = page.locator("#mainnav .dropdown-toggle")
    assert toggles.count() >= 1
    for index in range(toggles.count()):
        toggles.nth(index).click()
        page.wait_for_selector("#mainnav .dropdown-menu.show")
        axe(page, f"{role} menu {index + 1} [desktop]", found)
        page.keyboard.press("Escape")
    page.set_viewport_size(PHONE)
    page.reload()
    page.click(".navbar-toggler")
    page.wait_for_selector("#mainnav.show")
    axe(page, f"{role} phone menu [phone]", found)
    toggles = page.locator("#mainnav .dropdown-toggle")
    for index in range(toggles.count()):
        toggles.nth(index).click()
        page.wait_for_selector("#mainnav .dropdown-menu.show")
        axe(page, f"{role} phone menu, menu {index + 1} [phone]", found)
        toggles.nth(index).click()  # closed again
    context.close()
    assert_no_violations(found)


def test_the_login_page_passes_axe_also_after_a_wrong_password(site, browser, axe_source):
    context = new_context(browser, axe_source)
    page = context.new_page()
    found = []
    page.goto(f"{site.url}{reverse('login')}")
    axe_both_widths(page, "login", found)
    page.fill("#id_username", "nobody-here")
    page.fill("#id_password", "wrong")
    page.click("main button[type=submit]")
    page.wait_for_selector("[data-error-summary]")
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    axe_both_widths(page, "login refused", found)
    context.close()
    assert_no_violations(found)


# --- each form after a refused submit -------------------------------------------------------

# Empties the form's required fields that can be emptied (text, date, number, file, a select
# with an empty choice) and answers how many it emptied; a form where none can be emptied
# cannot be refused for a missing value and is left alone (submitting it would write).
EMPTY_REQUIRED = """form => {
    let emptied = 0;
    for (const field of form.querySelectorAll('[required]')) {
        if (field.type === 'hidden' || field.disabled || field.offsetParent === null) continue;
        if (field.tagName === 'SELECT') {
            if (![...field.options].some(o => o.value === '')) continue;
            field.value = '';
        } else if (field.type === 'checkbox' || field.type === 'radio') {
            continue;
        } else {
            field.value = '';
        }
        emptied += 1;
    }
    form.noValidate = true;  // the server, not the browser, refuses it
    return emptied;
}"""


SUBMIT = "button:not([type=button]):not([type=reset]), input[type=submit]"


def _form_pages(site):
    """(role, route name, path) of each route once, by the first role whose page has a form."""
    seen = set()
    for role in ROLES:
        for name, path in site.pages[role]:
            if name not in seen:
                seen.add(name)
                yield role, name, path


def test_every_form_passes_axe_after_a_refused_submit_and_focuses_its_error_summary(
    site, browser, axe_source
):
    contexts, pages = {}, {}
    found, refused, problems = [], [], []
    for role, name, path in _form_pages(site):
        if role not in pages:
            contexts[role] = new_context(browser, axe_source)
            pages[role] = log_in(contexts[role], site, role)
        page = pages[role]
        page, response = open_page(page, f"{site.url}{path}")
        pages[role] = page
        if response is None or response.status != 200:
            continue
        forms = page.locator("main form[method=post]")
        for index in range(forms.count()):
            if index:
                page.goto(f"{site.url}{path}")
            form = page.locator("main form[method=post]").nth(index)
            if form.locator(SUBMIT).count() == 0 or not form.evaluate(EMPTY_REQUIRED):
                continue
            with page.expect_navigation():
                form.locator(SUBMIT).first.click()
            where = f"{role} {name} form {index + 1} refused"
            if page.locator("[data-error-summary]").count() == 0:
                problems.append(f"{where}: no error summary on {page.url}")
                continue
            if not page.evaluate("document.activeElement.hasAttribute('data-error-summary')"):
                problems.append(f"{where}: the error summary does not have the focus")
            refused.append(where)
            axe_both_widths(page, where, found)
    for context in contexts.values():
        context.close()
    assert len(refused) >= 15, refused
    assert problems == [], "\n".join(problems)
    assert_no_violations(found)


# --- the keyboard, by hand ------------------------------------------------------------------

# The focused element's focus indicator: the outline (or else the box-shadow ring) and the
# colour behind it, to compare with the same element unfocused.
FOCUS_STYLE = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    let behind = el.parentElement, background = 'rgba(0, 0, 0, 0)';
    while (behind) {
        const colour = getComputedStyle(behind).backgroundColor;
        if (!/rgba\\(.*, 0\\)$/.test(colour) && colour !== 'transparent') {
            background = colour;
            break;
        }
        behind = behind.parentElement;
    }
    return {
        tag: el.tagName, id: el.id, cls: el.className,
        text: (el.innerText || el.value || '').slice(0, 30),
        outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
        outlineColor: style.outlineColor, boxShadow: style.boxShadow,
        background: background === 'rgba(0, 0, 0, 0)' ? 'rgb(255, 255, 255)' : background,
    };
}"""


def _rgb(colour):
    return [int(part) for part in re.findall(r"\d+", colour)[:3]]


def contrast(first, second):
    def luminance(colour):
        channels = []
        for value in _rgb(colour):
            c = value / 255
            channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_helper_matches_the_wcag_formula():
    assert round(contrast("rgb(255, 255, 255)", "rgb(0, 0, 0)"), 1) == 21.0
    assert round(contrast("rgb(146, 190, 254)", "rgb(13, 110, 253)"), 2) == 2.36


def _visit_form_path(site):
    return site.path("township1", "enrollment:record_visit")


def test_the_visit_form_works_with_the_keyboard_alone(site, browser, axe_source):
    context = new_context(browser, axe_source)
    page = log_in(context, site, "township1")
    page.goto(f"{site.url}{_visit_form_path(site)}")

    # The skip link is the first Tab stop, shown when focused, and leads to the main content.
    page.keyboard.press("Tab")
    skip = page.evaluate("document.activeElement.className")
    assert "skip-link" in skip
    box = page.locator(".skip-link").bounding_box()
    assert box["width"] > 40 and box["height"] > 20, "the focused skip link is not shown"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"
    stops = 0
    while page.evaluate("document.activeElement.tagName") not in ("INPUT", "SELECT", "TEXTAREA"):
        page.keyboard.press("Tab")
        stops += 1
        assert stops <= 3, "more than three Tab stops from the main content to the first field"

    # Every Tab stop of the page, from the top, shows a focus indicator one can see.
    page.goto(f"{site.url}{_visit_form_path(site)}")
    unseen, seen = [], set()
    for _ in range(150):  # a date field takes three Tabs (year, month, day)
        page.keyboard.press("Tab")
        style = page.evaluate(FOCUS_STYLE)
        key = (style["tag"], style["id"], style["cls"], style["text"])
        if style["tag"] == "BODY" or (seen and "skip-link" in style["cls"]):
            break  # past the last stop, back to the top
        if key in seen:
            continue
        seen.add(key)
        visible_outline = style["outlineStyle"] != "none" and style["outlineWidth"] >= 2
        ratio = contrast(style["outlineColor"], style["background"])
        if not visible_outline or ratio < MIN_FOCUS_CONTRAST:
            unseen.append(
                f"{key}: outline {style['outlineStyle']} {style['outlineWidth']}px "
                f"{style['outlineColor']} on {style['background']} ({ratio:.2f}:1)"
            )
    names = {key[1] for key in seen}
    assert {"notification-bell", "id_visitors", "id_findings"} <= names, names
    assert len(seen) > 15
    assert unseen == []

    # A bad submit: the error summary takes the focus and its links lead to the fields.
    page.focus("main button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    style = page.evaluate(FOCUS_STYLE)
    assert style["outlineStyle"] != "none"
    links = page.locator("[data-error-summary] a[data-error-link]")
    assert links.count() >= 1
    target = links.first.get_attribute("href").lstrip("#")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.hasAttribute('data-error-link')")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == target
    context.close()


def test_the_focus_is_visible_on_the_navbar_and_the_phone_menu(site, browser, axe_source):
    """The navbar's links, the bell, the language select and the menu button on the blue bar."""
    context = new_context(browser, axe_source, viewport=PHONE)
    page = log_in(context, site, "bureau")
    page.focus(".navbar-toggler")
    page.keyboard.press("Enter")
    page.wait_for_selector("#mainnav.show")
    checked = []
    for selector in (
        ".navbar-toggler",
        "#mainnav .nav-link",
        "#notification-bell",
        "select[name=language]",
        ".navbar button[type=submit]",
    ):
        page.focus(selector)
        page.keyboard.press("Shift+Tab")  # focus by keyboard, so :focus-visible applies
        page.keyboard.press("Tab")
        style = page.evaluate(FOCUS_STYLE)
        ratio = contrast(style["outlineColor"], style["background"])
        checked.append((selector, style["outlineStyle"], style["outlineWidth"], round(ratio, 2)))
        assert style["outlineStyle"] != "none" and style["outlineWidth"] >= 2, checked
        assert ratio >= MIN_FOCUS_CONTRAST, checked
    context.close()


# --- the language select and the bell -------------------------------------------------------


def test_an_arrow_key_in_the_language_select_does_not_change_the_page(site, browser, axe_source):
    context = new_context(browser, axe_source)
    page = log_in(context, site, "village1")
    page.evaluate("window.stillHere = true")
    page.focus("select[name=language]")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(500)
    assert page.evaluate("window.stillHere === true"), "the page was left on an arrow key"
    assert page.evaluate("document.documentElement.lang") == "zh-hans"
    page.select_option("select[name=language]", "en")
    with page.expect_navigation():
        page.click(".navbar form[action*='setlang'] button[type=submit]")
    assert page.evaluate("document.documentElement.lang") == "en"
    context.close()


def test_the_bells_name_says_how_many_notifications_are_unread(site, browser, axe_source):
    user = get_user_model().objects.get(username="school1")
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    assert unread >= 1
    context = new_context(browser, axe_source)
    page = log_in(context, site, "school1")
    bell = page.get_by_role("link", name=f"通知，{unread}条未读")
    assert bell.count() == 1
    assert bell.inner_text().strip() == str(unread)
    context.close()
