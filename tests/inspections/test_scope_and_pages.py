"""Scope (404) and role (403) on every page; the pages render for the roles that use them."""

import pytest
from django.urls import reverse

from enrollment.roles import Role
from enrollment.services import grant_role
from inspections.models import Complaint, Inspection, Issue
from tests.factories import UserFactory

from ..conftest import client_for
from .conftest import area, days_ago, days_ahead, pdf_upload, submitted


@pytest.fixture
def school2_user(world):
    user = UserFactory(username="school2")
    grant_role(user=user, role=Role.SCHOOL_STAFF, place=world.school2)
    return user


def test_another_schools_issue_is_not_found(world, issue, school2_user):
    client = client_for(school2_user)
    assert client.get(reverse("inspections:issue_detail", args=[issue.pk])).status_code == 404
    response = client.post(
        reverse("inspections:issue_action", args=[issue.pk, "submit"]),
        {"on": days_ago(0).isoformat(), "note": "x"},
    )
    assert response.status_code == 404
    issue.refresh_from_db()
    assert issue.status == Issue.Status.OPEN


def test_other_township_and_village_do_not_see_the_issue(world, issue):
    for user in (world.township2_user, world.village1_user, world.nobody):
        response = client_for(user).get(reverse("inspections:issue_detail", args=[issue.pk]))
        assert response.status_code == 404


def test_the_school_submits_its_rectification_through_the_page(world, issue):
    client = client_for(world.school1_user)
    page = client.get(reverse("inspections:issue_detail", args=[issue.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="action-submit"' in html and 'id="action-verify"' not in html
    assert 'id="action-edit"' not in html
    response = client.post(
        reverse("inspections:issue_action", args=[issue.pk, "submit"]),
        {"on": days_ago(0).isoformat(), "note": "已补发并公示", "evidence_file": pdf_upload()},
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SUBMITTED
    assert issue.events.last().evidence_file


def test_the_inspector_verifies_through_the_page_and_a_refusal_is_a_form_error(world, issue):
    client = client_for(world.inspector)
    url = reverse("inspections:issue_action", args=[issue.pk, "verify"])
    refused = client.post(url, {"on": days_ago(0).isoformat()})
    assert refused.status_code == 200
    assert "不能验收销号" in refused.content.decode()
    submitted(world, issue)
    assert client.post(url, {"on": days_ago(0).isoformat()}).status_code == 302
    issue.refresh_from_db()
    assert issue.status == Issue.Status.VERIFIED
    edit = client.post(
        reverse("inspections:issue_edit", args=[issue.pk]),
        {
            "unit": f"school:{world.school1.pk}",
            "responsible_person": "李四",
            "area": area().pk,
            "category": "funds",
            "description": "改写",
            "measures": "x",
            "deadline": days_ahead(3).isoformat(),
            "version": issue.version,
        },
    )
    assert edit.status_code == 200 and "不能再修改" in edit.content.decode()
    issue.refresh_from_db()
    assert issue.responsible_person == "张校长"


def test_responsible_unit_cannot_verify_and_auditor_cannot_write(world, issue):
    submitted(world, issue)
    for user, action in (
        (world.school1_user, "verify"),
        (world.school1_user, "withdraw"),
        (world.auditor, "verify"),
        (world.auditor, "submit"),
        (world.auditor, "withdraw"),
        (world.township1_user, "submit"),
    ):
        response = client_for(user).post(
            reverse("inspections:issue_action", args=[issue.pk, action]),
            {"on": days_ago(0).isoformat(), "note": "x", "reason": "x"},
        )
        assert response.status_code == 403, (user.username, action)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SUBMITTED


def test_auditor_and_units_cannot_create_anything(world, issue):
    posts = {
        "inspections:issue_new": {},
        "inspections:inspection_new": {},
        "inspections:complaint_new": {},
        "inspections:campaign_list": {"name": "x"},
        "inspections:group_list": {"name": "x"},
        "inspections:area_list": {"add_area": "1", "name": "x"},
    }
    for user in (world.auditor, world.school1_user, world.township1_user, world.bureau):
        for name, data in posts.items():
            assert client_for(user).post(reverse(name), data).status_code == 403, (
                user.username,
                name,
            )
    assert (
        client_for(world.auditor)
        .post(reverse("inspections:issue_edit", args=[issue.pk]), {})
        .status_code
        == 403
    )


def test_the_inspector_records_an_inspection_and_an_issue_through_the_pages(world, campaign):
    client = client_for(world.inspector)
    assert client.get(reverse("inspections:inspection_new")).status_code == 200
    response = client.post(
        reverse("inspections:inspection_new"),
        {
            "date": days_ago(2).isoformat(),
            "unit": f"township:{world.township1.pk}",
            "campaign": campaign.pk,
            "areas": [area("控辍保学").pk, area("食堂").pk],
            "summary": "查阅台账",
            "attachments": pdf_upload("反馈.pdf"),
        },
    )
    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert inspection.unit == world.township1 and inspection.attachments.count() == 1
    assert set(inspection.areas.values_list("name", flat=True)) == {"控辍保学", "食堂"}
    new_issue = reverse("inspections:issue_new") + f"?inspection={inspection.pk}"
    form = client.get(new_issue)
    assert form.context["form"].initial["unit"] == f"township:{world.township1.pk}"
    response = client.post(
        new_issue,
        {
            "unit": f"township:{world.township1.pk}",
            "responsible_person": "赵镇长",
            "area": area("控辍保学").pk,
            "category": "policy",
            "description": "劝返台账不全",
            "measures": "补建台账",
            "deadline": days_ahead(30).isoformat(),
        },
    )
    assert response.status_code == 302
    issue = Issue.objects.get()
    assert (issue.inspection, issue.campaign, issue.found_on) == (
        inspection,
        campaign,
        days_ago(2),
    )


def test_a_unit_outside_the_scope_is_refused_in_the_form(world):
    client = client_for(world.inspector)
    response = client.post(
        reverse("inspections:inspection_new"),
        {"date": days_ago(1).isoformat(), "unit": "school:999999", "areas": [area().pk]},
    )
    assert response.status_code == 200 and not Inspection.objects.exists()


def test_an_attachment_that_is_not_a_document_is_refused(world, inspection):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(world.inspector)
    response = client.post(
        reverse("inspections:inspection_attach", args=[inspection.pk]),
        {"upload": SimpleUploadedFile("x.html", b"<html></html>")},
    )
    assert response.status_code == 200 and inspection.attachments.count() == 0
    assert "PDF" in response.content.decode()


def test_inspections_are_scoped(world, inspection):
    url = reverse("inspections:inspection_detail", args=[inspection.pk])
    assert client_for(world.school1_user).get(url).status_code == 200
    assert client_for(world.township1_user).get(url).status_code == 200
    assert client_for(world.township2_user).get(url).status_code == 404
    listed = client_for(world.township2_user).get(reverse("inspections:inspection_list"))
    assert list(listed.context["page"]) == []


def test_every_page_renders_for_the_inspector_and_the_auditor(world, issue, named_complaint):
    pages = [
        reverse("inspections:ledger"),
        reverse("inspections:inspection_list"),
        reverse("inspections:inspection_detail", args=[issue.inspection_id]),
        reverse("inspections:issue_detail", args=[issue.pk]),
        reverse("inspections:complaint_list"),
        reverse("inspections:complaint_detail", args=[named_complaint.pk]),
        reverse("inspections:campaign_list"),
        reverse("inspections:group_list"),
        reverse("inspections:area_list"),
        reverse("inspections:summary"),
    ]
    for user in (world.inspector, world.auditor):
        for url in pages:
            assert client_for(user).get(url).status_code == 200, (user.username, url)
    for url in (
        reverse("inspections:issue_new"),
        reverse("inspections:issue_edit", args=[issue.pk]),
        reverse("inspections:issue_action", args=[issue.pk, "withdraw"]),
        reverse("inspections:complaint_new"),
        reverse("inspections:complaint_step", args=[named_complaint.pk]),
        reverse("inspections:issue_link", args=[issue.pk]),
    ):
        assert client_for(world.inspector).get(url).status_code == 200, url


def test_the_menu_is_registered_for_the_roles_that_use_it(world):
    page = client_for(world.school1_user).get(reverse("inspections:ledger"))
    assert "整改台账" in page.content.decode()
    village = client_for(world.village1_user).get("/")
    assert reverse("inspections:ledger") not in village.content.decode()


def test_complaint_handling_through_the_pages(world, named_complaint):
    client = client_for(world.inspector)
    step = client.post(
        reverse("inspections:complaint_step", args=[named_complaint.pk]),
        {"on": days_ago(1).isoformat(), "note": "到校核实"},
    )
    assert step.status_code == 302
    done = client.post(
        reverse("inspections:complaint_conclude", args=[named_complaint.pk]),
        {"result": "情况属实，已督促整改", "replied_on": days_ago(0).isoformat()},
    )
    assert done.status_code == 302
    named_complaint.refresh_from_db()
    assert named_complaint.status == Complaint.Status.CONCLUDED
    assert named_complaint.steps.count() == 2
    # A county inspector who is not a handler reads the complaint but does not handle it.
    other = UserFactory(username="inspector2")
    grant_role(user=other, role=Role.INSPECTOR, place=world.county)
    refused = client_for(other).post(
        reverse("inspections:complaint_step", args=[named_complaint.pk]),
        {"on": days_ago(0).isoformat(), "note": "x"},
    )
    assert refused.status_code == 403


def test_issue_withdrawal_through_the_page_keeps_the_record(world, issue):
    response = client_for(world.inspector).post(
        reverse("inspections:issue_action", args=[issue.pk, "withdraw"]), {"reason": "重复登记"}
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == Issue.Status.WITHDRAWN
    issues_page = client_for(world.inspector).get(reverse("inspections:ledger"))
    assert issue not in list(issues_page.context["page"])
