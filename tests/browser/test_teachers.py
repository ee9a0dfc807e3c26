"""End to end: bureau staff register a teacher, record an exchange, see the staffing page with
its vacancies, and the unpaid allowance list; at desktop and phone widths."""

import datetime

import pytest
from django.utils import timezone

from core.resident_id import make_resident_id
from teachers.models import Exchange, Teacher

from ..conftest import PASSWORD
from ..teachers.conftest import enrol

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.mark.parametrize("viewport_name", ["desktop", "phone"])
def test_bureau_registers_a_teacher_records_an_exchange_and_reads_staffing(
    transactional_db, world, live_server, browser, screenshot, viewport_name
):
    enrol(world, world.school1, 3, 56)  # 57 pupils → quota 3
    enrol(world, world.school2, 8, 27)  # 27 junior pupils → quota 2 (≈1.4 primary + 2.0)
    today = timezone.localdate()
    context = browser.new_context(viewport=DESKTOP if viewport_name == "desktop" else PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "bureau")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{live_server.url}/teachers/")
    page.click("#register-teacher")
    page.fill("#id_name", "赵老师")
    number = make_resident_id(
        place_code="510302", birth_date=datetime.date(1992, 3, 8), sequence=7, sex="F"
    )
    page.fill("#id_resident_id", number[:-1] + ("0" if number[-1] != "0" else "1"))
    page.select_option("#id_school", str(world.school1.pk))
    page.select_option("#id_post_type", "regular")
    page.select_option("#id_recruitment", "free_normal")
    page.fill("#id_recruitment_year", "2016")
    page.fill("#id_hire_date", "2016-08-25")
    page.click("main button[type=submit]")  # the header has a search form too
    assert "校验码" in page.inner_text("form[novalidate]")  # the check digit is wrong
    page.fill("#id_resident_id", number)
    screenshot(page, f"teacher-form-{viewport_name}")
    page.click("main button[type=submit]")
    page.wait_for_selector("#employment-table")
    teacher = Teacher.objects.get(name="赵老师")
    assert teacher.school == world.school1 and teacher.resident_id == number
    screenshot(page, f"teacher-detail-{viewport_name}")

    page.goto(f"{live_server.url}/teachers/exchanges/new/?teacher={teacher.pk}")
    page.select_option("#id_to_school", str(world.school2.pk))
    page.select_option("#id_kind", "urban_rural")
    page.fill("#id_start_date", (today - datetime.timedelta(days=1)).isoformat())
    page.fill("#id_end_date", (today + datetime.timedelta(days=300)).isoformat())
    page.click("main button[type=submit]")
    page.wait_for_selector("#exchange-table")
    assert Exchange.objects.get().to_school == world.school2

    page.goto(f"{live_server.url}/teachers/staffing/")
    page.wait_for_selector("#staffing-table")
    school1_row = page.locator(f"tr[data-school='{world.school1.pk}']")
    school2_row = page.locator(f"tr[data-school='{world.school2.pk}']")
    assert school1_row.locator("[data-vacancy]").inner_text() == "3"  # teacher is away
    # school2: quota 2, the exchanged teacher works there now.
    assert school2_row.locator("[data-vacancy]").inner_text() == "1"
    assert page.inner_text("[data-stat=vacancy]") == "4"
    screenshot(page, f"staffing-{viewport_name}")

    page.goto(f"{live_server.url}/teachers/")
    page.wait_for_selector("#teacher-table")
    assert number not in page.content()  # masked in the list
    screenshot(page, f"teacher-list-{viewport_name}")
    context.close()
