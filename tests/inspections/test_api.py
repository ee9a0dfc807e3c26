"""The inspections API: scoped resources, the submit/verify/reopen actions, 409 for refused
transitions, 404 outside the scope, 403 without the role."""

import pytest

from enrollment.roles import Role
from enrollment.services import grant_role
from inspections.models import Complaint, Inspection, Issue
from tests.factories import UserFactory

from ..conftest import api_for
from .conftest import area, days_ago, days_ahead, raise_issue


@pytest.fixture
def school2_user(world):
    user = UserFactory(username="school2")
    grant_role(user=user, role=Role.SCHOOL_STAFF, place=world.school2)
    return user


def test_an_issue_walks_through_the_api(world, inspection):
    inspector = api_for(world.inspector)
    created = inspector.post(
        "/api/v1/issues/",
        {
            "unit": f"school:{world.school1.pk}",
            "area": area().pk,
            "category": "funds",
            "description": "补助未足额发放",
            "responsible_person": "张校长",
            "measures": "补发",
            "deadline": days_ahead(10).isoformat(),
            "inspection": inspection.pk,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    issue_id = created.json()["id"]
    assert created.json()["unit_name"] == "一镇小学" and created.json()["status"] == "open"

    early = inspector.post(f"/api/v1/issues/{issue_id}/verify/", {}, format="json")
    assert early.status_code == 409 and "不能验收销号" in early.json()["detail"]

    school = api_for(world.school1_user)
    no_note = school.post(f"/api/v1/issues/{issue_id}/submit/", {}, format="json")
    assert no_note.status_code == 400
    done = school.post(f"/api/v1/issues/{issue_id}/submit/", {"note": "已补发"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "submitted"

    failed = inspector.post(
        f"/api/v1/issues/{issue_id}/reopen/",
        {"reason": "佐证不全", "deadline": days_ahead(5).isoformat()},
        format="json",
    )
    assert failed.status_code == 200 and failed.json()["status"] == "rectifying"
    assert failed.json()["events"][-1]["note"] == "佐证不全"
    school.post(f"/api/v1/issues/{issue_id}/submit/", {"note": "已补齐"}, format="json")
    verified = inspector.post(f"/api/v1/issues/{issue_id}/verify/", {}, format="json")
    assert verified.status_code == 200 and verified.json()["status"] == "verified"
    again = inspector.post(f"/api/v1/issues/{issue_id}/reopen/", {"reason": "x"}, format="json")
    assert again.status_code == 409
    assert [event["action"] for event in verified.json()["events"]] == [
        "raised",
        "submitted",
        "reopened",
        "submitted",
        "verified",
    ]


def test_a_school_submitting_another_schools_issue_gets_404(world, school2_user):
    issue = raise_issue(world)
    api = api_for(school2_user)
    assert api.get(f"/api/v1/issues/{issue.pk}/").status_code == 404
    response = api.post(f"/api/v1/issues/{issue.pk}/submit/", {"note": "x"}, format="json")
    assert response.status_code == 404
    issue.refresh_from_db()
    assert issue.status == Issue.Status.OPEN


def test_a_school_sees_only_the_issues_addressed_to_it(world, school2_user, section):
    mine = raise_issue(world)
    raise_issue(world, unit=world.school2)
    raise_issue(world, unit=world.township1)
    raise_issue(world, unit=section)
    listed = api_for(world.school1_user).get("/api/v1/issues/").json()["results"]
    assert [row["id"] for row in listed] == [mine.pk]
    township = api_for(world.township1_user).get("/api/v1/issues/").json()["results"]
    assert len(township) == 2
    assert len(api_for(world.auditor).get("/api/v1/issues/").json()["results"]) == 4
    assert api_for(world.village1_user).get("/api/v1/issues/").json()["results"] == []


def test_readers_cannot_act_through_the_api(world):
    issue = raise_issue(world)
    auditor = api_for(world.auditor)
    assert auditor.post(f"/api/v1/issues/{issue.pk}/submit/", {"note": "x"}).status_code == 403
    assert auditor.post(f"/api/v1/issues/{issue.pk}/verify/", {}).status_code == 403
    township = api_for(world.township1_user)
    assert township.post(f"/api/v1/issues/{issue.pk}/submit/", {"note": "x"}).status_code == 403
    created = auditor.post(
        "/api/v1/issues/",
        {
            "unit": f"school:{world.school1.pk}",
            "area": area().pk,
            "category": "funds",
            "description": "x",
            "responsible_person": "x",
            "measures": "x",
            "deadline": days_ahead(3).isoformat(),
        },
        format="json",
    )
    assert created.status_code == 403 and Issue.objects.count() == 1


def test_inspections_through_the_api(world, campaign):
    api = api_for(world.inspector)
    created = api.post(
        "/api/v1/inspections/",
        {
            "date": days_ago(1).isoformat(),
            "unit": f"township:{world.township2.pk}",
            "areas": [area("食堂").pk],
            "campaign": campaign.pk,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["areas"] == ["食堂"]
    bad = api.post(
        "/api/v1/inspections/",
        {
            "date": days_ahead(1).isoformat(),
            "unit": f"school:{world.school1.pk}",
            "areas": [area().pk],
        },
        format="json",
    )
    assert bad.status_code == 400 and "date" in bad.json()
    assert Inspection.objects.count() == 1
    assert api_for(world.township1_user).get("/api/v1/inspections/").json()["results"] == []
    assert len(api_for(world.township2_user).get("/api/v1/inspections/").json()["results"]) == 1
    auditor = api_for(world.auditor).post(
        "/api/v1/inspections/",
        {
            "date": days_ago(1).isoformat(),
            "unit": f"school:{world.school1.pk}",
            "areas": [area().pk],
        },
        format="json",
    )
    assert auditor.status_code == 403


def test_complaints_registered_through_the_api(world):
    api = api_for(world.inspector)
    anonymous = api.post(
        "/api/v1/complaints/",
        {
            "channel": "online",
            "received_on": days_ago(1).isoformat(),
            "content": "网上反映",
            "is_anonymous": True,
            "handlers": [world.inspector.pk],
        },
        format="json",
    )
    assert anonymous.status_code == 201, anonymous.json()
    assert anonymous.json()["complainant_name"] == ""
    contradictory = api.post(
        "/api/v1/complaints/",
        {
            "channel": "box",
            "received_on": days_ago(1).isoformat(),
            "content": "x",
            "is_anonymous": True,
            "complainant_name": "某某",
            "handlers": [world.inspector.pk],
        },
        format="json",
    )
    assert contradictory.status_code == 400
    not_a_handler = api.post(
        "/api/v1/complaints/",
        {
            "channel": "box",
            "received_on": days_ago(1).isoformat(),
            "content": "x",
            "complainant_name": "某某",
            "handlers": [world.school1_user.pk],
        },
        format="json",
    )
    assert not_a_handler.status_code == 400
    assert Complaint.objects.count() == 1


def test_issue_list_query_count_is_bounded(world, django_assert_max_num_queries):
    for index in range(30):
        raise_issue(world, unit=world.school2 if index % 2 else world.township1)
    api = api_for(world.inspector)
    with django_assert_max_num_queries(8):
        response = api.get("/api/v1/issues/")
    assert response.status_code == 200 and len(response.json()["results"]) == 30
