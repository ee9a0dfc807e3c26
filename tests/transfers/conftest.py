import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.uploads import blank_pdf
from enrollment.models import Child
from enrollment.roles import Role
from enrollment.services import grant_role
from transfers import services

from ..factories import (
    CountyFactory,
    HouseholdFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
)


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def pdf_upload(name="scan.pdf"):
    return SimpleUploadedFile(name, blank_pdf(), content_type="application/pdf")


def in_ledger(user, child) -> bool:
    return Child.objects.for_user(user).filter(pk=child.pk).exists()


@pytest.fixture
def other_county(world):
    """A second county of the deployment with its bureau, a township and its official."""
    county = CountyFactory(code="510400", name="邻县")
    township = TownshipFactory(county=county, name="邻镇")
    village = VillageFactory(township=township, name="邻村")
    household = HouseholdFactory(village=village, head_name="赵邻")
    bureau = UserFactory(username="bureau2")
    grant_role(user=bureau, role=Role.BUREAU_STAFF, place=county)
    official = UserFactory(username="township_c2")
    grant_role(user=official, role=Role.TOWNSHIP_OFFICIAL, place=township)
    return type(
        "OtherCounty",
        (),
        {
            "county": county,
            "township": township,
            "village": village,
            "household": household,
            "bureau": bureau,
            "official": official,
        },
    )


@pytest.fixture
def proposed(world):
    """child1 of township 1 proposed to village 2 of township 2 by township 1's official."""
    return services.propose_transfer(
        actor=world.township1_user,
        child=world.child1,
        to_village=world.village2,
        reason="随母亲迁居",
        new_address="二村河西组5号",
        new_household_head="张桂芳",
    )


@pytest.fixture
def moved_out(world):
    return services.move_out(
        actor=world.township1_user,
        child=world.child1,
        destination="广东省深圳市宝安区教育局",
        destination_school="西乡中心小学",
        reason="随父母外出务工",
    )
