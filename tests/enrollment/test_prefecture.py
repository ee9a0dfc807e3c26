"""The city bureau (市教育局, Role.PREFECTURE_VIEWER): reads its counties' figures — the overview,
the monthly reports rolled up, the annual summaries side by side — and nothing of another
prefecture's counties, no child's file, and it writes nothing."""

import datetime

import pytest
from django.http import QueryDict
from django.test import TestCase

from dropout.models import MonthlyReport
from dropout.reports import SUMMED_FIELDS, previous_month
from dropout.services import reports as report_services
from enrollment.ledgers import build_ledger, cached_summary
from enrollment.models import EnrollmentStatus, Prefecture
from enrollment.roles import Role
from enrollment.selectors import summary_total
from enrollment.services import change_status, grant_role
from enrollment.views import ledger_url_for
from yearend.models import AnnualSummary
from yearend.services import generate_summary

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

FIGURES = ("population", "enrolled", "exempted", "suspected", "dropped_out", "unaccounted", "rate")
LAST_MONTH = previous_month(datetime.date.today())
LAST_YEAR = datetime.date.today().year - 1


@pytest.fixture
def city(world):
    """Prefecture 5103 over the world's county and a second county (two children: one in
    school, one dropped out); prefecture 5104 over a third county with one child; the city
    bureau's user of 5103 and a bureau user of the second county."""
    c = world
    c.prefecture = Prefecture.objects.create(code="5103", name="测试市")
    c.other_prefecture = Prefecture.objects.create(code="5104", name="邻市")
    c.county.prefecture = c.prefecture
    c.county.save()
    c.county2 = CountyFactory(code="510302", name="第二县", prefecture=c.prefecture)
    township = TownshipFactory(county=c.county2, name="二县一镇")
    village = VillageFactory(township=township, name="二县一村")
    school = SchoolFactory(township=township, village=village, name="二县小学")
    household = HouseholdFactory(village=village, head_name="赵大")
    last_sept = datetime.date(datetime.date.today().year - 1, 9, 1)
    c.pupil2 = ChildFactory(household=household, name="赵小一")
    change_status(
        actor=world.loader,
        child=c.pupil2,
        status=EnrollmentStatus.IN_SCHOOL,
        effective_date=last_sept,
        reason="学籍注册",
        school=school,
        grade=3,
    )
    c.dropout2 = ChildFactory(household=household, name="赵小二")
    change_status(
        actor=world.loader,
        child=c.dropout2,
        status=EnrollmentStatus.DROPPED_OUT,
        effective_date=last_sept,
        reason="外出务工",
    )
    c.county3 = CountyFactory(code="510401", name="邻市县", prefecture=c.other_prefecture)
    c.child3 = ChildFactory(
        household=HouseholdFactory(
            village=VillageFactory(township=TownshipFactory(county=c.county3))
        ),
        name="钱小三",
    )
    c.viewer = UserFactory(username="city")
    grant_role(user=c.viewer, role=Role.PREFECTURE_VIEWER, place=c.prefecture)
    c.bureau2 = UserFactory(username="bureau2")
    grant_role(user=c.bureau2, role=Role.BUREAU_STAFF, place=c.county2)
    return c


def county_overview_total(user, county) -> dict:
    """The county's own overview (its ledger summary summed over its townships)."""
    ledger = build_ledger(user, "county", county.pk, QueryDict())
    return summary_total(cached_summary(ledger, user, QueryDict()))


def test_the_overview_shows_each_county_with_its_own_overviews_figures(city, world):
    response = client_for(city.viewer).get(f"/prefecture/{city.prefecture.pk}/")
    assert response.status_code == 200
    rows = {row["county"].code: row for row in response.context["rows"]}
    assert list(rows) == ["510300", "510302"]  # not 510401, of the other prefecture
    own = {
        "510300": county_overview_total(world.bureau, world.county),
        "510302": county_overview_total(city.bureau2, city.county2),
    }
    for code, figures in own.items():
        assert {key: rows[code][key] for key in FIGURES} == {key: figures[key] for key in FIGURES}
    # Counted by hand: the world's four children, two in school; the second county's two,
    # one in school and one dropped out.
    assert (rows["510300"]["population"], rows["510300"]["enrolled"]) == (4, 2)
    assert (rows["510302"]["population"], rows["510302"]["enrolled"]) == (2, 1)
    assert rows["510302"]["dropped_out"] == 1 and rows["510302"]["rate"] == 50.0
    total = response.context["total"]
    assert (total["population"], total["enrolled"], total["dropped_out"]) == (6, 3, 1)
    assert total["rate"] == 50.0
    html = response.content.decode()
    assert "第二县" in html and "邻市县" not in html and "rate-chart" in html
    assert "赵小二" not in html  # figures, never a child's name


def test_the_city_bureaus_home_link_is_its_overview(city):
    assert ledger_url_for(city.prefecture) == f"/prefecture/{city.prefecture.pk}/"
    response = client_for(city.viewer).get("/")
    assert response.status_code == 200
    assert f'href="/prefecture/{city.prefecture.pk}/"' in response.content.decode()


@pytest.mark.parametrize(
    "url",
    ["/prefecture/{pk}/", "/dropout/reports/prefecture/{pk}/", "/yearend/prefecture/{pk}/"],
)
def test_another_prefectures_pages_answer_404(city, world, url):
    assert client_for(city.viewer).get(url.format(pk=city.other_prefecture.pk)).status_code == 404
    # …and the county's own users have no prefecture to read.
    assert client_for(world.bureau).get(url.format(pk=city.prefecture.pk)).status_code == 404
    assert client_for(city.viewer).get(url.format(pk=city.prefecture.pk)).status_code == 200


def test_the_city_bureau_cannot_open_a_childs_page_a_ledger_or_a_report_page(city, world, media):
    report_services.generate_month(county=world.county, month=LAST_MONTH)
    report = MonthlyReport.objects.get(county=world.county, township__isnull=True)
    client = client_for(city.viewer)
    for url in (
        f"/children/{city.dropout2.pk}/",
        f"/children/{world.child1.pk}/",
        f"/ledger/county/{world.county.pk}/",
        f"/ledger/township/{world.township1.pk}/",
        f"/dropout/reports/{report.pk}/",  # it lists the children out of school by name
        f"/dropout/reports/{report.pk}/workbook/",
    ):
        assert client.get(url).status_code == 404, url
    from dropout.models import DropoutCase
    from enrollment.models import Child, Household

    for model in (Child, Household, DropoutCase, MonthlyReport):
        assert not model.objects.for_user(city.viewer).exists(), model


def test_the_city_bureau_writes_nothing(city, world, media):
    summary = generate_summary(
        county=world.county, township=None, year=LAST_YEAR, actor=world.bureau
    )
    client = client_for(city.viewer)
    assert client.get(f"/yearend/{summary.pk}/").status_code == 200  # it reads the summary…
    with TestCase.captureOnCommitCallbacks(execute=True):
        refused = {
            f"/yearend/{summary.pk}/approve/": {},  # …but does not approve it
            "/yearend/generate/": {"year": LAST_YEAR, "scope": f"county:{world.county.pk}"},
            "/dropout/reports/generate/": {"month": LAST_MONTH.strftime("%Y-%m")},
            "/children/new/": {},
        }
        for url, body in refused.items():
            assert client.post(url, body).status_code == 403, url
    summary.refresh_from_db()
    assert summary.approved_at is None
    assert not MonthlyReport.objects.exists()
    assert AnnualSummary.objects.count() == 1
    # Its own page takes no POST as a write: the same figures come back.
    assert client.post(f"/prefecture/{city.prefecture.pk}/").status_code == 200


def test_the_role_is_given_on_a_prefecture_only(city, world):
    from core.errors import DomainError

    user = UserFactory(username="city2")
    with pytest.raises(DomainError):
        grant_role(user=user, role=Role.PREFECTURE_VIEWER, place=world.county)
    assert not user.role_assignments.exists()


def test_the_monthly_rollup_sets_the_counties_own_reports_side_by_side(city, world, media):
    report_services.generate_month(county=world.county, month=LAST_MONTH)
    report_services.generate_month(county=city.county2, month=LAST_MONTH)
    report_services.generate_month(county=city.county3, month=LAST_MONTH)
    response = client_for(city.viewer).get(
        f"/dropout/reports/prefecture/{city.prefecture.pk}/?month={LAST_MONTH:%Y-%m}"
    )
    assert response.status_code == 200
    own = [
        MonthlyReport.objects.get(county=county, township__isnull=True).figures["totals"]
        for county in (world.county, city.county2)
    ]
    lines = {line["key"]: line for line in response.context["table"]}
    for key, line in lines.items():
        assert line["values"] == [totals[key] for totals in own], key
        if key != "rate":
            assert line["total"] == own[0][key] + own[1][key], key
    # By hand: six school-age children, three enrolled, one dropped out at the month's end.
    assert lines["population"]["total"] == 6 and lines["enrolled"]["total"] == 3
    assert lines["dropouts_end"]["values"] == [0, 1] and lines["dropouts_end"]["total"] == 1
    assert lines["rate"]["total"] == 50.0
    assert set(SUMMED_FIELDS) <= set(lines)
    assert "邻市县" not in response.content.decode()


def test_the_monthly_rollup_of_a_month_not_generated_shows_dashes(city):
    response = client_for(city.viewer).get(f"/dropout/reports/prefecture/{city.prefecture.pk}/")
    assert response.status_code == 200
    assert response.context["total"] is None
    assert all(row["report"] is None for row in response.context["rows"])
    bad = client_for(city.viewer).get(
        f"/dropout/reports/prefecture/{city.prefecture.pk}/?month=2026-13"
    )
    assert bad.status_code == 404


def test_the_annual_page_lists_each_countys_summary_side_by_side(city, world):
    first = generate_summary(county=world.county, township=None, year=LAST_YEAR, actor=world.bureau)
    second = generate_summary(
        county=city.county2, township=None, year=LAST_YEAR, actor=city.bureau2
    )
    from yearend.services import approve_summary

    approve_summary(summary=first, actor=world.bureau)
    response = client_for(city.viewer).get(
        f"/yearend/prefecture/{city.prefecture.pk}/?year={LAST_YEAR}"
    )
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row["summary"] for row in rows] == [first, second]
    stored = [
        {f["key"]: f["value"] for s in summary.sections for f in s["figures"]}
        for summary in (first, second)
    ]
    lines = response.context["lines"]
    assert lines, "the two summaries share figures"
    for line in lines:
        assert [str(v) if v is not None else None for v in line["values"]] == [
            str(values[line["key"]]) if values[line["key"]] is not None else None
            for values in stored
        ], line["key"]
    html = response.content.decode()
    assert "已审核" in html and "草稿（未审核）" in html


def test_the_annual_page_refuses_a_bad_year(city):
    client = client_for(city.viewer)
    assert client.get(f"/yearend/prefecture/{city.prefecture.pk}/?year=abc").status_code == 404
    empty = client.get(f"/yearend/prefecture/{city.prefecture.pk}/?year={LAST_YEAR}")
    assert empty.status_code == 200 and empty.context["lines"] == []


def test_the_prefecture_pages_are_a_bounded_number_of_queries(
    city, world, media, django_assert_max_num_queries
):
    report_services.generate_month(county=world.county, month=LAST_MONTH)
    generate_summary(county=world.county, township=None, year=LAST_YEAR, actor=world.bureau)
    client = client_for(city.viewer)
    for url in (
        f"/prefecture/{city.prefecture.pk}/",
        f"/dropout/reports/prefecture/{city.prefecture.pk}/?month={LAST_MONTH:%Y-%m}",
        f"/yearend/prefecture/{city.prefecture.pk}/?year={LAST_YEAR}",
    ):
        client.get(url)  # warm the session and the per-process caches
        with django_assert_max_num_queries(14):
            assert client.get(url).status_code == 200
    # More counties, no more queries.
    for n in range(3):
        CountyFactory(code=f"51031{n}", prefecture=city.prefecture)
    with django_assert_max_num_queries(14):
        assert client.get(f"/prefecture/{city.prefecture.pk}/").status_code == 200


def test_only_the_superuser_places_a_city_bureau_user_or_a_county_in_a_city(city, world):
    from django.contrib import admin
    from django.test import RequestFactory

    from enrollment.admin import RoleAssignmentForm
    from enrollment.models import County, RoleAssignment

    form_class = type("Form", (RoleAssignmentForm,), {"requester": world.admin})
    form = form_class(
        data={"user": world.bureau.pk, "role": Role.PREFECTURE_VIEWER, "county": world.county.pk}
    )
    assert not form.is_valid() and "市" in str(form.non_field_errors())
    request = RequestFactory().get("/")
    request.user = world.admin
    assert not admin.site._registry[Prefecture].has_change_permission(request)
    assert "prefecture" in admin.site._registry[County].get_readonly_fields(request)
    request.user = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert admin.site._registry[Prefecture].has_change_permission(request)
    assert RoleAssignment.objects.filter(role=Role.PREFECTURE_VIEWER).count() == 1
