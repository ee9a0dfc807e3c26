"""The teachers' section of the annual summary: every figure hand-counted for a small county and
one township, last year's events and another county's not counted, the drill-down lists."""

import datetime
from decimal import Decimal

import pytest

from core.annual import _PROVIDERS, AnnualScope
from enrollment.models import EnrollmentStatus
from enrollment.services import change_status
from teachers.annual import annual_section
from teachers.models import AllowanceTier, Exchange, TrainingEvent
from teachers.services import allowances, exchanges, teachers, trainings
from teachers.services.home_teaching import record_session

from ..conftest import client_for
from ..factories import (
    ChildFactory,
    CountyFactory,
    HouseholdFactory,
    SchoolFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
)
from .conftest import register, today

# The summary's year is last year: every day of it is past, whatever day the tests run.
Y = today().year - 1


def d(year_offset: int, month: int, day: int) -> datetime.date:
    return datetime.date(Y + year_offset, month, day)


def training(world, county, title, kind, start, attendees, actor=None):
    event = trainings.create_training(
        actor=actor or world.admin,
        county=county,
        title=title,
        level=TrainingEvent.Level.COUNTY,
        kind=kind,
        programme="乡村教师能力素质提升工程",
        start_date=start,
        end_date=start,
        hours=8,
        provider="县教师进修学校",
    )
    trainings.record_attendance(actor=actor or world.admin, event=event, teachers=attendees)
    return event


def home_delivered(world, child, school, since):
    change_status(
        actor=world.loader,
        child=child,
        status=EnrollmentStatus.HOME_DELIVERED,
        effective_date=since,
        reason="残疾儿童评估安置：送教上门",
        school=school,
        grade=3,
    )


@pytest.fixture
def county(world, staff, rural_school2):
    """The small county's year Y (see the module's counts); `rural_school2` makes school2 a
    rural school with the 400 yuan tier."""
    c = type("County", (), {})()
    hired = d(0, 1, 10)
    # Recruits of Y: township1 one open, one free normal, one targeted; township2 one open,
    # one publicly funded, one special-post. Last year's recruit is not counted.
    for school, recruitment, post in (
        (world.school1, "open", "regular"),
        (world.school2, "open", "regular"),
        (world.school1, "free_normal", "regular"),
        (world.school2, "publicly_funded", "regular"),
        (world.school1, "targeted_rural", "regular"),
        (world.school2, "special_post_plan", "special_post"),
    ):
        register(
            world,
            school,
            name=f"新{recruitment}",
            recruitment=recruitment,
            post_type=post,
            recruitment_year=Y,
            hire_date=hired,
        )
    register(world, world.school1, name="去年招", recruitment_year=Y - 1, hire_date=d(-1, 3, 1))
    # Special-post conversions: the Y-3 cohort in Y (counted), the Y-4 cohort in Y-1 (not).
    for school, cohort, converted in (
        (world.school2, Y - 3, d(0, 9, 1)),
        (world.school1, Y - 4, d(-1, 9, 1)),
    ):
        teacher = register(
            world,
            school,
            name=f"特岗{cohort}",
            post_type="special_post",
            recruitment="special_post_plan",
            recruitment_year=cohort,
            hire_date=datetime.date(cohort, 8, 25),
        )
        teachers.convert_special_post(
            actor=world.admin, teacher=teacher, converted_on=converted, decision="批复"
        )
    # Eligible to rotate (regular, at the school since 2015 or earlier): teacher1, teacher2 and
    # teacher3; teacher1 and teacher2 began an exchange in Y, teacher1 one in Y-1 too.
    c.teacher3 = register(
        world,
        world.school1,
        name="赵三师",
        recruitment_year=2010,
        hire_date=datetime.date(2010, 8, 25),
    )
    for teacher, school, kind, start, end in (
        (staff.teacher1, world.school2, Exchange.Kind.REWARD, d(-1, 3, 1), d(-1, 7, 10)),
        (staff.teacher1, world.school2, Exchange.Kind.TOWNSHIP, d(0, 3, 1), d(0, 7, 10)),
        (staff.teacher2, world.school1, Exchange.Kind.URBAN_RURAL, d(0, 9, 1), d(1, 7, 10)),
    ):
        exchanges.create_exchange(
            actor=world.admin,
            teacher=teacher,
            to_school=school,
            kind=kind,
            start_date=start,
            end_date=end,
        )
    # Allowance: school2's five teachers in service by March Y (teacher2, the open, publicly
    # funded and special-post recruits, the Y-3 special-post teacher) paid for March and April
    # (2 × 5 × 400 yuan); December Y-1 paid (not counted), May Y left a draft (not counted).
    for period, paid_on in (
        (d(-1, 12, 1), d(0, 1, 5)),
        (d(0, 3, 1), d(0, 4, 5)),
        (d(0, 4, 1), d(0, 5, 5)),
        (d(0, 5, 1), None),
    ):
        batch = allowances.create_batch(actor=world.admin, county=world.county, period=period)
        if paid_on:
            allowances.mark_batch_paid(actor=world.admin, batch=batch, paid_on=paid_on)
    c.march = batch.payments.count()
    # Trainings: induction (teacher1, teacher2), special (teacher2, open recruit of school2);
    # one in Y-1 (not counted).
    new_open2 = world.school2.teachers.get(name="新open")
    training(
        world,
        world.county,
        "新教师入职培训",
        "induction",
        d(0, 3, 10),
        [staff.teacher1, staff.teacher2],
    )
    training(
        world, world.county, "心理健康专题", "special", d(0, 5, 10), [staff.teacher2, new_open2]
    )
    training(world, world.county, "去年的培训", "on_the_job", d(-1, 5, 10), [staff.teacher1])
    # 送教上门: child1b (township1) since October Y-1, taught in November Y-1 (the school year
    # that ends in Y) and twice in Y; a township2 child since September Y-1, never taught.
    home_delivered(world, world.child1b, world.school1, d(-1, 10, 1))
    c.child2 = ChildFactory(household=world.household2, name="李送教")
    home_delivered(world, c.child2, world.school2, d(-1, 9, 1))
    for day, hours in ((d(-1, 11, 5), 2), (d(0, 2, 10), 2), (d(0, 10, 12), "1.5")):
        record_session(
            actor=world.bureau,
            child=world.child1b,
            teacher=staff.teacher1,
            date=day,
            hours=hours,
            content="识字",
        )
    return c


@pytest.fixture
def other_county(world, county):
    """Another county with a recruit, an exchange, an allowance, a training and a session in Y:
    none of it is the small county's."""
    other = CountyFactory(code="510400", name="邻县")
    township = TownshipFactory(county=other, name="邻镇")
    village = VillageFactory(township=township, name="邻村")
    school, school_b = (
        SchoolFactory(township=township, village=village, name=name)
        for name in ("邻县小学", "邻县中学")
    )
    superuser = UserFactory(username="root", is_superuser=True)
    as_root = type("World", (), {"admin": superuser})()  # register() records as world.admin
    teacher = register(as_root, school, name="邻县师", recruitment_year=Y, hire_date=d(0, 1, 10))
    old = register(as_root, school, name="邻县老师")
    exchanges.create_exchange(
        actor=superuser,
        teacher=old,
        to_school=school_b,
        kind=Exchange.Kind.TOWNSHIP,
        start_date=d(0, 3, 1),
        end_date=d(0, 7, 1),
    )
    tier = AllowanceTier.objects.create(county=other, name="一类", rank=1, monthly_amount="300")
    allowances.set_school_tier(actor=superuser, school=school, tier=tier)
    batch = allowances.create_batch(actor=superuser, county=other, period=d(0, 3, 1))
    allowances.mark_batch_paid(actor=superuser, batch=batch, paid_on=d(0, 4, 1))
    training(world, other, "邻县培训", "induction", d(0, 3, 10), [teacher], actor=superuser)
    child = ChildFactory(household=HouseholdFactory(village=village), name="邻县童")
    home_delivered(world, child, school, d(-1, 9, 1))
    record_session(
        actor=superuser, child=child, teacher=teacher, date=d(0, 3, 3), hours=2, content="数学"
    )
    return superuser


def figures(user, world, township=None, year=Y) -> tuple[dict, list]:
    section = annual_section(
        AnnualScope(user=user, county=world.county, township=township, year=year, today=today())
    )
    return {figure.key: figure for figure in section.figures}, section.sentences


COUNTY = {
    "teachers.recruited_open": 2,
    "teachers.recruited_normal": 2,
    "teachers.recruited_targeted": 1,
    "teachers.recruited_special_post": 1,
    "teachers.special_post_converted": 1,
    "teachers.exchanges": 2,
    "teachers.exchanges_cross_county": 0,
    "teachers.exchanges_township": 1,
    "teachers.exchanges_urban": 0,
    "teachers.exchanges_urban_rural": 1,
    "teachers.exchanges_secondment_up": 0,
    "teachers.exchanges_reward": 0,
    "teachers.rotation_share": Decimal("66.7"),  # 2 of teacher1, teacher2, teacher3
    "teachers.allowance_teachers": 5,
    "teachers.allowance_amount": Decimal("4000.00"),
    "teachers.trainings": 2,
    "teachers.training_person_times": 4,
    "teachers.trainings_induction": 1,
    "teachers.training_person_times_induction": 2,
    "teachers.trainings_on_the_job": 0,
    "teachers.training_person_times_on_the_job": 0,
    "teachers.trainings_all_staff": 0,
    "teachers.training_person_times_all_staff": 0,
    "teachers.trainings_special": 1,
    "teachers.training_person_times_special": 2,
    "teachers.trainings_other": 0,
    "teachers.training_person_times_other": 0,
    "teachers.home_delivered": 2,
    "teachers.home_delivered_visited": 1,
    "teachers.home_teaching_coverage": Decimal("50.0"),
    "teachers.home_teaching_sessions": 2,
    "teachers.home_teaching_hours": Decimal("3.5"),
}
TOWNSHIP1 = {
    **dict.fromkeys(COUNTY, 0),
    "teachers.recruited_open": 1,
    "teachers.recruited_normal": 1,
    "teachers.recruited_targeted": 1,
    "teachers.exchanges": 1,
    "teachers.exchanges_township": 1,
    "teachers.rotation_share": Decimal("50.0"),  # teacher1 of teacher1 and teacher3
    "teachers.allowance_amount": Decimal("0.00"),
    "teachers.trainings": 1,
    "teachers.training_person_times": 1,
    "teachers.trainings_induction": 1,
    "teachers.training_person_times_induction": 1,
    "teachers.home_delivered": 1,
    "teachers.home_delivered_visited": 1,
    "teachers.home_teaching_coverage": Decimal("100.0"),
    "teachers.home_teaching_sessions": 2,
    "teachers.home_teaching_hours": Decimal("3.5"),
}


def test_the_section_is_registered_at_order_50():
    assert (50, annual_section) in _PROVIDERS


def test_county_figures_and_sentences(world, county):
    assert county.march == 5  # the draft May batch holds the five teachers paid in March
    found, sentences = figures(world.admin, world)
    assert {key: figure.value for key, figure in found.items()} == COUNTY
    assert sentences == [
        f"{Y}年公招教师2人，签约免费师范生2人，定向培养村级教师1人，"
        f"{Y - 3}届特岗教师1人转为正式教师。",
        "为5名农村教师足额下拨农村教师生活补助资金0.40万元。",
        "开展各级各类教师培训2次，累计培训4人次。",
        "特殊教育送教上门2名，覆盖率50%。",
    ]
    assert found["teachers.allowance_amount"].unit == "元"
    assert found["teachers.home_teaching_coverage"].unit == "%"


def test_township_figures_and_sentences(world, county):
    found, sentences = figures(world.admin, world, township=world.township1)
    assert {key: figure.value for key, figure in found.items()} == TOWNSHIP1
    assert sentences == [
        f"{Y}年公招教师1人，签约免费师范生1人，定向培养村级教师1人，特岗教师转为正式教师0人。",
        "为0名农村教师足额下拨农村教师生活补助资金0.00万元。",
        "开展各级各类教师培训1次，累计培训1人次。",
        "特殊教育送教上门1名，覆盖率100%。",
    ]
    # Township2: its home-delivered child had no session, the coverage is 0.
    found, _ = figures(world.admin, world, township=world.township2)
    assert found["teachers.home_delivered"].value == 1
    assert found["teachers.home_teaching_coverage"].value == Decimal("0.0")
    assert found["teachers.allowance_teachers"].value == 5


def test_another_county_and_a_wider_scope_change_nothing(world, county, other_county):
    # The superuser sees both counties: the county's summary still counts the county only.
    found, _ = figures(other_county, world)
    assert {key: figure.value for key, figure in found.items()} == COUNTY


def test_the_year_before_has_its_own_figures(world, county):
    found, _ = figures(world.admin, world, year=Y - 1)
    values = {key: figure.value for key, figure in found.items()}
    assert values["teachers.recruited_open"] == 1  # 去年招
    assert values["teachers.special_post_converted"] == 1
    assert values["teachers.exchanges_reward"] == 1
    assert values["teachers.allowance_amount"] == Decimal("800.00")  # December: two teachers
    assert values["teachers.trainings_on_the_job"] == 1
    # On 31 December Y-1 both children were home-delivered; the school year Y-2/Y-1 had no
    # session, the calendar year one (5 November).
    assert values["teachers.home_delivered"] == 2
    assert values["teachers.home_teaching_coverage"] == Decimal("0.0")
    assert values["teachers.home_teaching_sessions"] == 1


def test_no_home_delivered_child_is_no_rate(world, staff):
    found, sentences = figures(world.admin, world)
    assert found["teachers.home_teaching_coverage"].value is None
    assert sentences[-1] == "特殊教育送教上门0名，覆盖率—。"


def _count(client, url) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["page"].paginator.count


def test_drill_downs_list_the_figures_rows(world, county):
    client = client_for(world.admin)
    for township, expected in ((None, COUNTY), (world.township1, TOWNSHIP1)):
        found, _ = figures(world.admin, world, township=township)
        for key in (
            "teachers.recruited_open",
            "teachers.recruited_targeted",
            "teachers.recruited_special_post",
            "teachers.special_post_converted",
            "teachers.exchanges",
            "teachers.exchanges_township",
            "teachers.exchanges_urban_rural",
            "teachers.trainings",
            "teachers.trainings_induction",
            "teachers.trainings_special",
            "teachers.home_teaching_sessions",
        ):
            assert _count(client, found[key].drill_url) == expected[key], key
        allowance = client.get(found["teachers.allowance_teachers"].drill_url)
        assert allowance.context["paid_in_year"] == {
            "teachers": expected["teachers.allowance_teachers"],
            "amount": expected["teachers.allowance_amount"],
        }
        ledger = client.get(found["teachers.home_delivered"].drill_url)
        assert ledger.status_code == 200
        assert ledger.context["as_of"] == d(0, 12, 31)


def test_the_section_query_count(world, county, django_assert_max_num_queries):
    scope = AnnualScope(
        user=world.admin, county=world.county, township=world.township1, year=Y, today=today()
    )
    annual_section(scope)  # the user's role assignments are loaded once
    with django_assert_max_num_queries(20):
        annual_section(scope)


def test_this_years_home_delivered_are_counted_on_today(world, county):
    found, _ = figures(world.admin, world, year=Y + 1)
    assert found["teachers.home_delivered"].value == 2
    assert "as_of" not in found["teachers.home_delivered"].drill_url
    # The school year ending this year had the session of 12 October Y only if it is after
    # 1 September Y: it is, so child1b counts as taught.
    assert found["teachers.home_delivered_visited"].value == 1
