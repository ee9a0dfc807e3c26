"""The rectification ledger: filters, counts (发现/整改/销号), the rate, per unit and per area, the
Excel export in the county's layout read back cell by cell, bounded queries."""

import io

import pytest
from django.test import TestCase
from django.urls import reverse
from openpyxl import load_workbook

from core.models import ExportJob
from inspections.selectors import ledger_figures
from inspections.services import issues

from ..conftest import client_for
from .conftest import area, days_ago, days_ahead, raise_issue, submitted

HEADERS = ["序号", "问题", "责任单位", "责任人", "整改措施", "整改时限", "整改进展", "销号情况"]


@pytest.fixture
def ledger(world, campaign, section):
    """Five live issues and a withdrawn one, in every state, across units and areas."""
    made = {}
    made["open"] = raise_issue(world, deadline=days_ahead(10), campaign=campaign)
    made["overdue"] = raise_issue(
        world, unit=world.township1, deadline=days_ago(2), area_name="营养餐", campaign=campaign
    )
    made["submitted"] = raise_issue(world, deadline=days_ahead(5), campaign=campaign)
    submitted(world, made["submitted"])
    made["verified"] = raise_issue(
        world, unit=section, deadline=days_ahead(5), area_name="营养餐", measures="=SUM(A1)"
    )
    issues.submit_rectification(actor=world.bureau, issue=made["verified"], note="已整改完毕")
    issues.verify_issue(actor=world.inspector, issue=made["verified"])
    made["other_township"] = raise_issue(world, unit=world.township2, deadline=days_ahead(9))
    made["withdrawn"] = raise_issue(world, deadline=days_ahead(9))
    issues.withdraw_issue(actor=world.inspector, issue=made["withdrawn"], reason="误报")
    for issue in made.values():
        issue.refresh_from_db()
    return made


def test_counts_rate_by_area_and_by_unit(world, ledger):
    from inspections.models import Issue

    figures = ledger_figures(Issue.objects.for_user(world.inspector).exclude(status="withdrawn"))
    assert figures.total == {
        "found": 5,
        "rectified": 2,
        "verified": 1,
        "overdue": 1,
        "rate": 40.0,
    }
    by_area = {
        row["area__name"]: (row["found"], row["rectified"], row["verified"])
        for row in figures.by_area
    }
    assert by_area == {"学生资助": (3, 1, 0), "营养餐": (2, 1, 1)}
    by_unit = {
        row["unit"]: (row["found"], row["rectified"], row["overdue"]) for row in figures.by_unit
    }
    assert by_unit == {
        "一镇小学": (2, 1, 0),
        "一镇": (1, 0, 1),
        "计划财务股": (1, 1, 0),
        "二镇": (1, 0, 0),
    }


def test_the_ledger_page_shows_the_counts_and_filters(world, ledger):
    client = client_for(world.inspector)
    page = client.get(reverse("inspections:ledger"))
    assert page.status_code == 200
    assert page.context["figures"].total["found"] == 5
    assert page.context["page"].paginator.count == 5
    html = page.content.decode()
    assert 'data-stat="found">5<' in html and 'data-stat="rate">40.0%<' in html
    # Per unit: found, rectified, closed, overdue (in red when any), rate.
    units = html.split('id="by-unit"')[1].split("</table>")[0]
    township_row = units.split("<td>一镇 ")[1].split("</tr>")[0]
    assert township_row.endswith(
        "</small></td><td>1</td><td>0</td><td>0</td>"
        '<td><span class="text-danger">1</span></td><td>0.0%</td>'
    )
    assert "<td>1</td><td>1</td><td>1</td><td>0</td><td>100.0%</td></tr>" in units

    empty = client.get(reverse("inspections:ledger"), {"q": "没有这样的问题"}).content.decode()
    assert (
        '<td colspan="6" class="text-secondary">暂无问题。</td>' in empty.split('id="by-unit"')[1]
    )

    overdue = client.get(reverse("inspections:ledger"), {"overdue": "on"})
    assert [issue.pk for issue in overdue.context["page"]] == [ledger["overdue"].pk]
    by_area = client.get(reverse("inspections:ledger"), {"area": area("营养餐").pk})
    assert by_area.context["figures"].total["found"] == 2
    by_unit = client.get(reverse("inspections:ledger"), {"unit": f"township:{world.township1.pk}"})
    assert [issue.pk for issue in by_unit.context["page"]] == [ledger["overdue"].pk]
    by_state = client.get(reverse("inspections:ledger"), {"status": "withdrawn"})
    assert [issue.pk for issue in by_state.context["page"]] == [ledger["withdrawn"].pk]
    by_campaign = client.get(
        reverse("inspections:ledger"), {"campaign": ledger["open"].campaign_id}
    )
    assert by_campaign.context["figures"].total["found"] == 3
    nonsense = client.get(reverse("inspections:ledger"), {"area": "abc"})
    assert nonsense.status_code == 200 and nonsense.context["page"].paginator.count == 0


def test_a_school_ledger_holds_only_its_own_issues(world, ledger):
    page = client_for(world.school1_user).get(reverse("inspections:ledger"))
    assert {issue.pk for issue in page.context["page"]} == {
        ledger["open"].pk,
        ledger["submitted"].pk,
    }
    township = client_for(world.township1_user).get(reverse("inspections:ledger"))
    assert {issue.pk for issue in township.context["page"]} == {
        ledger["open"].pk,
        ledger["submitted"].pk,
        ledger["overdue"].pk,
    }


def _export(client, data=None):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("inspections:ledger_export"), data or {})


def _sheet(client, job):
    response = client.get(reverse("core:export_download", args=[job.pk]))
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def test_the_ledger_export_is_the_county_layout_cell_by_cell(world, ledger, media):
    client = client_for(world.auditor)
    response = _export(client)
    job = ExportJob.objects.get()
    assert response.status_code == 302 and job.status == "done" and job.rows_written == 5
    rows = list(_sheet(client, job).iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert len(rows) == 6
    by_problem = {row[0]: row for row in rows[1:]}
    # In deadline order: overdue (−2), submitted (+5), verified (+5), other (+9), open (+10)
    overdue, first_submitted, verified, other, open_ = (rows[index] for index in range(1, 6))
    assert overdue[0] == 1 and overdue[1] == "建档立卡学生生活补助未足额发放"
    assert overdue[2:5] == ("一镇", "张校长", "补发并公示")
    assert overdue[5].date() == days_ago(2)
    assert overdue[6:] == ("未开始整改", "未销号")
    assert first_submitted[2] == "一镇小学"
    assert first_submitted[6] == "已提交整改：已补发" and first_submitted[7] == "未销号"
    assert verified[2] == "计划财务股" and verified[4] == "=SUM(A1)"
    assert verified[6] == "已销号：已整改完毕"
    assert verified[7] == f"已于{ledger['verified'].verified_on.isoformat()}销号"
    assert other[2] == "二镇" and open_[2] == "一镇小学"
    assert sorted(by_problem) == [1, 2, 3, 4, 5]


def test_the_ledger_export_applies_the_filters_and_the_scope(world, ledger, media):
    _export(client_for(world.inspector), {"overdue": "on"})
    job = ExportJob.objects.get()
    assert job.params == {"query": {"overdue": ["on"]}}
    assert job.rows_written == 1
    _export(client_for(world.school1_user))
    school_job = ExportJob.objects.filter(requested_by=world.school1_user).get()
    rows = list(_sheet(client_for(world.school1_user), school_job).iter_rows(values_only=True))
    assert {row[2] for row in rows[1:]} == {"一镇小学"} and len(rows) == 3


def test_ledger_queries_are_bounded(world, ledger, django_assert_max_num_queries):
    for index in range(60):
        raise_issue(world, unit=world.school2 if index % 2 else world.township1)
    client = client_for(world.inspector)
    client.get(reverse("inspections:ledger"))
    with django_assert_max_num_queries(15):
        response = client.get(reverse("inspections:ledger"))
    assert len(response.context["page"]) == 50
