"""Two inspectors acting on the same submitted issue at once: one wins, the other is refused
(row lock); list pages and the API keep their query counts bounded."""

import threading

import pytest
from django.db import connection, connections
from django.urls import reverse

from core.errors import TransitionRefused
from enrollment.roles import Role
from enrollment.services import grant_role
from inspections.models import Complaint, Issue
from inspections.services import complaints, inspections, issues
from tests.factories import UserFactory

from ..conftest import api_for, client_for
from .conftest import AREAS, area, days_ago, raise_issue, submitted


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_verification_and_reopening_cannot_both_succeed(world):
    if connection.vendor != "postgresql":
        pytest.fail("This test needs PostgreSQL (row locks); run it with DATABASE_URL set.")
    for name in AREAS:
        area(name)
    other = UserFactory(username="inspector2")
    grant_role(user=other, role=Role.INSPECTOR, place=world.county)
    issue = raise_issue(world)
    submitted(world, issue)
    barrier = threading.Barrier(2)
    outcomes = []

    def act(function, **kwargs):
        try:
            barrier.wait()
            function(issue=Issue.objects.get(pk=issue.pk), **kwargs)
            outcomes.append("done")
        except TransitionRefused:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(
            target=act, args=(issues.verify_issue,), kwargs={"actor": world.inspector}
        ),
        threading.Thread(
            target=act, args=(issues.reopen_issue,), kwargs={"actor": other, "reason": "不彻底"}
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["done", "refused"]
    issue.refresh_from_db()
    final = issue.events.order_by("-pk").first()
    assert final.to_status == issue.status and issue.status in ("verified", "rectifying")
    assert issue.events.filter(action__in=("verified", "reopened")).count() == 1


def _many(world, count=60):
    for index in range(count):
        inspection = inspections.record_inspection(
            actor=world.inspector,
            county=world.county,
            date=days_ago(index % 30 + 1),
            unit=world.school1 if index % 2 else world.township2,
            areas=[area("食堂"), area("营养餐")],
        )
        raise_issue(world, inspection=inspection)
        complaints.register_complaint(
            actor=world.inspector,
            county=world.county,
            channel=Complaint.Channel.PHONE,
            received_on=days_ago(index % 30 + 1),
            content=f"反映{index}",
            is_anonymous=index % 3 == 0,
            complainant_name="" if index % 3 == 0 else "某某",
            handlers=[world.inspector, world.admin],
            unit=world.school1,
        )


def test_list_pages_have_bounded_queries(world, django_assert_max_num_queries):
    _many(world)
    client = client_for(world.inspector)
    for name in ("inspections:inspection_list", "inspections:complaint_list"):
        client.get(reverse(name))
        with django_assert_max_num_queries(15):
            response = client.get(reverse(name))
        assert len(response.context["page"]) == 50, name


def test_api_lists_have_bounded_queries(world, django_assert_max_num_queries):
    _many(world, 30)
    api = api_for(world.inspector)
    for url in ("/api/v1/inspections/", "/api/v1/complaints/"):
        with django_assert_max_num_queries(10):
            response = api.get(url)
        assert response.status_code == 200 and len(response.json()["results"]) == 30, url
