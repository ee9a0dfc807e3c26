"""The campaign summary for a period (纵向监督检查XX余次, issues found and fixed) and the demo."""

from django.urls import reverse

from enrollment.demo import SCALES, demo_accounts, ensure_demo_users, load_demo
from inspections.demo import load_inspections_demo
from inspections.models import Campaign, Complaint, Inspection, Issue
from inspections.selectors import about, campaign_summary
from inspections.services import inspections, issues

from ..conftest import client_for
from .conftest import area, days_ago, days_ahead, raise_issue, submitted


def test_about_rounds_down_to_tens_from_twenty():
    assert [about(n) for n in (0, 7, 19, 20, 27, 134)] == [0, 7, 19, 20, 20, 130]


def test_the_summary_counts_the_period_and_the_campaign(world, campaign, inspection):
    for day in (10, 20, 200):
        inspections.record_inspection(
            actor=world.inspector,
            county=world.county,
            date=days_ago(day),
            unit=world.township1,
            areas=[area("食堂")],
            campaign=campaign if day < 100 else None,
        )
    first = raise_issue(world, inspection=inspection)
    submitted(world, first)
    issues.verify_issue(actor=world.inspector, issue=first)
    second = raise_issue(world, inspection=inspection, area_name="营养餐")
    submitted(world, second)
    raise_issue(world, inspection=inspection, deadline=days_ahead(3))
    summary = campaign_summary(
        world.inspector, date_from=days_ago(60), date_to=days_ago(0), campaign=campaign
    )
    assert summary["inspections"] == 3  # 30, 20 and 10 days ago; not the one 200 days ago
    assert summary["issues"]["found"] == 3
    assert (summary["issues"]["rectified"], summary["issues"]["verified"]) == (2, 1)
    everything = campaign_summary(world.inspector, date_from=days_ago(365), date_to=days_ago(0))
    assert everything["inspections"] == 4 and everything["units_inspected"] == 2
    assert everything["inspections_text"] == "4"
    page = client_for(world.auditor).get(reverse("inspections:summary"), {"campaign": campaign.pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert "开展纵向监督检查3次，发现问题3个，整改问题2个，销号1个" in html


def test_the_demo_has_every_state_overdue_issues_and_an_anonymous_complaint(areas):
    county, _created = load_demo("demo")
    ensure_demo_users(county)
    users = demo_accounts(county)
    summary = load_inspections_demo(county, users, SCALES["demo"])
    assert "inspections demo" in summary
    assert Campaign.objects.filter(county=county, name="扶贫领域腐败和作风问题专项治理").exists()
    assert Inspection.objects.filter(county=county).count() >= 10
    states = set(Issue.objects.values_list("status", flat=True))
    assert states == set(Issue.Status.values)
    assert Issue.objects.overdue().exists()
    assert Issue.objects.filter(events__action="reopened").exists()
    assert Complaint.objects.filter(is_anonymous=True).exists()
    assert Complaint.objects.filter(status="concluded").exists()
    school1 = users["school1"]
    assert Issue.objects.answerable_by(school1).exists()
    # Idempotent.
    assert load_inspections_demo(county, users, SCALES["demo"]) == (
        "inspections demo already present"
    )
    assert client_for(users["inspector"]).get(reverse("inspections:ledger")).status_code == 200


def test_at_county_scale_hundreds_of_inspections_and_thousands_of_issues_are_bulk_inserted(
    areas,
):
    from enrollment.demo import Scale

    county, _created = load_demo("demo")
    ensure_demo_users(county)
    users = demo_accounts(county)
    scale = Scale(townships=1, villages_per_township=1, children_per_village=1, name="county")
    load_inspections_demo(county, users, scale)
    assert Inspection.objects.filter(county=county).count() >= 300
    assert Issue.objects.filter(county=county).count() >= 2000
    numbers = list(Issue.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))
    # Every bulk issue's events end in its state; the next issue continues the numbering.
    latest = Issue.objects.order_by("-pk").first()
    assert latest.events.order_by("-pk").first().to_status == latest.status
    fresh = issues.raise_issue(
        actor=users["inspector"],
        county=county,
        unit=county.townships.first(),
        area=area(),
        category="policy",
        description="新发现的问题",
        responsible_person="赵镇长",
        measures="限期整改",
        deadline=days_ahead(10),
    )
    assert fresh.number not in numbers
