"""Reading back the dropout-control ledgers' workbooks: the ledger's export posted as the user,
the finished job's workbook downloaded, its rows as dicts by header."""

import datetime
import io

from django.test import TestCase
from django.urls import reverse
from openpyxl import load_workbook

from core.models import ExportJob
from dropout.ledgers import (
    ABSENCE_COLUMNS,
    DOCUMENT_COLUMNS,
    EXEMPTION_COLUMNS,
    MEASURE_COLUMNS,
    PERSUASION_COLUMNS,
)
from dropout.register import REGISTER_COLUMNS
from enrollment.ledger_exports import PAIRING_COLUMNS, VISIT_COLUMNS

from ..conftest import client_for

HEADERS = {
    "persuasions": PERSUASION_COLUMNS,
    "documents": DOCUMENT_COLUMNS,
    "measures": MEASURE_COLUMNS,
    "exemptions": EXEMPTION_COLUMNS,
    "absences": ABSENCE_COLUMNS,
    "visits": VISIT_COLUMNS,
    "pairings": PAIRING_COLUMNS,
    "register": REGISTER_COLUMNS,
}


def export_ledger(client, name, **data):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("dropout:ledger_export", args=[name]), data)


def sheet_of(client, job=None):
    job = job or ExportJob.objects.latest("pk")
    assert job.status == "done", job.error
    response = client.get(reverse("core:export_download", args=[job.pk]))
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def rows_of(sheet) -> list[dict]:
    headers = [cell.value for cell in sheet[1]]
    return [
        dict(zip(headers, [cell.value for cell in row], strict=True))
        for row in sheet.iter_rows(min_row=2)
    ]


def as_date(value):
    return value.date() if isinstance(value, datetime.datetime) else value


def is_date(sheet, header, row=2) -> bool:
    column = [cell.value for cell in sheet[1]].index(header) + 1
    return sheet.cell(row=row, column=column).is_date


def exported(world, name, user=None, **data):
    client = client_for(user or world.township1_user)
    response = export_ledger(client, name, **data)
    assert response.status_code == 302, response.content.decode()[:500]
    sheet = sheet_of(client)
    assert [cell.value for cell in sheet[1]] == [header for header, _width in HEADERS[name]]
    return sheet, rows_of(sheet)
