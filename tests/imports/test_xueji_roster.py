"""The 学籍 roster: records each registered pupil's 学籍号 and the roster's status, school, grade
and class; refuses each fault with row/column/value/why and writes nothing then; never changes
the registry's status; scopes hold."""

import datetime

import pytest

from core.models import ImportJob
from core.resident_id import check_digit
from enrollment.import_samples import ROSTER_HEADERS, roster_row
from enrollment.models import Child, EnrollmentStatus, RosterStatus

from ..conftest import client_for
from .conftest import commit, errors_of, new_id, upload, xlsx_bytes


def roster_bytes(rows) -> bytes:
    return xlsx_bytes(ROSTER_HEADERS, rows, title="学籍花名册")


def _roster(w):
    """child1 in school1 (在籍, agrees), child2 in school2 (休学: the registry has it in
    school), child1b in school1 (在籍 though unverified in the registry), with a J number."""
    body = "51030420150304003"
    w.j_number = "J" + body + check_digit(body)
    if w.j_number.endswith("X"):
        body = "51030420150304004"
        w.j_number = "J" + body + check_digit(body)
    j_row = roster_row(w.child1b, school=w.school1, grade=2)
    j_row[0] = w.j_number
    return [
        roster_row(w.child1, school=w.school1, grade=3, class_name="2班"),
        roster_row(w.child2, school=w.school2, grade=3, status="休学"),
        j_row,
    ]


def _snapshot():
    return list(
        Child.objects.order_by("pk").values_list(
            "pk", "status", "student_number", "roster_status", "roster_school", "roster_grade"
        )
    )


def test_roster_records_numbers_and_roster_status_but_never_the_registry_status(world):
    w = world
    _r, job = upload(w.admin, "xueji_roster", f"county:{w.county.pk}", roster_bytes(_roster(w)))
    assert job.status == ImportJob.Status.CHECKED, job.report
    assert (job.rows_new, job.rows_changed, job.rows_error) == (3, 0, 0)
    notes = {row["label"]: row["notes"] for row in job.report["rows"]}
    assert notes[w.child2.name] == [
        "学籍显示休学，登记为在校就读：已列入比对待核实，登记的就学状态不作改动。"
    ]
    assert len(notes[w.child1b.name]) == 1 and notes[w.child1.name] == []
    _r, job = commit(w.admin, job)
    assert job.status == ImportJob.Status.COMMITTED, job.error
    w.child2.refresh_from_db()
    assert w.child2.status == EnrollmentStatus.IN_SCHOOL  # unchanged: a mismatch to resolve
    assert (w.child2.student_number, w.child2.roster_status, w.child2.roster_school) == (
        "G" + w.child2.resident_id,
        RosterStatus.SUSPENDED,
        w.school2,
    )
    assert w.child2.roster_listed_on == datetime.date.today()
    w.child1.refresh_from_db()
    assert (w.child1.roster_grade, w.child1.roster_class) == (3, "2班")
    w.child1b.refresh_from_db()
    assert w.child1b.student_number == w.j_number
    assert w.child1b.status == EnrollmentStatus.UNVERIFIED
    latest = w.child1b.history.first()
    assert (latest.history_change_reason, latest.history_user, latest.student_number) == (
        "学籍花名册导入",
        w.admin,
        w.j_number,
    )
    # The same roster again changes nothing; a roster without child1 takes it off the roster.
    _r, again = upload(w.admin, "xueji_roster", f"county:{w.county.pk}", roster_bytes(_roster(w)))
    assert (again.rows_new, again.rows_changed, again.rows_unchanged) == (0, 0, 3)
    rows = _roster(w)[1:]
    _r, job = upload(w.admin, "xueji_roster", f"county:{w.county.pk}", roster_bytes(rows))
    _r, job = commit(w.admin, job)
    assert job.status == ImportJob.Status.COMMITTED, job.error
    w.child1.refresh_from_db()
    # Off the roster; the school and grade stay as where the pupil was last listed.
    assert (w.child1.roster_status, w.child1.roster_school, w.child1.roster_grade) == (
        "",
        w.school1,
        3,
    )
    assert w.child1.student_number == "G" + w.child1.resident_id  # for life
    # Listed again at the same school: back on the roster, a new listing, not "unchanged".
    _r, back = upload(w.admin, "xueji_roster", f"county:{w.county.pk}", roster_bytes(_roster(w)))
    assert (back.rows_new, back.rows_changed, back.rows_unchanged) == (1, 0, 2)


def test_a_township_roster_takes_off_only_its_own_schools_pupils_and_dates_the_rest(world):
    w = world
    _r, job = upload(w.admin, "xueji_roster", f"county:{w.county.pk}", roster_bytes(_roster(w)))
    _r, job = commit(w.admin, job)
    assert job.status == ImportJob.Status.COMMITTED, job.error
    last_term = datetime.date.today() - datetime.timedelta(days=120)
    Child.objects.filter(pk__in=[w.child1b.pk, w.child2.pk]).update(roster_listed_on=last_term)
    # Township 1's roster lists child1b as before, and no longer child1; child2 is on the
    # roster of a school of township 2, which this file does not speak for.
    rows = [_roster(w)[2]]
    _r, job = upload(
        w.township1_user, "xueji_roster", f"township:{w.township1.pk}", roster_bytes(rows)
    )
    assert (job.rows_new, job.rows_changed, job.rows_unchanged) == (0, 0, 1), job.report
    _r, job = commit(w.township1_user, job)
    assert job.status == ImportJob.Status.COMMITTED, job.error
    for child in (w.child1, w.child1b, w.child2):
        child.refresh_from_db()
    assert (w.child1.roster_status, w.child1.roster_school) == ("", w.school1)
    assert (w.child1b.roster_status, w.child1b.roster_school) == (RosterStatus.ENROLLED, w.school1)
    assert w.child1b.roster_listed_on == datetime.date.today()
    assert (w.child2.roster_status, w.child2.roster_school) == (RosterStatus.SUSPENDED, w.school2)
    assert w.child2.roster_listed_on == last_term
    assert w.child1.history.first().history_change_reason == "学籍花名册导入"


def test_commit_checks_again_when_a_listed_child_changed_since_the_dry_run(world):
    """The commit re-reads the children the dry run matched: one renamed meanwhile makes the
    plan stale, the file is checked again, and its row is refused; nothing is written."""
    w = world
    _r, job = upload(w.admin, "xueji_roster", f"county:{w.county.pk}", roster_bytes(_roster(w)))
    assert job.status == ImportJob.Status.CHECKED, job.report
    Child.objects.filter(pk=w.child2.pk).update(name="改名")
    before = _snapshot()
    _r, job = commit(w.admin, job)
    assert job.status == ImportJob.Status.REJECTED
    assert [(row, message) for row, _column, _value, message in errors_of(job)] == [
        (4, "该身份证号在登记中的姓名是改名；请先核对身份证号或姓名再导入。")
    ]
    assert _snapshot() == before


def _faulty_file(w):
    rows = _roster(w)[:1]  # child1, on row 3 (title row 1, header row 2)
    wrong = w.child2.resident_id[:17] + ("1" if w.child2.resident_id[17] != "1" else "2")
    other_id = new_id(datetime.date(2015, 6, 1), 7)
    rows += [
        ["G" + wrong, "甲", "", w.school1.code, "三年级", "1班", "在籍"],  # a wrong check digit
        list(rows[0]),  # the same pupil twice
        ["G" + other_id, w.child2.name, w.child2.resident_id, w.school2.code, "三年级", "", "在籍"],
        roster_row(w.sibling1, school=w.school1, grade=3),
        roster_row(w.child1b, school=w.school1, grade=2, status="放假"),
    ]
    rows[-2][3] = "2151999999"  # no such school
    return rows


def test_each_fault_is_refused_with_row_column_value_and_why_and_nothing_is_written(world):
    w = world
    before = _snapshot()
    content = roster_bytes(_faulty_file(w))
    _r, job = upload(w.admin, "xueji_roster", f"county:{w.county.pk}", content)
    assert job.status == ImportJob.Status.REJECTED
    by_row = {}
    for row, column, _value, message in errors_of(job):
        by_row.setdefault(row, []).append((column, message))
    assert by_row[4] == [("全国学籍号", "G后应为公民身份号码：" + by_row[4][0][1][11:])]
    assert "校验码错误" in by_row[4][0][1]
    assert by_row[5] == [
        ("全国学籍号", "同一学生已在本文件第 3 行。"),
        ("公民身份号码", "同一学生已在本文件第 3 行。"),
    ]
    assert by_row[6] == [
        (
            "全国学籍号",
            "G字头学籍号为G加学生公民身份号码，此号与本行身份证号不一致：请核对两者。",
        )
    ]
    assert by_row[7] == [("学校标识码", "本地没有该10位标识码的学校。")]
    assert by_row[8] == [("学籍状态", "不是学籍状态；请填写在籍、休学、转出、辍学、毕业或死亡。")]
    assert sorted(by_row) == [4, 5, 6, 7, 8]
    assert _snapshot() == before


def test_a_number_another_child_holds_is_refused(world):
    w = world
    Child.objects.filter(pk=w.sibling1.pk).update(student_number="G" + w.child1.resident_id)
    _r, job = upload(
        w.admin,
        "xueji_roster",
        f"county:{w.county.pk}",
        roster_bytes([roster_row(w.child1, school=w.school1, grade=3)]),
    )
    assert job.status == ImportJob.Status.REJECTED
    [(row, column, value, message)] = errors_of(job)
    assert (row, column, value) == (3, "全国学籍号", "G" + w.child1.resident_id)
    assert w.sibling1.name in message


def test_a_formal_number_already_held_is_not_replaced_but_a_temporary_one_is(world):
    w = world
    Child.objects.filter(pk=w.child1.pk).update(student_number="L510304201503041234")
    w.child1.refresh_from_db()
    row = roster_row(w.child1, school=w.school1, grade=3)
    row[0] = "G" + w.child1.resident_id
    _r, job = upload(w.admin, "xueji_roster", f"county:{w.county.pk}", roster_bytes([row]))
    assert (job.status, job.rows_new) == (ImportJob.Status.CHECKED, 1), job.report
    commit(w.admin, job)
    w.child1.refresh_from_db()
    assert w.child1.student_number == "G" + w.child1.resident_id
    row[0] = (
        w.j_number
        if hasattr(w, "j_number")
        else "J" + "51030420150304003" + check_digit("51030420150304003")
    )
    _r, job = upload(w.admin, "xueji_roster", f"county:{w.county.pk}", roster_bytes([row]))
    assert job.status == ImportJob.Status.REJECTED
    assert "终身" in errors_of(job)[0][3]


def test_a_pupil_the_registry_does_not_know_is_reported_not_created(world):
    w = world
    stranger = new_id(datetime.date(2016, 5, 5), 9)
    row = ["G" + stranger, "外来生", stranger, w.school1.code, "二年级", "1班", "在籍"]
    count = Child.objects.count()
    _r, job = upload(w.admin, "xueji_roster", f"county:{w.county.pk}", roster_bytes([row]))
    assert job.status == ImportJob.Status.CHECKED, job.report
    assert len(job.report["rows"][0]["notes"]) == 1
    commit(w.admin, job)
    assert Child.objects.count() == count


def test_a_township_imports_its_schools_only_and_others_are_refused(world):
    w = world
    rows = [roster_row(w.child2, school=w.school2, grade=3)]
    _r, job = upload(
        w.township1_user, "xueji_roster", f"township:{w.township1.pk}", roster_bytes(rows)
    )
    assert job.status == ImportJob.Status.REJECTED  # school2 is not a school of township1
    response, job = upload(
        w.township2_user, "xueji_roster", f"township:{w.township1.pk}", roster_bytes(rows)
    )
    assert response.status_code == 404 and job is None
    response, job = upload(
        w.township1_user, "xueji_roster", f"county:{w.county.pk}", roster_bytes(rows)
    )
    assert response.status_code == 404 and job is None
    for user in (w.auditor, w.inspector, w.village1_user):
        response, job = upload(user, "xueji_roster", f"county:{w.county.pk}", roster_bytes(rows))
        assert response.status_code in (403, 404) and job is None
    response, job = upload(w.auditor, "xueji_roster", f"county:{w.county.pk}", roster_bytes(rows))
    assert response.status_code == 403


@pytest.mark.parametrize("user_name", ["admin", "bureau"])
def test_the_template_downloads_with_the_roster_headers(world, user_name):
    from io import BytesIO

    from django.urls import reverse
    from openpyxl import load_workbook

    response = client_for(getattr(world, user_name)).get(
        reverse("core:import_template", args=["xueji_roster"])
    )
    assert response.status_code == 200
    sheet = load_workbook(
        BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    ).active
    assert [cell.value for cell in sheet[1]] == ROSTER_HEADERS
