"""Who may see and change which children: pages and API, each rule from both sides."""

import pytest
from django.urls import reverse
from django.utils import timezone

from enrollment.models import Child, EnrollmentStatus

from ..conftest import api_for, client_for

VISIBLE = {
    "admin": {"child1", "sibling1", "child1b", "child2"},
    "bureau": {"child1", "sibling1", "child1b", "child2"},
    "inspector": {"child1", "sibling1", "child1b", "child2"},
    "auditor": {"child1", "sibling1", "child1b", "child2"},
    "township1_user": {"child1", "sibling1", "child1b"},
    "township2_user": {"child2"},
    "village1_user": {"child1", "sibling1"},
    "school1_user": {"child1"},
    "nobody": set(),
}
CHILD_NAMES = ("child1", "sibling1", "child1b", "child2")


@pytest.mark.parametrize("user_name", sorted(VISIBLE))
def test_for_user_returns_exactly_the_children_of_the_scope(world, user_name):
    user = getattr(world, user_name)
    visible = set(Child.objects.for_user(user).values_list("pk", flat=True))
    expected = {getattr(world, name).pk for name in VISIBLE[user_name]}
    assert visible == expected


@pytest.mark.parametrize("user_name", sorted(VISIBLE))
@pytest.mark.parametrize("child_name", CHILD_NAMES)
def test_child_page_answers_404_outside_the_scope(world, user_name, child_name):
    child = getattr(world, child_name)
    response = client_for(getattr(world, user_name)).get(
        reverse("enrollment:child_detail", args=[child.pk])
    )
    assert response.status_code == (200 if child_name in VISIBLE[user_name] else 404)


@pytest.mark.parametrize("user_name", sorted(VISIBLE))
@pytest.mark.parametrize("child_name", CHILD_NAMES)
def test_api_child_detail_answers_404_outside_the_scope(world, user_name, child_name):
    child = getattr(world, child_name)
    response = api_for(getattr(world, user_name)).get(f"/api/v1/children/{child.pk}/")
    assert response.status_code == (200 if child_name in VISIBLE[user_name] else 404)


@pytest.mark.parametrize("user_name", sorted(VISIBLE))
def test_api_child_list_holds_only_the_scope(world, user_name):
    response = api_for(getattr(world, user_name)).get("/api/v1/children/?page_size=100")
    assert response.status_code == 200
    names = {row["name"] for row in response.json()["results"]}
    assert names == {getattr(world, name).name for name in VISIBLE[user_name]}


def test_township1_cannot_open_township2_ledger_or_list_its_children(world):
    client = client_for(world.township1_user)
    assert (
        client.get(reverse("enrollment:township_ledger", args=[world.township2.pk])).status_code
        == 404
    )
    response = client.get(reverse("enrollment:township_ledger", args=[world.township1.pk]))
    assert response.status_code == 200
    assert world.child1.name in response.content.decode()
    assert world.child2.name not in response.content.decode()
    assert (
        api_for(world.township1_user).get(f"/api/v1/townships/{world.township2.pk}/").status_code
        == 404
    )


def test_township1_cannot_change_township2_children_through_pages_or_api(world):
    client = client_for(world.township1_user)
    target = world.child2
    for name in ("change_status", "record_visit", "assign_partner"):
        url = reverse(f"enrollment:{name}", args=[target.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"status": "dropped_out", "reason": "x"}).status_code == 404
    response = api_for(world.township1_user).post(
        f"/api/v1/children/{target.pk}/status/",
        {
            "status": "dropped_out",
            "effective_date": timezone.localdate().isoformat(),
            "reason": "x",
        },
        format="json",
    )
    assert response.status_code == 404
    response = api_for(world.township1_user).post(
        "/api/v1/visits/",
        {
            "visit_date": timezone.localdate().isoformat(),
            "household": world.household2.pk,
            "children": [target.pk],
            "visitors": "我",
            "findings": "x",
            "outcome": "other",
        },
        format="json",
    )
    assert response.status_code == 400  # the household and child are not choosable at all
    target.refresh_from_db()
    assert target.status == EnrollmentStatus.IN_SCHOOL
    assert target.visits.count() == 0


@pytest.mark.parametrize("user_name", ["auditor", "inspector"])
def test_read_only_roles_get_403_on_every_registry_write(world, user_name):
    user = getattr(world, user_name)
    client = client_for(user)
    child = world.child1
    for name in ("change_status", "record_visit", "assign_partner"):
        assert client.get(reverse(f"enrollment:{name}", args=[child.pk])).status_code == 403
        assert client.post(reverse(f"enrollment:{name}", args=[child.pk]), {}).status_code == 403
    assert client.get(reverse("enrollment:register_child")).status_code == 403
    assert client.post(reverse("enrollment:register_household"), {}).status_code == 403
    api = api_for(user)
    assert api.post(f"/api/v1/children/{child.pk}/status/", {}, format="json").status_code == 403
    assert api.post("/api/v1/children/", {}, format="json").status_code == 403
    assert api.post("/api/v1/households/", {}, format="json").status_code == 403
    assert api.post("/api/v1/visits/", {}, format="json").status_code == 403
    assert api.delete(f"/api/v1/children/{child.pk}/").status_code in (403, 405)
    child.refresh_from_db()
    assert child.status == EnrollmentStatus.IN_SCHOOL


def test_village_cadre_records_visits_but_does_not_change_status(world):
    client = client_for(world.village1_user)
    assert client.get(reverse("enrollment:record_visit", args=[world.child1.pk])).status_code == 200
    assert (
        client.get(reverse("enrollment:change_status", args=[world.child1.pk])).status_code == 403
    )


def test_school_staff_change_status_of_their_pupils_but_do_not_record_visits(world):
    client = client_for(world.school1_user)
    assert (
        client.get(reverse("enrollment:change_status", args=[world.child1.pk])).status_code == 200
    )
    assert client.get(reverse("enrollment:record_visit", args=[world.child1.pk])).status_code == 403


@pytest.mark.parametrize(
    "user_name, full",
    [
        ("township1_user", True),
        ("school1_user", True),
        ("admin", True),
        ("village1_user", False),
        ("auditor", False),
        ("inspector", False),
    ],
)
def test_full_resident_id_only_for_roles_that_need_it(world, user_name, full):
    user = getattr(world, user_name)
    child = world.child1
    page = client_for(user).get(reverse("enrollment:child_detail", args=[child.pk]))
    content = page.content.decode()
    assert (child.resident_id in content) is full
    assert child.masked_resident_id in content or full
    detail = api_for(user).get(f"/api/v1/children/{child.pk}/").json()
    assert (detail["resident_id"] == child.resident_id) is full
    assert (detail["guardian_phone"] == child.guardian_phone) is full


def test_lists_always_mask_resident_ids(world):
    client = client_for(world.township1_user)
    content = client.get(
        reverse("enrollment:township_ledger", args=[world.township1.pk])
    ).content.decode()
    assert world.child1.resident_id not in content
    assert world.child1.masked_resident_id in content
    rows = api_for(world.admin).get("/api/v1/children/").json()["results"]
    assert all("*" in row["resident_id"] for row in rows)


def test_anonymous_users_are_sent_to_login_and_refused_by_the_api(world, client):
    response = client.get(reverse("enrollment:child_detail", args=[world.child1.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/children/").status_code in (401, 403)


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "PNG")  # uploads are decoded whole
    return buffer.getvalue()


def test_visit_attachment_is_served_only_within_scope(world, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from enrollment.services import record_visit

    settings.MEDIA_ROOT = tmp_path
    visit = record_visit(
        actor=world.township1_user,
        household=world.household1,
        children=[world.child1],
        visit_date=timezone.localdate(),
        visitors="甲",
        findings="在校",
        outcome="confirmed_in_school",
        attachment=SimpleUploadedFile("p.png", _png()),
    )
    url = reverse("enrollment:visit_attachment", args=[visit.pk])
    assert client_for(world.township1_user).get(url).status_code == 200
    assert client_for(world.township2_user).get(url).status_code == 404


@pytest.mark.parametrize("user_name", sorted(VISIBLE))
def test_the_python_scope_check_agrees_with_the_queryset(world, user_name):
    from dropout.models import DropoutCase
    from enrollment.models import Household, HouseholdVisit
    from enrollment.roles import CHANGE_STATUS_ROLES, RECORD_VISIT_ROLES, Role
    from enrollment.scoping import covers

    user = getattr(world, user_name)
    objects = [Child.objects.get(pk=getattr(world, name).pk) for name in CHILD_NAMES]
    objects += list(Household.objects.all())
    objects += list(HouseholdVisit.objects.all()) + list(DropoutCase.objects.all())
    for roles in (None, CHANGE_STATUS_ROLES, RECORD_VISIT_ROLES, {Role.AUDITOR}):
        for obj in objects:
            in_queryset = type(obj).objects.for_user(user, roles=roles).filter(pk=obj.pk).exists()
            decided = covers(user, obj, roles)
            assert decided is None or decided == in_queryset, (obj, roles)
