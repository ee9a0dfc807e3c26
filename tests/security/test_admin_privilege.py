"""Only a superuser grants superuser, staff, groups or model permissions; a county administrator
(staff, not superuser) manages the users and role assignments of their own county, and cannot
reach another county's. Every attempt below is a forged admin POST, as a prober would send it.
The audit row of a user change names the fields that changed, never a password hash."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent
from enrollment.models import RoleAssignment
from enrollment.roles import Role
from enrollment.services import grant_role

from ..conftest import PASSWORD, client_for
from ..factories import CountyFactory, TownshipFactory, UserFactory

User = get_user_model()


@pytest.fixture
def other(world):
    """A second county with its own official."""
    county = CountyFactory(code="510400", name="邻县")
    township = TownshipFactory(county=county, name="邻镇")
    official = UserFactory(username="neighbour")
    grant_role(user=official, role=Role.TOWNSHIP_OFFICIAL, place=township)
    return type("Other", (), {"county": county, "township": township, "official": official})


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", password=PASSWORD)


def _value(value):
    if isinstance(value, bool):
        return "on" if value else None
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, (list, tuple)) or hasattr(value, "model"):
        return [getattr(item, "pk", item) for item in value]
    return "" if value is None else value


def admin_form_data(response) -> dict:
    """What a browser would post back from an admin add/change page, unchanged."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management.initial.get(name, "")
        forms += inline.formset.forms
    for form in forms:
        for name in form.fields:
            if name in ("password", "DELETE"):
                continue
            value = form[name].value()
            if isinstance(value, datetime.datetime):
                data[form.add_prefix(name) + "_0"] = value.strftime("%Y-%m-%d")
                data[form.add_prefix(name) + "_1"] = value.strftime("%H:%M:%S")
                continue
            value = _value(value)
            if value is not None:
                data[form.add_prefix(name)] = value
    return data


def _post_change(client, user, **changes):
    page = reverse("admin:auth_user_change", args=[user.pk])
    response = client.get(page)
    assert response.status_code == 200
    data = admin_form_data(response)
    data.update(changes)
    return client.post(page, data)


def _add_user(client, username, *, township, role=Role.TOWNSHIP_OFFICIAL, **extra):
    page = reverse("admin:auth_user_add")
    response = client.get(page)
    assert response.status_code == 200
    data = admin_form_data(response)
    prefix = "role_assignments-0-"
    data.update(
        {
            "username": username,
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "role_assignments-TOTAL_FORMS": "1",
            prefix + "role": role,
            prefix + "township": township.pk,
        }
    )
    data.update(extra)
    return client.post(page, data)


# --- superuser and staff ----------------------------------------------------------------------


def test_county_admin_cannot_create_a_superuser_with_a_forged_post(world):
    response = _add_user(
        client_for(world.admin),
        "sneaky",
        township=world.township1,
        is_superuser="on",
        is_staff="on",
    )
    assert response.status_code == 200  # the form again, with the refusal
    assert not User.objects.filter(username="sneaky").exists()


def test_county_admin_creates_a_user_with_a_role_in_their_county(world):
    response = _add_user(client_for(world.admin), "newofficial", township=world.township1)
    assert response.status_code == 302, response.context and response.context["errors"]
    user = User.objects.get(username="newofficial")
    assert not user.is_superuser and not user.is_staff
    assert list(user.role_assignments.values_list("role", "township")) == [
        (Role.TOWNSHIP_OFFICIAL, world.township1.pk)
    ]
    assert list(user.groups.values_list("name", flat=True)) == [Role.TOWNSHIP_OFFICIAL]


def test_county_admin_cannot_create_a_user_without_a_role(world):
    page = reverse("admin:auth_user_add")
    client = client_for(world.admin)
    data = admin_form_data(client.get(page))
    data.update({"username": "roleless", "usable_password": "true"})
    data.update({"password1": PASSWORD, "password2": PASSWORD})
    assert client.post(page, data).status_code == 200
    assert not User.objects.filter(username="roleless").exists()


@pytest.mark.parametrize("field", ["is_superuser", "is_staff"])
def test_county_admin_cannot_tick_a_privilege_of_another_user(world, field):
    response = _post_change(client_for(world.admin), world.village1_user, **{field: "on"})
    assert response.status_code == 200
    world.village1_user.refresh_from_db()
    assert not world.village1_user.is_superuser and not world.village1_user.is_staff


def test_county_admin_cannot_make_themselves_superuser(world):
    response = _post_change(client_for(world.admin), world.admin, is_superuser="on")
    assert response.status_code == 200
    world.admin.refresh_from_db()
    assert not world.admin.is_superuser


def test_county_admin_cannot_give_model_permissions_or_groups(world):
    permission = Permission.objects.get(codename="view_auditevent")
    auditors = Group.objects.get(name=Role.AUDITOR)
    client = client_for(world.admin)
    assert (
        _post_change(client, world.village1_user, user_permissions=[permission.pk]).status_code
        == 200
    )
    assert _post_change(client, world.village1_user, groups=[auditors.pk]).status_code == 200
    assert not world.village1_user.user_permissions.exists()
    assert not world.village1_user.groups.filter(pk=auditors.pk).exists()


def test_county_admin_cannot_change_a_group_or_its_permissions(world):
    group = Group.objects.get(name=Role.COUNTY_ADMIN)
    client = client_for(world.admin)
    page = reverse("admin:auth_group_change", args=[group.pk])
    everything = list(Permission.objects.values_list("pk", flat=True))
    response = client.post(page, {"name": group.name, "permissions": everything})
    assert response.status_code in (302, 403)  # the view-only page answers with a redirect
    assert group.permissions.count() < len(everything)
    assert client.post(reverse("admin:auth_group_add"), {"name": "x"}).status_code == 403
    assert not Group.objects.filter(name="x").exists()


def test_county_admin_group_carries_no_group_or_permission_rights(world):
    assert not world.admin.has_perm("auth.change_group")
    assert not world.admin.has_perm("auth.add_permission")
    assert world.admin.has_perm("auth.change_user")


def test_superuser_may_grant_superuser_staff_and_permissions(world, root):
    permission = Permission.objects.get(codename="view_auditevent")
    response = _post_change(
        client_for(root),
        world.village1_user,
        is_superuser="on",
        is_staff="on",
        user_permissions=[permission.pk],
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    world.village1_user.refresh_from_db()
    assert world.village1_user.is_superuser and world.village1_user.is_staff
    assert list(world.village1_user.user_permissions.all()) == [permission]


# --- the county's own users only ----------------------------------------------------------------


def test_county_admin_does_not_see_or_reach_another_countys_user(world, other):
    client = client_for(world.admin)
    listing = client.get(reverse("admin:auth_user_changelist"))
    assert listing.status_code == 200
    shown = {user.username for user in listing.context["cl"].result_list}
    assert "neighbour" not in shown and "village1" in shown
    change = reverse("admin:auth_user_change", args=[other.official.pk])
    assert client.get(change).status_code == 302  # the admin's "no such object" redirect
    response = client.post(change, {"username": "renamed", "is_active": ""})
    assert response.status_code == 302
    password = reverse("admin:auth_user_password_change", args=[other.official.pk])
    assert client.post(password, {"password1": "x", "password2": "x"}).status_code == 404
    delete = reverse("admin:auth_user_delete", args=[other.official.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    other.official.refresh_from_db()
    assert other.official.username == "neighbour" and other.official.is_active


def test_county_admin_cannot_edit_a_superuser(world, root):
    client = client_for(world.admin)
    grant_role(user=root, role=Role.BUREAU_STAFF, place=world.county)
    page = reverse("admin:auth_user_change", args=[root.pk])
    assert client.get(page).status_code == 302
    client.post(page, {"username": "root2", "is_active": ""})
    root.refresh_from_db()
    assert root.username == "root" and root.is_active


def test_county_admin_cannot_assign_a_role_in_another_county(world, other):
    client = client_for(world.admin)
    response = _add_user(client, "wanderer", township=other.township)
    assert response.status_code == 200
    assert not User.objects.filter(username="wanderer").exists()

    page = reverse("admin:enrollment_roleassignment_add")
    response = client.post(
        page,
        {
            "user": world.village1_user.pk,
            "role": Role.TOWNSHIP_OFFICIAL,
            "township": other.township.pk,
        },
    )
    assert response.status_code == 200
    response = client.post(
        page,
        {"user": other.official.pk, "role": Role.TOWNSHIP_OFFICIAL, "township": world.township1.pk},
    )
    assert response.status_code == 200
    assert (
        not RoleAssignment.objects.filter(township=other.township)
        .exclude(user=other.official)
        .exists()
    )
    assert other.official.role_assignments.count() == 1


def test_county_admin_cannot_see_or_move_another_countys_assignment(world, other):
    client = client_for(world.admin)
    assignment = other.official.role_assignments.get()
    listing = client.get(reverse("admin:enrollment_roleassignment_changelist"))
    assert assignment not in listing.context["cl"].result_list
    page = reverse("admin:enrollment_roleassignment_change", args=[assignment.pk])
    assert client.get(page).status_code == 302
    client.post(
        page,
        {"user": other.official.pk, "role": Role.TOWNSHIP_OFFICIAL, "township": world.township1.pk},
    )
    assignment.refresh_from_db()
    assert assignment.township == other.township


def test_county_admin_assigns_a_role_in_their_county(world):
    client = client_for(world.admin)
    response = client.post(
        reverse("admin:enrollment_roleassignment_add"),
        {
            "user": world.village1_user.pk,
            "role": Role.TOWNSHIP_OFFICIAL,
            "township": world.township2.pk,
        },
    )
    assert response.status_code == 302
    assert world.village1_user.groups.filter(name=Role.TOWNSHIP_OFFICIAL).exists()


def test_county_admin_cannot_grant_the_county_admin_role(world):
    """It carries staff and the admin's model permissions: the superuser's to give."""
    client = client_for(world.admin)
    response = client.post(
        reverse("admin:enrollment_roleassignment_add"),
        {"user": world.village1_user.pk, "role": Role.COUNTY_ADMIN, "county": world.county.pk},
    )
    assert response.status_code == 200
    world.village1_user.refresh_from_db()
    assert not world.village1_user.is_staff
    assert not world.village1_user.role_assignments.filter(role=Role.COUNTY_ADMIN).exists()


def test_a_role_must_be_scoped_to_a_place_of_its_kind(world):
    client = client_for(world.admin)
    response = client.post(
        reverse("admin:enrollment_roleassignment_add"),
        {"user": world.village1_user.pk, "role": Role.VILLAGE_CADRE, "county": world.county.pk},
    )
    assert response.status_code == 200
    assert not world.village1_user.role_assignments.filter(county=world.county).exists()


def test_superuser_may_assign_any_role_anywhere(world, other, root):
    response = client_for(root).post(
        reverse("admin:enrollment_roleassignment_add"),
        {"user": world.village1_user.pk, "role": Role.COUNTY_ADMIN, "county": other.county.pk},
    )
    assert response.status_code == 302
    world.village1_user.refresh_from_db()
    assert world.village1_user.is_staff
    assert world.village1_user.groups.filter(name=Role.COUNTY_ADMIN).exists()


# --- the audit names what changed ---------------------------------------------------------------


def _user_rows(user):
    return AuditEvent.objects.filter(object_type="auth.user", object_id=str(user.pk))


def test_a_user_change_is_audited_with_the_fields_that_changed(world, root):
    start = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    auditors = Group.objects.get(name=Role.AUDITOR)
    response = _post_change(
        client_for(root),
        world.village1_user,
        is_superuser="on",
        is_staff="on",
        is_active="",
        first_name="改名",
        groups=[*world.village1_user.groups.values_list("pk", flat=True), auditors.pk],
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    rows = _user_rows(world.village1_user).filter(pk__gt=start)
    fields = {field for row in rows for field in row.detail.get("fields", [])}
    assert {"is_superuser", "is_staff", "is_active", "first_name", "groups"} <= fields
    assert all(row.detail for row in rows), "no user row without its changed fields"
    groups_row = rows.get(detail__fields=["groups"])
    assert groups_row.detail["added"] == [Role.AUDITOR]


def test_role_assignments_given_and_taken_are_audited_on_the_user(world):
    start = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    assignment = grant_role(user=world.village1_user, role=Role.SCHOOL_STAFF, place=world.school1)
    assignment.delete()
    rows = list(_user_rows(world.village1_user).filter(pk__gt=start).order_by("pk"))
    assert [row.detail["fields"] for row in rows if "role_assignments" in row.detail["fields"]] == [
        ["role_assignments"],
        ["role_assignments"],
    ]
    assert any("removed" in row.detail for row in rows)


def test_a_password_change_names_the_field_not_the_hash(world, root):
    start = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    page = reverse("admin:auth_user_password_change", args=[world.village1_user.pk])
    response = client_for(root).post(
        page,
        {
            "password1": "Another-Horse-7",
            "password2": "Another-Horse-7",
            "set_usable_password": "true",
        },
    )
    assert response.status_code == 302
    world.village1_user.refresh_from_db()
    password_hash = world.village1_user.password
    rows = AuditEvent.objects.filter(pk__gt=start)
    assert any("password" in row.detail.get("fields", []) for row in rows)
    for row in rows:
        text = f"{row.object_repr} {row.detail}"
        assert password_hash not in text
        assert password_hash.split("$")[-1] not in text


def test_county_admin_sees_the_admin_user_list_without_errors(world):
    # The page a county admin opens first: it lists their county's users only.
    client = Client()
    client.force_login(world.admin)
    response = client.get(reverse("admin:auth_user_changelist"))
    assert response.status_code == 200
    shown = {user.username for user in response.context["cl"].result_list}
    assert shown == {
        "admin",
        "bureau",
        "township1",
        "township2",
        "village1",
        "school1",
        "inspector",
        "auditor",
    }
