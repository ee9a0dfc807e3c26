import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.uploads import blank_pdf
from dropout.models import DropoutCase
from dropout.services import cases

PDF_BYTES = blank_pdf()  # uploads are checked whole: a PDF must parse


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def pdf_upload(name="scan.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


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
