"""涉案未成年人 (教基厅函〔2024〕15号): only the roles that handle the case — the county admin, the
bureau's staff and the child's township official — see or set the flag; the village, the school,
an inspector and the auditor do not (lists leave it out, exports mask it, the API says null).
Every rule from both sides: the child page, the ledger, its filter, its export read back cell by
cell, the API, the overview, the audit log."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.test import TestCase
from django.urls import reverse
from openpyxl import load_workbook

from core.models import AuditEvent, ExportJob
from core.resident_id import make_resident_id
from enrollment.exports import CASE_FLAG_HEADER, CASE_FLAG_MASK
from enrollment.forms import ChildRegistrationForm
from enrollment.models import Child
from enrollment.roles import Role
from enrollment.services import grant_role, register_child, update_child

from ..conftest import api_for, client_for
from ..factories import UserFactory

NEW_ID = make_resident_id(
    place_code="510304", birth_date=datetime.date(2017, 1, 2), sequence=11, sex="M"
)
ALLOWED = ["admin", "bureau", "township1_user"]
REFUSED = ["village1_user", "school1_user", "inspector", "auditor"]
MARK = 'data-case-flag="{pk}"'


@pytest.fixture
def flagged(world):
    """child1 (一镇 · 一村 · 一镇小学) is a minor involved in a case; the others are not."""
    update_child(actor=world.admin, child=world.child1, is_involved_in_case=True)
    world.child1.refresh_from_db()
    return world.child1


def _mark(child) -> str:
    return MARK.format(pk=child.pk)


def _two_hats(world):
    """A school's staff (一镇小学) who is also the official of the other township (二镇)."""
    user = UserFactory(username="twohats")
    grant_role(user=user, role=Role.SCHOOL_STAFF, place=world.school1)
    grant_role(user=user, role=Role.TOWNSHIP_OFFICIAL, place=world.township2)
    return user


# --- the child page ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ALLOWED)
def test_the_roles_handling_the_case_see_the_flag_on_the_child_page(world, flagged, who):
    response = client_for(getattr(world, who)).get(
        reverse("enrollment:child_detail", args=[flagged.pk])
    )
    assert response.status_code == 200
    assert _mark(flagged) in response.content.decode()
    event = AuditEvent.objects.filter(action="view", object_id=str(flagged.pk)).latest("pk")
    assert event.detail["case_flag"] is True


@pytest.mark.parametrize("who", REFUSED)
def test_other_roles_open_the_child_page_without_the_flag(world, flagged, who):
    response = client_for(getattr(world, who)).get(
        reverse("enrollment:child_detail", args=[flagged.pk])
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "data-case-flag" not in page and "涉案" not in page
    event = AuditEvent.objects.filter(action="view", object_id=str(flagged.pk)).latest("pk")
    assert event.detail["case_flag"] is False


def test_another_townships_official_gets_404_on_the_child(world, flagged):
    response = client_for(world.township2_user).get(
        reverse("enrollment:child_detail", args=[flagged.pk])
    )
    assert response.status_code == 404


def test_a_case_role_elsewhere_does_not_show_the_flag_of_a_child_seen_through_the_school(
    world, flagged
):
    response = client_for(_two_hats(world)).get(
        reverse("enrollment:child_detail", args=[flagged.pk])
    )
    assert response.status_code == 200 and "data-case-flag" not in response.content.decode()


# --- the ledger and its filter -----------------------------------------------------------------

LEDGERS = {
    "admin": ("county", "county"),
    "bureau": ("county", "county"),
    "township1_user": ("township", "township1"),
    "village1_user": ("village", "village1"),
    "school1_user": ("school", "school1"),
    "inspector": ("county", "county"),
    "auditor": ("county", "county"),
}


def _ledger(world, who, query=None):
    kind, place = LEDGERS[who]
    url = reverse(f"enrollment:{kind}_ledger", args=[getattr(world, place).pk])
    return client_for(getattr(world, who)).get(url, query or {})


@pytest.mark.parametrize("who", ALLOWED)
def test_the_ledger_shows_and_filters_the_flag_for_the_roles_handling_the_case(world, flagged, who):
    page = _ledger(world, who).content.decode()
    assert _mark(flagged) in page
    assert 'value="involved_in_case"' in page  # the focus filter offers it
    response = _ledger(world, who, {"focus": "involved_in_case"})
    rows = [row.record for row in response.context["table"].page.object_list]
    assert rows == [flagged]
    assert response.context["total"]["population"] == 1  # the counts follow the filter


@pytest.mark.parametrize("who", REFUSED)
def test_the_ledger_neither_shows_nor_offers_the_flag_to_other_roles(world, flagged, who):
    page = _ledger(world, who).content.decode()
    assert flagged.name in page  # the child is on this ledger …
    assert "data-case-flag" not in page  # … without the flag
    assert 'value="involved_in_case"' not in page
    response = _ledger(world, who, {"focus": "involved_in_case"})
    assert response.status_code == 200
    assert list(response.context["table"].page.object_list) == []
    assert "focus" in response.context["filter"].errors


def test_the_filter_finds_only_the_children_the_case_role_covers(world, flagged):
    """A township official who is also a school's staff elsewhere: the school's flagged pupil is
    not found by the filter on the school's ledger."""
    user = _two_hats(world)
    client = client_for(user)
    url = reverse("enrollment:school_ledger", args=[world.school1.pk])
    assert flagged.name in client.get(url).content.decode()
    response = client.get(url, {"focus": "involved_in_case"})
    assert list(response.context["table"].page.object_list) == []


def test_the_ledger_query_count_does_not_grow_with_the_flag(
    world, flagged, django_assert_max_num_queries
):
    from ..factories import ChildFactory

    for index in range(30):
        ChildFactory(household=world.household1b, is_involved_in_case=index % 2 == 0)
    client = client_for(world.township1_user)
    url = reverse("enrollment:township_ledger", args=[world.township1.pk])
    client.get(url)  # the summary cache warmed
    with django_assert_max_num_queries(20):
        page = client.get(url, {"per_page": 100}).content.decode()
    assert page.count("data-case-flag") == 16


# --- the export, read back cell by cell --------------------------------------------------------


def _export_rows(world, who, query=None):
    kind, place = LEDGERS[who]
    client = client_for(getattr(world, who))
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse("enrollment:export_ledger", args=[kind, getattr(world, place).pk]),
            query or {},
        )
    assert response.status_code == 302
    job = ExportJob.objects.filter(requested_by=getattr(world, who)).latest("pk")
    download = client.get(reverse("core:export_download", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index(CASE_FLAG_HEADER)
    return {row[1]: row[column] for row in rows[1:]}


@pytest.mark.parametrize("who", ALLOWED)
def test_the_export_says_which_child_is_involved_to_the_roles_handling_the_case(
    world, flagged, media, who
):
    cells = _export_rows(world, who)
    assert cells[flagged.name] == "是"
    assert all(cells[name] is None for name in cells if name != flagged.name)  # empty: not
    assert len(cells) >= 3


@pytest.mark.parametrize("who", REFUSED)
def test_the_export_masks_the_flag_on_every_row_for_other_roles(world, flagged, media, who):
    cells = _export_rows(world, who)
    assert flagged.name in cells
    assert set(cells.values()) == {CASE_FLAG_MASK}  # flagged or not, the same mask


def test_the_export_of_the_filtered_flag_holds_the_flagged_children_only(world, flagged, media):
    assert _export_rows(world, "township1_user", {"focus": "involved_in_case"}) == {
        flagged.name: "是"
    }


# --- the API -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ALLOWED)
def test_the_api_gives_the_flag_to_the_roles_handling_the_case(world, flagged, who):
    api = api_for(getattr(world, who))
    listed = {row["id"]: row for row in api.get("/api/v1/children/").json()["results"]}
    assert listed[flagged.pk]["is_involved_in_case"] is True
    assert listed[world.child1b.pk]["is_involved_in_case"] is False
    one = api.get(f"/api/v1/children/{flagged.pk}/").json()
    assert one["is_involved_in_case"] is True
    found = api.get("/api/v1/children/", {"focus": "involved_in_case"}).json()["results"]
    assert [row["id"] for row in found] == [flagged.pk]


@pytest.mark.parametrize("who", REFUSED)
def test_the_api_masks_the_flag_for_other_roles(world, flagged, who):
    api = api_for(getattr(world, who))
    listed = {row["id"]: row for row in api.get("/api/v1/children/").json()["results"]}
    assert flagged.pk in listed
    assert {row["is_involved_in_case"] for row in listed.values()} == {None}
    assert api.get(f"/api/v1/children/{flagged.pk}/").json()["is_involved_in_case"] is None
    assert api.get("/api/v1/children/", {"focus": "involved_in_case"}).status_code == 400


def test_the_api_registers_a_flagged_child_for_the_township(world):
    response = api_for(world.township1_user).post(
        "/api/v1/children/",
        {
            "household": world.household1.pk,
            "name": "王小案",
            "resident_id": NEW_ID,
            "guardian_name": "王一",
            "guardian_relation": "父亲",
            "is_involved_in_case": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["is_involved_in_case"] is True
    assert Child.objects.get(pk=response.json()["id"]).is_involved_in_case


# --- setting the flag --------------------------------------------------------------------------


def test_the_registration_form_offers_the_flag_to_the_roles_handling_the_case(world):
    client = client_for(world.township1_user)
    url = reverse("enrollment:register_child")
    assert 'name="is_involved_in_case"' in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "household": world.household1.pk,
            "name": "王小案",
            "resident_id": NEW_ID,
            "guardian_name": "王一",
            "guardian_relation": "父亲",
            "is_involved_in_case": "on",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    child = Child.objects.get(name="王小案")
    assert child.is_involved_in_case
    created = AuditEvent.objects.filter(action="create", object_id=str(child.pk))
    assert created.filter(object_type="enrollment.child").exists()


@pytest.mark.parametrize("who", REFUSED)
def test_the_registration_form_has_no_flag_for_other_roles(world, who):
    assert "is_involved_in_case" not in ChildRegistrationForm(user=getattr(world, who)).fields


def test_setting_the_flag_outside_the_case_roles_is_refused(world):
    with pytest.raises(PermissionDenied):
        update_child(actor=world.school1_user, child=world.child1, is_involved_in_case=True)
    with pytest.raises(PermissionDenied):  # another township's household
        register_child(
            actor=world.township2_user,
            household=world.household1,
            name="王小案",
            has_no_resident_id=True,
            sex="M",
            birth_date=world.child1.birth_date,
            guardian_name="王一",
            guardian_relation="父亲",
            is_involved_in_case=True,
        )
    world.child1.refresh_from_db()
    assert not world.child1.is_involved_in_case
    assert not Child.objects.filter(name="王小案").exists()


def test_a_change_of_the_flag_is_audited_and_kept_in_the_history(world):
    update_child(actor=world.township1_user, child=world.child1, is_involved_in_case=True)
    event = AuditEvent.objects.filter(
        action="update", object_type="enrollment.child", object_id=str(world.child1.pk)
    ).latest("pk")
    assert event.user == world.township1_user
    assert "is_involved_in_case" in event.detail["fields"]
    latest = world.child1.history.latest()
    assert latest.is_involved_in_case and latest.history_user == world.township1_user


# --- the overview ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ALLOWED)
def test_the_overview_counts_the_flagged_children_for_the_roles_handling_the_case(
    world, flagged, legal_texts, who
):
    response = client_for(getattr(world, who)).get(reverse("home"))
    assert response.context["involved_in_case"] == 1
    assert 'data-stat="involved-in-case"' in response.content.decode()


@pytest.mark.parametrize("who", REFUSED)
def test_the_overview_has_no_count_for_other_roles(world, flagged, legal_texts, who):
    response = client_for(getattr(world, who)).get(reverse("home"))
    assert response.status_code == 200
    assert response.context.get("involved_in_case") is None  # no figures, or no count in them
    assert 'data-stat="involved-in-case"' not in response.content.decode()


def test_the_filter_refuses_the_flag_even_after_the_schema_built_its_field(world):
    """The API schema builds each filter's field once on the class (django-filter caches it and
    every FilterSet copies it): the refusal must not depend on who built it first."""
    from enrollment.filters import LedgerFilter

    assert "involved_in_case" in dict(LedgerFilter.base_filters["focus"].field.choices)
    refused = LedgerFilter(
        {"focus": "involved_in_case"}, queryset=Child.objects.all(), user=world.auditor
    )
    assert not refused.is_valid() and "focus" in refused.errors
    allowed = LedgerFilter(
        {"focus": "involved_in_case"}, queryset=Child.objects.all(), user=world.bureau
    )
    assert allowed.is_valid()
