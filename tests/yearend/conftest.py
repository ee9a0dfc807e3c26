import datetime

import pytest
from django.utils import timezone

from inspections.models import Complaint
from inspections.services import complaints, inspections
from tests.inspections.conftest import area, raise_issue


@pytest.fixture(autouse=True)
def _media(media):
    """Every summary writes its workbook: under the test's own directory."""
    return media


def this_year() -> int:
    return timezone.localdate().year


def inspect(world, *, day: datetime.date, unit, group=None):
    return inspections.record_inspection(
        actor=world.inspector,
        county=world.county,
        date=day,
        unit=unit,
        areas=[area("学生资助")],
        summary="查阅资助台账",
        group=group,
    )


def complain(world, *, day: datetime.date, unit):
    return complaints.register_complaint(
        actor=world.inspector,
        county=world.county,
        channel=Complaint.Channel.BOX,
        received_on=day,
        content="匿名反映食堂问题",
        is_anonymous=True,
        handlers=[world.inspector],
        unit=unit,
    )


@pytest.fixture
def inspected(world):
    return inspect_this_and_last_year(world)


def inspect_this_and_last_year(world):
    """This year: three inspections (two of township1's units, one of township2's), two issues
    in township1 and one in township2, one complaint in each township. Last year: one
    inspection, one issue and one complaint in township1, which this year's figures never
    count."""
    year = this_year()
    day = min(timezone.localdate(), datetime.date(year, 6, 1))
    last_year = datetime.date(year - 1, 6, 1)
    for unit in (world.school1, world.township1, world.school2):
        inspect(world, day=day, unit=unit)
    inspect(world, day=last_year, unit=world.school1)
    raise_issue(world, unit=world.school1, found_on=day)
    raise_issue(world, unit=world.township1, found_on=day)
    raise_issue(world, unit=world.school2, found_on=day)
    raise_issue(
        world, unit=world.school1, found_on=last_year, deadline=datetime.date(year - 1, 9, 1)
    )
    complain(world, day=day, unit=world.school1)
    complain(world, day=day, unit=world.school2)
    complain(world, day=last_year, unit=world.school1)
    return world
