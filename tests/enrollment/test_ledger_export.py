"""The ledger's Excel export: filters applied, scope enforced, masked where needed, read back
cell by cell with openpyxl."""

import io

from django.test import TestCase
from django.urls import reverse
from openpyxl import load_workbook

from core.models import ExportJob
from enrollment.services import update_child
from risk.models import RiskScore

from ..conftest import client_for

HEADERS = [
    "序号",
    "姓名",
    "性别",
    "出生日期",
    "身份证号",
    "乡镇",
    "村（社区）",
    "户主",
    "家庭类别",
    "监护人",
    "与儿童关系",
    "联系电话",
    "就学状态",
    "状态起始日期",
    "学校",
    "年级",
    "重点监测群体",
    "涉案未成年人",
    "辍学风险",  # the risk app's score (enrollment.extensions.CHILD_SCORES)
]


def _export(client, kind, place, data=None):
    """Exports are queued on commit; run those callbacks (eager Celery) as a commit would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("enrollment:export_ledger", args=[kind, place.pk]), data or {})


def _download(client, job):
    response = client.get(reverse("core:export_download", args=[job.pk]))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    return load_workbook(io.BytesIO(content)).active


def test_township_ledger_export_holds_the_filtered_rows_cell_by_cell(world, media):
    RiskScore.objects.create(
        child=world.child1, county=world.county, score=45, computed_on=world.child1.birth_date
    )
    client = client_for(world.township1_user)
    response = _export(client, "township", world.township1, {"status": "in_school"})
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("core:export_detail", args=[job.pk])
    assert (job.status, job.rows_written, job.requested_by) == ("done", 1, world.township1_user)
    assert job.params == {
        "kind": "township",
        "pk": world.township1.pk,
        "query": {"status": ["in_school"]},
    }

    sheet = _download(client, job)
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert len(rows) == 2
    child = world.child1
    child.refresh_from_db()
    expected = [
        1,
        "王小一",
        "男",
        child.birth_date,
        child.resident_id,
        "一镇",
        "一村",
        "王一",
        "非贫困户",
        "张大山",
        "父亲",
        "13812345678",
        "在校就读",
        child.status_since,
        "一镇小学",
        "三年级",
        None,
        None,  # 涉案未成年人: not flagged (the township official may see it)
        45,  # 辍学风险: the child's current score
    ]
    actual = list(rows[1])
    actual[3] = actual[3].date()
    actual[13] = actual[13].date()
    assert actual == expected


def test_auditor_export_masks_ids_and_phones(world, media):
    client = client_for(world.auditor)
    assert _export(client, "county", world.county).status_code == 302
    job = ExportJob.objects.get()
    sheet = _download(client, job)
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert job.rows_written == len(rows) == 4
    assert all("*" in row[4] for row in rows)
    assert all("*" in row[11] for row in rows)


def test_formula_like_text_is_neutralised(world, media):
    update_child(actor=world.admin, child=world.child1, name='=HYPERLINK("http://x")')
    client = client_for(world.township1_user)
    _export(client, "township", world.township1)
    sheet = _download(client, ExportJob.objects.get())
    names = [row[1] for row in sheet.iter_rows(min_row=2)]
    hostile = next(cell for cell in names if "HYPERLINK" in str(cell.value))
    # Shown as typed, kept as text by the cell's quote-prefix style: no visible apostrophe.
    assert hostile.value == '=HYPERLINK("http://x")'
    assert hostile.data_type == "s" and hostile.quotePrefix


def test_out_of_scope_export_is_404_and_logs_nothing(world, media):
    client = client_for(world.township1_user)
    assert _export(client, "township", world.township2).status_code == 404
    assert (
        client.get(
            reverse("enrollment:export_ledger", args=["township", world.township1.pk])
        ).status_code
        == 405
    )
    assert ExportJob.objects.count() == 0


def test_only_the_requester_sees_and_downloads_an_export(world, media):
    _export(client_for(world.township1_user), "township", world.township1)
    job = ExportJob.objects.get()
    other = client_for(world.bureau)
    assert other.get(reverse("core:export_detail", args=[job.pk])).status_code == 404
    assert other.get(reverse("core:export_download", args=[job.pk])).status_code == 404


def test_progress_fragment_for_htmx(world, media):
    client = client_for(world.township1_user)
    _export(client, "township", world.township1)
    job = ExportJob.objects.get()
    response = client.get(reverse("core:export_detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert b'data-status="done"' in response.content
    assert b"<html" not in response.content


def test_export_query_count_does_not_grow_with_rows(world, media, django_assert_max_num_queries):
    from ..factories import ChildFactory

    for _ in range(40):
        ChildFactory(household=world.household1b)
    client = client_for(world.township1_user)
    with django_assert_max_num_queries(30):
        _export(client, "township", world.township1)
    assert ExportJob.objects.get().rows_written == 43


def test_the_focus_column_names_each_group_the_child_belongs_to(world, media):
    from enrollment.models import Child, Household, PovertyStatus

    Household.objects.filter(pk=world.child1.household_id).update(
        poverty_status=PovertyStatus.REGISTERED_POOR
    )
    Child.objects.filter(pk=world.child1.pk).update(is_left_behind=True, is_orphan=True)
    client = client_for(world.township1_user)
    _export(client, "township", world.township1, {"status": "in_school"})
    rows = list(_download(client, ExportJob.objects.get()).iter_rows(values_only=True))
    assert rows[1][1] == "王小一"
    assert rows[1][16] == "建档立卡、留守儿童、孤儿或事实无人抚养"


def test_a_filtered_export_is_named_by_its_filter_and_its_dates_are_dates(world, media):
    client = client_for(world.township1_user)
    _export(client, "township", world.township1)
    _export(client, "township", world.township1, {"status": "in_school"})
    whole, in_school = ExportJob.objects.order_by("pk")
    assert whole.title != in_school.title and "在校" in in_school.title
    response = client.get(reverse("core:export_download", args=[in_school.pk]))
    assert "filename*=utf-8''" in response["Content-Disposition"].lower()
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.auto_filter.ref and sheet["D2"].is_date  # 出生日期
