"""Each factor, the explanation text and the county's points."""

import datetime

import pytest
from django.urls import reverse

from core.errors import DomainError
from enrollment.models import Child, EnrollmentStatus, PovertyStatus
from enrollment.services import change_status
from risk.models import RiskScore, RiskWeight
from risk.services import recompute_scores, set_points
from tests.conftest import client_for
from tests.factories import HouseholdFactory

from .conftest import absence, history, normal_birth_date, pupil

S = EnrollmentStatus
DAY = datetime.timedelta(days=1)


def keys(child):
    return [item["key"] for item in RiskScore.objects.get(child=child).factors]


@pytest.fixture
def pupils(world, today):
    """One pupil per factor, each in its own household (and a plain one with none)."""

    def own(**fields):
        household = HouseholdFactory(village=world.village1, **fields)
        return household

    p = {}
    p["plain"] = pupil(world, household=own())
    p["absence_30"] = pupil(world, household=own())
    absence(world, p["absence_30"], since=today - 5 * DAY)  # open: 6 days with today
    p["absence_90"] = pupil(world, household=own())
    absence(world, p["absence_90"], since=today - 60 * DAY, back=today - 31 * DAY)  # 29 days
    p["absence_spells"] = pupil(world, household=own())
    absence(world, p["absence_spells"], since=today - 100 * DAY, back=today - 99 * DAY)
    absence(world, p["absence_spells"], since=today - 80 * DAY, back=today - 79 * DAY)
    p["overage"] = pupil(
        world,
        household=own(),
        birth_date=normal_birth_date(4, today).replace(year=normal_birth_date(4, today).year - 2),
    )
    p["transition"] = pupil(world, household=own(), grade=6)
    p["recent_dropout"] = pupil(world, household=own())
    history(p["recent_dropout"], S.DROPPED_OUT, today - 150 * DAY)
    history(p["recent_dropout"], S.IN_SCHOOL, today - 100 * DAY, previous=S.DROPPED_OUT)
    p["exemption_ended"] = pupil(world, household=own())
    history(p["exemption_ended"], S.SUSPENDED, today - 200 * DAY)
    history(p["exemption_ended"], S.IN_SCHOOL, today - 30 * DAY, previous=S.SUSPENDED)
    p["left_behind"] = pupil(world, household=own(), is_left_behind=True)
    p["poverty"] = pupil(world, household=own(poverty_status=PovertyStatus.MONITORED))
    p["disability_unplaced"] = pupil(world, household=own(), is_disabled=True)
    sibling_home = own()
    p["sibling_dropout"] = pupil(world, household=sibling_home)
    brother = pupil(world, household=sibling_home, grade=8)
    history(brother, S.DROPPED_OUT, today - 400 * DAY)
    p["boarding_far"] = pupil(world, household=own(), school=world.school2)
    change_status(
        actor=world.loader,
        child=p["boarding_far"],
        status=S.IN_SCHOOL,
        effective_date=today - 10 * DAY,
        reason="住校",
        school=world.school2,
        grade=4,
        is_boarder=True,
    )
    recompute_scores(county=world.county)
    return p


def test_each_factor_applies_alone_to_its_pupil(pupils):
    assert keys(pupils["plain"]) == []
    assert RiskScore.objects.get(child=pupils["plain"]).score == 0
    for key, child in pupils.items():
        if key != "plain":
            assert keys(child) == [key], key


def test_the_explanation_names_each_factor_with_its_points(world, pupils, today):
    child = pupils["absence_30"]
    Child.objects.filter(pk=child.pk).update(grade=2, is_left_behind=True)
    recompute_scores(county=world.county)
    score = RiskScore.objects.get(child=child)
    # grade 2 at grade 4's normal age: two years over-age
    assert score.explanation == "近30天缺课6天 +30；超龄2岁 +20；留守儿童 +10"
    assert score.score == 60
    assert [item["label"] for item in score.factors] == [
        "近期无故缺课（30天）",
        "超龄",
        "留守或无父母照料",
    ]


def test_the_countys_points_change_the_scores_and_zero_switches_a_factor_off(world, pupils):
    set_points(actor=world.admin, county=world.county, points={"absence_30": 45, "overage": 0})
    recompute_scores(county=world.county)
    assert RiskScore.objects.get(child=pupils["absence_30"]).score == 45
    overage = RiskScore.objects.get(child=pupils["overage"])
    assert (overage.score, overage.factors) == (0, [])


def test_points_out_of_range_are_refused_and_nothing_changes(world):
    with pytest.raises(DomainError):
        set_points(
            actor=world.admin, county=world.county, points={"absence_30": 10, "poverty": 500}
        )
    with pytest.raises(DomainError):
        set_points(actor=world.admin, county=world.county, points={"ethnicity": 10})
    assert RiskWeight.objects.count() == 0


def test_only_the_county_admin_sets_points(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        set_points(actor=world.bureau, county=world.county, points={"poverty": 5})
    for user in (world.bureau, world.auditor, world.township1_user):
        assert client_for(user).post(reverse("risk:weights"), {"poverty": 5}).status_code == 403
    assert RiskWeight.objects.count() == 0


def test_points_page_saves_and_bad_input_changes_nothing(world):
    from risk.factors import DEFAULT_POINTS

    client = client_for(world.admin)
    assert client.get(reverse("risk:weights")).status_code == 200
    bad = {**DEFAULT_POINTS, "poverty": "many"}
    answer = client.post(reverse("risk:weights"), bad)
    assert answer.status_code == 200 and answer.context["form"].errors
    assert RiskWeight.objects.count() == 0
    answer = client.post(reverse("risk:weights"), {**DEFAULT_POINTS, "poverty": 25})
    assert answer.status_code == 302
    assert RiskWeight.objects.get(factor="poverty").points == 25


def test_children_out_of_school_age_or_dropped_out_have_no_score(world, pupils, today):
    child = pupils["plain"]
    change_status(
        actor=world.loader,
        child=child,
        status=S.DROPPED_OUT,
        effective_date=today,
        reason="测试",
    )
    recompute_scores(county=world.county)
    assert not RiskScore.objects.filter(child=child).exists()


def test_the_help_page_lists_every_factor_and_no_forbidden_attribute(world):
    from risk.factors import FACTORS

    page = client_for(world.village1_user).get(reverse("risk:help"))
    assert page.status_code == 200
    html = page.content.decode()
    for factor in FACTORS:
        assert f'data-factor="{factor.key}"' in html
    assert not {"ethnicity", "religion", "sex", "nation"} & {f.key for f in FACTORS}
