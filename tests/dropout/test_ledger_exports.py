"""Every dropout-control ledger exports (issue 18, point 1): each workbook read back cell by cell
(headers, a known row, dates as dates), the date range honoured, scope, masking, bad ranges
refused with nothing queued, and the queries flat in the number of rows. The register of
numbered documents, the ledgers page and the API filters: test_ledger_register_and_filters.py."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from core.masking import mask_phone, mask_resident_id
from core.models import ExportJob
from core.people import person_name
from dropout.ledgers import LEDGERS
from dropout.models import DropoutCase, ExemptionRequest, OfficialDocument
from dropout.services import absences, cases, documents, exemptions
from enrollment.services import assign_help_partner, record_visit

from ..conftest import client_for
from .conftest import days_ago, pdf_upload, persuade
from .ledger_workbooks import HEADERS, as_date, export_ledger, exported, is_date


def test_the_persuasion_ledger_holds_each_visit_with_its_officers(world, records):
    sheet, rows = exported(world, "persuasions")
    assert len(rows) == 2
    row = rows[0]
    assert row["案件号"] == records["case"].pk and row["姓名"] == world.child1.name
    assert row["身份证号"] == world.child1.resident_id  # the township handles the child
    assert row["乡镇"] == "一镇" and row["村（社区）"] == "一村"
    assert as_date(row["劝返日期"]) == days_ago(35) and is_date(sheet, "劝返日期")
    officers = sorted([world.township1_user, world.village1_user], key=lambda user: user.pk)
    assert row["执法人员"] == "、".join(person_name(user) for user in officers)
    assert row["两名工作人员参加"] == "是"
    assert row["宣讲内容"] == "宣讲义务教育法" and row["家庭答复"] == "不愿返校"
    with override("zh-hans"):
        assert row["劝返结果"] == str(records["case"].persuasions.first().get_result_display())
    assert row["记录人"] == person_name(world.township1_user)
    assert is_date(sheet, "记录时间")
    job = ExportJob.objects.get()
    assert job.exporter == "dropout_persuasions" and job.rows_written == 2


def test_the_date_range_is_honoured_at_both_ends(world, records):
    _sheet_, rows = exported(world, "persuasions", date_from=days_ago(34).isoformat())
    assert [as_date(row["劝返日期"]) for row in rows] == [days_ago(34)]
    _sheet_, rows = exported(world, "persuasions", date_to=days_ago(35).isoformat())
    assert [as_date(row["劝返日期"]) for row in rows] == [days_ago(35)]
    _sheet_, rows = exported(
        world, "persuasions", date_from=days_ago(33).isoformat(), date_to=days_ago(1).isoformat()
    )
    assert rows == []
    job = ExportJob.objects.latest("pk")
    assert job.params == {
        "query": {"date_from": [days_ago(33).isoformat()], "date_to": [days_ago(1).isoformat()]}
    }
    assert f"{days_ago(33).isoformat()}至{days_ago(1).isoformat()}" in job.title


def test_the_document_ledger_holds_each_document_with_its_service(world, records):
    sheet, rows = exported(world, "documents")
    notice, decision = records["notice"], records["decision"]
    assert [row["文号"] for row in rows] == list(
        OfficialDocument.objects.order_by("issued_on", "pk").values_list("number", flat=True)
    )
    assert len(rows) == 3  # the notice, the prior notice, the decision
    row = rows[0]
    assert row["文号"] == notice.number and row["案件号"] == records["case"].pk
    with override("zh-hans"):
        assert row["文书种类"] == str(OfficialDocument.Kind.RESUME_NOTICE.label)
    assert as_date(row["发文日期"]) == days_ago(30) and is_date(sheet, "发文日期")
    assert as_date(row["期限"]) == notice.deadline
    assert as_date(row["送达日期"]) == days_ago(30)
    assert row["受送达人"] == "张大山" and row["送达人"] == "王五"
    assert row["状态"] == "有效" and row["更正情况"] is None
    last = rows[-1]
    assert last["文号"] == decision.number and last["送达日期"] is None
    assert (
        as_date(last["送达期限"]) == decision.service_due_on and last["逾期送达"] == "是（未送达）"
    )
    _sheet_, rows = exported(world, "documents", kind="penalty_decision")
    assert [row["文号"] for row in rows] == [decision.number]
    _sheet_, rows = exported(world, "documents", date_to=days_ago(25).isoformat())
    assert [row["文号"] for row in rows] == [notice.number]


def test_the_measure_ledger(world, records):
    sheet, rows = exported(world, "measures")
    assert len(rows) == 1
    row = rows[0]
    assert row["案件号"] == records["case"].pk and row["姓名"] == world.child1.name
    with override("zh-hans"):
        assert row["措施"] == str(records["measure"].get_kind_display())
        assert row["案件状态"] == str(DropoutCase.Status.PENALTY_DECIDED.label)
    assert as_date(row["日期"]) == days_ago(5) and is_date(sheet, "日期")
    assert row["情况"] == "发出履行催告书"
    _sheet_, rows = exported(world, "measures", date_to=days_ago(6).isoformat())
    assert rows == []


def test_the_exemption_ledger_holds_each_approval_step_with_who_and_when(world, records):
    sheet, rows = exported(world, "exemptions")
    assert len(rows) == 1
    row = rows[0]
    exemption = records["exemption"]
    assert row["申请编号"] == exemption.pk and row["姓名"] == world.sibling1.name
    with override("zh-hans"):
        assert row["申请类别"] == str(exemption.get_kind_display())
        assert row["状态"] == str(ExemptionRequest.Status.FILED.label)
    assert as_date(row["起始日期"]) == days_ago(10) and as_date(row["截止日期"]) == days_ago(-200)
    assert is_date(sheet, "起始日期") and is_date(sheet, "乡镇批准时间")
    assert row["登记人"] == person_name(world.admin)
    assert row["乡镇批准人"] == person_name(world.township1_user)
    assert row["县教育局备案人"] == person_name(world.bureau)
    assert as_date(row["备案时间"]) == timezone.localdate()
    process = row["审批过程"]
    assert process.count("；") == 2  # registered; approved; filed
    assert "情况属实" in process and "同意备案" in process
    assert process.index(person_name(world.township1_user)) < process.index(
        person_name(world.bureau)
    )
    _sheet_, rows = exported(world, "exemptions", date_to=days_ago(1).isoformat())
    assert rows == []  # registered today


def test_the_absence_ledger(world, records):
    sheet, rows = exported(world, "absences")
    assert len(rows) == 1
    row = rows[0]
    assert row["姓名"] == world.child1.name and row["学校"] == "一镇小学"
    assert as_date(row["缺课起始日期"]) == days_ago(60) and is_date(sheet, "缺课起始日期")
    assert row["已知原因"] == "外出" and row["联系家长人"] == "班主任"
    assert row["报告人"] == person_name(world.school1_user)
    assert row["缺课天数"] == 60
    _sheet_, rows = exported(world, "absences", date_from=days_ago(59).isoformat())
    assert rows == []


def test_the_visit_ledger(world, records):
    sheet, rows = exported(world, "visits")
    assert len(rows) == 1
    row = rows[0]
    assert as_date(row["走访日期"]) == days_ago(20) and is_date(sheet, "走访日期")
    assert row["户主"] == "王一" and row["走访对象"] == world.child1.name
    assert row["身份证号"] == world.child1.resident_id
    assert row["走访人员"] == "乡镇干部甲、教师乙" and row["有附件"] == "否"
    _sheet_, rows = exported(world, "visits", date_from=days_ago(19).isoformat())
    assert rows == []


def test_the_pairing_ledger(world, records):
    sheet, rows = exported(world, "pairings")
    assert len(rows) == 1
    row = rows[0]
    assert row["姓名"] == world.child1.name and row["帮扶责任人"] == "赵老师"
    assert row["联系电话"] == "13812345678"
    assert as_date(row["开始日期"]) == days_ago(15) and is_date(sheet, "开始日期")
    assert row["结束日期"] is None and row["帮扶计划（一生一策）"] == "每周家访一次"
    _sheet_, rows = exported(world, "pairings", date_to=days_ago(16).isoformat())
    assert rows == []


@pytest.mark.parametrize("name", list(HEADERS))
def test_another_township_exports_none_of_these_rows(world, records, name):
    _sheet_, rows = exported(world, name)
    assert rows, "township1 has a row of every ledger"
    _sheet_, rows = exported(world, name, user=world.township2_user)
    assert rows == []


IDENTIFIED = [name for name, columns in HEADERS.items() if ("身份证号", 21) in columns]


@pytest.mark.parametrize("name", IDENTIFIED)
def test_the_auditor_exports_with_the_resident_id_masked(world, records, name):
    _sheet_, rows = exported(world, name, user=world.auditor)
    child = world.sibling1 if name == "exemptions" else world.child1
    assert rows and all(row["身份证号"] == mask_resident_id(child.resident_id) for row in rows)
    assert child.resident_id not in {row["身份证号"] for row in rows}
    if name == "pairings":
        assert rows[0]["联系电话"] == mask_phone("13812345678")


def test_every_ledger_of_the_page_is_masked_or_identity_free(world):
    assert set(IDENTIFIED) == {
        "persuasions",
        "documents",
        "measures",
        "exemptions",
        "absences",
        "visits",
        "pairings",
    }
    assert set(HEADERS) | {"cases"} == set(LEDGERS)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"date_from": "2025-13-01"}, "请按 YYYY-MM-DD 格式填写日期"),
        ({"date_to": "昨天"}, "请按 YYYY-MM-DD 格式填写日期"),
        ({"date_from": "0999-01-01"}, "请填写1900年至2100年之间的日期"),
        (
            {"date_from": days_ago(1).isoformat(), "date_to": days_ago(2).isoformat()},
            "结束日期早于开始日期",
        ),
    ],
)
def test_a_bad_date_range_is_refused_in_chinese_and_nothing_is_queued(
    world, records, data, message
):
    client = client_for(world.auditor)
    response = export_ledger(client, "persuasions", **data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "没有导出" in page and message in page
    assert not ExportJob.objects.exists()


def test_a_bad_stage_for_the_case_ledger_is_refused(world, records):
    response = export_ledger(client_for(world.auditor), "cases", status="lost")
    assert response.status_code == 400 and not ExportJob.objects.exists()


def test_an_unknown_ledger_is_404_and_get_is_refused(world):
    client = client_for(world.auditor)
    assert export_ledger(client, "everything").status_code == 404
    assert client.get(reverse("dropout:ledger_export", args=["persuasions"])).status_code == 405
    assert not ExportJob.objects.exists()


def test_the_case_ledger_from_the_ledgers_page_filters_by_range_stage_and_cause(world, records):
    client = client_for(world.township1_user)
    export_ledger(client, "cases", date_from=days_ago(41).isoformat(), status="penalty_decided")
    job = ExportJob.objects.latest("pk")
    assert job.exporter == "dropout_cases" and job.rows_written == 1
    assert job.params["queue"] == "all"
    export_ledger(client, "cases", date_from=days_ago(39).isoformat())
    assert ExportJob.objects.latest("pk").rows_written == 0
    export_ledger(client, "cases", cause="poverty")
    assert ExportJob.objects.latest("pk").rows_written == 0
    export_ledger(client, "cases", cause="work", status="persuading")
    assert ExportJob.objects.latest("pk").rows_written == 0


# --- queries: flat in the number of rows ------------------------------------------------------


def _another_pupil(world):
    from enrollment.models import EnrollmentStatus
    from enrollment.services import change_status

    from ..factories import ChildFactory

    child = ChildFactory(household=world.household1b, name="王丙丙")
    change_status(
        actor=world.loader,
        child=child,
        status=EnrollmentStatus.IN_SCHOOL,
        effective_date=days_ago(300),
        reason="学籍注册",
        school=world.school1,
        grade=2,
    )
    return child


def _one_more(world, records, name):
    """Adds one more row to the ledger `name` (another child where a row needs one)."""
    case = records["case"]
    if name == "persuasions":
        persuade(world, case, times=1, start=33)
    elif name in ("documents", "register"):
        current = documents.current_document(case, OfficialDocument.Kind.RESUME_NOTICE)
        documents.correct_document(actor=world.township1_user, document=current, reason="笔误")
    elif name == "measures":
        cases.add_measure(
            actor=world.township1_user,
            case=case,
            kind="other",
            date=days_ago(4),
            description="约谈",
        )
    elif name == "exemptions":
        request = exemptions.register_exemption(
            actor=world.admin,
            child=_another_pupil(world),
            kind="deferred",
            reason="other",
            reason_detail="随父母外出",
            start_date=days_ago(5),
            end_date=days_ago(-100),
            application_scan=pdf_upload(),
        )
        exemptions.township_approve(actor=world.township1_user, request=request)
    elif name == "absences":
        absences.report_absence(
            actor=world.school1_user, child=_another_pupil(world), first_absent_on=days_ago(3)
        )
    elif name == "visits":
        record_visit(
            actor=world.village1_user,
            household=world.household1,
            children=[world.child1, world.sibling1],
            visit_date=days_ago(2),
            visitors="村干部",
            findings="仍在外务工",
            outcome="working_away",
        )
    elif name == "pairings":
        assign_help_partner(
            actor=world.township1_user,
            child=world.sibling1,
            partner_name="钱老师",
            partner_kind="teacher",
            plan="每月家访",
            start_date=days_ago(2),
        )


def _queries_of_export(exporter, user_pk, params) -> tuple[int, int]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.exports import get_exporter

    user = get_user_model().objects.get(pk=user_pk)  # nothing cached from an earlier run
    with CaptureQueriesContext(connection) as queries:
        export = get_exporter(exporter)(user, params)
        rows = list(export.rows)
    return len(queries), len(rows)


@pytest.mark.parametrize("name", list(HEADERS))
def test_an_export_reads_in_the_same_queries_whatever_its_rows(world, records, name):
    ledger = LEDGERS[name]
    params = {"query": {"date_from": [days_ago(90).isoformat()]}}
    for user in (world.township1_user, world.auditor):
        before, rows_before = _queries_of_export(ledger.exporter, user.pk, params)
        _one_more(world, records, name)
        after, rows_after = _queries_of_export(ledger.exporter, user.pk, params)
        assert rows_after > rows_before
        assert after == before, (
            f"{name}: {before} queries for {rows_before} rows, {after} for {rows_after}"
        )


def test_the_ledgers_page_and_the_register_read_in_fixed_queries(world, records):
    client = client_for(world.auditor)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for url in (reverse("dropout:ledger_index"), reverse("dropout:document_register")):
        before = count(url)
        _one_more(world, records, "register")
        assert count(url) == before
