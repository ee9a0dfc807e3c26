"""The monthly dropout report's risk line (高风险儿童 N 名，已走访 M 名): figures by hand per
township and for the county, on the page and in the workbook, frozen once approved, absent when
the risk app provides nothing."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dropout import extensions
from dropout.models import MonthlyReport
from dropout.reports import previous_month
from dropout.services import reports as report_services
from enrollment.models import HouseholdVisit, PovertyStatus
from risk.hooks import report_line
from risk.models import RiskScore
from risk.selectors import monthly_figures_by_township
from risk.services import recompute_scores
from tests.conftest import client_for
from tests.factories import HouseholdFactory

from .conftest import absence, pupil

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


@pytest.fixture
def month(today):
    return previous_month(today)


@pytest.fixture
def line_world(world, today, month):
    """一镇: three high-risk pupils — A visited in the month, B visited the month before only,
    C never — and a low-score pupil L visited in the month (not counted). 二镇: one high-risk
    pupil D visited twice in the month (counted once)."""
    w = world
    poor = {
        village: HouseholdFactory(village=village, poverty_status=PovertyStatus.MONITORED)
        for village in (w.village1, w.village1b, w.village2)
    }
    w.a = pupil(world, household=poor[w.village1], is_left_behind=True)
    w.b = pupil(world, household=poor[w.village1b], is_left_behind=True)
    w.c = pupil(world, household=poor[w.village1], grade=7, is_left_behind=True)
    w.d = pupil(world, household=poor[w.village2], school=w.school2, is_left_behind=True)
    for child in (w.a, w.b, w.c, w.d):
        absence(world, child, since=today - 4 * DAY)
    w.low = pupil(world, household=HouseholdFactory(village=w.village1), grade=5)
    recompute_scores(county=w.county)
    _visit(world, w.a, month + 3 * DAY)
    _visit(world, w.b, month - 2 * DAY)
    _visit(world, w.low, month + 5 * DAY)
    _visit(world, w.d, month)
    _visit(world, w.d, month + 20 * DAY)
    return w


def test_the_fixture_scores_as_intended(line_world, settings):
    high = set(
        RiskScore.objects.filter(score__gte=settings.RISK_HIGH_THRESHOLD).values_list(
            "child_id", flat=True
        )
    )
    w = line_world
    assert high == {w.a.pk, w.b.pk, w.c.pk, w.d.pk}


def test_figures_by_hand_per_township_and_county(line_world, month):
    w = line_world
    figures = monthly_figures_by_township(w.county, month=month)
    assert figures[w.township1.pk] == {"high_risk": 3, "visited": 1}
    assert figures[w.township2.pk] == {"high_risk": 1, "visited": 1}
    assert figures["county"] == {"high_risk": 4, "visited": 2}
    line = report_line(w.county, month)
    assert line[w.township1.pk].text == "高风险儿童3名，已走访1名"
    assert line["county"].text == "高风险儿童4名，已走访2名"


def test_no_scores_computed_gives_no_line(world, month):
    assert monthly_figures_by_township(world.county, month=month) == {}
    assert report_line(world.county, month) == {}


def test_report_page_and_workbook_show_each_scopes_line(line_world, month):
    w = line_world
    report_services.generate_month(county=w.county, month=month)
    county_report = MonthlyReport.objects.get(county=w.county, township__isnull=True, month=month)
    township1 = MonthlyReport.objects.get(township=w.township1, month=month)
    township2 = MonthlyReport.objects.get(township=w.township2, month=month)
    assert [line["text"] for line in township2.figures["lines"]] == ["高风险儿童1名，已走访1名"]

    page = client_for(w.bureau).get(reverse("dropout:report_detail", args=[county_report.pk]))
    assert "高风险儿童4名，已走访2名" in page.content.decode()
    # A township official reads their township's report with its own line, not the county's
    # nor the other township's (and the other township's report is 404).
    client = client_for(w.township1_user)
    page = client.get(reverse("dropout:report_detail", args=[township1.pk]))
    body = page.content.decode()
    assert 'data-line="risk.high_risk"' in body
    assert "高风险儿童3名，已走访1名" in body
    assert "高风险儿童4名" not in body
    assert client.get(reverse("dropout:report_detail", args=[township2.pk])).status_code == 404

    sheet = load_workbook(io.BytesIO(township1.workbook.read()))["汇总"]
    texts = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert "其他工作情况" in texts
    assert "高风险儿童3名，已走访1名" in texts


def test_approved_report_keeps_its_line(line_world, month, today):
    w = line_world
    report_services.generate_month(county=w.county, month=month)
    report = MonthlyReport.objects.get(township=w.township1, month=month)
    report_services.approve_report(report=report, actor=w.bureau)
    # Later the scores and the visits change: C is visited, a new month's run comes.
    _visit(w, w.c, month + 10 * DAY)
    report_services.generate_month(county=w.county, month=month)
    report.refresh_from_db()
    assert [line["text"] for line in report.figures["lines"]] == ["高风险儿童3名，已走访1名"]
    sheet = load_workbook(io.BytesIO(report.workbook.read()))["汇总"]
    assert "高风险儿童3名，已走访1名" in [row[0] for row in sheet.iter_rows(values_only=True)]
    # The township's unlocked neighbour is generated again with the new figure.
    other = MonthlyReport.objects.get(township__isnull=True, county=w.county, month=month)
    assert [line["text"] for line in other.figures["lines"]] == ["高风险儿童4名，已走访3名"]


def test_no_line_when_the_risk_app_provides_nothing(line_world, month, monkeypatch):
    monkeypatch.setattr(extensions, "REPORT_LINE_PROVIDERS", [])
    w = line_world
    report_services.generate_month(county=w.county, month=month)
    report = MonthlyReport.objects.get(township=w.township1, month=month)
    assert report.figures["lines"] == []
    body = client_for(w.bureau).get(reverse("dropout:report_detail", args=[report.pk]))
    assert 'id="report-lines"' not in body.content.decode()
    sheet = load_workbook(io.BytesIO(report.workbook.read()))["汇总"]
    assert "其他工作情况" not in [row[0] for row in sheet.iter_rows(values_only=True)]
