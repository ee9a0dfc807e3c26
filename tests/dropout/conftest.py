import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.uploads import blank_pdf
from dropout.models import DropoutCase
from dropout.services import cases, exemptions

PDF_BYTES = blank_pdf()  # uploads are checked whole: a PDF must parse


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def pdf_upload(name="scan.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def register_suspension(world, *, actor=None):
    """A month's suspension of child1 for a family matter, registered by `actor` (by default the
    school's staff, so that a township official may approve it: four eyes)."""
    return exemptions.register_exemption(
        actor=actor or world.school1_user,
        child=world.child1,
        kind="suspended",
        reason="other",
        reason_detail="家庭变故",
        start_date=days_ago(1),
        end_date=days_ago(-30),
        application_scan=pdf_upload(),
    )


def exemption_body(world) -> dict:
    """The API's multipart body registering a suspension of child1 for an illness, with the
    application scan and the medical evidence."""
    return {
        "child": world.child1.pk,
        "kind": "suspended",
        "reason": "illness",
        "reason_detail": "住院",
        "start_date": days_ago(5).isoformat(),
        "end_date": days_ago(-100).isoformat(),
        "application_scan": pdf_upload(),
        "evidence": pdf_upload("c.pdf"),
    }


@pytest.fixture
def case(world, legal_texts):
    """child1 of township1 dropped out 40 days ago; the case is reported."""
    return cases.open_case(
        actor=world.township1_user,
        child=world.child1,
        cause=DropoutCase.Cause.WORK,
        cause_detail="随父母外出务工",
        responsible_persons="镇长 张三\n校长 李四",
        opened_on=days_ago(40),
    )


def persuade(world, case, times=2, start=35):
    for index in range(times):
        cases.log_persuasion(
            actor=world.township1_user,
            case=case,
            date=days_ago(start - index),
            visitors="班主任",
            officers=[world.township1_user, world.village1_user],
            what_was_said="宣讲义务教育法",
            family_answer="不愿返校",
            result="refused",
        )
