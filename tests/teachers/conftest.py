import datetime
import io
import itertools

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.models import ExportJob
from core.resident_id import make_resident_id
from enrollment.models import EnrollmentStatus
from enrollment.services import change_status
from teachers.models import AllowanceTier, PostType, Recruitment, Subject
from teachers.services import allowances, teachers

from ..factories import ChildFactory, HouseholdFactory, SchoolFactory, VillageFactory

_sequence = itertools.count(1)


def today() -> datetime.date:
    return timezone.localdate()


def new_id(sex="F", birth=datetime.date(1990, 5, 4)) -> str:
    return make_resident_id(
        place_code="510302", birth_date=birth, sequence=next(_sequence), sex=sex
    )


def register(world, school, *, name="张老师", post_type=PostType.REGULAR, **extra):
    values = {
        "resident_id": new_id(),
        "name": name,
        "school": school,
        "post_type": post_type,
        "recruitment": Recruitment.OPEN,
        "recruitment_year": 2015,
        "hire_date": datetime.date(2015, 8, 25),
    }
    values.update(extra)
    return teachers.register_teacher(actor=world.admin, **values)


def enrol(world, school, grade, count):
    """`count` pupils of `grade` on the school's roll."""
    village = school.village or VillageFactory(township=school.township)
    household = HouseholdFactory(village=village)
    for _ in range(count):
        child = ChildFactory(household=household)
        change_status(
            actor=world.loader,
            child=child,
            status=EnrollmentStatus.IN_SCHOOL,
            effective_date=datetime.date(today().year - 1, 9, 1),
            reason="学籍注册",
            school=school,
            grade=grade,
        )


@pytest.fixture
def staff(world):
    """Teachers of school1 (township1) and school2 (township2)."""
    t = type("Staff", (), {})()
    t.teacher1 = register(
        world,
        world.school1,
        name="王一师",
        subjects=[Subject.objects.get_or_create(code="chinese", defaults={"name": "语文"})[0]],
    )
    t.teacher2 = register(world, world.school2, name="李二师")
    return t


@pytest.fixture
def tier(world):
    return AllowanceTier.objects.create(
        county=world.county, name="一类", rank=1, monthly_amount="400.00"
    )


@pytest.fixture
def rural_school2(world, tier):
    allowances.set_school_tier(actor=world.admin, school=world.school2, tier=tier)
    return world.school2


def export_and_read(client, url, data=None):
    """Post the export (queued on commit; eager Celery runs it), download, open the sheet."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, data or {})
    assert response.status_code == 302
    job = ExportJob.objects.order_by("-pk").first()
    assert job.status == ExportJob.Status.DONE, job.error
    download = client.get(reverse("core:export_download", args=[job.pk]))
    return load_workbook(io.BytesIO(b"".join(download.streaming_content))).active


def nine_year_school(world):
    return SchoolFactory(
        township=world.township1,
        village=world.village1,
        stage="nine_year",
        name="一镇九年一贯制学校",
    )
