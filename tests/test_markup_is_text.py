"""XSS: names and notes with markup are shown as text in pages, notices, PDFs and Excel."""

import io
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.models import ExportJob
from dropout.models import DropoutCase, MonthlyReport
from dropout.reports import previous_month
from dropout.services import cases
from dropout.services import reports as report_services

from .conftest import client_for
from .dropout.conftest import days_ago, persuade
from .dropout.test_case_transitions import _notice
from .factories import ChildFactory

NAME = '<img src=x onerror="alert(1)">王'
NOTE = "<script>alert('包保')</script>"
ESCAPED_NAME = "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;王"


@pytest.fixture
def marked_case(world, legal_texts):
    child = ChildFactory(household=world.household1, name=NAME, guardian_name="<b>家长</b>")
    case = cases.open_case(
        actor=world.township1_user,
        child=child,
        cause=DropoutCase.Cause.WORK,
        cause_detail=NOTE,
        responsible_persons=NOTE,
        opened_on=days_ago(40),
    )
    persuade(world, case)
    _notice(world, case)
    return case


def _raw_markup_absent(html: str):
    assert '<img src=x onerror="alert(1)">' not in html
    assert "<script>alert('包保')</script>" not in html


def test_pages_show_markup_as_text(world, marked_case, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(world.township1_user)
    notice = marked_case.documents.get()
    report_services.generate_month(county=world.county, month=previous_month(timezone.localdate()))
    report = MonthlyReport.objects.get(township=world.township1)
    for url in (
        reverse("enrollment:child_detail", args=[marked_case.child.pk]),
        reverse("enrollment:township_ledger", args=[world.township1.pk]) + "?status=dropped_out",
        reverse("dropout:case_detail", args=[marked_case.pk]),
        reverse("dropout:case_list") + "?queue=all",
        reverse("dropout:document_page", args=[notice.pk]),
        reverse("dropout:report_detail", args=[report.pk]),
    ):
        html = client.get(url).content.decode()
        assert ESCAPED_NAME in html, url
        _raw_markup_absent(html)


def test_the_notice_pdf_prints_the_markup_as_text(world, marked_case, tmp_path):
    notice = marked_case.documents.get()
    response = client_for(world.township1_user).get(
        reverse("dropout:document_pdf", args=[notice.pk])
    )
    path = tmp_path / "notice.pdf"
    path.write_bytes(
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = "".join(text.split())  # pdftotext breaks lines where the layout does
    assert '<imgsrc=xonerror="alert(1)">王' in flat


def test_excel_holds_the_markup_as_plain_text(
    world, marked_case, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(world.township1_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("enrollment:export_ledger", args=["township", world.township1.pk]))
    job = ExportJob.objects.get()
    download = client.get(reverse("core:export_download", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert NAME in names
    row = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == NAME)
    assert row[1].data_type == "s"  # a string cell, not a formula or rich text
