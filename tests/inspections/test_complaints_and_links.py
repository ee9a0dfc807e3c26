"""Complaints: registration rules, handling steps, conclusion; issues raised from them; links to
records of other apps through the content-types framework."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core.errors import DomainError, TransitionRefused
from enrollment.models import Child, School
from inspections.models import Complaint, RecordLink
from inspections.services import complaints

from ..conftest import client_for
from .conftest import days_ago, days_ahead, raise_issue


def _register(world, **changes):
    values = {
        "actor": world.inspector,
        "county": world.county,
        "channel": "letter",
        "received_on": days_ago(3),
        "content": "来信反映",
        "is_anonymous": False,
        "complainant_name": "王某",
        "complainant_contact": "某村",
        "handlers": [world.inspector],
    }
    values.update(changes)
    return complaints.register_complaint(**values)


def test_registration_refuses_bad_input_and_writes_nothing(world):
    for changes, field in (
        ({"channel": "fax"}, "channel"),
        ({"received_on": days_ahead(1)}, "received_on"),
        ({"content": " "}, "content"),
        ({"is_anonymous": True}, "complainant_name"),
        ({"complainant_name": ""}, "complainant_name"),
        ({"handlers": []}, "handlers"),
        ({"handlers": [world.school1_user]}, "handlers"),
    ):
        with pytest.raises(DomainError) as refused:
            _register(world, **changes)
        assert refused.value.field == field, changes
    assert not Complaint.objects.exists()


def test_only_inspectors_and_county_admins_register_complaints(world):
    for actor in (world.auditor, world.bureau, world.township1_user, world.school1_user):
        with pytest.raises(PermissionDenied):
            _register(world, actor=actor)


def test_handling_steps_then_conclusion(world):
    complaint = _register(world, unit=world.school1)
    with pytest.raises(DomainError):
        complaints.add_step(actor=world.inspector, complaint=complaint, on=days_ago(5), note="x")
    complaints.add_step(actor=world.inspector, complaint=complaint, on=days_ago(2), note="核实")
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.HANDLING
    with pytest.raises(DomainError) as no_reply:
        complaints.conclude_complaint(
            actor=world.inspector, complaint=complaint, result="属实", replied_on=None
        )
    assert no_reply.value.field == "replied_on"
    complaints.conclude_complaint(
        actor=world.inspector, complaint=complaint, result="属实", replied_on=days_ago(1)
    )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.result, complaint.replied_on) == (
        "concluded",
        "属实",
        days_ago(1),
    )
    with pytest.raises(TransitionRefused):
        complaints.add_step(actor=world.inspector, complaint=complaint, on=days_ago(0), note="x")
    with pytest.raises(TransitionRefused):
        complaints.conclude_complaint(
            actor=world.inspector, complaint=complaint, result="x", replied_on=days_ago(0)
        )


def test_an_anonymous_complaint_concludes_without_a_reply(world, anonymous_complaint):
    complaints.conclude_complaint(
        actor=world.inspector, complaint=anonymous_complaint, result="已核查", replied_on=None
    )
    anonymous_complaint.refresh_from_db()
    assert anonymous_complaint.status == "concluded"


def test_an_issue_raised_from_a_complaint_is_linked_and_moves_it_to_handling(
    world, named_complaint
):
    issue = raise_issue(world, complaint=named_complaint)
    named_complaint.refresh_from_db()
    assert named_complaint.status == Complaint.Status.HANDLING
    assert list(named_complaint.issues.all()) == [issue]
    page = client_for(world.inspector).get(
        reverse("inspections:complaint_detail", args=[named_complaint.pk])
    )
    assert issue.number in page.content.decode()


def test_links_to_records_of_other_apps_use_content_types(world, issue, named_complaint):
    child_type = ContentType.objects.get_for_model(Child)
    link = complaints.link_record(
        actor=world.inspector, content_type=child_type, object_id=world.child1.pk, issue=issue
    )
    assert link.record == world.child1
    with pytest.raises(DomainError):  # twice
        complaints.link_record(
            actor=world.inspector, content_type=child_type, object_id=world.child1.pk, issue=issue
        )
    with pytest.raises(DomainError):  # no such record
        complaints.link_record(
            actor=world.inspector, content_type=child_type, object_id=999999, issue=issue
        )
    with pytest.raises(DomainError):  # not a linkable kind
        complaints.link_record(
            actor=world.inspector,
            content_type=ContentType.objects.get_for_model(Complaint),
            object_id=named_complaint.pk,
            issue=issue,
        )
    school_type = ContentType.objects.get_for_model(School)
    complaints.link_record(
        actor=world.inspector,
        content_type=school_type,
        object_id=world.school1.pk,
        complaint=named_complaint,
    )
    with pytest.raises(PermissionDenied):
        complaints.link_record(
            actor=world.school1_user,
            content_type=school_type,
            object_id=world.school1.pk,
            issue=issue,
        )
    assert RecordLink.objects.count() == 2
    page = client_for(world.inspector).get(reverse("inspections:issue_detail", args=[issue.pk]))
    assert world.child1.name in page.content.decode()


def test_a_linked_record_the_reader_cannot_see_is_not_named(world, section):
    issue = raise_issue(world, unit=world.township1)
    complaints.link_record(
        actor=world.inspector,
        content_type=ContentType.objects.get_for_model(Child),
        object_id=world.child2.pk,  # a child of township 2
        issue=issue,
    )
    page = client_for(world.township1_user).get(
        reverse("inspections:issue_detail", args=[issue.pk])
    )
    html = page.content.decode()
    assert page.status_code == 200 and world.child2.name not in html
    assert "无权查看" in html


def test_linking_through_the_page(world, issue):
    client = client_for(world.inspector)
    school_type = ContentType.objects.get_for_model(School)
    response = client.post(
        reverse("inspections:issue_link", args=[issue.pk]),
        {"content_type": str(school_type.pk), "object_id": world.school1.pk},
    )
    assert response.status_code == 302
    assert RecordLink.objects.get().record == world.school1
    assert (
        client_for(world.auditor)
        .post(
            reverse("inspections:issue_link", args=[issue.pk]),
            {"content_type": str(school_type.pk), "object_id": world.school1.pk},
        )
        .status_code
        == 403
    )
