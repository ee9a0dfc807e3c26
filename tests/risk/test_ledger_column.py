"""The risk column and filter of the child ledgers and of the dropout case list, added through
enrollment.extensions.CHILD_SCORES (the registry and the dropout module never import risk):
the badge shows, the filter filters, scope is kept, no query per row, the export has the
column."""

import datetime
import io

import pytest
from django.test import TestCase
from django.urls import reverse
from openpyxl import load_workbook

from core.models import ExportJob
from dropout.services import cases
from enrollment import extensions
from enrollment.models import PovertyStatus
from risk.models import RiskScore
from risk.services import recompute_scores
from tests.conftest import client_for
from tests.factories import HouseholdFactory

from .conftest import absence, pupil

DAY = datetime.timedelta(days=1)


@pytest.fixture
def scored(world, today):
    """High-risk pupils: high1 (一村), high1b (一村乙) in 一镇, high2 in 二镇; low1 in 一村
    with a score of 0 or a little; world.child1 (一村) without any score row."""
    w = world
    poor = {
        village: HouseholdFactory(village=village, poverty_status=PovertyStatus.MONITORED)
        for village in (w.village1, w.village1b, w.village2)
    }
    w.high1 = pupil(world, household=poor[w.village1], is_left_behind=True, name="高风险一")
    w.high1b = pupil(world, household=poor[w.village1b], grade=7, name="高风险乙")
    w.high2 = pupil(
        world, household=poor[w.village2], school=w.school2, is_left_behind=True, name="高风险二"
    )
    for child in (w.high1, w.high1b, w.high2):
        absence(world, child, since=today - 4 * DAY)
    w.low1 = pupil(world, household=HouseholdFactory(village=w.village1), grade=5, name="低一")
    recompute_scores(county=w.county)
    RiskScore.objects.filter(child=w.child1).delete()
    return w


def names(response):
    return [row.record.name for row in response.context["table"].page.object_list]


def test_the_township_ledger_shows_the_risk_badge(scored, settings):
    w = scored
    response = client_for(w.township1_user).get(
        reverse("enrollment:township_ledger", args=[w.township1.pk])
    )
    body = response.content.decode()
    assert "<th>辍学风险</th>" in body
    score = RiskScore.objects.get(child=w.high1).score
    assert score >= settings.RISK_HIGH_THRESHOLD
    assert f'data-risk-score="{score}">{score} 高风险</span>' in body
    # A child with no score shows a dash, not 0.
    assert (
        body.count("data-risk-score=")
        == RiskScore.objects.filter(child__village__township=w.township1).count()
    )


def test_the_high_risk_filter_keeps_the_high_risk_children_of_the_scope(scored):
    w = scored
    client = client_for(w.township1_user)
    url = reverse("enrollment:township_ledger", args=[w.township1.pk])
    assert sorted(names(client.get(url, {"risk": "high"}))) == sorted(["高风险一", "高风险乙"])
    everyone = names(client.get(url))
    assert "低一" in everyone and w.child1.name in everyone
    # The village ledger narrows the same filter to its village.
    village = client.get(
        reverse("enrollment:village_ledger", args=[w.village1.pk]), {"risk": "high"}
    )
    assert names(village) == ["高风险一"]
    # Another township's ledger stays 404 with the filter.
    other = client.get(
        reverse("enrollment:township_ledger", args=[w.township2.pk]), {"risk": "high"}
    )
    assert other.status_code == 404


def test_an_unknown_level_is_refused_on_the_form_and_lists_nothing(scored):
    w = scored
    response = client_for(w.township1_user).get(
        reverse("enrollment:township_ledger", args=[w.township1.pk]), {"risk": "extreme"}
    )
    assert response.status_code == 200
    assert response.context["filter"].errors
    assert names(response) == []


def test_the_summary_counts_ignore_the_risk_filter(scored):
    w = scored
    client = client_for(w.township1_user)
    url = reverse("enrollment:township_ledger", args=[w.township1.pk])
    assert client.get(url, {"risk": "high"}).context["total"] == client.get(url).context["total"]


def test_ledger_with_the_risk_column_has_a_bounded_query_count(
    scored, django_assert_max_num_queries
):
    w = scored
    for index in range(20):
        pupil(w, household=HouseholdFactory(village=w.village1), name=f"学生{index}")
    recompute_scores(county=w.county)
    client = client_for(w.bureau)
    url = reverse("enrollment:county_ledger", args=[w.county.pk])
    client.get(url)
    with django_assert_max_num_queries(14):
        response = client.get(url, {"risk": "any", "per_page": 200})
    assert len(names(response)) >= 3


def test_the_ledger_export_has_the_risk_column_and_follows_the_filter(scored, media):
    w = scored
    client = client_for(w.township1_user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(
            reverse("enrollment:export_ledger", args=["township", w.township1.pk]),
            {"risk": "high"},
        )
    job = ExportJob.objects.get()
    assert job.params["query"] == {"risk": ["high"]}
    response = client.get(reverse("core:export_download", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    column = list(rows[0]).index("辍学风险")
    by_name = {row[1]: row[column] for row in rows[1:]}
    assert by_name == {
        "高风险一": RiskScore.objects.get(child=w.high1).score,
        "高风险乙": RiskScore.objects.get(child=w.high1b).score,
    }


def test_without_a_registered_score_the_ledger_has_no_risk_column(scored, monkeypatch):
    monkeypatch.setattr(extensions, "CHILD_SCORES", [])
    w = scored
    body = (
        client_for(w.township1_user)
        .get(reverse("enrollment:township_ledger", args=[w.township1.pk]))
        .content.decode()
    )
    assert "<th>辍学风险</th>" not in body and "data-risk-score" not in body


@pytest.fixture
def scored_cases(scored, legal_texts):
    w = scored
    for child in (w.high1, w.low1, w.high2):
        township_user = w.township1_user if child is not w.high2 else w.township2_user
        cases.open_case(actor=township_user, child=child, cause="work")
    return w


def case_names(response):
    return [case.child.name for case in response.context["page"]]


def test_the_case_list_shows_the_risk_badge_and_filters_by_it(
    scored_cases, django_assert_max_num_queries
):
    w = scored_cases
    client = client_for(w.township1_user)
    url = reverse("dropout:case_list")
    client.get(url)
    with django_assert_max_num_queries(20):
        response = client.get(url, {"queue": "all"})
    body = response.content.decode()
    assert sorted(case_names(response)) == sorted(["高风险一", "低一"])  # not 二镇's
    score = RiskScore.objects.get(child=w.high1).score
    assert f'data-risk-score="{score}">{score} 高风险</span>' in body
    filtered = client.get(url, {"queue": "all", "risk": "high"})
    assert case_names(filtered) == ["高风险一"]
    assert filtered.context["counts"]["open"] == 1
