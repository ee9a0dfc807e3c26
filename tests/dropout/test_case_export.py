"""失辍学案件台账 (the case ledger export) and the queue of decisions awaiting service: every step
of the procedure with its date, read back cell by cell; scope, masking and bad input."""

import datetime
import io

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils.translation import override
from openpyxl import load_workbook

from core.masking import mask_resident_id
from core.models import ExportJob
from dropout.exports import COLUMNS
from dropout.services import documents, penalties

from ..conftest import client_for
from .conftest import SERVED, days_ago, notice_and_prior_notice


@pytest.fixture
def decided(world, case):
    """A case through the whole procedure: two persuasions by two officials, the notice, the
    prior notice with a statement reviewed, a decision served late (day 9 of 7)."""
    notice_and_prior_notice(world, case)
    officers = [world.township1_user, world.admin]
    reply = penalties.record_reply(
        actor=world.township1_user,
        case=case,
        kind="statement",
        received_on=days_ago(19),
        text="家庭困难",
    )
    penalties.review_reply(
        actor=world.township1_user,
        case=case,
        reply=reply,
        review="理由不成立",
        outcome="rejected",
        reviewed_on=days_ago(18),
    )
    documents.decide_penalty(
        actor=world.township1_user,
        case=case,
        decided_on=days_ago(12),
        facts_and_evidence="入户记录",
        penalty="警告",
        compliance="七日内复学",
        officers=officers,
    )
    return case


def _export(client, queue):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("dropout:case_export"), {"queue": queue})


def _sheet(client, job):
    response = client.get(reverse("core:export_download", args=[job.pk]))
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def _row(sheet, number=2) -> dict:
    headers = [cell.value for cell in sheet[1]]
    return dict(zip(headers, [cell.value for cell in sheet[number]], strict=True))


def _date(value):
    return value.date() if isinstance(value, datetime.datetime) else value


def test_the_ledger_holds_every_step_and_its_date(world, decided, media):
    client = client_for(world.township1_user)
    response = _export(client, "all")
    job = ExportJob.objects.get()
    assert response.status_code == 302 and job.status == "done" and job.rows_written == 1
    assert job.params == {"queue": "all", "query": {}} and "失辍学案件台账（全部）" in job.title
    sheet = _sheet(client, job)
    assert [cell.value for cell in sheet[1]] == [header for header, _width in COLUMNS]
    assert sheet.auto_filter.ref
    row = _row(sheet)
    notice = decided.documents.get(kind="resume_notice")
    prior = decided.prior_notices.get()
    decision = decided.documents.get(kind="penalty_decision")
    assert row["案件号"] == decided.pk and row["姓名"] == world.child1.name
    assert row["身份证号"] == world.child1.resident_id  # the township handles the child
    reply = prior.replies.get()
    decided.refresh_from_db()
    with override("zh-hans"):
        status = decided.get_status_display()
        kind, outcome = reply.get_kind_display(), reply.get_review_outcome_display()
    replies = f"{days_ago(19).isoformat()} {kind}（复核：{outcome}）"
    assert row["案件状态"] == status
    assert row["劝返次数"] == 2 and row["其中两名工作人员参加"] == 2
    assert row["限期复学通知书文号"] == notice.number
    assert _date(row["通知书送达日期"]) == days_ago(30)
    assert _date(row["复学期限"]) == notice.deadline
    assert sheet.cell(row=2, column=16).is_date  # dates are Excel dates, not text
    assert row["事先告知书文号"] == prior.document.number
    assert _date(row["事先告知送达日期"]) == days_ago(20)
    assert _date(row["陈述申辩期限"]) == prior.reply_until
    assert row["当事人陈述申辩"] == replies
    assert row["听证日期"] is None and row["法制审核"] is None
    assert row["处罚决定书文号"] == decision.number
    assert _date(row["处罚决定日期"]) == days_ago(12)
    assert row["决定书送达日期"] is None
    assert _date(row["送达期限"]) == days_ago(5)
    assert row["逾期送达"] == "是（未送达）"

    penalties.serve_decision(
        actor=world.township1_user,
        case=decided,
        served_on=days_ago(3),
        officers=[world.township1_user, world.admin],
        **SERVED,
    )
    _export(client, "all")
    row = _row(_sheet(client, ExportJob.objects.latest("pk")))
    assert _date(row["决定书送达日期"]) == days_ago(3) and row["逾期送达"] == "是"


def test_a_service_in_time_is_not_late(world, decided, media):
    penalties.serve_decision(
        actor=world.township1_user,
        case=decided,
        served_on=days_ago(6),  # day 6 after the decision
        officers=[world.township1_user, world.admin],
        **SERVED,
    )
    client = client_for(world.township1_user)
    _export(client, "all")
    assert _row(_sheet(client, ExportJob.objects.get()))["逾期送达"] == "否"


def test_the_auditor_exports_with_the_identity_masked_and_others_see_nothing(world, decided, media):
    auditor = client_for(world.auditor)
    _export(auditor, "all")
    row = _row(_sheet(auditor, ExportJob.objects.get(requested_by=world.auditor)))
    assert row["身份证号"] == mask_resident_id(world.child1.resident_id)
    assert row["身份证号"] != world.child1.resident_id
    other = client_for(world.township2_user)
    _export(other, "all")
    job = ExportJob.objects.get(requested_by=world.township2_user)
    assert job.rows_written == 0
    assert _sheet(other, job).max_row == 1  # the header only
    # Another user's export is not theirs to download.
    auditors = ExportJob.objects.get(requested_by=world.auditor)
    response = other.get(reverse("core:export_download", args=[auditors.pk]))
    assert response.status_code == 404


def test_a_queue_exports_only_its_cases(world, decided, media):
    client = client_for(world.township1_user)
    _export(client, "unserved")
    job = ExportJob.objects.get()
    assert job.rows_written == 1 and "处罚决定书待送达" in job.title
    _export(client, "closed")
    assert ExportJob.objects.latest("pk").rows_written == 0


def test_a_bad_queue_is_404_and_get_is_refused(world, decided, media):
    client = client_for(world.township1_user)
    assert _export(client, "everything").status_code == 404
    assert client.get(reverse("dropout:case_export")).status_code == 405
    assert not ExportJob.objects.exists()


def test_the_unserved_queue_lists_decisions_with_their_service_deadline(world, decided):
    client = client_for(world.township1_user)
    page = client.get("/dropout/cases/?queue=unserved").content.decode()
    assert f'href="/dropout/cases/{decided.pk}/"' in page
    assert days_ago(5).isoformat() in page and "已逾期" in page
    assert 'data-count="unserved">1<' in page
    other = client_for(world.township2_user).get("/dropout/cases/?queue=unserved")
    assert f'href="/dropout/cases/{decided.pk}/"' not in other.content.decode()
    penalties.serve_decision(
        actor=world.township1_user,
        case=decided,
        served_on=days_ago(1),
        officers=[world.township1_user, world.admin],
        **SERVED,
    )
    page = client.get("/dropout/cases/?queue=unserved").content.decode()
    assert f'href="/dropout/cases/{decided.pk}/"' not in page


def test_the_case_list_filters_narrow_the_list_its_counts_and_its_export(world, decided, media):
    client = client_for(world.township1_user)
    opened = decided.opened_on.isoformat()
    page = client.get(f"/dropout/cases/?queue=all&date_from={opened}&cause=work")
    body = page.content.decode()
    assert f'href="/dropout/cases/{decided.pk}/"' in body and 'data-count="unserved">1<' in body
    later = (decided.opened_on + datetime.timedelta(days=1)).isoformat()
    body = client.get(f"/dropout/cases/?queue=all&date_from={later}").content.decode()
    assert f'href="/dropout/cases/{decided.pk}/"' not in body
    assert 'data-count="unserved">0<' in body  # the counts honour the filters
    bad = client.get("/dropout/cases/?queue=all&date_from=2026-13-40").content.decode()
    assert 'id="case-filter-errors"' in bad
    assert f'href="/dropout/cases/{decided.pk}/"' in bad  # a bad filter filters nothing
    # Another township cannot be chosen: it is not among the choices, and filters nothing in.
    assert f'value="{world.township2.pk}"' not in body
    # The export carries the filters.
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("dropout:case_export"), {"queue": "all", "date_from": later})
    job = ExportJob.objects.get()
    assert job.params == {"queue": "all", "query": {"date_from": [later]}}
    assert job.rows_written == 0
    with TestCase.captureOnCommitCallbacks(execute=True):
        refused = client.post(
            reverse("dropout:case_export"), {"queue": "all", "date_to": "not-a-date"}
        )
    assert refused.status_code == 302 and ExportJob.objects.count() == 1


def test_the_ledgers_queries_do_not_grow_with_its_cases(world, decided):
    """Each related table is read once per chunk of cases, and no row reads a field the export
    left out (that would be a query per document)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dropout.exports import export_cases
    from dropout.models import DropoutCase
    from dropout.services import cases

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            rows = list(export_cases(world.admin, {"queue": "all"}).rows)
        return len(rows), len(captured.captured_queries)

    one, with_one = queries()
    second = cases.open_case(
        actor=world.township1_user,
        child=world.sibling1,
        cause=DropoutCase.Cause.LEARNING,
        cause_detail="厌学",
        responsible_persons="镇长 张三",
        opened_on=days_ago(40),
    )
    notice_and_prior_notice(world, second)
    two, with_two = queries()
    assert (one, two) == (1, 2)
    assert with_two == with_one <= 10
