"""The period lock of the monthly report (issue 18 point 3): the bureau approves a month's report,
its figures and workbook never change afterwards, the auditor's workbook carries each sheet's
row count and checksum on its cover, and a later correction dated inside the locked month is
listed as a post-lock adjustment on the next month's report."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.periods import COVER_SHEET, rows_checksum
from dropout.models import MonthlyReport, ReportRun
from dropout.report_lock import months_before, post_lock_adjustments
from dropout.services import reports as report_services
from dropout.transitions import REPORT_TRANSITIONS
from enrollment.models import EnrollmentStatus
from enrollment.services import change_status

from ..conftest import api_for, client_for
from .test_monthly_reports import M1, M2, day, scenario  # noqa: F401 (the fixture)

S = EnrollmentStatus


@pytest.fixture
def generated(world, scenario, media):  # noqa: F811
    report_services.generate_month(county=world.county, month=M1)
    return {
        scope: MonthlyReport.objects.get(month=M1, township=township)
        for scope, township in (
            ("county", None),
            ("township1", world.township1),
            ("township2", world.township2),
        )
    }


def _book(report):
    report.refresh_from_db()
    with report.workbook.open("rb") as stored:
        return load_workbook(io.BytesIO(stored.read()))


def _cover_table(book) -> list[tuple]:
    """The cover's rows below its 工作表 header: (sheet, first data row, count, checksum)."""
    cover = book[COVER_SHEET]
    rows = list(cover.iter_rows(values_only=True))
    start = next(index for index, row in enumerate(rows) if row[0] == "工作表")
    table = []
    for row in rows[start + 1 :]:
        if not row[0]:
            break
        table.append(tuple(row[:4]))
    return table


def _cover_line(book, label):
    for row in book[COVER_SHEET].iter_rows(values_only=True):
        if row[0] == label:
            return row[1]
    raise AssertionError(label)


def _backdated_dropout(world, scenario):  # noqa: F811
    """D had in fact dropped out on M1/25: recorded now, dated inside the locked month."""
    change_status(
        actor=world.township1_user,
        child=scenario.d,
        status=S.DROPPED_OUT,
        effective_date=day(M1, 25),
        reason="补录：M1月25日起未到校",
    )


def test_the_cover_lists_every_sheet_with_the_count_and_checksum_of_its_rows(world, generated):
    book = _book(generated["county"])
    assert book.sheetnames[0] == COVER_SHEET
    table = _cover_table(book)
    assert [name for name, *_rest in table] == book.sheetnames[1:]
    for name, first_row, count, checksum in table:
        rows = list(book[name].iter_rows(min_row=first_row, values_only=True))
        non_empty = [row for row in rows if any(value not in (None, "") for value in row)]
        assert count == len(non_empty), name
        assert checksum == rows_checksum(rows), name
    counts = {name: count for name, _first, count, _checksum in table}
    # 2 children named, 2 townships + the total, no adjustment yet.
    assert (counts["失学儿童名单"], counts["分乡镇"], counts["锁定后调整"]) == (2, 3, 0)
    assert _cover_line(book, "范围") == f"测试县（{world.county.code}）"
    assert _cover_line(book, "审核人") == "未审核"


def test_bureau_staff_approve_and_the_cover_names_them_with_the_same_checksums(world, generated):
    report = generated["county"]
    before = _cover_table(_book(report))
    response = client_for(world.bureau).post(
        reverse("dropout:report_approve", args=[report.pk]), {"confirm": "yes"}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.approved_by == world.bureau and report.approved_at is not None
    book = _book(report)
    assert _cover_table(book) == before  # the data sheets are the approved figures, unchanged
    assert _cover_line(book, "审核人") == world.bureau.get_username()
    assert _cover_line(book, "审核时间") is not None
    page = client_for(world.auditor).get(reverse("dropout:report_detail", args=[report.pk]))
    html = page.content.decode()
    assert 'data-approval="approved"' in html and "审核并锁定" not in html
    listed = client_for(world.auditor).get(reverse("dropout:report_list")).content.decode()
    assert f'data-approved="{report.pk}"' in listed
    assert f'data-approved="{generated["township1"].pk}"' not in listed


def test_approving_without_the_confirmation_box_changes_nothing(world, generated):
    report = generated["county"]
    response = client_for(world.bureau).post(
        reverse("dropout:report_approve", args=[report.pk]), {}, follow=True
    )
    assert response.status_code == 200 and response.context["messages"]
    report.refresh_from_db()
    assert report.approved_at is None


def test_the_county_admin_approves_a_township_report_and_a_second_approval_is_409(world, generated):
    report = generated["township1"]
    api = api_for(world.admin)
    response = api.post(f"/api/v1/monthly-reports/{report.pk}/approve/")
    assert response.status_code == 200
    assert response.json()["approved_by"] == world.admin.pk
    again = api_for(world.bureau).post(f"/api/v1/monthly-reports/{report.pk}/approve/")
    assert again.status_code == 409
    assert "已" in again.json()["detail"] and "锁定" in again.json()["detail"]
    report.refresh_from_db()
    assert report.approved_by == world.admin  # the first approval stands
    # The page says so too, and keeps the first approval.
    page = client_for(world.bureau).post(
        reverse("dropout:report_approve", args=[report.pk]), {"confirm": "yes"}, follow=True
    )
    assert any("锁定" in str(message) for message in page.context["messages"])


@pytest.mark.parametrize("who", ["auditor", "township1_user", "inspector", "school1_user"])
def test_only_the_bureau_approves(world, generated, who):
    user = getattr(world, who)
    report = generated["township1"]
    page = client_for(user).post(
        reverse("dropout:report_approve", args=[report.pk]), {"confirm": "yes"}
    )
    # The school's staff do not see the township's report at all (404); the others 403.
    assert page.status_code == (404 if who == "school1_user" else 403)
    api = api_for(user).post(f"/api/v1/monthly-reports/{report.pk}/approve/")
    assert api.status_code == (404 if who == "school1_user" else 403)
    report.refresh_from_db()
    assert report.approved_at is None
    assert not REPORT_TRANSITIONS.can(report, "approve", user)
    if who == "township1_user":
        html = client_for(user).get(reverse("dropout:report_detail", args=[report.pk]))
        assert 'id="approve-form"' not in html.content.decode()


def test_a_township_official_cannot_reach_another_townships_report(world, generated):
    other = generated["township2"]
    client = client_for(world.township1_user)
    assert (
        client.post(
            reverse("dropout:report_approve", args=[other.pk]), {"confirm": "yes"}
        ).status_code
        == 404
    )
    assert api_for(world.township1_user).post(
        f"/api/v1/monthly-reports/{other.pk}/approve/"
    ).status_code in (403, 404)


def test_the_approve_button_is_shown_to_the_bureau_only_while_not_approved(world, generated):
    url = reverse("dropout:report_detail", args=[generated["county"].pk])
    html = client_for(world.bureau).get(url).content.decode()
    assert 'id="approve-form"' in html and 'data-approval="generated"' in html
    assert 'id="approve-form"' not in client_for(world.auditor).get(url).content.decode()


def test_a_locked_month_stays_as_approved_and_the_next_report_lists_the_adjustment(
    world,
    scenario,  # noqa: F811
    generated,
    django_capture_on_commit_callbacks,
):
    county_m1, township1_m1 = generated["county"], generated["township1"]
    report_services.approve_report(report=county_m1, actor=world.bureau)
    report_services.approve_report(report=township1_m1, actor=world.admin)
    county_m1.refresh_from_db()
    township1_m1.refresh_from_db()
    approved_figures = county_m1.figures
    approved_bytes = {r.pk: r.workbook.open("rb").read() for r in (county_m1, township1_m1)}
    assert approved_figures["totals"]["dropouts_new"] == 2

    _backdated_dropout(world, scenario)
    # Regenerating the locked month: the approved reports are kept, the run says so; the
    # township that was not approved is written again with the corrected figures.
    run = ReportRun.objects.create(county=world.county, month=M1, requested_by=world.bureau)
    written = report_services.generate_month(
        county=world.county, month=M1, actor=world.bureau, run=run
    )
    assert [report.township_id for report in written] == [world.township2.pk]
    run.refresh_from_db()
    assert "2" in run.note and "锁定" in run.note
    for report in (county_m1, township1_m1):
        kept = MonthlyReport.objects.get(pk=report.pk)
        assert kept.figures == report.figures
        assert kept.workbook.name == report.workbook.name
        assert kept.workbook.open("rb").read() == approved_bytes[report.pk]
        assert kept.generated_at == report.generated_at
    assert MonthlyReport.objects.get(pk=county_m1.pk).figures["totals"]["dropouts_new"] == 2

    # The next month's reports list the change to the locked month.
    report_services.generate_month(county=world.county, month=M2)
    county_m2 = MonthlyReport.objects.get(month=M2, township__isnull=True)
    listed = {item["key"]: item for item in county_m2.adjustments}
    month = M1.strftime("%Y-%m")
    assert listed["totals.dropouts_new"] == {
        "month": month,
        "key": "totals.dropouts_new",
        "label": "本月新增失辍学人数",
        "approved": 2,
        "current": 3,
        "difference": 1,
    }
    assert (
        listed["totals.dropouts_end"]["approved"],
        listed["totals.dropouts_end"]["current"],
    ) == (
        2,
        3,
    )
    assert listed["by_reason.unrecorded"]["difference"] == 1
    township1_key = f"breakdown.{world.township1.code}.dropouts_end"
    assert listed[township1_key]["difference"] == 1
    assert listed[township1_key]["label"].startswith("一镇")
    assert not any(key.startswith(f"breakdown.{world.township2.code}.") for key in listed)
    township1_m2 = MonthlyReport.objects.get(month=M2, township=world.township1)
    assert {item["key"] for item in township1_m2.adjustments} >= {"totals.dropouts_new"}
    # Township 2 was not approved for M1: nothing is listed for it.
    assert MonthlyReport.objects.get(month=M2, township=world.township2).adjustments == []

    # The approved M1 report and its workbook are unchanged by all this.
    county_m1_now = MonthlyReport.objects.get(pk=county_m1.pk)
    assert county_m1_now.figures == approved_figures
    assert county_m1_now.workbook.open("rb").read() == approved_bytes[county_m1.pk]

    # The workbook of M2 lists them on its 锁定后调整 sheet, counted on the cover.
    book = _book(county_m2)
    sheet = list(book["锁定后调整"].iter_rows(min_row=2, values_only=True))
    by_key = {row[2]: row for row in sheet}
    assert by_key["totals.dropouts_new"] == (
        month,
        "本月新增失辍学人数",
        "totals.dropouts_new",
        2,
        3,
        1,
    )
    cover = {name: (count, checksum) for name, _f, count, checksum in _cover_table(book)}
    assert cover["锁定后调整"] == (len(county_m2.adjustments), rows_checksum(sheet))

    # And the page shows the section.
    html = (
        client_for(world.bureau)
        .get(reverse("dropout:report_detail", args=[county_m2.pk]))
        .content.decode()
    )
    assert 'data-key="totals.dropouts_new"' in html and "锁定后调整" in html

    # Once an approved report has listed it, a later report does not list it again.
    report_services.approve_report(report=county_m2, actor=world.bureau)
    following = months_before(M2, -1)
    assert "county" not in post_lock_adjustments(world.county, following)


def test_a_months_before_helper_crosses_years():
    import datetime

    assert months_before(datetime.date(2026, 1, 1), 1) == datetime.date(2025, 12, 1)
    assert months_before(datetime.date(2026, 1, 1), 12) == datetime.date(2025, 1, 1)
    assert months_before(datetime.date(2025, 12, 1), -1) == datetime.date(2026, 1, 1)
