"""学年升级 and the transition rate (升学率): every rule both ways, idempotency, the page's
access and bad input, a hand-counted small county."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from core.models import Notification
from enrollment.models import Child, EnrollmentStatus, EnrollmentStatusChange, School
from enrollment.promotion import (
    JUNIOR_GRADUATE_REASON,
    PRIMARY_GRADUATE_REASON,
    promote_school_year,
    promotion_plan,
    transition_rate,
)
from enrollment.selectors import school_year_of
from enrollment.services import change_status
from enrollment.tasks import run_promotion
from tests.conftest import client_for
from tests.factories import (
    ChildFactory,
    CountyFactory,
    HouseholdFactory,
    SchoolFactory,
    TownshipFactory,
    VillageFactory,
)

S = EnrollmentStatus
YEAR = school_year_of(timezone.localdate())  # its 1 September is today or before
LAST_SEPT = datetime.date(YEAR - 1, 9, 1)
AFTER_SEPT = min(datetime.date(YEAR, 9, 10), timezone.localdate())


def place(world, child, school, grade, *, status=S.IN_SCHOOL, on=LAST_SEPT, **extra):
    change_status(
        actor=world.loader,
        child=child,
        status=status,
        effective_date=on,
        reason="学籍注册",
        school=school,
        grade=grade,
        **extra,
    )
    child.refresh_from_db()
    return child


@pytest.fixture
def county(world):
    """world (child1 and child2 in grade 3 at primary schools) and:"""
    w = world
    w.junior = SchoolFactory(
        township=w.township1, code="3151000001", name="一镇中学", stage=School.Stage.JUNIOR
    )
    w.nine_year = SchoolFactory(
        township=w.township2, code="2151000099", name="二镇九年制", stage=School.Stage.NINE_YEAR
    )
    w.special = SchoolFactory(
        township=w.township2, code="5151000001", name="特校", stage=School.Stage.SPECIAL
    )
    w.p6 = place(w, ChildFactory(household=w.household1, name="小学毕业甲"), w.school1, 6)
    w.p6b = place(w, ChildFactory(household=w.household2, name="小学毕业乙"), w.school2, 6)
    w.p6c = place(w, ChildFactory(household=w.household1b, name="小学毕业丙"), w.school1, 6)
    w.n6 = place(w, ChildFactory(household=w.household2, name="九年制六年级"), w.nine_year, 6)
    w.j9 = place(w, ChildFactory(household=w.household1, name="初三"), w.junior, 9)
    w.odd = place(w, ChildFactory(household=w.household1, name="初中里的三年级"), w.junior, 3)
    w.sp6 = place(
        w,
        ChildFactory(household=w.household2, name="特校六年级"),
        w.special,
        6,
        status=S.SPECIAL_SCHOOL,
    )
    w.recent = place(
        w, ChildFactory(household=w.household1, name="九月转入"), w.school1, 2, on=AFTER_SEPT
    )
    w.suspected = place(
        w,
        ChildFactory(household=w.household1, name="疑似辍学"),
        w.school1,
        4,
        status=S.SUSPECTED_DROPOUT,
    )
    other_township = TownshipFactory(county=CountyFactory(code="520100"))
    w.other_school = SchoolFactory(township=other_township, code="2152000001")
    w.other = place(
        w,
        ChildFactory(household=HouseholdFactory(village=VillageFactory(township=other_township))),
        w.other_school,
        5,
    )
    return w


def status_of(child):
    child.refresh_from_db()
    return child.status, child.current_school_id, child.grade


def test_plan_counts_what_the_run_will_do(county):
    # child1, child2 (3→4 at primary), n6 (6→7 at the nine-year school): promoted;
    # p6, p6b, p6c: primary graduates; j9: junior graduate; odd (grade 3 at a junior
    # school): left alone. Not counted: recent (changed after 1 September), the special school
    # pupil, the suspected dropout, the other county's pupil.
    assert promotion_plan(county=county.county, year=YEAR) == {
        "promoted": 3,
        "primary_graduates": 3,
        "junior_graduates": 1,
        "left_alone": 1,
    }


def test_promotion_applies_each_rule(county):
    w = county
    counts = promote_school_year(county=w.county, year=YEAR, actor=w.bureau)
    assert counts == {
        "promoted": 3,
        "primary_graduates": 3,
        "junior_graduates": 1,
        "left_alone": 1,
    }
    sept = datetime.date(YEAR, 9, 1)
    # Grade + 1 at the same school where it teaches that grade.
    assert status_of(w.child1) == (S.IN_SCHOOL, w.school1.pk, 4)
    assert status_of(w.n6) == (S.IN_SCHOOL, w.nine_year.pk, 7)
    # A primary school's grade 6: not yet verified, waiting for the junior school.
    assert status_of(w.p6) == (S.UNVERIFIED, None, None)
    change = w.p6.status_changes.order_by("-pk").first()
    assert (change.reason, change.effective_date, change.previous_status) == (
        PRIMARY_GRADUATE_REASON,
        sept,
        S.IN_SCHOOL,
    )
    assert change.recorded_by == w.bureau
    # A junior school's grade 9: completed compulsory education.
    assert status_of(w.j9) == (S.GRADUATED, None, None)
    assert w.j9.status_changes.order_by("-pk").first().reason == JUNIOR_GRADUATE_REASON
    assert w.j9.status_since == sept
    # Left alone: a grade the school does not teach next, a change after 1 September, other
    # statuses, another county.
    assert status_of(w.odd) == (S.IN_SCHOOL, w.junior.pk, 3)
    assert status_of(w.recent) == (S.IN_SCHOOL, w.school1.pk, 2)
    assert status_of(w.sp6) == (S.SPECIAL_SCHOOL, w.special.pk, 6)
    assert status_of(w.suspected) == (S.SUSPECTED_DROPOUT, w.school1.pk, 4)
    assert status_of(w.other) == (S.IN_SCHOOL, w.other_school.pk, 5)
    # The child's own history has the change too (bulk, with history rows).
    assert w.child1.history.first().grade == 4


def test_second_run_changes_nothing(county):
    w = county
    promote_school_year(county=w.county, year=YEAR, actor=w.bureau)
    changes = EnrollmentStatusChange.objects.count()
    histories = Child.history.count()
    again = promote_school_year(county=w.county, year=YEAR, actor=w.admin)
    assert again == {"promoted": 0, "primary_graduates": 0, "junior_graduates": 0, "left_alone": 1}
    assert EnrollmentStatusChange.objects.count() == changes
    assert Child.history.count() == histories
    assert status_of(w.child1) == (S.IN_SCHOOL, w.school1.pk, 4)


def test_promotion_before_the_first_of_september_is_refused(county):
    w = county
    before = EnrollmentStatusChange.objects.count()
    with pytest.raises(DomainError):
        promote_school_year(county=w.county, year=YEAR + 1, actor=w.bureau)
    assert EnrollmentStatusChange.objects.count() == before


@pytest.mark.parametrize("who", ["township1_user", "school1_user", "auditor", "inspector"])
def test_only_the_bureau_promotes(county, who):
    before = EnrollmentStatusChange.objects.count()
    with pytest.raises(PermissionDenied):
        promote_school_year(county=county.county, year=YEAR, actor=getattr(county, who))
    assert EnrollmentStatusChange.objects.count() == before


def test_transition_rate_is_counted_from_the_history(county):
    w = county
    promote_school_year(county=w.county, year=YEAR, actor=w.bureau)
    # p6 reaches the junior school; p6c studies outside the county (verified); p6b does not
    # turn up; n6 is in grade 7 by the promotion; sp6 stays at the special school.
    place(w, w.p6, w.junior, 7, on=AFTER_SEPT)
    change_status(
        actor=w.loader,
        child=w.p6c,
        status=S.OUTSIDE_COUNTY,
        effective_date=AFTER_SEPT,
        reason="县外就读",
        outside_school_name="外县中学",
        outside_verified=True,
    )
    rate = transition_rate(Child.objects.filter(village__township__county=w.county), year=YEAR)
    assert rate == {"graduates": 5, "in_junior": 4, "rate": Decimal("80.0")}
    # The year before had no grade-6 pupils (the history starts in September YEAR - 1).
    assert transition_rate(Child.objects.all(), year=YEAR - 1) == {
        "graduates": 0,
        "in_junior": 0,
        "rate": None,
    }


def test_unverified_outside_study_does_not_count(county):
    w = county
    promote_school_year(county=w.county, year=YEAR, actor=w.bureau)
    change_status(
        actor=w.loader,
        child=w.p6c,
        status=S.OUTSIDE_COUNTY,
        effective_date=AFTER_SEPT,
        reason="县外就读",
        outside_school_name="外县中学",
    )
    rate = transition_rate(Child.objects.filter(pk=w.p6c.pk), year=YEAR)
    assert rate == {"graduates": 1, "in_junior": 0, "rate": Decimal("0.0")}


def test_transition_rate_is_one_query(county, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        transition_rate(Child.objects.all(), year=YEAR)


# --- the page ------------------------------------------------------------------------------


def test_bureau_sees_the_plan_and_runs_it(county):
    client = client_for(county.bureau)
    page = client.get(reverse("enrollment:promotion"))
    assert page.status_code == 200
    plan = page.context["plan"]
    assert (plan["promoted"], plan["primary_graduates"], plan["junior_graduates"]) == (3, 3, 1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = client.post(reverse("enrollment:promotion"), {"year": YEAR})
    assert answer.status_code == 302
    assert status_of(county.child1) == (S.IN_SCHOOL, county.school1.pk, 4)
    told = Notification.objects.get(recipient=county.bureau)
    assert told.message.startswith(f"{YEAR}学年：3名学生升入下一年级，3名小学毕业生待初中报到")


def test_a_failed_background_run_is_told_and_changes_nothing(county):
    before = EnrollmentStatusChange.objects.count()
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert run_promotion(county.county.pk, YEAR + 1, county.bureau.pk) is None
    assert EnrollmentStatusChange.objects.count() == before
    assert "学年升级" in Notification.objects.get(recipient=county.bureau).message


@pytest.mark.parametrize("who", ["township1_user", "auditor"])
def test_others_cannot_open_or_post_the_promotion(county, who):
    client = client_for(getattr(county, who))
    assert client.get(reverse("enrollment:promotion")).status_code == 403
    assert client.post(reverse("enrollment:promotion"), {"year": YEAR}).status_code == 403
    assert status_of(county.child1) == (S.IN_SCHOOL, county.school1.pk, 3)


@pytest.mark.parametrize("year", ["", "abc", str(YEAR + 1), "1800"])
def test_bad_year_is_a_form_error_and_changes_nothing(county, year):
    before = EnrollmentStatusChange.objects.count()
    answer = client_for(county.admin).post(reverse("enrollment:promotion"), {"year": year})
    assert answer.status_code == 200
    assert answer.context["form"].errors["year"]
    assert EnrollmentStatusChange.objects.count() == before
