"""The monthly dropout report against a hand-built scenario across two months."""

import datetime
import io
import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from core.errors import DomainError
from core.models import Notification
from dropout.models import DropoutCase, ExemptionRequest, MonthlyReport, ReportRun
from dropout.reports import COUNT_FIELDS, compute_month, month_bounds, previous_month
from dropout.services import cases
from dropout.services import reports as report_services
from enrollment.models import EnrollmentStatus
from enrollment.services import change_status, set_status_by_procedure

from ..conftest import api_for, client_for
from ..factories import ChildFactory
from .test_case_transitions import _notice

S = EnrollmentStatus
M2 = previous_month(timezone.localdate())  # last month
M1 = previous_month(M2)  # the month before


def day(month, n):
    return month + datetime.timedelta(days=n - 1)


class Scenario:
    pass


@pytest.fixture
def scenario(world, legal_texts):
    """Township 1: A drops out on M1/10 and returns on M2/5; C drops out on M1/5, is persuaded
    twice and served a notice (deadline M1/15) and is still out; D stays in school (until a
    back-dated change). Township 2: B drops out on M2/3 and returns on M2/20 (out and back inside
    the month); S is suspended from M1/2 under a filed request ending on M2/15."""
    s = Scenario()
    w = world
    s.a, s.c, s.d, s.b = w.child1, w.child1b, w.sibling1, w.child2
    last_sept = datetime.date(timezone.localdate().year - 1, 9, 1)
    for child, school, grade in ((s.c, w.school1, 4), (s.d, w.school1, 2)):
        change_status(
            actor=w.loader,
            child=child,
            status=S.IN_SCHOOL,
            effective_date=last_sept,
            reason="学籍注册",
            school=school,
            grade=grade,
        )
    s.s = ChildFactory(household=w.household2, name="李休学")
    change_status(
        actor=w.loader,
        child=s.s,
        status=S.IN_SCHOOL,
        effective_date=last_sept,
        reason="学籍注册",
        school=w.school2,
        grade=5,
    )
    set_status_by_procedure(
        actor=w.loader, child=s.s, status=S.SUSPENDED, effective_date=day(M1, 2), reason="因病休学"
    )
    ExemptionRequest.objects.create(
        child=s.s,
        kind=ExemptionRequest.Kind.SUSPENDED,
        reason=ExemptionRequest.Reason.ILLNESS,
        reason_detail="住院治疗",
        start_date=day(M1, 2),
        end_date=day(M2, 15),
        status=ExemptionRequest.Status.FILED,
        registered_by=w.township2_user,
    )
    s.case_c = cases.open_case(
        actor=w.township1_user,
        child=s.c,
        cause=DropoutCase.Cause.POVERTY,
        responsible_persons="村主任 张三\n校长 李四",
        opened_on=day(M1, 5),
    )
    for n in (6, 7):
        cases.log_persuasion(
            actor=w.township1_user,
            case=s.case_c,
            date=day(M1, n),
            visitors="",
            officers=[w.township1_user, w.admin],
            what_was_said="宣讲义务教育法",
            family_answer="不愿返校",
            result="refused",
        )
    s.notice = _notice(w, s.case_c, served_on=day(M1, 8))
    s.case_a = cases.open_case(
        actor=w.township1_user,
        child=s.a,
        cause=DropoutCase.Cause.WORK,
        opened_on=day(M1, 10),
    )
    cases.return_to_school(
        actor=w.township1_user, case=s.case_a, school=w.school1, grade=3, returned_on=day(M2, 5)
    )
    s.case_b = cases.open_case(
        actor=w.township2_user, child=s.b, cause=DropoutCase.Cause.WORK, opened_on=day(M2, 3)
    )
    cases.return_to_school(
        actor=w.township2_user, case=s.case_b, school=w.school2, grade=3, returned_on=day(M2, 20)
    )
    return s


FLOW_KEYS = ("dropouts_start", "dropouts_new", "dropouts_returned", "dropouts_left")


def pick(totals, *keys):
    return {key: totals[key] for key in keys}


def test_the_first_month_as_of_its_end(world, scenario):
    figures = compute_month(world.county, M1)
    county = figures["county"]["totals"]
    assert pick(county, "population", "enrolled", "suspended", "deferred", "rate") == {
        "population": 5,
        "enrolled": 2,  # D in school, B in school; A and C out, S suspended
        "suspended": 1,
        "deferred": 0,
        "rate": 50.0,  # 2 / (5 − 1 suspended)
    }
    assert pick(county, *FLOW_KEYS, "dropouts_end") == {
        "dropouts_start": 0,
        "dropouts_new": 2,
        "dropouts_returned": 0,
        "dropouts_left": 0,
        "dropouts_end": 2,
    }
    assert county["notices_overdue"] == 1
    assert county["exemptions_ending"] == 1  # S's suspension ends in M2
    one = figures[world.township1.pk]["totals"]
    two = figures[world.township2.pk]["totals"]
    assert pick(one, "population", "enrolled", "dropouts_new", "dropouts_end") == {
        "population": 3,
        "enrolled": 1,
        "dropouts_new": 2,
        "dropouts_end": 2,
    }
    assert one["rate"] == 33.33
    assert one["notices_overdue"] == 1 and two["notices_overdue"] == 0
    assert pick(two, "population", "enrolled", "suspended", "rate", "exemptions_ending") == {
        "population": 2,
        "enrolled": 1,
        "suspended": 1,
        "rate": 100.0,
        "exemptions_ending": 1,
    }
    named = figures["county"]["outstanding"]
    assert [row["name"] for row in named] == ["王小一", "王乙乙"]
    assert {row["cause"] for row in named} == {"work", "poverty"}
    assert figures["county"]["by_reason"] == [
        {"key": "work", "count": 1},
        {"key": "poverty", "count": 1},
    ]
    assert figures["county"]["by_stage"] == [
        {"key": "primary", "count": 2},
        {"key": "junior", "count": 0},
    ]
    # The township's breakdown is by village; the county's by township.
    assert [row["name"] for row in figures[world.township1.pk]["breakdown"]] == ["一村", "一村乙"]
    assert [row["name"] for row in figures["county"]["breakdown"]] == ["一镇", "二镇"]


def test_the_second_month_counts_an_out_and_back_child_in_new_and_returned(world, scenario):
    figures = compute_month(world.county, M2)
    county = figures["county"]["totals"]
    assert pick(county, *FLOW_KEYS, "dropouts_end") == {
        "dropouts_start": 2,  # A and C at the end of M1
        "dropouts_new": 1,  # B
        "dropouts_returned": 2,  # A, and B inside the month
        "dropouts_left": 0,
        "dropouts_end": 1,  # C
    }
    assert county["enrolled"] == 3 and county["rate"] == 75.0
    assert county["exemptions_ending"] == 0  # S ends in M2 itself, not in the month after
    two = figures[world.township2.pk]["totals"]
    assert pick(two, "dropouts_start", "dropouts_new", "dropouts_returned", "dropouts_end") == {
        "dropouts_start": 0,
        "dropouts_new": 1,
        "dropouts_returned": 1,
        "dropouts_end": 0,
    }
    (only,) = figures["county"]["outstanding"]
    assert only["name"] == "王乙乙"
    assert only["responsible"] == "村主任 张三\n校长 李四"
    assert only["resident_id"].count("*") == 10  # masked in the report
    assert figures[world.township1.pk]["overdue_notices"][0]["number"] == scenario.notice.number
    assert figures[world.township2.pk]["outstanding"] == []


def test_a_back_dated_change_enters_the_month_it_is_dated_in(world, scenario):
    report_services.generate_month(county=world.county, month=M1)
    before = MonthlyReport.objects.get(township__isnull=True, month=M1)
    assert before.figures["totals"]["dropouts_end"] == 2
    # Recorded today, effective in M1: D had in fact dropped out on M1/25.
    change_status(
        actor=world.township1_user,
        child=scenario.d,
        status=S.DROPPED_OUT,
        effective_date=day(M1, 25),
        reason="补录：M1月25日起未到校",
    )
    report_services.generate_month(county=world.county, month=M1)
    after = MonthlyReport.objects.get(township__isnull=True, month=M1)
    assert after.pk == before.pk  # replaced in place: links stay valid
    assert after.figures["totals"]["dropouts_new"] == 3
    assert after.figures["totals"]["dropouts_end"] == 3
    m2 = compute_month(world.county, M2)["county"]
    assert m2["totals"]["dropouts_start"] == 3 and m2["totals"]["dropouts_end"] == 2
    # D has no case: its reason is not yet recorded.
    assert {"key": "unrecorded", "count": 1} in m2["by_reason"]


def test_the_report_of_a_past_month_ignores_what_happened_since(world, scenario):
    """Made now (after A returned in M2), the M1 report still names A as out at M1's end."""
    names = [row["name"] for row in compute_month(world.county, M1)["county"]["outstanding"]]
    assert "王小一" in names
    assert world.child1.__class__.objects.get(pk=scenario.a.pk).status == S.IN_SCHOOL


def test_only_a_month_that_has_ended_can_be_reported(world):
    this_month = timezone.localdate().replace(day=1)
    with pytest.raises(DomainError, match="已结束"):
        report_services.generate_month(county=world.county, month=this_month)
    with pytest.raises(DomainError, match="2026-03"):
        report_services.parse_month("2026/13")
    assert not MonthlyReport.objects.exists()


def test_the_workbook_read_back_cell_by_cell(world, scenario, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    report_services.generate_month(county=world.county, month=M1)
    report = MonthlyReport.objects.get(township__isnull=True, month=M1)
    book = load_workbook(io.BytesIO(report.workbook.read()))
    assert book.sheetnames == ["封面", "汇总", "分乡镇", "失学儿童名单", "锁定后调整"]
    summary = book["汇总"]
    assert summary["A1"].value == f"测试县{M1:%Y-%m}失辍学儿童月报告"
    assert summary["A2"].value == f"统计截至 {month_bounds(M1)[1].isoformat()}"
    assert (summary["A4"].value, summary["B4"].value) == ("指标", "数值")
    with translation.override("zh-hans"):
        labels = [str(label) for _key, label in COUNT_FIELDS]
    assert [summary.cell(row=5 + i, column=1).value for i in range(len(labels))] == labels
    values = {
        key: summary.cell(row=5 + i, column=2).value for i, (key, _l) in enumerate(COUNT_FIELDS)
    }
    assert values["population"] == 5 and values["rate"] == 50 and values["dropouts_end"] == 2
    assert labels[0] == "适龄儿童少年数"  # the translation is there, not the English msgid
    townships = book["分乡镇"]
    assert townships["A1"].value == "乡镇"
    assert [townships.cell(row=r, column=1).value for r in (2, 3, 4)] == ["一镇", "二镇", "合计"]
    end_column = 1 + [key for key, _l in COUNT_FIELDS].index("dropouts_end") + 1
    assert [townships.cell(row=r, column=end_column).value for r in (2, 3, 4)] == [2, 0, 2]
    named = book["失学儿童名单"]
    assert [cell.value for cell in named[1]] == [
        "序号",
        "乡镇",
        "村（社区）",
        "姓名",
        "性别",
        "公民身份号码",
        "年龄",
        "失学日期",
        "失学原因",
        "监护人",
        "包保责任人",
    ]
    rows = list(named.iter_rows(min_row=2, values_only=True))
    assert [(row[0], row[1], row[3]) for row in rows] == [
        (1, "一镇", "王小一"),
        (2, "一镇", "王乙乙"),
    ]
    assert rows[1][8] == "家庭贫困" and "*" in rows[1][5]
    assert rows[1][7].date() == day(M1, 5)  # a real date in Excel


def test_generation_notifies_the_readers_and_the_named_township_only(
    world, scenario, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report_services.generate_month(county=world.county, month=M1)
    recipients = Notification.objects.values_list("recipient__username", "key")
    by_user = {}
    for username, key in recipients:
        by_user.setdefault(username, set()).add(key.split(":")[0])
    assert by_user == {
        "admin": {"monthly-report"},
        "bureau": {"monthly-report"},
        "township1": {"monthly-report", "monthly-report-outstanding"},  # 2 children out
        "township2": {"monthly-report"},  # nobody out at M1's end
    }
    count = Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        report_services.generate_month(county=world.county, month=M1)
    assert Notification.objects.count() == count  # regenerating does not notify again


def test_notifications_are_emailed_where_an_address_is_known(
    world, scenario, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_EMAILS = True
    world.township1_user.email = "t1@example.gov.cn"
    world.township1_user.save()
    with django_capture_on_commit_callbacks(execute=True):
        report_services.generate_month(county=world.county, month=M1)
    assert {tuple(mail.to) for mail in mailoutbox} == {("t1@example.gov.cn",)}
    assert len(mailoutbox) == 2 and any("/dropout/reports/" in mail.body for mail in mailoutbox)


def test_the_county_report_is_a_bounded_number_of_queries(
    world, scenario, django_assert_max_num_queries
):
    # More children and villages do not add queries: everything is grouped by village.
    for _ in range(20):
        child = ChildFactory(household=world.household1b)
        cases.open_case(
            actor=world.township1_user,
            child=child,
            cause=DropoutCase.Cause.WORK,
            opened_on=day(M1, 3),
        )
    with django_assert_max_num_queries(8):
        compute_month(world.county, M1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_generations_of_the_same_month_at_once_leave_one_report_per_scope(
    world, settings, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.fail("needs PostgreSQL")
    settings.MEDIA_ROOT = tmp_path
    errors = []
    barrier = threading.Barrier(2)

    def generate():
        try:
            barrier.wait()
            report_services.generate_month(county=world.county, month=M1)
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=generate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert MonthlyReport.objects.filter(month=M1).count() == 3  # county + two townships
    assert MonthlyReport.objects.filter(month=M1, township__isnull=True).count() == 1
    # The replaced workbooks were removed: one file per report is left.
    files = list((tmp_path / "reports").rglob("*.xlsx"))
    assert len(files) == 3


# --- pages and API ---------------------------------------------------------------------------


def test_bureau_staff_generate_a_past_month_from_the_page(
    world, scenario, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(world.bureau)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dropout:report_generate"), {"month": M1.strftime("%Y-%m")})
    run = ReportRun.objects.get()
    assert response.url == reverse("dropout:report_run", args=[run.pk])
    assert run.status == ReportRun.Status.DONE and run.requested_by == world.bureau
    page = client.get(response.url)
    county_report = MonthlyReport.objects.get(township__isnull=True, month=M1)
    assert reverse("dropout:report_detail", args=[county_report.pk]) in page.content.decode()
    assert "正在生成" not in page.content.decode()  # once done, the page does not say generating
    detail = client.get(reverse("dropout:report_detail", args=[county_report.pk]))
    assert detail.status_code == 200
    html = detail.content.decode()
    assert 'data-figure="dropouts_end">2<' in html and "王乙乙" in html
    download = client.get(reverse("dropout:report_workbook", args=[county_report.pk]))
    assert download.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert workbook.sheetnames[:2] == ["封面", "汇总"]  # the auditor's cover first
    assert all(sheet.auto_filter.ref for sheet in workbook.worksheets[1:])
    named = workbook["失学儿童名单"]
    headers = [cell.value for cell in named[1]]
    out_since = named.cell(row=2, column=headers.index("失学日期") + 1)
    assert out_since.is_date and out_since.number_format == "yyyy-mm-dd"


def test_a_bad_or_future_month_is_refused_with_a_message(world):
    client = client_for(world.bureau)
    for month in ("", "2026-13", timezone.localdate().strftime("%Y-%m")):
        response = client.post(reverse("dropout:report_generate"), {"month": month}, follow=True)
        assert response.status_code == 200
        assert response.context["messages"] and not ReportRun.objects.exists()


@pytest.mark.parametrize("who", ["township1_user", "school1_user", "inspector", "auditor"])
def test_only_bureau_staff_and_admins_generate(world, who):
    user = getattr(world, who)
    response = client_for(user).post(reverse("dropout:report_generate"), {"month": "2026-01"})
    assert response.status_code == 403
    assert (
        api_for(user).post("/api/v1/monthly-reports/generate/", {"month": "2026-01"}).status_code
        == 403
    )
    assert not ReportRun.objects.exists()


def test_a_township_reads_its_own_report_only(world, scenario, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    report_services.generate_month(county=world.county, month=M1)
    own = MonthlyReport.objects.get(township=world.township1, month=M1)
    other = MonthlyReport.objects.get(township=world.township2, month=M1)
    county = MonthlyReport.objects.get(township__isnull=True, month=M1)
    client = client_for(world.township1_user)
    assert client.get(reverse("dropout:report_detail", args=[own.pk])).status_code == 200
    for report in (other, county):
        assert client.get(reverse("dropout:report_detail", args=[report.pk])).status_code == 404
        assert client.get(reverse("dropout:report_workbook", args=[report.pk])).status_code == 404
    listed = client.get(reverse("dropout:report_list"))
    assert [r.pk for r in listed.context["page"]] == [own.pk]
    # The list reads the name and totals out of the stored figures.
    row = listed.content.decode().split('id="report-table"')[1]
    assert own.scope_name and own.scope_name in row
    for key in ("dropouts_end", "dropouts_new", "dropouts_returned"):
        assert f'">{own.figures["totals"][key]}</td>' in row
    assert [
        r["id"]
        for r in api_for(world.township1_user).get("/api/v1/monthly-reports/").json()["results"]
    ] == [own.pk]
    # The school and the village see no reports; the auditor reads all three.
    assert (
        client_for(world.school1_user)
        .get(reverse("dropout:report_detail", args=[own.pk]))
        .status_code
        == 404
    )
    assert api_for(world.auditor).get("/api/v1/monthly-reports/").json()["count"] == 3


def test_the_api_generates_and_serves_the_figures(
    world, scenario, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    api = api_for(world.bureau)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/monthly-reports/generate/", {"month": M1.strftime("%Y-%m")})
    assert response.status_code == 202
    run = response.json()
    assert run["status"] == "pending"  # answered before the worker starts
    run = api.get(f"/api/v1/report-runs/{run['id']}/").json()
    assert run["status"] == "done" and run["progress_percent"] == 100
    listed = api.get(f"/api/v1/monthly-reports/?month={M1:%Y-%m}").json()["results"]
    county = next(r for r in listed if r["township"] is None)
    assert county["figures"]["totals"]["dropouts_end"] == 2 and county["month"] == M1.strftime(
        "%Y-%m"
    )
    bad = api.post("/api/v1/monthly-reports/generate/", {"month": "March"})
    assert bad.status_code == 400 and "month" in bad.json()
    assert api.get("/api/v1/monthly-reports/?month=nonsense").status_code == 400
