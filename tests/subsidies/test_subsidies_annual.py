"""The subsidies section of the annual summary for a small county with known events, every
figure hand-counted for the county and for 一镇; the year before and another county do not
count. Events of 2025 (the summary's year):

payments (paid lines, by payment date)
  child1 (一镇, school1)  boarding 2025-1        500.00  paid 2025-11-15
  child2 (二镇, school2)  boarding 2025-1        312.50  paid 2025-11-15
  student (一镇, 19, completed compulsory education)  本专科 2025   5,000.00  paid 2025-10-01
  pupil (二镇, 16, studies outside the county)  县外就读中职 2025-1  1,000.00  paid 2025-12-01
  child1  boarding 2024-2 (bureau list)        500.00  paid 2024-06-01   ← the year before
public funds
  school1 2025-1 100 × 360 = 36,000 on 2025-10-10; school2 2024-2 80 × 400 = 32,000 on
  2025-03-01; school1 2024-1 90 × 360 = 32,400 on 2024-10-01   ← the year before
relief fund (founded 2022)
  2024: 乙公司 5,000 in, grant 800 to child2     → size 4,200
  2025: 甲公司 10,000 + 3,000, 张三 2,000, income 500 in, grant 1,200 to child1 → 18,500
donations
  2024 乙公司 money 5,000; 2025 甲公司 money 10,000 and 3,000, 张三 money 2,000,
  丙公司 goods 18,000 to school1 (一镇)
another county: a payment, an allocation and a donation of 2025 (never counted)
"""

import datetime
from decimal import Decimal

import pytest

from core.annual import AnnualScope, flat_figures
from enrollment.models import EnrollmentStatus
from subsidies.annual import annual_section
from subsidies.services import fund
from subsidies.services.public_funds import save_allocation

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
from .conftest import AUTUMN, poor
from .yearend import pay_on

D = datetime.date
TODAY = D(2026, 12, 7)
BOARDING = "boarding-living-allowance"


def _donate(actor, county, donor, kind, value, day, **extra):
    return fund.record_donation(
        actor=actor, county=county, donor=donor, donor_kind=kind, kind="money", value=value,
        purpose="助学", date=day, **extra,
    )  # fmt: skip


def _other_county(superuser):
    county = CountyFactory(code="510400", name="邻县")
    township = TownshipFactory(county=county, name="邻镇")
    village = VillageFactory(township=township, name="邻村")
    school = SchoolFactory(township=township, village=village, name="邻镇小学")
    household = poor(HouseholdFactory(village=village))
    student = ChildFactory(
        household=household, birth_date=D(2006, 3, 15),
        status=EnrollmentStatus.GRADUATED, status_since=D(2024, 7, 1),
    )  # fmt: skip

    class Other:
        pass

    other = Other()
    other.county, other.bureau = county, superuser
    pay_on(other, "higher-education", "2025", None, [{"child": student.pk}], D(2025, 10, 1))
    save_allocation(
        actor=superuser, school=school, period="2025-1", pupils=10, allocated_on=D(2025, 10, 1)
    )
    _donate(superuser, county, "邻县企业", "enterprise", "9000", D(2025, 5, 1))


@pytest.fixture
def year_2025(scenario):
    w = scenario
    superuser = UserFactory(username="root", is_superuser=True)
    student = ChildFactory(
        household=w.household1b, name="王大学", birth_date=D(2006, 3, 15),
        status=EnrollmentStatus.GRADUATED, status_since=D(2024, 7, 1),
    )  # fmt: skip
    poor(w.household1b)
    pupil = ChildFactory(
        household=w.household2, name="李中职", birth_date=D(2009, 5, 1),
        status=EnrollmentStatus.OUTSIDE_COUNTY, status_since=D(2025, 9, 1),
    )  # fmt: skip
    w.student, w.pupil = student, pupil
    day = D(2025, 11, 15)
    pay_on(w, BOARDING, AUTUMN, w.school1, [{"child": w.child1.pk}], day)
    pay_on(w, BOARDING, AUTUMN, w.school2, [{"child": w.child2.pk}], day)
    pay_on(w, "higher-education", "2025", None, [{"child": student.pk}], D(2025, 10, 1))
    pay_on(w, "vocational-outside-county", AUTUMN, None, [{"child": pupil.pk}], D(2025, 12, 1))
    pay_on(w, BOARDING, "2024-2", None, [{"child": w.child1.pk, "reason": "补录"}], D(2024, 6, 1))

    save_allocation(
        actor=w.bureau, school=w.school1, period="2025-1", pupils=100, allocated_on=D(2025, 10, 10)
    )
    save_allocation(
        actor=w.bureau,
        school=w.school2,
        period="2024-2",
        pupils=80,
        standard="400",
        allocated_on=D(2025, 3, 1),
    )
    save_allocation(
        actor=w.bureau, school=w.school1, period="2024-1", pupils=90, allocated_on=D(2024, 10, 1)
    )

    the_fund = fund.open_fund(
        actor=w.bureau, county=w.county, name="救助基金", founded_on=D(2022, 1, 1)
    )
    _donate(w.bureau, w.county, "乙公司", "enterprise", "5000", D(2024, 5, 1))
    _donate(w.bureau, w.county, "甲公司", "enterprise", "10000", D(2025, 3, 1))
    _donate(w.bureau, w.county, "甲公司", "enterprise", "3000", D(2025, 6, 1))
    _donate(w.bureau, w.county, "张三", "individual", "2000", D(2025, 4, 1))
    fund.record_donation(
        actor=w.bureau,
        county=w.county,
        donor="丙公司",
        donor_kind="enterprise",
        kind="goods",
        value="18000",
        description="课桌椅200套",
        purpose="改善办学条件",
        date=D(2025, 7, 1),
        school=w.school1,
    )
    fund.record_inflow(
        actor=w.bureau,
        fund=the_fund,
        kind="income",
        amount="500",
        date=D(2025, 12, 20),
        counterparty="基金会",
    )
    for child, amount, when in (
        (w.child2, "800", D(2024, 10, 1)),
        (w.child1, "1200", D(2025, 10, 2)),
    ):
        entry = fund.request_grant(
            actor=w.bureau, fund=the_fund, child=child, amount=amount, date=when, hardship="重病"
        )
        fund.approve_grant(actor=w.bureau, entry=entry)  # fmt: skip
    _other_county(superuser)
    w.superuser = superuser
    return w


def _figures(user, county, township=None, year=2025):
    section = annual_section(AnnualScope(user, county, township, year, TODAY))
    return section, {key: figure.value for key, figure in flat_figures([section]).items()}


COUNTY = {
    "subsidies.total": Decimal("74812.50"),
    "subsidies.payments": Decimal("6812.50"),
    "subsidies.children": 4,
    f"subsidies.programme.{BOARDING}.amount": Decimal("812.50"),
    f"subsidies.programme.{BOARDING}.children": 2,
    "subsidies.programme.higher-education.amount": Decimal("5000.00"),
    "subsidies.programme.higher-education.children": 1,
    "subsidies.programme.vocational-outside-county.amount": Decimal("1000.00"),
    "subsidies.programme.vocational-outside-county.children": 1,
    "subsidies.programme.nutrition.amount": Decimal("0.00"),
    "subsidies.programme.nutrition.children": 0,
    "subsidies.public_funds.amount": Decimal("68000.00"),
    "subsidies.public_funds.schools": 2,
    "subsidies.fund.size": Decimal("18500.00"),
    "subsidies.fund.disbursed": Decimal("1200.00"),
    "subsidies.fund.students": 1,
    "subsidies.fund.cumulative_disbursed": Decimal("2000.00"),
    "subsidies.fund.cumulative_students": 2,
    "subsidies.donations.enterprises": 2,
    "subsidies.donations.enterprise_amount": Decimal("31000.00"),
    "subsidies.donations.individuals": 1,
    "subsidies.donations.individual_amount": Decimal("2000.00"),
    "subsidies.donations.amount": Decimal("33000.00"),
    "subsidies.donations.years": 2,
    "subsidies.donations.cumulative_enterprises": 3,
    "subsidies.donations.cumulative_enterprise_amount": Decimal("36000.00"),
}
TOWNSHIP1 = {
    "subsidies.total": Decimal("41500.00"),
    "subsidies.payments": Decimal("5500.00"),
    "subsidies.children": 2,
    f"subsidies.programme.{BOARDING}.amount": Decimal("500.00"),
    f"subsidies.programme.{BOARDING}.children": 1,
    "subsidies.programme.higher-education.amount": Decimal("5000.00"),
    "subsidies.programme.higher-education.children": 1,
    "subsidies.programme.vocational-outside-county.amount": Decimal("0.00"),
    "subsidies.programme.vocational-outside-county.children": 0,
    "subsidies.programme.nutrition.amount": Decimal("0.00"),
    "subsidies.programme.nutrition.children": 0,
    "subsidies.public_funds.amount": Decimal("36000.00"),
    "subsidies.public_funds.schools": 1,
    "subsidies.fund.size": None,
    "subsidies.fund.disbursed": None,
    "subsidies.fund.students": None,
    "subsidies.fund.cumulative_disbursed": None,
    "subsidies.fund.cumulative_students": None,
    "subsidies.donations.enterprises": 1,
    "subsidies.donations.enterprise_amount": Decimal("18000.00"),
    "subsidies.donations.individuals": 0,
    "subsidies.donations.individual_amount": Decimal("0.00"),
    "subsidies.donations.amount": Decimal("18000.00"),
    "subsidies.donations.years": 1,
    "subsidies.donations.cumulative_enterprises": 1,
    "subsidies.donations.cumulative_enterprise_amount": Decimal("18000.00"),
}


def _subset(values, expected):
    return {key: values.get(key, "missing") for key in expected}


@pytest.mark.parametrize("who", ["bureau", "auditor", "superuser"])
def test_every_county_figure_is_the_hand_counted_one(year_2025, who):
    _section, values = _figures(getattr(year_2025, who), year_2025.county)
    assert _subset(values, COUNTY) == COUNTY


def test_every_township_figure_is_the_hand_counted_one(year_2025):
    w = year_2025
    for user in (w.bureau, w.township1_user):
        _section, values = _figures(user, w.county, w.township1)
        assert _subset(values, TOWNSHIP1) == TOWNSHIP1


def test_the_year_before_counts_its_own_events_only(year_2025):
    _section, values = _figures(year_2025.bureau, year_2025.county, year=2024)
    assert values["subsidies.payments"] == Decimal("500.00")
    assert values["subsidies.public_funds.amount"] == Decimal("32400.00")
    assert values["subsidies.fund.size"] == Decimal("4200.00")
    assert values["subsidies.fund.cumulative_students"] == 1
    assert values["subsidies.donations.enterprises"] == 1
    assert values["subsidies.donations.years"] == 1


def test_the_sentences_are_the_reports_with_the_figures(year_2025):
    section, _values = _figures(year_2025.bureau, year_2025.county)
    assert section.sentences == [
        "2025年教育扶贫专项计划资助金共7.48万元。其中义务教育寄宿制贫困生补助0.08万元；"
        "县外就读中职学生补助0.10万元；本专科学生补助学费、生活费0.50万元，"
        "落实义务教育生均公用经费6.80万元。",
        "2025年，基金规模1.85万元，发放0.12万元，惠及1名特困学生。"
        "4年来，教育救助基金共救助2名特困学生0.20万元。",
        "近2年，捐赠企业不下3家，金额达3多万元。",
    ]
    township, _values = _figures(year_2025.bureau, year_2025.county, year_2025.township1)
    assert township.sentences[1:] == ["近1年，捐赠企业不下1家，金额达1多万元。"]


def test_a_user_of_another_township_sees_nothing_of_township1(year_2025):
    _section, values = _figures(year_2025.township2_user, year_2025.county, year_2025.township1)
    assert values["subsidies.total"] == Decimal("0.00")
    assert values["subsidies.donations.amount"] == Decimal("0.00")


def test_the_section_reads_in_a_handful_of_queries(year_2025, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        _figures(year_2025.bureau, year_2025.county)
    with django_assert_max_num_queries(12):
        _figures(year_2025.township1_user, year_2025.county, year_2025.township1)


def test_the_drill_down_lists_hold_the_figures_rows(year_2025):
    w = year_2025
    for township, expected in ((None, COUNTY), (w.township1, TOWNSHIP1)):
        section, _values = _figures(w.bureau, w.county, township)
        urls = {figure.key: figure.drill_url for figure in section.figures}
        client = client_for(w.bureau)
        lines = client.get(urls["subsidies.payments"]).context["page"]
        assert sum(line.amount for line in lines) == expected["subsidies.payments"]
        higher = client.get(urls["subsidies.programme.higher-education.amount"]).context["page"]
        assert [line.child for line in higher] == [w.student]
        public = client.get(urls["subsidies.public_funds.amount"]).context
        assert public["totals"]["amount"] == expected["subsidies.public_funds.amount"]
        gifts = client.get(urls["subsidies.donations.amount"]).context["page"]
        assert sum(gift.value for gift in gifts) == expected["subsidies.donations.amount"]


def test_the_off_roll_payments_carry_their_own_stage(year_2025):
    from subsidies.models import Payment

    stages = dict(
        Payment.objects.filter(child__in=[year_2025.student, year_2025.pupil]).values_list(
            "child__name", "stage"
        )
    )
    assert stages == {"王大学": "higher", "李中职": "voc_outside"}


def test_the_demo_county_shows_every_new_figure_in_both_years(db, settings, tmp_path):
    from django.utils import timezone

    from subsidies.models import Payment

    from ..conftest import load_small_demo

    settings.MEDIA_ROOT = tmp_path
    county, accounts = load_small_demo()
    today = timezone.localdate()
    keys = [
        "subsidies.payments",
        "subsidies.children",
        "subsidies.programme.higher-education.amount",
        "subsidies.programme.vocational-outside-county.amount",
        "subsidies.public_funds.amount",
        "subsidies.public_funds.schools",
        "subsidies.fund.size",
        "subsidies.fund.disbursed",
        "subsidies.fund.students",
        "subsidies.donations.enterprises",
        "subsidies.donations.individuals",
        "subsidies.donations.cumulative_enterprises",
    ]
    for year in (today.year - 1, today.year):
        section = annual_section(AnnualScope(accounts["bureau"], county, None, year, today))
        values = {key: figure.value for key, figure in flat_figures([section]).items()}
        assert all(values[key] > 0 for key in keys), (year, {key: values[key] for key in keys})
        assert all(
            value >= 0 for key, value in values.items() if key.startswith("subsidies.programme.")
        )
    crossing = Payment.objects.filter(
        kind="reversal", paid_on__year=today.year, corrects__paid_on__year=today.year - 1
    )
    assert crossing.filter(programme__code="higher-education").exists()
