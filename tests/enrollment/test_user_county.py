""" "The user's county" is computed once (enrollment.permissions.user_county), with one rule for a
user of several counties; the shared inspection areas are edited only by whoever answers for
every county; the menus take their role sets from the importers and the cross-check."""

import pytest
from django.core.exceptions import PermissionDenied

from enrollment.menus import import_roles
from enrollment.permissions import user_county
from enrollment.roles import Role
from enrollment.services import grant_role
from inspections.models import Area
from inspections.services.inspections import add_area

from ..factories import CountyFactory, TownshipFactory, UserFactory


def test_every_scope_kind_gives_its_county(world):
    for user in (world.admin, world.township1_user, world.village1_user, world.school1_user):
        assert user_county(user) == world.county
    assert user_county(world.nobody) is None


def test_a_user_of_several_counties_works_in_the_lowest_coded_one_whatever_the_order(world):
    lower = CountyFactory(code="510100", name="甲县")
    higher = CountyFactory(code="510900", name="乙县")
    user = UserFactory(username="city")
    grant_role(user=user, role=Role.BUREAU_STAFF, place=higher)
    grant_role(user=user, role=Role.TOWNSHIP_OFFICIAL, place=TownshipFactory(county=lower))
    assert user_county(user) == lower
    # Only the counties where the user holds the roles asked for.
    assert user_county(user, roles={Role.BUREAU_STAFF}) == higher
    assert user_county(user, roles={Role.INSPECTOR}) is None


def test_a_superuser_without_assignments_works_in_the_lowest_coded_county(world):
    CountyFactory(code="510100", name="甲县")
    superuser = UserFactory(username="root", is_superuser=True)
    assert user_county(superuser).code == "510100"


def test_one_countys_inspector_cannot_change_the_areas_every_county_shares(world):
    add_area(actor=world.inspector, county=world.county, name="校园安全")
    assert Area.objects.filter(name="校园安全").exists()
    other = CountyFactory(code="510400", name="邻县")
    with pytest.raises(PermissionDenied):
        add_area(actor=world.inspector, county=world.county, name="食品安全")
    grant_role(user=world.inspector, role=Role.INSPECTOR, place=other)
    add_area(actor=world.inspector, county=world.county, name="食品安全")


def test_the_import_menu_is_offered_to_the_roles_the_importers_declare(world):
    assert import_roles() == {
        Role.COUNTY_ADMIN,
        Role.BUREAU_STAFF,
        Role.TOWNSHIP_OFFICIAL,
        Role.SCHOOL_STAFF,
    }
