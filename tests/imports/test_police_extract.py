"""The police household extract: a deliberately messy file gives exactly the expected errors and
writes nothing; the corrected file imports; importing it again changes nothing."""

import datetime
from pathlib import Path

import pytest
from simple_history.utils import get_history_model_for_model

from core.models import AuditEvent, ImportJob
from enrollment.import_samples import Formula, Number
from enrollment.models import Child, EnrollmentStatus, EnrollmentStatusChange, Household

from .conftest import commit, errors_of, id_ending_in_x, new_id, police_bytes, upload

D1 = datetime.date(2016, 3, 4)
D2 = datetime.date(2016, 5, 4)
D3 = datetime.date(2016, 6, 7)
D4 = datetime.date(2017, 1, 20)
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
TITLE = "一镇2026年适龄儿童户籍花名册"


def _serial(day: datetime.date) -> float:
    return float((day - datetime.date(1899, 12, 30)).days)


class Extract:
    """The rows of the extract, messy and corrected."""

    def __init__(self, world):
        self.id_a = new_id(D1, 1)
        self.id_b = id_ending_in_x(D2, "F")
        self.id_c = new_id(D3, 3)
        self.id_d = new_id(D4, 4, "F")
        self.id_e = new_id(D1, 5)
        self.id_f = new_id(D1, 6)
        self.id_g = new_id(D2, 7)
        self.id_h = new_id(D3, 8, "F")
        self.id_i = new_id(D1, 9)
        self.id_j = new_id(D1, 10)
        self.id_k = new_id(D1, 11)
        spaced_b = f"{self.id_b[:6]} {self.id_b[6:14]} {self.id_b[14:].lower()}"
        w = world
        village1, village1b = w.village1.name, w.village1b.code
        self.good = [
            [
                1,
                "赵一",
                "男",
                self.id_a.translate(FULL_WIDTH),
                "2016.3.4",
                "一村1组1号",
                "",
                "赵大",
                "父亲",
                "13800000001",
                village1,
            ],
            [
                2,
                "钱二\u3000",
                "女",
                spaced_b,
                "2016年5月4日",
                "一村乙2组2号",
                "成都",
                "钱大",
                "母亲",
                "13800000002",
                village1b,
            ],
            [
                3,
                "孙三",
                "男",
                self.id_c,
                "2016/06/07",
                "一村1组3号",
                "",
                "孙大",
                "祖父",
                "",
                village1,
            ],
            [
                4,
                "李四",
                "女",
                self.id_d,
                _serial(D4),
                "一村1组4号",
                "",
                "李大",
                "父亲",
                13800000004,
                village1,
            ],
            [
                5,
                w.child1.name,
                "男",
                w.child1.resident_id,
                w.child1.birth_date,
                w.household1.address,
                "",
                w.child1.guardian_name,
                w.child1.guardian_relation,
                "13911112222",
                w.village1.name,
            ],
            [
                6,
                w.child1b.name,
                "男",
                w.child1b.resident_id,
                w.child1b.birth_date,
                w.household1b.address,
                "",
                w.child1b.guardian_name,
                w.child1b.guardian_relation,
                w.child1b.guardian_phone,
                w.village1b.name,
            ],
        ]
        fixed = [
            [7, "周五", "男", self.id_e, D1, "一村1组7号", "", "周大", "父亲", "", village1],
            [8, "吴六", "男", self.id_f, D1, "一村1组8号", "", "吴大", "父亲", "", village1],
            [9, "郑七", "男", self.id_g, D2, "一村1组9号", "", "郑大", "父亲", "", village1],
            [10, "王八", "女", self.id_h, D3, "一村1组10号", "", "王大", "母亲", "", village1],
            [11, "冯九", "男", self.id_i, D1, "一村1组11号", "", "冯大", "父亲", "", village1],
            [12, "陈十", "男", self.id_j, D1, "一村1组12号", "", "陈大", "父亲", "", village1],
            [13, "褚十一", "男", self.id_k, D1, "一村1组13号", "", "褚大", "父亲", "", village1],
        ]
        self.corrected = self.good + fixed
        messy = [list(row) for row in fixed]
        messy[0][3] = Number(float(self.id_e))  # Excel turned the ID into a number
        bad_checksum = self.id_f[:17] + ("0" if self.id_f[17] != "0" else "1")
        messy[1][3] = bad_checksum
        messy[2][4] = "2016.5.5"  # the ID says 2016-05-04
        messy[3][2] = "男"  # the ID says female
        messy[4][10] = "不存在村"
        messy[5][1] = Formula('="陈"&"十"', "陈十")
        messy[6][5] = "很" * 600
        duplicate = [
            14,
            "赵一",
            "男",
            self.id_a,
            D1,
            "一村1组1号",
            "",
            "赵大",
            "父亲",
            "",
            village1,
        ]
        other_township = [
            15,
            w.child2.name,
            "男",
            w.child2.resident_id,
            w.child2.birth_date,
            w.household2.address,
            "",
            "李大",
            "父亲",
            "",
            village1,
        ]
        self.messy = self.good + messy + [duplicate, other_township]
        self.bad_checksum = bad_checksum

    def messy_file(self):
        return police_bytes(
            self.messy, title=TITLE, subtitle="填报单位：一镇派出所", blank_row_after=3
        )

    def corrected_file(self):
        return police_bytes(self.corrected, title=TITLE)


@pytest.fixture
def extract(world):
    return Extract(world)


def _counts():
    return (
        Child.objects.count(),
        Household.objects.count(),
        EnrollmentStatusChange.objects.count(),
        get_history_model_for_model(Child).objects.count(),
        get_history_model_for_model(Household).objects.count(),
    )


def test_messy_extract_reports_every_fault_exactly_and_writes_nothing(world, extract):
    before = _counts()
    response, job = upload(
        world.township1_user,
        "police_extract",
        f"township:{world.township1.pk}",
        extract.messy_file(),
    )
    assert response.status_code == 302
    assert job.status == ImportJob.Status.REJECTED
    # Rows: 2 title rows, the header on row 3, data from row 4, an empty row 7 skipped.
    assert errors_of(job) == [
        (
            11,
            "公民身份号码",
            str(int(float(extract.id_e))),
            "Excel 已把这个身份证号存成数字，末几位已经丢失。"
            "请把该列的格式设为“文本”（设置单元格格式 → 文本），"
            "重新输入身份证号（或从原始名单粘贴），再上传文件。",
        ),
        (
            12,
            "公民身份号码",
            extract.bad_checksum,
            f"校验码错误（应为{extract.id_f[17]}，实为{extract.bad_checksum[17]}），可能有数字录入错误。",
        ),
        (13, "出生日期", "2016.5.5", "身份证号中的出生日期是 2016-05-04，该列为 2016-05-05。"),
        (14, "性别", "男", "身份证号第17位表示女，性别列为男。"),
        (
            15,
            "村（社区）",
            "不存在村",
            "本地没有名为“不存在村”的村（社区）；请填写村名或12位代码。",
        ),
        (
            16,
            "姓名",
            "陈十",
            "该单元格是公式；此列需要文字本身。请复制该列，再以“只粘贴数值”方式粘贴回去。",
        ),
        (17, "户籍地址", "很" * 30 + "…", "该单元格有 600 个字符；最多接受 500 个。"),
        (18, "公民身份号码", extract.id_a, "同一儿童已在本文件第 4 行。"),
        (
            19,
            "公民身份号码",
            world.child2.resident_id,
            "该儿童登记在二镇，不在本次导入的范围内；须先由县教育局确认迁移。",
        ),
    ]
    assert job.rows_error == 9
    assert job.rows_total == 15  # the 合计 row and the empty row are not data
    assert _counts() == before


def test_corrected_extract_imports_and_reimport_changes_nothing(world, extract):
    _response, job = upload(
        world.township1_user,
        "police_extract",
        f"township:{world.township1.pk}",
        extract.corrected_file(),
    )
    assert job.status == ImportJob.Status.CHECKED, job.report
    assert (job.rows_new, job.rows_changed, job.rows_unchanged, job.rows_error) == (11, 1, 1, 0)
    changed = next(row for row in job.report["rows"] if row["kind"] == "changed")
    assert changed["changes"] == [["联系电话", "13812345678", "13911112222"]]
    assert Child.objects.filter(resident_id=extract.id_a).count() == 0  # a dry run writes nothing

    _response, job = commit(world.township1_user, job)
    assert job.status == ImportJob.Status.COMMITTED, job.error
    audited = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT, detail__step="commit")
    assert (audited.user, audited.detail["new"], audited.detail["changed"]) == (
        world.township1_user,
        11,
        1,
    )
    b = Child.objects.get(resident_id=extract.id_b)
    assert (b.name, b.sex, b.birth_date, b.village) == ("钱二", "F", D2, world.village1b)
    assert b.household.address == "一村乙2组2号" and b.current_address == "成都"
    assert b.status == EnrollmentStatus.UNVERIFIED and b.police_listed_on is not None
    assert b.status_changes.get().reason == "派出所户籍花名册导入"
    d = Child.objects.get(resident_id=extract.id_d)
    assert (d.birth_date, d.guardian_phone) == (D4, "13800000004")
    assert Child.objects.get(resident_id=extract.id_a).name == "赵一"
    world.child1.refresh_from_db()
    assert world.child1.guardian_phone == "13911112222"
    latest = world.child1.history.first()
    assert latest.history_user == world.township1_user
    assert latest.history_change_reason == "派出所户籍花名册导入"
    assert b.history.first().history_user == world.township1_user

    before = _counts()
    _response, again = upload(
        world.township1_user,
        "police_extract",
        f"township:{world.township1.pk}",
        extract.corrected_file(),
    )
    assert again.status == ImportJob.Status.CHECKED
    assert (again.rows_new, again.rows_changed, again.rows_unchanged) == (0, 0, 13)
    _response, again = commit(world.township1_user, again)
    assert again.status == ImportJob.Status.COMMITTED
    assert _counts() == before


def test_commit_checks_again_and_refuses_when_the_data_changed(world, extract):
    _response, job = upload(
        world.township1_user,
        "police_extract",
        f"township:{world.township1.pk}",
        extract.corrected_file(),
    )
    # Meanwhile child2 of the other township is given one of the file's IDs' neighbours:
    # simplest stale case — the file's new child is registered elsewhere in the meantime.
    from tests.factories import ChildFactory

    ChildFactory(household=world.household2, resident_id=extract.id_c, birth_date=D3)
    before = _counts()
    _response, job = commit(world.township1_user, job)
    assert job.status == ImportJob.Status.REJECTED
    assert "数据" in job.error
    assert [error[0] for error in errors_of(job)] == [5]  # title row 1, header row 2
    assert _counts() == before


def test_a_failed_commit_writes_nothing(world, extract, monkeypatch):
    _response, job = upload(
        world.township1_user,
        "police_extract",
        f"township:{world.township1.pk}",
        extract.corrected_file(),
    )
    from enrollment.imports import police

    real_copy_insert = police.copy_insert

    def broken(model, rows, **kwargs):
        # The households and children are written by then; the status history fails.
        if model is police.EnrollmentStatusChange:
            raise RuntimeError("disk full")
        return real_copy_insert(model, rows, **kwargs)

    monkeypatch.setattr(police, "copy_insert", broken)
    before = _counts()
    _response, job = commit(world.township1_user, job)
    assert job.status == ImportJob.Status.FAILED
    assert _counts() == before


def test_the_commit_writes_the_dry_runs_plan_without_reading_the_file_again(world, extract):
    _response, job = upload(
        world.township1_user,
        "police_extract",
        f"township:{world.township1.pk}",
        extract.corrected_file(),
    )
    assert job.status == ImportJob.Status.CHECKED and job.plan_file
    kept = Path(job.plan_file.path)
    # Were the commit to read the upload again, it would find no workbook here.
    Path(job.file.path).write_bytes(b"not a workbook")
    _response, job = commit(world.township1_user, job)
    assert job.status == ImportJob.Status.COMMITTED, job.error
    assert Child.objects.filter(resident_id=extract.id_b).exists()
    assert not job.plan_file and not kept.exists()  # the kept plan is gone once written


def _checked_corrected_file(world, extract):
    """The corrected extract uploaded and checked (its plan kept for the commit)."""
    _response, job = upload(
        world.township1_user,
        "police_extract",
        f"township:{world.township1.pk}",
        extract.corrected_file(),
    )
    assert (job.rows_new, job.rows_changed, job.rows_unchanged) == (11, 1, 1)
    return job


def test_a_kept_plan_is_not_used_once_the_database_changed(world, extract):
    job = _checked_corrected_file(world, extract)
    # Meanwhile someone enters the phone number the file brings: the plan's change is void.
    Child.objects.filter(pk=world.child1.pk).update(guardian_phone="13911112222")
    history_before = world.child1.history.count()
    _response, job = commit(world.township1_user, job)
    assert job.status == ImportJob.Status.COMMITTED, job.error
    assert (job.rows_new, job.rows_changed, job.rows_unchanged) == (11, 0, 2)  # checked again
    assert world.child1.history.count() == history_before  # no empty "change" written


def test_a_child_registered_since_the_check_under_a_new_id_of_the_file_is_not_added_twice(
    world, extract
):
    job = _checked_corrected_file(world, extract)
    # Meanwhile a clerk registers 赵一 by hand: the kept plan would insert that ID a second time.
    Child.objects.create(
        resident_id=extract.id_a,
        name="赵一",
        sex="M",
        birth_date=D1,
        village=world.village1,
        household=world.household1,
        guardian_name="赵大",
        guardian_relation="父亲",
        status=EnrollmentStatus.UNVERIFIED,
        status_since=D1,
    )
    _response, job = commit(world.township1_user, job)
    assert job.status == ImportJob.Status.COMMITTED, job.error
    assert job.rows_new == 10  # checked again: 赵一 is now registered, and updated
    assert Child.objects.filter(resident_id=extract.id_a).count() == 1
    for resident_id in (extract.id_b, extract.id_k):
        assert Child.objects.filter(resident_id=resident_id).count() == 1
