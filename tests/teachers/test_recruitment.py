"""The year's recruitment summary: 公招XX人、签约免费师范生XX人、定向培养XX人、特岗转正XX人."""

import datetime

from django.urls import reverse

from teachers.selectors import recruitment_summary
from teachers.services import teachers

from ..conftest import client_for
from .conftest import register, today


def test_summary_counts_the_years_recruits_and_conversions(world):
    year = today().year
    hired = datetime.date(year, 1, 2)
    for number in range(3):
        register(world, world.school1, name=f"公招{number}", recruitment_year=year, hire_date=hired)
    register(
        world, world.school1, recruitment="free_normal", recruitment_year=year, hire_date=hired
    )
    register(
        world, world.school2, recruitment="publicly_funded", recruitment_year=year, hire_date=hired
    )
    register(
        world, world.school2, recruitment="targeted_rural", recruitment_year=year, hire_date=hired
    )
    register(
        world, world.school2, recruitment_year=year - 1, hire_date=datetime.date(year - 1, 9, 1)
    )
    special = register(
        world,
        world.school2,
        post_type="special_post",
        recruitment="special_post_plan",
        recruitment_year=year - 3,
        hire_date=datetime.date(year - 3, 1, 2),
    )
    teachers.convert_special_post(
        actor=world.admin, teacher=special, converted_on=today(), decision="批复"
    )
    summary = recruitment_summary(world.admin, year=year)
    assert (summary["open"], summary["normal"], summary["targeted"], summary["converted"]) == (
        3,
        2,
        1,
        1,
    )
    page = client_for(world.auditor).get(reverse("teachers:recruitment"), {"year": year})
    sentence = page.content.decode()
    assert (
        f"{year}年公招教师3人，签约免费师范生2人，定向培养村级教师1人，"
        f"{year - 3}届特岗教师1人转为正式教师。"
    ) in sentence
    # Scope: township1 recruited only the three by open recruitment and one free normal student.
    local = recruitment_summary(world.township1_user, year=year)
    assert (local["open"], local["normal"], local["targeted"], local["converted"]) == (3, 1, 0, 0)


def test_a_year_that_is_no_year_is_a_400_and_no_year_is_this_year(world):
    # The teacher pages read ?year= by the same rule as every page (core.params.query_year).
    client = client_for(world.auditor)
    url = reverse("teachers:recruitment")
    assert client.get(url).context["year"] == today().year
    assert client.get(url, {"year": "2024"}).context["year"] == 2024
    for junk in ("abc", "0", "5270294308289453239816"):
        assert client.get(url, {"year": junk}).status_code == 400
