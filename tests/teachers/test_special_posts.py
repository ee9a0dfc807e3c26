"""Special-post teachers: the due list of a year, conversion with date and decision (refused
before it is due, or for a regular teacher), those who leave instead."""

import datetime

import pytest
from django.urls import reverse

from core.errors import DomainError, TransitionRefused
from teachers.models import EmploymentRecord, PostType, Teacher
from teachers.selectors import recruitment_summary, special_posts
from teachers.services import teachers

from ..conftest import client_for
from .conftest import register, today


def special(world, school, name, cohort):
    return register(
        world,
        school,
        name=name,
        post_type=PostType.SPECIAL_POST,
        recruitment="special_post_plan",
        recruitment_year=cohort,
        hire_date=datetime.date(cohort, 1, 5),
    )


@pytest.fixture
def cohorts(world):
    year = today().year
    t = type("Cohorts", (), {})()
    t.due = special(world, world.school1, "期满甲", year - 3)
    t.overdue = special(world, world.school2, "逾期乙", year - 4)
    t.serving = special(world, world.school1, "在岗丙", year - 1)
    return t


def test_due_list_holds_those_whose_period_ends_by_the_end_of_the_year(world, cohorts):
    year = today().year
    due = special_posts(world.admin, queue="due", year=year)
    assert [t.name for t in due] == ["逾期乙", "期满甲"]
    assert [t.name for t in special_posts(world.admin, queue="due", year=year + 2)] == [
        "逾期乙",
        "期满甲",
        "在岗丙",
    ]
    # Scope: township1's official sees only township1's.
    assert [t.name for t in special_posts(world.township1_user, queue="due", year=year)] == [
        "期满甲"
    ]


def test_conversion_records_date_and_decision_and_makes_a_regular_post(world, cohorts):
    teachers.convert_special_post(
        actor=world.bureau, teacher=cohorts.due, converted_on=today(), decision="人社发〔2026〕3号"
    )
    cohorts.due.refresh_from_db()
    assert cohorts.due.post_type == PostType.REGULAR
    assert cohorts.due.special_post_status == Teacher.SpecialPostStatus.CONVERTED
    assert (cohorts.due.converted_on, cohorts.due.conversion_decision) == (
        today(),
        "人社发〔2026〕3号",
    )
    records = EmploymentRecord.objects.filter(teacher=cohorts.due).order_by("start_date")
    assert [r.post_type for r in records] == ["special_post", "regular"]
    year = today().year
    assert cohorts.due not in special_posts(world.admin, queue="due", year=year)
    assert list(special_posts(world.admin, queue="converted", year=year)) == [cohorts.due]
    summary = recruitment_summary(world.admin, year=year)
    assert summary["converted"] == 1
    assert summary["cohorts"] == [{"recruitment_year": year - 3, "n": 1}]


def test_conversion_before_the_period_ends_is_refused(world, cohorts):
    with pytest.raises(TransitionRefused, match="方可转正"):
        teachers.convert_special_post(
            actor=world.admin, teacher=cohorts.serving, converted_on=today(), decision="x"
        )
    cohorts.serving.refresh_from_db()
    assert cohorts.serving.post_type == PostType.SPECIAL_POST


def test_conversion_needs_a_decision_and_a_special_post_teacher(world, cohorts, staff):
    with pytest.raises(DomainError, match="批准文件"):
        teachers.convert_special_post(
            actor=world.admin, teacher=cohorts.due, converted_on=today(), decision="  "
        )
    with pytest.raises(TransitionRefused):
        teachers.convert_special_post(
            actor=world.admin, teacher=staff.teacher1, converted_on=today(), decision="x"
        )


def test_a_special_post_teacher_who_leaves_is_listed_as_left(world, cohorts):
    teachers.record_leaving(
        actor=world.admin, teacher=cohorts.due, left_on=today(), reason="考取公务员"
    )
    cohorts.due.refresh_from_db()
    assert cohorts.due.special_post_status == Teacher.SpecialPostStatus.LEFT
    assert list(special_posts(world.admin, queue="left", year=today().year)) == [cohorts.due]
    with pytest.raises(TransitionRefused):
        teachers.convert_special_post(
            actor=world.admin, teacher=cohorts.due, converted_on=today(), decision="x"
        )


def test_conversion_page_for_managers_and_403_for_school_staff(world, cohorts):
    url = reverse("teachers:teacher_convert", args=[cohorts.due.pk])
    data = {"converted_on": today().isoformat(), "decision": "批复1号"}
    assert client_for(world.school1_user).post(url, data).status_code == 403
    response = client_for(world.admin).post(url, data)
    assert response.status_code == 302
    cohorts.due.refresh_from_db()
    assert cohorts.due.special_post_status == "converted"


def test_due_page_lists_the_year(world, cohorts):
    page = client_for(world.admin).get(reverse("teachers:special_posts"), {"year": today().year})
    assert [t.name for t in page.context["page"]] == ["逾期乙", "期满甲"]
