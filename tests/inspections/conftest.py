import datetime
import importlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.uploads import blank_pdf
from inspections.models import Area, BureauSection, Complaint
from inspections.services import complaints, inspections, issues

AREAS = importlib.import_module("inspections.migrations.0002_seed_areas").AREAS
PDF_BYTES = blank_pdf()  # uploads are checked whole: a PDF must parse


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def days_ahead(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def pdf_upload(name="evidence.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def area(name="学生资助") -> Area:
    # The list is seeded by a data migration; a transactional test elsewhere may have flushed it.
    return Area.objects.get_or_create(name=name)[0]


@pytest.fixture
def areas(db):
    return [area(name) for name in AREAS]


@pytest.fixture
def world(world, areas):
    """The shared world, with the seeded list of areas present."""
    return world


@pytest.fixture
def section(world):
    return BureauSection.objects.create(county=world.county, name="计划财务股")


@pytest.fixture
def campaign(world):
    return inspections.create_campaign(
        actor=world.inspector,
        county=world.county,
        name="扶贫领域腐败和作风问题专项治理",
        start_date=days_ago(100),
        end_date=days_ahead(100),
    )


@pytest.fixture
def inspection(world, campaign):
    return inspections.record_inspection(
        actor=world.inspector,
        county=world.county,
        date=days_ago(30),
        unit=world.school1,
        areas=[area("学生资助"), area("营养餐")],
        summary="查阅资助台账",
        campaign=campaign,
    )


def raise_issue(world, *, unit=None, deadline=None, inspection=None, area_name="学生资助", **extra):
    values = {
        "actor": world.inspector,
        "county": world.county,
        "unit": unit or world.school1,
        "area": area(area_name),
        "category": "funds",
        "description": "建档立卡学生生活补助未足额发放",
        "responsible_person": "张校长",
        "measures": "补发并公示",
        "deadline": deadline or days_ahead(20),
        "inspection": inspection,
        "found_on": days_ago(30) if inspection is None else None,
    }
    values.update(extra)
    return issues.raise_issue(**values)


@pytest.fixture
def issue(world, inspection):
    """An open issue addressed to school1, due in 20 days."""
    return raise_issue(world, inspection=inspection)


def submitted(world, issue):
    return issues.submit_rectification(
        actor=world.school1_user, issue=issue, note="已补发", evidence_file=pdf_upload()
    )


@pytest.fixture
def named_complaint(world):
    """A named complaint about school1, handled by the inspector only."""
    return complaints.register_complaint(
        actor=world.admin,
        county=world.county,
        channel=Complaint.Channel.PHONE,
        received_on=days_ago(10),
        content="反映营养餐分量不足",
        is_anonymous=False,
        complainant_name="刘建国",
        complainant_contact="13912345678",
        handlers=[world.inspector],
        unit=world.school1,
    )


@pytest.fixture
def anonymous_complaint(world):
    return complaints.register_complaint(
        actor=world.inspector,
        county=world.county,
        channel=Complaint.Channel.BOX,
        received_on=days_ago(5),
        content="匿名反映食堂问题",
        is_anonymous=True,
        handlers=[world.inspector],
        unit=world.township1,
    )
