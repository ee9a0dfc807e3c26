"""The annual summary (年度工作数据): generating a snapshot for the county or a township, who may
read, generate and approve it, its drill-downs, workbook and Word document."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.test import TestCase
from docx import Document

from core.annual import register_annual_section
from core.models import AuditEvent
from core.periods import rows_checksum
from tests.conftest import api_for, client_for
from yearend.models import AnnualSummary, SummaryRun
from yearend.services import generate_summary

from .conftest import this_year

pytestmark = pytest.mark.django_db

SECTION_ORDER = ["enrollment", "dropout", "risk", "subsidies", "inspections", "teachers"]


def generate(client, scope: str, year: int | None = None):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/yearend/generate/", {"year": year or this_year(), "scope": scope})


def figures_of(summary: AnnualSummary, section: str) -> dict:
    found = next(s for s in summary.sections if s["key"] == section)
    return {figure["key"]: figure["value"] for figure in found["figures"]}


def county_summary(world, year=None) -> AnnualSummary:
    return generate_summary(
        county=world.county, township=None, year=year or this_year(), actor=world.bureau
    )


def test_bureau_generates_the_county_summary_with_every_registered_section(world, inspected):
    response = generate(client_for(world.bureau), f"county:{world.county.pk}")
    run = SummaryRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/yearend/runs/{run.pk}/"
    assert run.status == SummaryRun.Status.DONE and run.summary is not None
    summary = run.summary
    assert summary.township is None and summary.year == this_year()
    keys = [section["key"] for section in summary.sections]
    assert keys == [key for key in SECTION_ORDER if key in keys]
    assert "inspections" in keys and len(keys) >= 2
    for section in summary.sections:
        for figure in section["figures"]:
            assert figure["key"].startswith(section["key"] + ".") or "." in figure["key"]


def test_inspection_figures_are_counted_by_hand_for_the_county_and_a_township(world, inspected):
    county = figures_of(county_summary(world), "inspections")
    assert county["inspections.inspections"] == 3
    assert county["inspections.units"] == 3
    assert county["inspections.issues_found"] == 3
    assert county["inspections.issues_closed"] == 0
    assert county["inspections.complaints"] == 2
    township = generate_summary(
        county=world.county, township=world.township1, year=this_year(), actor=world.bureau
    )
    township_figures = figures_of(township, "inspections")
    assert township_figures["inspections.inspections"] == 2
    assert township_figures["inspections.issues_found"] == 2
    assert township_figures["inspections.complaints"] == 1
    last_year = figures_of(county_summary(world, this_year() - 1), "inspections")
    assert last_year["inspections.inspections"] == 1
    assert last_year["inspections.issues_found"] == 1
    assert last_year["inspections.complaints"] == 1


def test_the_report_sentence_is_filled_in_from_the_figures(world, inspected):
    summary = county_summary(world)
    section = next(s for s in summary.sections if s["key"] == "inspections")
    assert any("纵向监督检查3次，发现问题3个" in sentence for sentence in section["sentences"])
    page = client_for(world.bureau).get(f"/yearend/{summary.pk}/").content.decode()
    assert "纵向监督检查3次，发现问题3个" in page


def test_a_drill_down_lists_exactly_the_rows_behind_the_figure(world, inspected):
    summary = generate_summary(
        county=world.county, township=world.township1, year=this_year(), actor=world.bureau
    )
    section = next(s for s in summary.sections if s["key"] == "inspections")
    by_key = {figure["key"]: figure for figure in section["figures"]}
    client = client_for(world.bureau)
    inspections_page = client.get(by_key["inspections.inspections"]["drill_url"])
    assert inspections_page.status_code == 200
    assert inspections_page.context["page"].paginator.count == 2
    ledger = client.get(by_key["inspections.issues_found"]["drill_url"])
    assert ledger.context["figures"].total["found"] == 2
    rectified = client.get(by_key["inspections.issues_rectified"]["drill_url"])
    assert (
        rectified.context["figures"].total["found"]
        == 0
        == by_key["inspections.issues_rectified"]["value"]
    )
    complaints_page = client.get(by_key["inspections.complaints"]["drill_url"])
    assert complaints_page.context["page"].paginator.count == 1


def test_a_township_official_generates_only_their_own_township(world, inspected):
    client = client_for(world.township1_user)
    assert generate(client, f"township:{world.township1.pk}").status_code == 302
    summary = AnnualSummary.objects.get()
    assert summary.township == world.township1
    assert generate(client, f"township:{world.township2.pk}").status_code == 404
    assert generate(client, f"county:{world.county.pk}").status_code == 404
    assert AnnualSummary.objects.count() == 1


def test_roles_without_the_right_cannot_generate(world):
    for user in (world.auditor, world.inspector, world.village1_user, world.school1_user):
        assert generate(client_for(user), f"county:{world.county.pk}").status_code == 403
    assert not SummaryRun.objects.exists()


def test_bad_input_gets_a_clear_error_and_changes_nothing(world):
    client = client_for(world.bureau)
    for year in ("abc", "1999", str(this_year() + 1), ""):
        response = client.post(
            "/yearend/generate/", {"year": year, "scope": f"county:{world.county.pk}"}
        )
        assert response.status_code == 302 and response["Location"] == "/yearend/"
        page = client.get("/yearend/").content.decode()
        assert "年份" in page or "year" in page.lower()
    assert generate(client, "county:999999").status_code == 404
    assert generate(client, "nonsense").status_code == 404
    assert not SummaryRun.objects.exists() and not AnnualSummary.objects.exists()


def test_other_townships_and_outsiders_cannot_read_a_summary(world, inspected):
    township1 = generate_summary(
        county=world.county, township=world.township1, year=this_year(), actor=world.bureau
    )
    county = county_summary(world)
    other = client_for(world.township2_user)
    for path in ("", "workbook/", "document/"):
        assert other.get(f"/yearend/{township1.pk}/{path}").status_code == 404
        assert other.get(f"/yearend/{county.pk}/{path}").status_code == 404
    own = client_for(world.township1_user)
    assert own.get(f"/yearend/{township1.pk}/").status_code == 200
    assert own.get(f"/yearend/{county.pk}/").status_code == 404
    listed = own.get("/yearend/").context["summaries"]
    assert [summary.pk for summary in listed] == [township1.pk]


def test_the_auditor_reads_and_downloads_but_cannot_approve(world, inspected):
    summary = county_summary(world)
    auditor = client_for(world.auditor)
    assert auditor.get(f"/yearend/{summary.pk}/").status_code == 200
    download = auditor.get(f"/yearend/{summary.pk}/workbook/")
    assert download.status_code == 200
    b"".join(download.streaming_content)
    assert auditor.get(f"/yearend/{summary.pk}/document/").status_code == 200
    assert (
        AuditEvent.objects.filter(user=world.auditor, action=AuditEvent.Action.EXPORT).count() == 2
    )
    assert auditor.post(f"/yearend/{summary.pk}/approve/").status_code == 403
    assert client_for(world.township1_user).post(f"/yearend/{summary.pk}/approve/").status_code in (
        403,
        404,
    )
    summary.refresh_from_db()
    assert not summary.is_approved


def test_approval_locks_the_year_against_regeneration(world, inspected):
    summary = county_summary(world)
    client = client_for(world.bureau)
    assert client.post(f"/yearend/{summary.pk}/approve/").status_code == 302
    summary.refresh_from_db()
    assert summary.is_approved and summary.approved_by == world.bureau
    before = (summary.sections, summary.workbook.read())
    client.post(f"/yearend/{summary.pk}/approve/")  # twice: refused, nothing changes
    generate(client, f"county:{world.county.pk}")
    run = SummaryRun.objects.last()
    assert run is None or run.status != SummaryRun.Status.DONE
    page = client.get("/yearend/").content.decode()
    assert "锁定" in page or "locked" in page
    summary.refresh_from_db()
    assert (summary.sections, summary.workbook.read()) == before


def test_a_correction_to_a_locked_year_is_listed_on_the_next_year_and_changes_nothing(
    world, inspected
):
    from .conftest import inspect

    locked = county_summary(world, this_year() - 1)
    client_for(world.bureau).post(f"/yearend/{locked.pk}/approve/")
    locked.refresh_from_db()
    approved_sections, approved_workbook = locked.sections, locked.workbook.read()
    # A late entry dated inside the locked year.
    inspect(world, day=__import__("datetime").date(this_year() - 1, 11, 3), unit=world.school2)
    current = county_summary(world)
    adjustments = {item["key"]: item for item in current.adjustments}
    assert adjustments["inspections.inspections"]["year"] == this_year() - 1
    assert adjustments["inspections.inspections"]["approved"] == 1
    assert adjustments["inspections.inspections"]["current"] == 2
    assert adjustments["inspections.inspections"]["difference"] == 1
    locked.refresh_from_db()
    assert locked.sections == approved_sections
    assert locked.workbook.read() == approved_workbook
    page = client_for(world.auditor).get(f"/yearend/{current.pk}/").content.decode()
    assert 'id="adjustments"' in page
    sheet = openpyxl.load_workbook(io.BytesIO(current.workbook.read()))["锁定后调整"]
    rows = [row for row in sheet.iter_rows(min_row=2, values_only=True) if any(row)]
    assert [row[0] for row in rows if row[5] == "inspections.inspections"] == [this_year() - 1]


def test_the_workbook_reproduces_the_figures_with_counts_and_checksums_on_its_cover(
    world, inspected
):
    summary = county_summary(world)
    book = openpyxl.load_workbook(io.BytesIO(summary.workbook.read()))
    assert book.sheetnames[0] == "封面"
    figures = book["年度工作数据"]
    rows = [row for row in figures.iter_rows(min_row=2, values_only=True) if any(row)]
    stored = [
        (section["title"], figure["label"], figure["value"], figure["key"])
        for section in summary.sections
        for figure in section["figures"]
    ]
    assert len(rows) == len(stored)
    for row, (title, label, value, key) in zip(rows, stored, strict=True):
        assert (row[0], row[1], row[5]) == (title, label, key)
        if value is None:
            assert row[2] is None
        elif isinstance(value, str):
            assert Decimal(str(row[2])) == Decimal(value)
        else:
            assert row[2] == value
    cover = {
        row[0]: row
        for row in book["封面"].iter_rows(values_only=True)
        if row[0] in ("年度工作数据", "报告文字", "锁定后调整")
    }
    for name in ("年度工作数据", "报告文字", "锁定后调整"):
        data = [row for row in book[name].iter_rows(min_row=2, values_only=True)]
        _name, _first, count, checksum = cover[name][:4]
        assert count == len([row for row in data if any(cell is not None for cell in row)])
        assert checksum == rows_checksum(data)


def test_the_word_document_holds_the_sentences_and_the_figures(world, inspected):
    summary = county_summary(world)
    response = client_for(world.bureau).get(f"/yearend/{summary.pk}/document/")
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml"
    )
    document = Document(io.BytesIO(response.content))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "年度教育扶贫工作数据" in text
    assert "纵向监督检查3次，发现问题3个" in text
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert "3个" in cells and "2件" in cells


def test_a_failed_generation_tells_the_user_why_in_chinese(world):
    def broken(scope):
        raise RuntimeError("boom")

    register_annual_section(broken, order=999)
    try:
        with pytest.raises(RuntimeError):
            generate(client_for(world.bureau), f"county:{world.county.pk}")
    finally:
        from core import annual

        annual._PROVIDERS[:] = [entry for entry in annual._PROVIDERS if entry[1] is not broken]
    run = SummaryRun.objects.get()
    assert run.status == SummaryRun.Status.FAILED
    assert "意外错误" in run.error or "unexpected" in run.error
    assert "boom" not in run.error
    page = client_for(world.bureau).get(f"/yearend/runs/{run.pk}/").content.decode()
    assert run.error.split("（")[0][:10] in page


def test_the_api_lists_generates_and_approves_within_scope(world, inspected):
    bureau = api_for(world.bureau)
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = bureau.post(
            "/api/v1/annual-summaries/generate/", {"year": this_year()}, format="json"
        )
    assert answer.status_code == 202
    run = bureau.get(f"/api/v1/annual-summary-runs/{answer.json()['id']}/").json()
    assert run["status"] == "done"
    summary_id = run["summary"]
    listed = bureau.get(f"/api/v1/annual-summaries/?year={this_year()}").json()
    assert [row["id"] for row in listed["results"]] == [summary_id]
    detail = bureau.get(f"/api/v1/annual-summaries/{summary_id}/").json()
    keys = {figure["key"] for s in detail["sections"] for figure in s["figures"]}
    assert "inspections.issues_found" in keys
    assert (
        api_for(world.township2_user).get(f"/api/v1/annual-summaries/{summary_id}/").status_code
        == 404
    )
    assert api_for(world.auditor).post("/api/v1/annual-summaries/generate/", {}).status_code == 403
    assert (
        api_for(world.auditor).post(f"/api/v1/annual-summaries/{summary_id}/approve/").status_code
        == 403
    )
    assert bureau.post(f"/api/v1/annual-summaries/{summary_id}/approve/").status_code == 200
    assert bureau.post(f"/api/v1/annual-summaries/{summary_id}/approve/").status_code == 409
    assert bureau.post("/api/v1/annual-summaries/generate/", {"year": "x"}).status_code == 400


def test_the_figures_people_compare_are_charted(world, inspected):
    summary = county_summary(world)
    page = client_for(world.bureau).get(f"/yearend/{summary.pk}/")
    charts = {chart["title"]: chart for chart in page.context["charts"]}
    closed_loop = charts["问题发现、整改、销号"]
    assert closed_loop["kind"] == "amount" and closed_loop["values"] == [3, 0, 0]
    assert 'data-annual-chart="0"' in page.content.decode()


def test_pages_read_a_bounded_number_of_queries(world, inspected, django_assert_max_num_queries):
    summary = county_summary(world)
    generate_summary(
        county=world.county, township=world.township1, year=this_year(), actor=world.bureau
    )
    client = client_for(world.bureau)
    with django_assert_max_num_queries(12):
        assert client.get("/yearend/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(f"/yearend/{summary.pk}/").status_code == 200
