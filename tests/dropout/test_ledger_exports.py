"""Every dropout-control ledger exports (issue 18, point 1): each workbook read back cell by cell
(headers, a known row, dates as dates), the date range honoured, scope, masking, bad ranges
refused with nothing queued, and the register of numbered documents without a gap."""

import datetime
import io

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override
from openpyxl import load_workbook

from core.masking import mask_phone, mask_resident_id
from core.models import DocumentSequence, ExportJob
from core.people import person_name
from dropout.ledgers import (
    ABSENCE_COLUMNS,
    DOCUMENT_COLUMNS,
    EXEMPTION_COLUMNS,
    LEDGERS,
    MEASURE_COLUMNS,
    PERSUASION_COLUMNS,
    REGISTER_COLUMNS,
)
from dropout.models import DropoutCase, ExemptionRequest, OfficialDocument
from dropout.services import absences, cases, documents, exemptions, penalties
from enrollment.ledger_exports import PAIRING_COLUMNS, VISIT_COLUMNS
from enrollment.services import assign_help_partner, record_visit

from ..conftest import api_for, client_for
from .conftest import days_ago, pdf_upload, persuade

SERVED = {"served_to": "张大山", "service_method": "in_person", "service_place": "一组1号"}
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


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def records(world, legal_texts, media):
    """One record of every ledger in township1, for child1 (the sibling's exemption): absent
    60 days ago, a case opened 40 days ago with persuasions 35 and 34 days ago, the notice 30
    days ago, a prior notice, the decision 12 days ago and a further measure 5 days ago; a
    visit 20 days ago, a help pairing from 15 days ago, an exemption approved and filed."""
    absence = absences.report_absence(
        actor=world.school1_user,
        child=world.child1,
        first_absent_on=days_ago(60),
        reason_known="外出",
        called_home_by="班主任",
    )
    case = cases.open_case(
        actor=world.township1_user,
        child=world.child1,
        cause=DropoutCase.Cause.WORK,
        opened_on=days_ago(40),
    )
    persuade(world, case)
    notice = documents.issue_resume_notice(
        actor=world.township1_user, case=case, served_on=days_ago(30), served_by="王五", **SERVED
    )
    officers = [world.township1_user, world.admin]
    penalties.issue_prior_notice(
        actor=world.township1_user,
        case=case,
        served_on=days_ago(20),
        penalty_kind="warning",
        proposed_penalty="警告",
        officers=officers,
        **SERVED,
    )
    penalties.record_reply(
        actor=world.township1_user, case=case, kind="waiver", received_on=days_ago(19), text=""
    )
    decision = documents.decide_penalty(
        actor=world.township1_user,
        case=case,
        decided_on=days_ago(12),
        facts_and_evidence="入户记录",
        penalty="警告",
        compliance="七日内复学",
        officers=officers,
    )
    measure = cases.add_measure(
        actor=world.township1_user,
        case=case,
        kind="demand",
        date=days_ago(5),
        description="发出履行催告书",
    )
    visit = record_visit(
        actor=world.township1_user,
        household=world.household1,
        children=[world.child1],
        visit_date=days_ago(20),
        visitors="乡镇干部甲、教师乙",
        findings="孩子随父亲在外务工",
        outcome="working_away",
    )
    pairing = assign_help_partner(
        actor=world.township1_user,
        child=world.child1,
        partner_name="赵老师",
        partner_kind="teacher",
        plan="每周家访一次",
        start_date=days_ago(15),
        partner_phone="13812345678",
    )
    exemption = exemptions.register_exemption(
        actor=world.admin,
        child=world.sibling1,
        kind="suspended",
        reason="illness",
        reason_detail="住院治疗",
        start_date=days_ago(10),
        end_date=days_ago(-200),
        application_scan=pdf_upload(),
        evidence=pdf_upload("cert.pdf"),
    )
    exemptions.township_approve(actor=world.township1_user, request=exemption, note="情况属实")
    exemptions.file_exemption(actor=world.bureau, request=exemption, note="同意备案")
    return {
        "case": case,
        "absence": absence,
        "notice": notice,
        "decision": decision,
        "measure": measure,
        "visit": visit,
        "pairing": pairing,
        "exemption": exemption,
    }


def _export(client, name, **data):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("dropout:ledger_export", args=[name]), data)


def _sheet(client, job=None):
    job = job or ExportJob.objects.latest("pk")
    assert job.status == "done", job.error
    response = client.get(reverse("core:export_download", args=[job.pk]))
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def _rows(sheet) -> list[dict]:
    headers = [cell.value for cell in sheet[1]]
    return [
        dict(zip(headers, [cell.value for cell in row], strict=True))
        for row in sheet.iter_rows(min_row=2)
    ]


def _date(value):
    return value.date() if isinstance(value, datetime.datetime) else value


def _is_date(sheet, header, row=2) -> bool:
    column = [cell.value for cell in sheet[1]].index(header) + 1
    return sheet.cell(row=row, column=column).is_date


def _exported(world, name, user=None, **data):
    client = client_for(user or world.township1_user)
    response = _export(client, name, **data)
    assert response.status_code == 302, response.content.decode()[:500]
    sheet = _sheet(client)
    assert [cell.value for cell in sheet[1]] == [header for header, _width in HEADERS[name]]
    return sheet, _rows(sheet)


def test_the_persuasion_ledger_holds_each_visit_with_its_officers(world, records):
    sheet, rows = _exported(world, "persuasions")
    assert len(rows) == 2
    row = rows[0]
    assert row["案件号"] == records["case"].pk and row["姓名"] == world.child1.name
    assert row["身份证号"] == world.child1.resident_id  # the township handles the child
    assert row["乡镇"] == "一镇" and row["村（社区）"] == "一村"
    assert _date(row["劝返日期"]) == days_ago(35) and _is_date(sheet, "劝返日期")
    officers = sorted([world.township1_user, world.village1_user], key=lambda user: user.pk)
    assert row["执法人员"] == "、".join(person_name(user) for user in officers)
    assert row["两名工作人员参加"] == "是"
    assert row["宣讲内容"] == "宣讲义务教育法" and row["家庭答复"] == "不愿返校"
    with override("zh-hans"):
        assert row["劝返结果"] == str(records["case"].persuasions.first().get_result_display())
    assert row["记录人"] == person_name(world.township1_user)
    assert _is_date(sheet, "记录时间")
    job = ExportJob.objects.get()
    assert job.exporter == "dropout_persuasions" and job.rows_written == 2


def test_the_date_range_is_honoured_at_both_ends(world, records):
    _sheet_, rows = _exported(world, "persuasions", date_from=days_ago(34).isoformat())
    assert [_date(row["劝返日期"]) for row in rows] == [days_ago(34)]
    _sheet_, rows = _exported(world, "persuasions", date_to=days_ago(35).isoformat())
    assert [_date(row["劝返日期"]) for row in rows] == [days_ago(35)]
    _sheet_, rows = _exported(
        world, "persuasions", date_from=days_ago(33).isoformat(), date_to=days_ago(1).isoformat()
    )
    assert rows == []
    job = ExportJob.objects.latest("pk")
    assert job.params == {
        "query": {"date_from": [days_ago(33).isoformat()], "date_to": [days_ago(1).isoformat()]}
    }
    assert f"{days_ago(33).isoformat()}至{days_ago(1).isoformat()}" in job.title


def test_the_document_ledger_holds_each_document_with_its_service(world, records):
    sheet, rows = _exported(world, "documents")
    notice, decision = records["notice"], records["decision"]
    assert [row["文号"] for row in rows] == list(
        OfficialDocument.objects.order_by("issued_on", "pk").values_list("number", flat=True)
    )
    assert len(rows) == 3  # the notice, the prior notice, the decision
    row = rows[0]
    assert row["文号"] == notice.number and row["案件号"] == records["case"].pk
    with override("zh-hans"):
        assert row["文书种类"] == str(OfficialDocument.Kind.RESUME_NOTICE.label)
    assert _date(row["发文日期"]) == days_ago(30) and _is_date(sheet, "发文日期")
    assert _date(row["期限"]) == notice.deadline
    assert _date(row["送达日期"]) == days_ago(30)
    assert row["受送达人"] == "张大山" and row["送达人"] == "王五"
    assert row["状态"] == "有效" and row["更正情况"] is None
    last = rows[-1]
    assert last["文号"] == decision.number and last["送达日期"] is None
    assert _date(last["送达期限"]) == decision.service_due_on and last["逾期送达"] == "是（未送达）"
    _sheet_, rows = _exported(world, "documents", kind="penalty_decision")
    assert [row["文号"] for row in rows] == [decision.number]
    _sheet_, rows = _exported(world, "documents", date_to=days_ago(25).isoformat())
    assert [row["文号"] for row in rows] == [notice.number]


def test_the_measure_ledger(world, records):
    sheet, rows = _exported(world, "measures")
    assert len(rows) == 1
    row = rows[0]
    assert row["案件号"] == records["case"].pk and row["姓名"] == world.child1.name
    with override("zh-hans"):
        assert row["措施"] == str(records["measure"].get_kind_display())
        assert row["案件状态"] == str(DropoutCase.Status.PENALTY_DECIDED.label)
    assert _date(row["日期"]) == days_ago(5) and _is_date(sheet, "日期")
    assert row["情况"] == "发出履行催告书"
    _sheet_, rows = _exported(world, "measures", date_to=days_ago(6).isoformat())
    assert rows == []


def test_the_exemption_ledger_holds_each_approval_step_with_who_and_when(world, records):
    sheet, rows = _exported(world, "exemptions")
    assert len(rows) == 1
    row = rows[0]
    exemption = records["exemption"]
    assert row["申请编号"] == exemption.pk and row["姓名"] == world.sibling1.name
    with override("zh-hans"):
        assert row["申请类别"] == str(exemption.get_kind_display())
        assert row["状态"] == str(ExemptionRequest.Status.FILED.label)
    assert _date(row["起始日期"]) == days_ago(10) and _date(row["截止日期"]) == days_ago(-200)
    assert _is_date(sheet, "起始日期") and _is_date(sheet, "乡镇批准时间")
    assert row["登记人"] == person_name(world.admin)
    assert row["乡镇批准人"] == person_name(world.township1_user)
    assert row["县教育局备案人"] == person_name(world.bureau)
    assert _date(row["备案时间"]) == timezone.localdate()
    process = row["审批过程"]
    assert process.count("；") == 2  # registered; approved; filed
    assert "情况属实" in process and "同意备案" in process
    assert process.index(person_name(world.township1_user)) < process.index(
        person_name(world.bureau)
    )
    _sheet_, rows = _exported(world, "exemptions", date_to=days_ago(1).isoformat())
    assert rows == []  # registered today


def test_the_absence_ledger(world, records):
    sheet, rows = _exported(world, "absences")
    assert len(rows) == 1
    row = rows[0]
    assert row["姓名"] == world.child1.name and row["学校"] == "一镇小学"
    assert _date(row["缺课起始日期"]) == days_ago(60) and _is_date(sheet, "缺课起始日期")
    assert row["已知原因"] == "外出" and row["联系家长人"] == "班主任"
    assert row["报告人"] == person_name(world.school1_user)
    assert row["缺课天数"] == 60
    _sheet_, rows = _exported(world, "absences", date_from=days_ago(59).isoformat())
    assert rows == []


def test_the_visit_ledger(world, records):
    sheet, rows = _exported(world, "visits")
    assert len(rows) == 1
    row = rows[0]
    assert _date(row["走访日期"]) == days_ago(20) and _is_date(sheet, "走访日期")
    assert row["户主"] == "王一" and row["走访对象"] == world.child1.name
    assert row["身份证号"] == world.child1.resident_id
    assert row["走访人员"] == "乡镇干部甲、教师乙" and row["有附件"] == "否"
    _sheet_, rows = _exported(world, "visits", date_from=days_ago(19).isoformat())
    assert rows == []


def test_the_pairing_ledger(world, records):
    sheet, rows = _exported(world, "pairings")
    assert len(rows) == 1
    row = rows[0]
    assert row["姓名"] == world.child1.name and row["帮扶责任人"] == "赵老师"
    assert row["联系电话"] == "13812345678"
    assert _date(row["开始日期"]) == days_ago(15) and _is_date(sheet, "开始日期")
    assert row["结束日期"] is None and row["帮扶计划（一生一策）"] == "每周家访一次"
    _sheet_, rows = _exported(world, "pairings", date_to=days_ago(16).isoformat())
    assert rows == []


@pytest.mark.parametrize("name", list(HEADERS))
def test_another_township_exports_none_of_these_rows(world, records, name):
    _sheet_, rows = _exported(world, name)
    assert rows, "township1 has a row of every ledger"
    _sheet_, rows = _exported(world, name, user=world.township2_user)
    assert rows == []


IDENTIFIED = [name for name, columns in HEADERS.items() if ("身份证号", 21) in columns]


@pytest.mark.parametrize("name", IDENTIFIED)
def test_the_auditor_exports_with_the_resident_id_masked(world, records, name):
    _sheet_, rows = _exported(world, name, user=world.auditor)
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
    response = _export(client, "persuasions", **data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "没有导出" in page and message in page
    assert not ExportJob.objects.exists()


def test_a_bad_stage_for_the_case_ledger_is_refused(world, records):
    response = _export(client_for(world.auditor), "cases", status="lost")
    assert response.status_code == 400 and not ExportJob.objects.exists()


def test_an_unknown_ledger_is_404_and_get_is_refused(world):
    client = client_for(world.auditor)
    assert _export(client, "everything").status_code == 404
    assert client.get(reverse("dropout:ledger_export", args=["persuasions"])).status_code == 405
    assert not ExportJob.objects.exists()


def test_the_case_ledger_from_the_ledgers_page_filters_by_range_stage_and_cause(world, records):
    client = client_for(world.township1_user)
    _export(client, "cases", date_from=days_ago(41).isoformat(), status="penalty_decided")
    job = ExportJob.objects.latest("pk")
    assert job.exporter == "dropout_cases" and job.rows_written == 1
    assert job.params["queue"] == "all"
    _export(client, "cases", date_from=days_ago(39).isoformat())
    assert ExportJob.objects.latest("pk").rows_written == 0
    _export(client, "cases", cause="poverty")
    assert ExportJob.objects.latest("pk").rows_written == 0
    _export(client, "cases", cause="work", status="persuading")
    assert ExportJob.objects.latest("pk").rows_written == 0


# --- the register of numbered documents (发文登记) ---------------------------------------


def _case_with_notice(world, child, served_on, official=None):
    """A case of the child's township, persuaded twice by its official with the county
    administrator, and its notice to resume schooling."""
    official = official or world.township1_user
    case = cases.open_case(actor=official, child=child, cause="poverty", opened_on=days_ago(40))
    for index in range(2):
        cases.log_persuasion(
            actor=official,
            case=case,
            date=days_ago(35 - index),
            visitors="班主任",
            officers=[official, world.admin],
            what_was_said="宣讲义务教育法",
            family_answer="不愿返校",
            result="refused",
        )
    return documents.issue_resume_notice(
        actor=official, case=case, served_on=served_on, served_by="王五", **SERVED
    )


@pytest.fixture
def numbered(world, legal_texts, media):
    """Three notices of township1 this year, the second corrected (a fourth number voids it),
    and one of township2."""
    served_on = timezone.localdate()
    first = _case_with_notice(world, world.child1, served_on)
    second = _case_with_notice(world, world.sibling1, served_on)
    third = _case_with_notice(world, world.child1b, served_on)
    correction = documents.correct_document(
        actor=world.township1_user, document=second, reason="姓名有误"
    )
    other = _case_with_notice(world, world.child2, served_on, world.township2_user)
    return {
        "first": first,
        "second": second,
        "third": third,
        "correction": correction,
        "other": other,
    }


def test_the_register_numbers_each_township_kind_and_year_consecutively_from_one(world, numbered):
    sheet, rows = _exported(world, "register")
    year = numbered["first"].year
    assert [(row["乡镇"], row["年度"], row["顺序号"]) for row in rows] == [
        ("一镇", year, 1),
        ("一镇", year, 2),
        ("一镇", year, 3),
        ("一镇", year, 4),
    ]
    assert [row["文号"] for row in rows] == [
        numbered[key].number for key in ("first", "second", "third", "correction")
    ]
    voided = rows[1]
    assert voided["状态"] == "已作废" and numbered["correction"].number in voided["更正情况"]
    assert voided["作废原因"] == "姓名有误"
    assert rows[3]["状态"] == "有效" and rows[3]["更正情况"] == f"更正{numbered['second'].number}"
    assert all(row["状态"] != "缺号" for row in rows)
    assert _is_date(sheet, "发文日期")
    # The county sees both townships, each numbered from 1.
    _sheet_, rows = _exported(world, "register", user=world.auditor)
    numbers = {}
    for row in rows:
        numbers.setdefault((row["乡镇"], row["文书种类"], row["年度"]), []).append(row["顺序号"])
    assert all(sequence == list(range(1, len(sequence) + 1)) for sequence in numbers.values())
    assert sorted(len(sequence) for sequence in numbers.values()) == [1, 4]


def test_a_number_without_its_document_shows_in_the_register(world, numbered):
    # Never by the services (a rolled-back issue gives its number back): a sequence ahead of
    # the documents, as a faulty import or a manual edit would leave it.
    sequence = DocumentSequence.objects.get(
        issuer=f"township:{world.township1.pk}", kind="resume_notice"
    )
    sequence.last_number += 1
    sequence.save()
    _sheet_, rows = _exported(world, "register")
    assert [row["顺序号"] for row in rows] == [1, 2, 3, 4, 5]
    assert rows[-1]["状态"] == "缺号" and rows[-1]["更正情况"] == "未找到该号文书"
    page = client_for(world.township1_user).get(reverse("dropout:document_register"))
    assert 'id="register-missing"' in page.content.decode()


def test_the_register_page_lists_every_number_with_the_voided_one(world, numbered):
    client = client_for(world.township1_user)
    response = client.get(reverse("dropout:document_register"))
    assert response.status_code == 200
    page = response.content.decode()
    for key in ("first", "second", "third", "correction"):
        assert numbered[key].number in page
    assert numbered["other"].number not in page
    assert page.count('data-sequence="') == 4
    assert 'id="register-missing"' not in page
    with override("zh-hans"):
        assert "已作废" in page
    other = client_for(world.township2_user).get(reverse("dropout:document_register"))
    assert numbered["first"].number not in other.content.decode()
    assert numbered["other"].number in other.content.decode()
    last_year = days_ago(0).year - 1
    response = client.get(
        reverse("dropout:document_register"),
        {"date_from": f"{last_year}-01-01", "date_to": f"{last_year}-12-31"},
    )
    assert 'data-sequence="' not in response.content.decode()
    bad = client.get(reverse("dropout:document_register"), {"date_from": "2025-02-30"})
    assert bad.status_code == 400 and "请按 YYYY-MM-DD 格式填写日期" in bad.content.decode()


def test_a_village_scope_has_no_register(world, numbered):
    response = client_for(world.village1_user).get(reverse("dropout:document_register"))
    assert response.status_code == 200
    assert 'data-sequence="' not in response.content.decode()


# --- the ledgers page -------------------------------------------------------------------------


def test_the_ledgers_page_counts_the_rows_of_the_users_scope_in_the_range(world, records):
    client = client_for(world.township1_user)
    page = client.get(reverse("dropout:ledger_index")).content.decode()
    for name in LEDGERS:
        assert f'action="{reverse("dropout:ledger_export", args=[name])}"' in page
    assert 'data-count="persuasions">2<' in page and 'data-count="documents">3<' in page
    page = client.get(
        reverse("dropout:ledger_index"), {"date_from": days_ago(34).isoformat()}
    ).content.decode()
    assert 'data-count="persuasions">1<' in page and 'data-count="absences">0<' in page
    other = client_for(world.township2_user).get(reverse("dropout:ledger_index")).content.decode()
    assert 'data-count="persuasions">0<' in other and 'data-count="visits">0<' in other
    bad = client.get(reverse("dropout:ledger_index"), {"date_from": "2025-1-32"})
    assert bad.status_code == 400 and "请按 YYYY-MM-DD 格式填写日期" in bad.content.decode()


def test_the_menu_and_the_list_pages_lead_to_the_exports(world):
    client = client_for(world.township1_user)
    home = client.get(reverse("dropout:absence_list")).content.decode()
    assert reverse("dropout:ledger_index") in home
    assert f'action="{reverse("dropout:ledger_export", args=["absences"])}"' in home
    exemption_page = client.get(reverse("dropout:exemption_list")).content.decode()
    assert f'action="{reverse("dropout:ledger_export", args=["exemptions"])}"' in exemption_page


# --- the API lists: the same filters ----------------------------------------------------------


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content.decode()[:500]
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def second_case(world, records):
    """child1b's case, opened three days ago by the county administrator (its handler)."""
    return cases.open_case(
        actor=world.admin, child=world.child1b, cause="poverty", opened_on=days_ago(3)
    )


def test_the_case_api_filters_by_date_range_stage_cause_and_handler(world, records, second_case):
    first = records["case"]
    api = api_for(world.auditor)
    url = "/api/v1/dropout-cases/"
    assert sorted(_ids(api.get(url))) == sorted([first.pk, second_case.pk])
    assert _ids(api.get(url, {"date_from": days_ago(10).isoformat()})) == [second_case.pk]
    assert _ids(api.get(url, {"date_to": days_ago(10).isoformat()})) == [first.pk]
    assert _ids(api.get(url, {"date_from": days_ago(40), "date_to": days_ago(40)})) == [first.pk]
    assert _ids(api.get(url, {"status": "penalty_decided"})) == [first.pk]
    assert _ids(api.get(url, {"cause": "poverty"})) == [second_case.pk]
    assert _ids(api.get(url, {"handler": world.admin.pk})) == [second_case.pk]
    assert _ids(api.get(url, {"handler": world.township1_user.pk})) == [first.pk]
    assert _ids(api.get(url, {"township": world.township2.pk})) == []
    assert _ids(api_for(world.township2_user).get(url, {"date_from": days_ago(60)})) == []


@pytest.mark.parametrize(
    "query, field, message",
    [
        ({"date_from": "2025-02-30"}, "date_from", "请按 YYYY-MM-DD 格式填写日期"),
        ({"date_to": "1899-12-31"}, "date_to", "请填写1900年至2100年之间的日期"),
        ({"date_from": "2025-03-02", "date_to": "2025-03-01"}, "date_to", "结束日期早于开始日期"),
        ({"handler": "me"}, "handler", ""),
    ],
)
def test_a_bad_filter_answers_400_on_the_parameter(world, records, query, field, message):
    for url in ("/api/v1/dropout-cases/", "/api/v1/exemptions/", "/api/v1/documents/"):
        if field == "handler" and url != "/api/v1/dropout-cases/":
            continue
        response = api_for(world.auditor).get(url, query)
        assert response.status_code == 400
        assert message in " ".join(response.json()[field])
    if field != "handler":
        assert api_for(world.auditor).get("/api/v1/visits/", query).status_code == 400


def test_the_exemption_document_and_visit_apis_filter_by_date(world, records):
    api = api_for(world.auditor)
    today, yesterday = timezone.localdate().isoformat(), days_ago(1).isoformat()
    exemption = records["exemption"]
    assert _ids(api.get("/api/v1/exemptions/", {"date_from": today})) == [exemption.pk]
    assert _ids(api.get("/api/v1/exemptions/", {"date_to": yesterday})) == []
    assert _ids(api.get("/api/v1/exemptions/", {"kind": "suspended"})) == [exemption.pk]
    notice, decision = records["notice"], records["decision"]
    url = "/api/v1/documents/"
    assert _ids(api.get(url, {"kind": "resume_notice"})) == [notice.pk]
    assert _ids(api.get(url, {"date_to": days_ago(25).isoformat()})) == [notice.pk]
    assert _ids(api.get(url, {"date_from": days_ago(13).isoformat()})) == [decision.pk]
    assert _ids(api_for(world.township2_user).get(url)) == []
    visit = records["visit"]
    assert _ids(api.get("/api/v1/visits/", {"date_from": days_ago(20).isoformat()})) == [visit.pk]
    assert _ids(api.get("/api/v1/visits/", {"date_from": days_ago(19).isoformat()})) == []
    assert _ids(api.get("/api/v1/visits/", {"outcome": "working_away"})) == [visit.pk]


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
