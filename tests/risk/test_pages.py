"""Scope on every list, export and API list of the risk warning; roles on its writes; the
child page's panel, the home queue, the annual section; query counts."""

import io

import pytest
from django.test import TestCase
from django.urls import reverse
from openpyxl import load_workbook

from core.annual import AnnualScope
from core.masking import mask_resident_id
from core.models import ExportJob
from enrollment.models import PovertyStatus
from risk.annual import annual_section
from risk.models import RiskBacktest, RiskRun, RiskScore
from risk.services import recompute_scores
from tests.conftest import api_for, client_for
from tests.factories import CountyFactory, HouseholdFactory

from .conftest import absence, pupil


@pytest.fixture
def scored(world, today):
    """Two high-risk pupils in 一镇 (one in each village), one in 二镇, one low score."""
    poor1 = HouseholdFactory(village=world.village1, poverty_status=PovertyStatus.MONITORED)
    poor1b = HouseholdFactory(village=world.village1b, poverty_status=PovertyStatus.MONITORED)
    poor2 = HouseholdFactory(village=world.village2, poverty_status=PovertyStatus.MONITORED)
    w = world
    w.high1 = pupil(world, household=poor1, is_left_behind=True)
    w.high1b = pupil(world, household=poor1b, grade=7)
    w.high2 = pupil(world, household=poor2, school=world.school2, is_left_behind=True)
    for child in (w.high1, w.high1b, w.high2):
        absence(world, child, since=today - 4 * __import__("datetime").timedelta(days=1))
    w.low1 = pupil(world, household=HouseholdFactory(village=world.village1), grade=6)
    recompute_scores(county=world.county)
    return w


def ids(page):
    return [row.child_id for row in page.context["page"]]


def test_township_official_lists_only_the_townships_high_risk_children(scored):
    page = client_for(scored.township1_user).get(reverse("risk:list"))
    assert page.status_code == 200
    assert sorted(ids(page)) == sorted([scored.high1.pk, scored.high1b.pk])
    html = page.content.decode()
    assert mask_resident_id(scored.high1.resident_id) in html
    assert scored.high1.resident_id not in html
    assert "近30天缺课5天 <strong>+30</strong>" in html


def test_filters_village_threshold_top_and_factor(scored):
    client = client_for(scored.bureau)
    url = reverse("risk:list")
    assert ids(client.get(url, {"village": scored.village1b.pk})) == [scored.high1b.pk]
    everyone = ids(client.get(url, {"min_score": 0}))
    assert scored.low1.pk in everyone and len(everyone) == 4 + 2  # world.child1, child2 too
    assert len(ids(client.get(url, {"top": 2}))) == 2
    assert ids(client.get(url, {"factor": "transition", "min_score": 0})) == sorted(
        [scored.high1b.pk, scored.low1.pk],
        key=lambda pk: -RiskScore.objects.get(child_id=pk).score,
    )


def test_a_place_of_another_township_is_404(scored):
    client = client_for(scored.township1_user)
    assert client.get(reverse("risk:list"), {"township": scored.township2.pk}).status_code == 404
    assert client.get(reverse("risk:list"), {"village": scored.village2.pk}).status_code == 404
    assert (
        client.get(reverse("risk:backtest"), {"township": scored.township2.pk}).status_code == 404
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = client.post(reverse("risk:export"), {"township": scored.township2.pk})
    assert answer.status_code == 404 and not ExportJob.objects.exists()


def test_village_and_school_scopes(scored):
    assert ids(client_for(scored.village1_user).get(reverse("risk:list"))) == [scored.high1.pk]
    school_page = client_for(scored.school1_user).get(reverse("risk:list"))
    assert sorted(ids(school_page)) == sorted([scored.high1.pk, scored.high1b.pk])


def test_export_reads_back_with_masked_ids_for_the_auditor(scored, media):
    client = client_for(scored.auditor)
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = client.post(reverse("risk:export"), {"township": scored.township1.pk})
    assert answer.status_code == 302
    job = ExportJob.objects.get()
    assert (job.status, job.rows_written, job.exporter) == ("done", 2, "risk_list")
    response = client.get(reverse("core:export_download", args=[job.pk]))
    rows = list(
        load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(
            values_only=True
        )
    )
    assert rows[0][:3] == ("序号", "姓名", "身份证号")
    by_name = {row[1]: row for row in rows[1:]}
    assert set(by_name) == {scored.high1.name, scored.high1b.name}
    row = by_name[scored.high1.name]
    score = RiskScore.objects.get(child=scored.high1)
    assert row[2] == mask_resident_id(scored.high1.resident_id)
    assert (row[3], row[4], row[7], row[8]) == ("一镇", "一村", score.score, score.explanation)


def test_writes_need_the_role(scored):
    for user in (scored.auditor, scored.township1_user, scored.inspector):
        client = client_for(user)
        assert client.post(reverse("risk:run_new"), {"kind": "scores"}).status_code == 403
        assert client.post(reverse("risk:weights"), {}).status_code == 403
    assert RiskRun.objects.count() == 0


def test_bureau_recomputes_on_demand_and_follows_the_run(scored):
    client = client_for(scored.bureau)
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = client.post(reverse("risk:run_new"), {"kind": "backtest"})
    run = RiskRun.objects.get()
    assert answer.url == reverse("risk:run", args=[run.pk])
    assert (run.status, run.kind) == ("done", "backtest")
    assert RiskBacktest.objects.filter(township__isnull=True).count() == 24
    assert client.get(answer.url).status_code == 200
    other = RiskRun.objects.create(county=CountyFactory(code="510400"), kind="scores")
    assert client.get(reverse("risk:run", args=[other.pk])).status_code == 404
    chart = client.get(reverse("risk:backtest"))
    assert len(chart.context["chart"]["labels"]) == 24


def test_api_lists_are_scoped(scored):
    answer = api_for(scored.township1_user).get("/api/v1/risk-scores/?min_score=40")
    assert answer.status_code == 200
    assert sorted(row["child"] for row in answer.json()["results"]) == sorted(
        [scored.high1.pk, scored.high1b.pk]
    )
    other = api_for(scored.township1_user).get(
        f"/api/v1/risk-scores/{RiskScore.objects.get(child=scored.high2).pk}/"
    )
    assert other.status_code == 404
    assert api_for(scored.auditor).post("/api/v1/risk-scores/", {}).status_code == 405


def test_child_page_shows_the_badge_and_factors(scored):
    page = client_for(scored.township1_user).get(
        reverse("enrollment:child_detail", args=[scored.high1.pk])
    )
    html = page.content.decode()
    assert 'id="risk-panel"' in html and "留守儿童" in html


def test_home_queue_and_annual_section(scored, today):
    from core.home import home_queues

    queues = home_queues(scored.township1_user, {"township_official"}, day=today)
    queue = next(q for q in queues if q.key == "high-risk")
    assert queue.count == 2
    scope = AnnualScope(
        user=scored.bureau,
        county=scored.county,
        township=scored.township1,
        year=today.year,
        today=today,
    )
    section = annual_section(scope)
    figures = {figure.key: figure.value for figure in section.figures}
    assert figures == {"risk.high": 2, "risk.high_visited": 0}
    assert section.sentences == ["高风险儿童2名，已走访0名。"]


def test_list_and_api_query_counts(scored, django_assert_max_num_queries):
    client = client_for(scored.bureau)
    client.get(reverse("risk:list"))
    with django_assert_max_num_queries(14):
        client.get(reverse("risk:list"), {"min_score": 0})
    api = api_for(scored.bureau)
    with django_assert_max_num_queries(8):
        api.get("/api/v1/risk-scores/")


def test_a_child_moved_to_another_county_leaves_the_old_countys_lists_at_once(scored):
    """A score row keeps the county it was computed in until the nightly run; a child accepted
    by another county (transfers.accept_transfer moves its village) is out of the old county's
    scope at once: its risk list and API no longer show the child's name and reasons."""
    from enrollment.models import Child
    from tests.factories import TownshipFactory, VillageFactory

    elsewhere = VillageFactory(township=TownshipFactory(county=CountyFactory(code="510400")))
    Child.objects.filter(pk=scored.high2.pk).update(village=elsewhere)
    listed = ids(client_for(scored.bureau).get(reverse("risk:list")))
    assert scored.high1.pk in listed and scored.high2.pk not in listed
    answer = api_for(scored.bureau).get("/api/v1/risk-scores/?min_score=40").json()
    assert scored.high2.pk not in {row["child"] for row in answer["results"]}
