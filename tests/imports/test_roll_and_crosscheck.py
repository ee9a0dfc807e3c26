"""The school roll sets pupils in school and completes the cross-check lists; the lists export
to Excel (full or masked IDs by role, formula-like text neutralised); scopes hold."""

import datetime
import io

import pytest
from django.test import TestCase
from django.urls import reverse
from openpyxl import load_workbook

from core.models import ExportJob, ImportJob
from enrollment.import_samples import police_row, roll_row
from enrollment.models import EnrollmentStatus, RollEntry
from enrollment.services import change_status, update_child

from ..conftest import client_for
from .conftest import commit, new_id, police_bytes, roll_bytes, upload

ENTRY = datetime.date(2023, 9, 1)


@pytest.fixture
def checked(world):
    """Police extract of township1 imported; school2's roll lists child2; then school1's roll:
    child1 (grade 3 → 4), child1b (now in school), child2 (also on school2's roll, lives in
    township2) and an ID no extract lists."""
    w = world
    w.newcomer_id = new_id(datetime.date(2016, 2, 2), 1)
    rows = [police_row(1, w.child1), police_row(2, w.child1b), police_row(3, w.sibling1)]
    rows.append(
        [
            4,
            "新来",
            "男",
            w.newcomer_id,
            datetime.date(2016, 2, 2),
            "一村9组",
            "",
            "新大",
            "父亲",
            "",
            w.village1.name,
        ]
    )
    for child in (w.child1, w.child1b, w.sibling1):
        child.current_address = child.household.address
    _r, job = upload(
        w.township1_user, "police_extract", f"township:{w.township1.pk}", police_bytes(rows)
    )
    assert job.status == ImportJob.Status.CHECKED, job.report
    _r, job = commit(w.township1_user, job)
    assert job.status == ImportJob.Status.COMMITTED, job.error

    _r, job = upload(
        w.admin,
        "school_roll",
        f"school:{w.school2.pk}",
        roll_bytes([roll_row(w.child2, grade=3, class_name="1班", entry_date=ENTRY)]),
    )
    assert (job.status, job.rows_new) == (ImportJob.Status.CHECKED, 1), job.report
    commit(w.admin, job)

    w.unknown_id = new_id(datetime.date(2015, 8, 8), 2, "F")
    roll = [
        roll_row(w.child1, grade=4, class_name="2班", entry_date=ENTRY),
        roll_row(w.child1b, grade=2, class_name="1班", entry_date=ENTRY, boarder=True),
        roll_row(w.child2, grade=3, class_name="1班", entry_date=ENTRY),
        ["陌生", "", "G" + w.unknown_id, "三年级", "1班", "2023.9.1", "否", "否"],
    ]
    _r, job = upload(w.school1_user, "school_roll", f"school:{w.school1.pk}", roll_bytes(roll))
    w.roll_job = job
    return w


def test_school_roll_sets_pupils_in_school_with_dated_history(checked):
    w, job = checked, checked.roll_job
    assert job.status == ImportJob.Status.CHECKED, job.report
    assert (job.rows_new, job.rows_changed, job.rows_unchanged, job.rows_error) == (4, 0, 0, 0)
    notes = {row["label"]: row["notes"] for row in job.report["rows"]}
    assert notes[w.child2.name] == [
        "该生也在二镇小学的学籍名单上，登记显示其在该校就读；就学状态保持不变（见比对：重复学籍）。"
    ]
    assert notes["陌生"] == ["本县没有登记该身份证号的儿童（见比对）。"]
    _r, job = commit(w.school1_user, job)
    assert job.status == ImportJob.Status.COMMITTED, job.error
    w.child1b.refresh_from_db()
    assert (w.child1b.status, w.child1b.current_school, w.child1b.grade) == (
        EnrollmentStatus.IN_SCHOOL,
        w.school1,
        2,
    )
    assert w.child1b.is_boarder and w.child1b.class_name == "1班"
    change = w.child1b.status_changes.first()
    assert (change.effective_date, change.is_boarder, change.reason, change.recorded_by) == (
        ENTRY,
        True,
        "学籍名单导入",
        w.school1_user,
    )
    assert change.previous_status == EnrollmentStatus.UNVERIFIED
    w.child1.refresh_from_db()
    assert (w.child1.grade, w.child1.class_name) == (4, "2班")
    assert w.child1.status_changes.first().effective_date == datetime.date.today()
    w.child2.refresh_from_db()
    assert w.child2.current_school == w.school2  # left alone: on two rolls
    assert RollEntry.objects.filter(school=w.school1).count() == 4

    _r, again = upload(w.school1_user, "school_roll", f"school:{w.school1.pk}", _same_roll(w))
    assert (again.rows_new, again.rows_changed, again.rows_unchanged) == (0, 0, 4)


def _same_roll(w):
    return roll_bytes(
        [
            roll_row(w.child1, grade=4, class_name="2班", entry_date=ENTRY),
            roll_row(w.child1b, grade=2, class_name="1班", entry_date=ENTRY, boarder=True),
            roll_row(w.child2, grade=3, class_name="1班", entry_date=ENTRY),
            ["陌生", "", "G" + w.unknown_id, "三年级", "1班", "2023.9.1", "否", "否"],
        ]
    )


def test_an_entry_date_older_than_the_last_recorded_change_is_dated_from_that_change(world):
    """The roll's entry date is not wrong when the registry recorded a change since (a child
    listed as dropped out last month, back on the roll since 2023): the change is recorded from
    the last change, by the same rule as a procedure's, so the history stays in order."""
    w = world
    last = datetime.date.today() - datetime.timedelta(days=30)
    change_status(
        actor=w.admin,
        child=w.child1b,
        status=EnrollmentStatus.DROPPED_OUT,
        effective_date=last,
        reason="辍学",
    )
    roll = [roll_row(w.child1b, grade=3, class_name="1班", entry_date=ENTRY)]
    _r, job = upload(w.school1_user, "school_roll", f"school:{w.school1.pk}", roll_bytes(roll))
    assert (job.status, job.rows_error) == (ImportJob.Status.CHECKED, 0), job.report
    _r, job = commit(w.school1_user, job)
    assert job.status == ImportJob.Status.COMMITTED, job.error
    change = w.child1b.status_changes.first()
    assert (change.status, change.effective_date, change.previous_status) == (
        EnrollmentStatus.IN_SCHOOL,
        last,
        EnrollmentStatus.DROPPED_OUT,
    )
    assert RollEntry.objects.get(child=w.child1b).entry_date == ENTRY


def test_roll_errors_are_reported_and_nothing_written(world):
    w = world
    roll = [
        ["王小一", "", "", "三年级", "1班", "2023.9.1", "否", "否"],  # no ID at all
        [w.child1.name, w.child1.resident_id, "G" + w.child1b.resident_id, "3", "", ENTRY, "", ""],
        ["别名", w.child1b.resident_id, "", "十三年级", "", "2099.1.1", "也许", ""],
    ]
    _r, job = upload(w.school1_user, "school_roll", f"school:{w.school1.pk}", roll_bytes(roll))
    assert job.status == ImportJob.Status.REJECTED
    assert [(e["row"], e["column"]) for e in job.report["errors"]] == [
        (2, "公民身份号码"),
        (3, "学籍号"),
        (4, "年级"),
        (4, "入学日期"),
        (4, "是否寄宿"),
    ]
    assert not RollEntry.objects.exists()


def _crosscheck(client, township, name):
    response = client.get(reverse("enrollment:crosscheck", args=[township.pk]), {"list": name})
    assert response.status_code == 200
    return response


def test_the_cross_check_lists_the_four_kinds(checked):
    w = checked
    commit(w.school1_user, w.roll_job)
    client = client_for(w.township1_user)
    response = _crosscheck(client, w.township1, "unaccounted")
    counts = {key: count for key, _label, count in response.context["tabs"]}
    assert counts == {"unaccounted": 2, "outside": 1, "two_rolls": 1, "unregistered": 2}
    names = {child.name for child, _o in response.context["rows"]}
    assert names == {w.sibling1.name, "新来"}
    response = _crosscheck(client, w.township1, "outside")
    assert [entry.name for entry, _o in response.context["rows"]] == [w.child2.name]
    response = _crosscheck(client, w.township1, "two_rolls")
    assert [(e.name, o) for e, o in response.context["rows"]] == [(w.child2.name, ["二镇小学"])]
    response = _crosscheck(client, w.township1, "unregistered")
    assert {e.name for e, _o in response.context["rows"]} == {"陌生", w.child2.name}


def _export(client, township, name):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse("enrollment:crosscheck_export", args=[township.pk]), {"list": name}
        )
    return response


def _read(client, job):
    response = client.get(reverse("core:export_download", args=[job.pk]))
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def test_cross_check_exports_full_or_masked_ids_by_role_and_neutralise_formulas(checked):
    w = checked
    commit(w.school1_user, w.roll_job)
    update_child(actor=w.admin, child=w.sibling1, name="=1+2")
    client = client_for(w.township1_user)
    response = _export(client, w.township1, "unaccounted")
    job = ExportJob.objects.get(requested_by=w.township1_user)
    assert response["Location"] == reverse("core:export_detail", args=[job.pk])
    sheet = _read(client, job)
    header = [cell.value for cell in sheet[1]]
    assert header == [
        "序号",
        "姓名",
        "性别",
        "出生日期",
        "身份证号",
        "村（社区）",
        "户籍地址",
        "监护人",
        "与儿童关系",
        "联系电话",
    ]
    assert sheet.freeze_panes == "A2"
    rows = {row[1]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"=1+2", "新来"}
    assert rows["=1+2"][4] == w.sibling1.resident_id
    assert sheet.cell(row=2, column=5).data_type == "s"  # IDs are text

    auditor = client_for(w.auditor)
    _export(auditor, w.township1, "two_rolls")
    sheet = _read(auditor, ExportJob.objects.get(requested_by=w.auditor))
    assert [cell.value for cell in sheet[1]][-1] == "同时在籍学校"
    row = [cell.value for cell in sheet[2]]
    assert row[2] == w.child2.name
    assert row[3] == w.child2.resident_id[:4] + "*" * 10 + w.child2.resident_id[-4:]
    assert row[-1] == "二镇小学"


def test_out_of_scope_users_can_neither_import_into_nor_export_from_another_township(checked):
    w = checked
    other = client_for(w.township2_user)
    assert other.get(reverse("enrollment:crosscheck", args=[w.township1.pk])).status_code == 404
    assert _export(other, w.township1, "unaccounted").status_code == 404
    response, job = upload(
        w.township2_user, "police_extract", f"township:{w.township1.pk}", police_bytes([])
    )
    assert response.status_code == 404 and job is None
    response, job = upload(w.school1_user, "school_roll", f"school:{w.school2.pk}", roll_bytes([]))
    assert response.status_code == 404 and job is None
    assert not ExportJob.objects.filter(requested_by=w.township2_user).exists()


def test_roles_without_import_are_refused(checked):
    w = checked
    for user in (w.auditor, w.village1_user, w.inspector):
        response, job = upload(
            user, "police_extract", f"township:{w.township1.pk}", police_bytes([])
        )
        assert response.status_code == 403 and job is None
    # School staff do not import police extracts; the auditor sees the school but never writes.
    response, _job = upload(
        w.school1_user, "police_extract", f"township:{w.township1.pk}", police_bytes([])
    )
    assert response.status_code == 403
    response, _job = upload(w.auditor, "school_roll", f"school:{w.school1.pk}", roll_bytes([]))
    assert response.status_code == 403


def test_only_the_uploader_sees_an_import_and_commit_needs_the_role_still(checked):
    w = checked
    job = w.roll_job
    assert client_for(w.admin).get(reverse("core:import_detail", args=[job.pk])).status_code == 404
    response = client_for(w.township1_user).post(reverse("core:import_commit", args=[job.pk]))
    assert response.status_code == 404
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED


def test_export_and_import_log_is_for_county_admins_and_auditors(checked):
    w = checked
    _export(client_for(w.township1_user), w.township1, "outside")
    for user in (w.admin, w.auditor):
        response = client_for(user).get(reverse("enrollment:excel_log"))
        assert response.status_code == 200
        assert [job.title for job in response.context["page"]] == ["一镇比对-在籍但户籍不在本乡镇"]
        response = client_for(user).get(reverse("enrollment:excel_log"), {"kind": "imports"})
        assert len(response.context["page"]) == 3
    for user in (w.township1_user, w.school1_user, w.bureau):
        assert client_for(user).get(reverse("enrollment:excel_log")).status_code == 403
