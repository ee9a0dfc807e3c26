"""Helpers of the import tests: workbooks built as people send them, uploaded through the pages
with the Celery tasks run in-process as a commit would queue them."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from core.models import ImportJob
from core.resident_id import make_resident_id
from enrollment.import_samples import POLICE_HEADERS, ROLL_HEADERS, write_sheet

from ..conftest import client_for

PLACE = "510302"  # not the factories' birth-place code: no clash with the world's children


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


def new_id(birth_date: datetime.date, sequence: int, sex: str = "M") -> str:
    return make_resident_id(place_code=PLACE, birth_date=birth_date, sequence=sequence, sex=sex)


def id_ending_in_x(birth_date: datetime.date, sex: str = "M") -> str:
    for sequence in range(400, 500):
        number = new_id(birth_date, sequence, sex)
        if number.endswith("X"):
            return number
    raise AssertionError("no X check digit found")


def xlsx_bytes(headers, rows, **options) -> bytes:
    path = Path(__import__("tempfile").mkdtemp()) / "sheet.xlsx"
    write_sheet(path, headers, rows, **options)
    return path.read_bytes()


def police_bytes(rows, **options) -> bytes:
    return xlsx_bytes(POLICE_HEADERS, rows, **options)


def roll_bytes(rows, **options) -> bytes:
    return xlsx_bytes(ROLL_HEADERS, rows, **options)


def upload(user, importer: str, scope_key: str, content: bytes, name="extract.xlsx"):
    """Upload through the page; the dry run runs (eagerly) on commit. Returns (response, job)."""
    client = client_for(user)
    before = set(ImportJob.objects.values_list("pk", flat=True))
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse("core:import_new", args=[importer]),
            {"scope": scope_key, "file": SimpleUploadedFile(name, content)},
        )
    created = ImportJob.objects.exclude(pk__in=before).first()
    return response, created


def commit(user, job):
    client = client_for(user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("core:import_commit", args=[job.pk]))
    job.refresh_from_db()
    return response, job


def errors_of(job) -> list[tuple]:
    return [
        (error["row"], error["column"], error["value"], error["message"])
        for error in job.report["errors"]
    ]


__all__ = ["io"]
