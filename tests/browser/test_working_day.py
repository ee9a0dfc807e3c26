"""A working day as a new user meets it (issue 17): forms that neither lose nor invent data,
phones that show what matters."""

import datetime

import pytest

from enrollment.models import EnrollmentStatus, HouseholdVisit
from enrollment.services import change_status

from ..conftest import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def _login(browser, live_server, username, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    return context, page


def test_the_visit_form_starts_from_the_enrollment_and_makes_the_visitor_choose_the_outcome(
    transactional_db, world, live_server, browser, screenshot
):
    change_status(
        actor=world.loader,
        child=world.child1,
        status=EnrollmentStatus.IN_SCHOOL,
        effective_date=datetime.date.today() - datetime.timedelta(days=3),
        reason="分班",
        school=world.school1,
        grade=4,
        class_name="2班",
    )
    context, page = _login(browser, live_server, "township1", PHONE)
    page.goto(f"{live_server.url}/children/{world.child1.pk}/visits/new/")
    page.wait_for_selector("#id_outcome")
    # Prefilled from the current enrollment; the outcome is not.
    assert page.input_value("#id_school") == str(world.school1.pk)
    assert page.input_value("#id_grade") == "4"
    assert page.input_value("#id_class_name") == "2班"
    assert page.input_value("#id_outcome") == ""
    assert page.get_attribute("#id_attachment", "capture") == "environment"
    screenshot(page, "visit-form-prefilled-phone")

    page.fill("#id_visitors", "乡镇干部张三")
    page.fill("#id_findings", "已转入三班")
    page.click("main button[type=submit]")
    page.wait_for_selector("#id_outcome")
    assert HouseholdVisit.objects.count() == 0  # no outcome chosen: nothing saved

    page.select_option("#id_outcome", "confirmed_in_school")
    page.select_option("#id_new_status", "in_school")
    page.fill("#id_class_name", "3班")
    page.click("main button[type=submit]")
    page.wait_for_selector("#visits .visit")
    world.child1.refresh_from_db()
    assert (world.child1.grade, world.child1.class_name) == (4, "3班")
    assert HouseholdVisit.objects.get().outcome == "confirmed_in_school"
    context.close()


def test_a_ledger_on_a_phone_shows_each_child_as_a_card_with_its_status_on_screen(
    transactional_db, world, live_server, browser, screenshot
):
    context, page = _login(browser, live_server, "township1", PHONE)
    page.goto(f"{live_server.url}/ledger/township/{world.township1.pk}/")
    page.wait_for_selector(".ledger-table")
    first_status = page.locator(".ledger-table tbody tr").first.locator(".badge").first
    box = first_status.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.locator(".ledger-table thead").is_hidden()
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "township-ledger-cards-phone")
    context.close()


def test_the_village_cadre_is_not_offered_the_api_and_officials_call_guardians_by_tapping(
    transactional_db, world, live_server, browser
):
    world.child1.guardian_phone = "13812345678"
    world.child1.save()
    context, page = _login(browser, live_server, "village1", PHONE)
    page.wait_for_selector("nav")
    assert page.locator("nav a[href*='/api/']").count() == 0
    context.close()
    context, page = _login(browser, live_server, "township1", PHONE)
    page.wait_for_selector("nav")
    assert page.locator("nav a[href*='/api/']").count() == 1
    page.goto(f"{live_server.url}/children/{world.child1.pk}/")
    assert page.get_attribute("#guardian-phone", "href") == "tel:13812345678"
    context.close()


def test_rate_charts_use_an_honest_axis_and_the_menu_fits_one_line_at_1366(
    transactional_db, world, live_server, browser, screenshot
):
    context, page = _login(browser, live_server, "admin", DESKTOP)  # the longest menu
    page.goto(f"{live_server.url}/ledger/township/{world.township1.pk}/")
    page.wait_for_selector("#rate-chart")
    page.wait_for_function("window.Chart && Chart.getChart('rate-chart')")
    axis = page.evaluate(
        "(() => { const c = Chart.getChart('rate-chart');"
        " const s = c.options.indexAxis === 'y' ? c.scales.x : c.scales.y;"
        " return [s.min, s.max, c.data.datasets[0].backgroundColor]; })()"
    )
    assert axis[:2] == [0, 100]
    assert all(colour in ("#198754", "#e0a800", "#dc3545", "#adb5bd") for colour in axis[2])
    # One line of menu: the bar is no taller than a single row of links.
    height = page.evaluate("document.querySelector('nav.navbar').getBoundingClientRect().height")
    screenshot(page, "ledger-desktop-1366")
    assert height < 70, height
    # ...and every control of the bar, the logout button last, is inside the window.
    overflow = page.evaluate(
        """() => [...document.querySelectorAll(
                'nav.navbar a, nav.navbar button, nav.navbar input, nav.navbar select')]
            .filter(e => e.offsetParent !== null)
            .map(e => e.getBoundingClientRect())
            .filter(r => r.width > 0 && r.right > window.innerWidth)
            .length"""
    )
    assert overflow == 0
    context.close()


def test_the_header_search_finds_a_child_and_its_case_by_the_last_digits_of_the_id(
    transactional_db, world, legal_texts, live_server, browser, screenshot
):
    from dropout.models import DropoutCase
    from dropout.services import cases

    case = cases.open_case(
        actor=world.township1_user,
        child=world.child1,
        cause=DropoutCase.Cause.WORK,
        opened_on=datetime.date.today() - datetime.timedelta(days=10),
    )
    tail = world.child1.resident_id[-6:]
    context, page = _login(browser, live_server, "township1", DESKTOP)
    # At 1366 px the header shows only the search button: it opens the search page's box.
    page.click("#header-search button[type=submit]")
    page.fill("#search-page-q", tail)
    page.press("#search-page-q", "Enter")
    page.wait_for_selector("#search-results")
    children = page.inner_text("#results-children")
    assert world.child1.name in children
    assert page.locator(f"#search-results a[href='/dropout/cases/{case.pk}/']").count() == 1
    screenshot(page, "search-results-desktop")
    phone = context.new_page()
    phone.set_viewport_size(PHONE)
    phone.goto(page.url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "search-results-phone")
    # Another township's official finds nothing of this child.
    other, other_page = _login(browser, live_server, "township2", DESKTOP)
    other_page.goto(f"{live_server.url}/search/?q={tail}")
    assert world.child1.name not in other_page.inner_text("#search-results")
    other.close()
    context.close()
