"""The streamed reading of a large sheet (core.imports.sheet_stream) gives what calamine gives,
and a police extract read that way reports and imports exactly as one read whole."""

import datetime
import tempfile
from pathlib import Path

import pytest
import xlsxwriter

from core.imports import OutcomeTally, RowOutcome, SheetRow
from core.imports.sheet_stream import SheetStream
from core.imports.workbook import check_workbook, read_grid
from core.models import ImportJob
from enrollment.import_samples import Formula, Number

from .conftest import commit, errors_of, upload
from .test_police_extract import Extract, _counts

EXAMPLES = Path(__file__).resolve().parents[2] / "enrollment/static/enrollment/import-examples"


def _streamed_grid(path) -> list[list]:
    scan = check_workbook(path)
    rows = dict(SheetStream(path, scan.path).rows())
    grid = read_grid(path)
    width = max((len(cells) for cells in grid), default=0)
    return [
        rows.get(number, []) + [""] * (width - len(rows.get(number, [])))
        for number in range(1, len(grid) + 1)
    ]


def _typed(grid):
    return [[(type(cell), cell) for cell in row] for row in grid]


@pytest.mark.parametrize("name", sorted(path.name for path in EXAMPLES.glob("*.xlsx")))
def test_the_example_workbooks_stream_as_calamine_reads_them(name):
    path = EXAMPLES / name
    assert _typed(_streamed_grid(path)) == _typed(read_grid(path))


@pytest.mark.parametrize("constant_memory", [False, True])  # shared strings, inline strings
def test_every_kind_of_cell_streams_as_calamine_reads_it(constant_memory):
    path = Path(tempfile.mkdtemp()) / "cells.xlsx"
    workbook = xlsxwriter.Workbook(
        str(path), {"constant_memory": constant_memory, "strings_to_numbers": False}
    )
    sheet = workbook.add_worksheet()
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    chinese_date = workbook.add_format({"num_format": 31})  # yyyy"年"m"月"d"日"
    moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    clock = workbook.add_format({"num_format": "hh:mm:ss"})
    text = workbook.add_format({"num_format": "@"})
    sheet.write_string(0, 0, "标题 <&> \"引号\" 'x'")
    sheet.write_row(2, 0, ["姓名", "金额", "是否", "日期"])
    sheet.write_string(3, 0, "王小明\u3000", text)
    sheet.write_number(3, 1, 625.5)
    sheet.write_boolean(3, 2, True)
    sheet.write_datetime(3, 3, datetime.datetime(2015, 3, 4), date)
    sheet.write_number(4, 1, 5.10304201503041e17)
    sheet.write_boolean(4, 2, False)
    sheet.write_datetime(4, 3, datetime.datetime(2016, 5, 4), chinese_date)
    sheet.write_datetime(5, 3, datetime.datetime(2016, 5, 4, 8, 30), moment)
    sheet.write_datetime(6, 3, datetime.time(8, 30, 15), clock)
    sheet.write_number(7, 3, 42000)
    sheet.write_formula(8, 0, "=1/0", None, "#DIV/0!")
    sheet.write_formula(8, 1, '="a"&"b"', None, "ab")
    sheet.write_formula(8, 2, "=1+1", None, 2)
    sheet.write_string(9, 5, "line\r\nbreak & more")
    sheet.write_number(12, 0, 1)  # rows 11 and 12 empty
    sheet.write_string(20, 51, "AZ")
    workbook.close()
    assert _typed(_streamed_grid(path)) == _typed(read_grid(path))


def test_the_tally_reports_in_the_files_order_across_passes():
    tally = OutcomeTally()

    def outcome(number, kind="new", error=None):
        result = RowOutcome(SheetRow(number, {}))
        result.kind = kind
        if error:
            result.error("列", "x", error)
        return result

    tally.add(outcome(5, error="bad"))
    tally.add(outcome(9, error="worse"))
    tally.next_pass()
    tally.add(outcome(2))
    tally.add(outcome(7, kind="unchanged"))
    tally.add(outcome(8, error="late"))
    assert [error.row for error in tally.first_errors()] == [5, 8, 9]
    assert [row["row"] for row in tally.first_rows()] == [2, 5, 8, 9]
    assert tally.counts == {"new": 1, "changed": 0, "unchanged": 1, "error": 3}
    assert (tally.total, tally.rows_total, tally.errors_total) == (5, 4, 3)


@pytest.fixture
def streamed(settings):
    settings.IMPORT_STREAM_SHEET_BYTES = 0  # every sheet streamed


def _police_job(world, content):
    _response, job = upload(
        world.township1_user, "police_extract", f"township:{world.township1.pk}", content
    )
    return job


def test_a_streamed_messy_extract_reports_exactly_as_one_read_whole(world, settings):
    extract = Extract(world)
    whole = _police_job(world, extract.messy_file())
    settings.IMPORT_STREAM_SHEET_BYTES = 0
    before = _counts()
    streamed = _police_job(world, extract.messy_file())
    assert streamed.status == whole.status == ImportJob.Status.REJECTED
    assert errors_of(streamed) == errors_of(whole)
    assert len(errors_of(streamed)) == 9
    assert streamed.report == whole.report
    assert (streamed.rows_total, streamed.rows_error) == (whole.rows_total, whole.rows_error)
    assert _counts() == before


def test_a_streamed_extract_imports(world, streamed):
    extract = Extract(world)
    job = _police_job(world, extract.corrected_file())
    assert job.status == ImportJob.Status.CHECKED, job.report
    assert (job.rows_new, job.rows_changed, job.rows_unchanged, job.rows_error) == (11, 1, 1, 0)
    _response, job = commit(world.township1_user, job)
    assert job.status == ImportJob.Status.COMMITTED, job.error


def test_numbers_and_formulas_stream_into_the_same_errors(world, settings):
    from .conftest import police_bytes

    extract = Extract(world)
    rows = [list(row) for row in extract.good[:3]]
    rows[0][3] = Number(float(rows[0][3][:15] + "000"))
    rows[1][1] = Formula('="钱"&"二"', "钱二")
    content = police_bytes(rows)
    whole = _police_job(world, content)
    settings.IMPORT_STREAM_SHEET_BYTES = 0
    streamed = _police_job(world, content)
    assert errors_of(streamed) == errors_of(whole)
    assert len(errors_of(whole)) == 2
