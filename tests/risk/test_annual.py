"""The annual summary's risk section for a past year, counted by hand: the scores as of the
year's last day from what was recorded by then, and the visits of that calendar year."""

import datetime

from django.utils import timezone

from core.annual import AnnualScope
from enrollment.models import HouseholdVisit
from risk.annual import annual_section
from tests.factories import (
    CountyFactory,
    HouseholdFactory,
    SchoolFactory,
    TownshipFactory,
    VillageFactory,
)

from .conftest import absence, backdate, pupil

DAY = datetime.timedelta(days=1)


def _visit(world, child, day):
    visit = HouseholdVisit.objects.create(
        visit_date=day,
        household=child.household,
        visitors="乡镇干部",
        findings="在校",
        outcome="confirmed_in_school",
        recorded_by=world.loader,
    )
    visit.children.add(child)


def _absent_before_new_year(world, child, year):
    last = datetime.date(year, 12, 31)
    absence(world, child, since=last - 21 * DAY, back=last - 11 * DAY)  # 10 days


def test_past_year_section_by_hand_for_the_county_and_one_township(
    world, today, django_assert_max_num_queries
):
    year = today.year - 1
    long_ago = timezone.make_aware(datetime.datetime(year - 3, 1, 1))
    a = pupil(world, household=HouseholdFactory(village=world.village1), is_left_behind=True)
    b = pupil(world, household=HouseholdFactory(village=world.village1), is_left_behind=True)
    c = pupil(
        world,
        household=HouseholdFactory(village=world.village2),
        school=world.school2,
        is_left_behind=True,
    )
    other_county = CountyFactory(code="510400")
    elsewhere = VillageFactory(township=TownshipFactory(county=other_county))
    d = pupil(
        world,
        household=HouseholdFactory(village=elsewhere),
        school=SchoolFactory(township=elsewhere.township, village=elsewhere),
        is_left_behind=True,
    )
    for child in (a, b, c, d):
        backdate(child, recorded=long_ago)
    for child in (a, c, d):  # 30 + 15 + 10 = 55: high; b has 10 only
        _absent_before_new_year(world, child, year)
    _visit(world, a, datetime.date(year, 11, 5))  # counted
    _visit(world, c, datetime.date(year - 1, 11, 5))  # the year before: not counted
    _visit(world, d, datetime.date(year, 11, 5))  # another county: not counted

    def figures(township):
        scope = AnnualScope(
            user=world.bureau, county=world.county, township=township, year=year, today=today
        )
        with django_assert_max_num_queries(15):
            section = annual_section(scope)
        return {f.key: f.value for f in section.figures}, section.sentences

    assert figures(None) == (
        {"risk.high": 2, "risk.high_visited": 1},
        ["高风险儿童2名，已走访1名。"],
    )
    assert figures(world.township1)[0] == {"risk.high": 1, "risk.high_visited": 1}
    assert figures(world.township2)[0] == {"risk.high": 1, "risk.high_visited": 0}
