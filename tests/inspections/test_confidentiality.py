"""The complainant's identity and contact: only the complaint's handlers and the county
administrators see them — through the pages, the Excel export and the API, for every role."""

import io

import pytest
from django.test import TestCase
from django.urls import reverse
from openpyxl import load_workbook

from core.masking import mask_phone
from core.models import ExportJob
from enrollment.roles import Role
from enrollment.services import grant_role
from tests.factories import UserFactory

from ..conftest import api_for, client_for

NAME, CONTACT = "刘建国", "13912345678"


@pytest.fixture
def people(world):
    other_inspector = UserFactory(username="inspector2")
    grant_role(user=other_inspector, role=Role.INSPECTOR, place=world.county)
    return {
        # username: (user, reads the complaint, sees the identity)
        "admin": (world.admin, True, True),
        "inspector": (world.inspector, True, True),  # the handler
        "inspector2": (other_inspector, True, False),  # an inspector, not a handler
        "bureau": (world.bureau, True, False),
        "auditor": (world.auditor, True, False),
        "township1": (world.township1_user, True, False),  # the township of the unit
        "school1": (world.school1_user, True, False),  # the unit complained about
        "township2": (world.township2_user, False, False),
        "village1": (world.village1_user, False, False),
        "nobody": (world.nobody, False, False),
    }


def test_complaint_page_shows_the_identity_only_to_handlers_and_county_admins(
    world, people, named_complaint
):
    url = reverse("inspections:complaint_detail", args=[named_complaint.pk])
    for username, (user, reads, sees) in people.items():
        response = client_for(user).get(url)
        if not reads:
            assert response.status_code == 404, username
            continue
        html = response.content.decode()
        assert response.status_code == 200, username
        assert "反映营养餐分量不足" in html, username
        assert (NAME in html, CONTACT in html) == (sees, sees), username


def test_complaint_list_shows_the_name_only_to_handlers_and_county_admins(
    world, people, named_complaint
):
    for username, (user, reads, sees) in people.items():
        response = client_for(user).get(reverse("inspections:complaint_list"))
        assert response.status_code == 200, username
        html = response.content.decode()
        assert (named_complaint in list(response.context["page"])) == reads, username
        assert (NAME in html) == sees, username
        assert CONTACT not in html, username  # never in a list


def test_complaint_api_leaves_the_identity_out_for_everyone_else(world, people, named_complaint):
    for username, (user, reads, sees) in people.items():
        api = api_for(user)
        detail = api.get(f"/api/v1/complaints/{named_complaint.pk}/")
        listed = api.get("/api/v1/complaints/")
        assert listed.status_code == 200, username
        if not reads:
            assert detail.status_code == 404 and listed.json()["results"] == [], username
            continue
        for data, shown in ((detail.json(), "record"), (listed.json()["results"][0], "list")):
            assert data["content"] == "反映营养餐分量不足", username
            assert ("complainant_name" in data) == sees, username
            assert ("complainant_contact" in data) == sees, username
            if sees:
                # A list masks the contact for everyone (core.masking.shows_full); the record
                # shows it in full to whom handles the complaint.
                contact = CONTACT if shown == "record" else mask_phone(CONTACT)
                assert (data["complainant_name"], data["complainant_contact"]) == (NAME, contact)
            assert NAME not in str(data) or sees, username


def test_complaint_export_holds_the_identity_only_for_handlers_and_county_admins(
    world, people, named_complaint, anonymous_complaint, media
):
    for username, (user, reads, sees) in people.items():
        client = client_for(user)
        with TestCase.captureOnCommitCallbacks(execute=True):
            client.post(reverse("inspections:complaint_export"))
        job = ExportJob.objects.filter(requested_by=user).get()
        assert job.status == "done", username
        response = client.get(reverse("core:export_download", args=[job.pk]))
        rows = list(
            load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(
                values_only=True
            )
        )
        assert rows[0][:7] == (
            "序号",
            "受理日期",
            "渠道",
            "反映内容",
            "是否匿名",
            "举报人",
            "联系方式",
        )
        cells = [cell for row in rows for cell in row]
        assert (NAME in cells, CONTACT in cells) == (sees, sees), username
        named_rows = [row for row in rows[1:] if row[3] == "反映营养餐分量不足"]
        assert len(named_rows) == (1 if reads else 0), username
        if named_rows:
            assert named_rows[0][2] == "电话" and named_rows[0][4] == "否"
            assert named_rows[0][7] == "一镇小学"


def test_a_handler_named_later_sees_the_identity_and_one_removed_no_longer(
    world, people, named_complaint
):
    from inspections.services import complaints

    other = people["inspector2"][0]
    url = reverse("inspections:complaint_detail", args=[named_complaint.pk])
    complaints.set_handlers(actor=world.admin, complaint=named_complaint, handlers=[other])
    assert NAME in client_for(other).get(url).content.decode()
    assert NAME not in client_for(world.inspector).get(url).content.decode()


def test_the_complainant_identity_is_not_in_the_issue_raised_from_it(world, named_complaint):
    from .conftest import raise_issue

    issue = raise_issue(world, complaint=named_complaint)
    page = client_for(world.school1_user).get(reverse("inspections:issue_detail", args=[issue.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and NAME not in html and CONTACT not in html
    data = api_for(world.school1_user).get(f"/api/v1/issues/{issue.pk}/").json()
    assert NAME not in str(data) and CONTACT not in str(data)


def test_the_admin_site_does_not_list_complaints(world):
    from django.contrib import admin

    from inspections.models import Complaint

    assert Complaint not in admin.site._registry
