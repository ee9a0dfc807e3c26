"""Files that cannot be trusted are refused before any reader builds a grid of them, each with a
clear message, and nothing is written."""

import datetime
import io
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.imports import clean_id, clean_text, parse_bool, parse_date
from core.models import ImportJob
from enrollment.models import Child

from ..conftest import client_for
from .conftest import police_bytes, upload


def _valid(world) -> bytes:
    from enrollment.import_samples import police_row

    return police_bytes([police_row(1, world.child1)])


def _rewrite(content: bytes, replace: dict, add: dict | None = None) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename in replace:
                data = replace[item.filename](data)
            target.writestr(item.filename, data)
        for name, data in (add or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def _refused(world, content: bytes, name="extract.xlsx") -> ImportJob:
    before = Child.objects.count()
    response, job = upload(
        world.township1_user, "police_extract", f"township:{world.township1.pk}", content, name
    )
    assert response.status_code == 302
    assert job.status == ImportJob.Status.REJECTED
    assert Child.objects.count() == before
    assert job.rows_total == 0 and job.report == {}
    return job


def test_a_valid_file_passes_the_checks(world):
    _response, job = upload(
        world.township1_user, "police_extract", f"township:{world.township1.pk}", _valid(world)
    )
    assert job.status == ImportJob.Status.CHECKED, job.error


def test_zip_bomb_is_refused_from_the_declared_sizes(world):
    content = _rewrite(_valid(world), {}, add={"xl/media/image1.png": b"\0" * (30 * 1048576)})
    job = _refused(world, content)
    assert "压缩炸弹" in job.error


def test_billion_laughs_inside_the_workbook_is_refused(world):
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        b'uniqueCount="1"><si><t>&lol2;</t></si></sst>'
    )
    content = _rewrite(_valid(world), {"xl/sharedStrings.xml": lambda data: laughs})
    job = _refused(world, content)
    assert "十亿笑声" in job.error


def test_a_sheet_declaring_a_million_rows_is_refused(world):
    def huge(data: bytes) -> bytes:
        import re

        return re.sub(rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1:K1000000"/>', data)

    job = _refused(world, _rewrite(_valid(world), {"xl/worksheets/sheet1.xml": huge}))
    assert "1,000,000" in job.error


def test_a_sheet_with_a_cell_on_row_a_million_is_refused(world):
    def far(data: bytes) -> bytes:
        return data.replace(
            b"</sheetData>", b'<row r="1000000"><c r="A1000000"><v>1</v></c></row></sheetData>'
        )

    job = _refused(world, _rewrite(_valid(world), {"xl/worksheets/sheet1.xml": far}))
    assert "1,000,000" in job.error


def test_a_renamed_non_excel_file_is_refused(world):
    job = _refused(world, "姓名,公民身份号码\n张三,510304\n".encode(), "extract.xlsx")
    assert "不是 Excel 工作簿" in job.error
    word = io.BytesIO()
    with zipfile.ZipFile(word, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    job = _refused(world, word.getvalue(), "extract.xlsx")
    assert "不是 Excel 工作簿" in job.error


def test_a_macro_enabled_workbook_is_refused(world):
    job = _refused(world, _valid(world), "extract.xlsm")
    assert ".xlsm" in job.error
    with_macros = _rewrite(_valid(world), {}, add={"xl/vbaProject.bin": b"macro"})
    job = _refused(world, with_macros, "extract.xlsx")
    assert ".xlsm" in job.error


def test_an_encrypted_workbook_is_refused(world):
    # An encrypted .xlsx is an OLE2 compound file holding EncryptionInfo and EncryptedPackage.
    content = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 504
        + "EncryptionInfo".encode("utf-16-le")
        + b"\0" * 64
        + "EncryptedPackage".encode("utf-16-le")
        + b"\0" * 1024
    )
    job = _refused(world, content)
    assert "密码" in job.error
    legacy = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2048
    job = _refused(world, legacy, "extract.xls")
    assert ".xls" in job.error


def test_an_oversized_file_is_refused(world, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1024
    job = _refused(world, _valid(world))
    assert "最多可导入" in job.error


def test_a_sheet_without_the_header_row_names_the_missing_columns(world):
    from .conftest import xlsx_bytes

    _response, job = upload(
        world.township1_user,
        "police_extract",
        f"township:{world.township1.pk}",
        xlsx_bytes(["姓名", "身份证"], [["张三", "1"]]),
    )
    assert job.status == ImportJob.Status.REJECTED
    message = job.report["errors"][0]["message"]
    assert message.startswith("未找到表头行：缺少列 性别、公民身份号码、出生日期")


def test_normalisers_read_what_a_person_meant():
    assert clean_id(" ５１０３０４ 2015 0304 123x ") == "510304201503041230"[:17] + "X"
    assert clean_text("王小明\u3000\u3000") == "王小明"
    assert clean_text("（一）组") == "（一）组"
    for raw in (
        "2015.3.4",
        "2015年3月4日",
        "2015/03/04",
        "2015-3-4",
        "20150304",
        42067.0,
        datetime.datetime(2015, 3, 4, 0, 0),
    ):
        assert parse_date(raw) == datetime.date(2015, 3, 4), raw
    for raw in ("2015.13.4", "去年", 3.5):
        with pytest.raises(ValueError):
            parse_date(raw)
    assert parse_bool("是") and not parse_bool("") and parse_bool("√")


@pytest.mark.parametrize("importer", ["police_extract", "school_roll"])
def test_templates_hold_the_header_row_and_one_example_row(world, importer):
    from core.imports import get_importer

    response = client_for(world.township1_user).get(
        reverse("core:import_template", args=[importer])
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    columns = get_importer(importer).columns
    assert [cell.value for cell in sheet[1]] == [column.header for column in columns]
    assert sheet.max_row == 2
    id_column = [column.header for column in columns].index("公民身份号码")
    assert sheet.cell(row=2, column=id_column + 1).data_type == "s"
