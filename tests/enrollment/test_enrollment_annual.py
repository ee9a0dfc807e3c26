"""The registry's section of the annual summary: every figure hand-counted on a small county and
on one of its townships; last year's and another county's events not counted; the drill-down
lists show the figure's rows; the section's query count."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.annual import AnnualScope, annual_sections
from enrollment.annual import annual_section, shown_percent
from enrollment.help_services import record_help_activity, save_partner_unit
from enrollment.models import EnrollmentStatus, School
from enrollment.selectors import school_year_of
from enrollment.services import assign_help_partner, change_status, record_visit
from tests.conftest import client_for
from tests.factories import (
    ChildFactory,
    CountyFactory,
    HouseholdFactory,
    SchoolFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
)

S = EnrollmentStatus
TODAY = timezone.localdate()
YEAR = school_year_of(TODAY)  # 1 September YEAR is today or before
LAST_SEPT = datetime.date(YEAR - 1, 9, 1)
SEPT = datetime.date(YEAR, 9, 1)
AFTER = min(datetime.date(YEAR, 9, 5), TODAY)
LAST_YEAR = datetime.date(YEAR - 1, 12, 31)


def born(age: int) -> datetime.date:
    """Aged `age` on 31 August YEAR (the reference day of the summary's ledger)."""
    return datetime.date(YEAR - age, 3, 15)


def set_status(w, child, status, *, on=LAST_SEPT, **extra):
    change_status(
        actor=w.loader, child=child, status=status, effective_date=on, reason="登记", **extra
    )


@pytest.fixture
def county(world):
    """world: child1 (一镇, grade 3), sibling1 and child1b (一镇, not verified), child2 (二镇,
    grade 3); and:"""
    w = world
    w.junior = SchoolFactory(
        township=w.township1, code="3151000001", name="一镇中学", stage=School.Stage.JUNIOR
    )
    w.special = SchoolFactory(
        township=w.township2, code="5151000001", name="特校", stage=School.Stage.SPECIAL
    )
    w.jun = ChildFactory(household=w.household1, name="初一随班", birth_date=born(13))
    set_status(w, w.jun, S.IN_SCHOOL, school=w.junior, grade=7, is_inclusive=True)
    w.spec = ChildFactory(household=w.household2, name="特校生", birth_date=born(10))
    set_status(w, w.spec, S.SPECIAL_SCHOOL, school=w.special)
    w.home = ChildFactory(household=w.household1, name="送教", birth_date=born(12))
    set_status(w, w.home, S.HOME_DELIVERED, school=w.school1)
    w.moved = ChildFactory(household=w.household2, name="迁出", birth_date=born(10))
    set_status(w, w.moved, S.MOVED_AWAY)
    # Primary graduates of the summer: one reaches the junior school, one does not.
    w.g6a = ChildFactory(household=w.household1, name="毕业甲", birth_date=born(12))
    set_status(w, w.g6a, S.IN_SCHOOL, school=w.school1, grade=6)
    set_status(w, w.g6a, S.IN_SCHOOL, school=w.junior, grade=7, on=AFTER)
    w.g6b = ChildFactory(household=w.household2, name="毕业乙", birth_date=born(12))
    set_status(w, w.g6b, S.IN_SCHOOL, school=w.school2, grade=6)
    set_status(w, w.g6b, S.UNVERIFIED, on=AFTER)

    def visit(household, child, day, teachers):
        record_visit(
            actor=w.admin,
            household=household,
            children=[child],
            visit_date=day,
            visitors="干部、教师",
            findings="在家",
            outcome="confirmed_in_school",
            teacher_visitors=teachers,
        )

    visit(w.household1, w.child1, SEPT, 2)
    visit(w.household1b, w.child1b, SEPT, 1)
    visit(w.household2, w.child2, SEPT, 3)
    visit(w.household1, w.sibling1, LAST_YEAR, 5)  # last year: not counted

    def pair(child, start):
        assign_help_partner(
            actor=w.admin,
            child=child,
            partner_name="老师",
            partner_kind="teacher",
            plan="一生一策",
            start_date=start,
        )

    pair(w.child1, datetime.date(YEAR - 1, 6, 1))  # open, begun last year
    pair(w.child2, SEPT)  # open, begun this year
    pair(w.sibling1, datetime.date(YEAR - 1, 3, 1))  # ended on SEPT by the next one
    pair(w.sibling1, SEPT)  # open, begun this year

    w.u1 = save_partner_unit(actor=w.admin, county=w.county, name="县财政局", kind="government")
    w.u2 = save_partner_unit(actor=w.admin, county=w.county, name="某公司", kind="enterprise")
    save_partner_unit(actor=w.admin, county=w.county, name="旧单位", kind="other", is_active=False)

    def activity(day, unit, amount, actor=w.admin, **target):
        record_help_activity(
            actor=actor,
            date=day,
            kind="money" if amount else "tutoring",
            content="帮扶",
            responsible_name="甲",
            unit=unit,
            amount=amount,
            **target,
        )

    activity(SEPT, w.u1, Decimal("500"), child=w.child1)
    activity(SEPT, w.u2, Decimal("200.50"), household=w.household1b)
    activity(SEPT, w.u1, None, child=w.child2)
    activity(LAST_YEAR, w.u2, Decimal("1000"), child=w.child1)  # last year: not counted

    # Another county's events: not counted.
    w.superuser = UserFactory(username="root", is_superuser=True)
    other_village = VillageFactory(township=TownshipFactory(county=CountyFactory(code="520500")))
    other_household = HouseholdFactory(village=other_village)
    other_child = ChildFactory(household=other_household, birth_date=born(10))
    other_unit = save_partner_unit(
        actor=None, county=other_village.township.county, name="外县单位", kind="other"
    )
    visit(other_household, other_child, SEPT, 9)
    activity(SEPT, other_unit, Decimal("999"), actor=w.superuser, child=other_child)
    return w


def figures(user, county, township=None, year=YEAR):
    scope = AnnualScope(user=user, county=county, township=township, year=year, today=TODAY)
    section = annual_section(scope)
    return {figure.key: figure for figure in section.figures}, section.sentences


def values(found):
    return {key: figure.value for key, figure in found.items()}


COUNTY = {
    # child1, sibling1, child1b, child2, jun, spec, home, g6a, g6b (moved is departed)
    "enrollment.population": 9,
    "enrollment.enrolled": 6,  # child1, child2, jun, spec, home, g6a
    "enrollment.rate": Decimal("66.7"),
    # primary: child1, child2 (grade 3), sibling1, child1b, spec (by age); 3 enrolled
    "enrollment.rate_primary": Decimal("60.0"),
    # junior: jun, g6a (grade 7), home, g6b (by age); 3 enrolled
    "enrollment.rate_junior": Decimal("75.0"),
    "enrollment.primary_graduates": 2,
    "enrollment.graduates_in_junior": 1,
    "enrollment.transition_rate": Decimal("50.0"),
    "enrollment.special_school": 1,
    "enrollment.inclusive": 1,
    "enrollment.home_delivered": 1,
    "enrollment.visits": 3,
    "enrollment.teacher_visitors": 6,
    "enrollment.pairings_open": 3,
    "enrollment.pairings_started": 2,
    "enrollment.help_activities": 3,
    "enrollment.help_amount": Decimal("700.50"),
    "enrollment.help_units": 2,
    "enrollment.partner_units": 2,
}

TOWNSHIP1 = {
    "enrollment.population": 6,  # child1, sibling1, child1b, jun, home, g6a
    "enrollment.enrolled": 4,
    "enrollment.rate": Decimal("66.7"),
    "enrollment.rate_primary": Decimal("33.3"),  # child1 of child1, sibling1, child1b
    "enrollment.rate_junior": Decimal("100.0"),  # jun, home, g6a
    "enrollment.primary_graduates": 1,
    "enrollment.graduates_in_junior": 1,
    "enrollment.transition_rate": Decimal("100.0"),
    "enrollment.special_school": 0,
    "enrollment.inclusive": 1,
    "enrollment.home_delivered": 1,
    "enrollment.visits": 2,
    "enrollment.teacher_visitors": 3,
    "enrollment.pairings_open": 2,  # child1, sibling1's second
    "enrollment.pairings_started": 1,
    "enrollment.help_activities": 2,
    "enrollment.help_amount": Decimal("700.50"),
    "enrollment.help_units": 2,
    "enrollment.partner_units": None,  # a county catalogue: no township meaning
}


@pytest.mark.parametrize("who", ["admin", "superuser"])
def test_county_figures(county, who):
    found, sentences = figures(getattr(county, who), county.county)
    assert values(found) == COUNTY
    assert sentences == [
        "确保小学适龄儿童入学率60%、小学毕业生升入初中50%",
        "全年入户走访3户次，教师参与6人次",
        "2个帮扶单位开展帮扶活动3次",
    ]


def test_township_figures(county):
    found, sentences = figures(county.admin, county.county, county.township1)
    assert values(found) == TOWNSHIP1
    assert sentences[0] == "确保小学适龄儿童入学率33.3%、小学毕业生升入初中100%"


def test_township_official_sees_only_the_township(county):
    found, _sentences = figures(county.township1_user, county.county)
    assert found["enrollment.visits"].value == 2
    assert found["enrollment.help_activities"].value == 2
    assert found["enrollment.population"].value == 6


def test_last_year_is_its_own(county):
    found, _sentences = figures(county.admin, county.county, year=YEAR - 1)
    assert found["enrollment.visits"].value == 1
    assert found["enrollment.teacher_visitors"].value == 5
    assert found["enrollment.help_activities"].value == 1
    assert found["enrollment.help_amount"].value == Decimal("1000.00")
    assert found["enrollment.pairings_started"].value == 2  # child1's and sibling1's first


def test_drill_down_lists_show_the_figures_rows(county):
    found, _sentences = figures(county.admin, county.county)
    client = client_for(county.admin)
    activities = client.get(found["enrollment.help_activities"].drill_url)
    assert activities.context["page"].paginator.count == 3
    township, _s = figures(county.admin, county.county, county.township1)
    listed = client.get(township["enrollment.help_activities"].drill_url)
    assert listed.context["page"].paginator.count == 2
    special = client.get(found["enrollment.special_school"].drill_url)
    assert special.status_code == 200
    assert special.context["table"].paginator.count == 1
    ledger = client.get(found["enrollment.population"].drill_url)
    assert ledger.context["table"].paginator.count == 9
    units = client.get(found["enrollment.partner_units"].drill_url)
    assert len([u for u in units.context["page"] if u.is_active]) == 2


def test_section_is_registered_and_first(county):
    scope = AnnualScope(
        user=county.admin, county=county.county, township=None, year=YEAR, today=TODAY
    )
    keys = [section.key for section in annual_sections(scope)]
    assert keys[0] == "enrollment"


def test_section_query_count(county, django_assert_max_num_queries):
    scope = AnnualScope(
        user=county.admin, county=county.county, township=None, year=YEAR, today=TODAY
    )
    county.admin._cached_role_assignments = None
    with django_assert_max_num_queries(12):
        annual_section(scope)


def test_rates_are_written_as_the_report_writes_them():
    assert shown_percent(Decimal("100.0")) == "100%"
    assert shown_percent(Decimal("99.5")) == "99.5%"
    assert shown_percent(None) == "—"
    assert reverse("enrollment:help_activity_list")


@pytest.mark.django_db
def test_demo_county_has_plausible_figures_this_year_and_last():
    from tests.conftest import load_small_demo

    place, accounts = load_small_demo()
    for year in (TODAY.year, TODAY.year - 1):
        found, sentences = figures(accounts["admin"], place, year=year)
        assert found["enrollment.primary_graduates"].value > 0, year
        assert Decimal("90") <= found["enrollment.transition_rate"].value <= 100, year
        assert found["enrollment.help_activities"].value > 0, year
        assert found["enrollment.help_amount"].value > 0, year
        assert found["enrollment.teacher_visitors"].value > 0, year
        assert found["enrollment.partner_units"].value >= 5
        assert Decimal("90") <= found["enrollment.rate_primary"].value <= 100, year
