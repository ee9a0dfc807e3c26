"""The admin's import and export of the teacher roster (django-import-export), driven through
the admin's real pages as a county administrator: the rows go through the teacher services,
scoped to the county, all-or-nothing after a dry run, masked as the teacher's page masks."""

import datetime
import io

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import override
from openpyxl import Workbook, load_workbook

from core.models import AuditEvent
from teachers.admin_resources import TeacherResource
from teachers.models import EmploymentRecord, PostType, Recruitment, Subject, Teacher
from teachers.services import teachers as teacher_services

from ..conftest import client_for
from ..factories import SchoolFactory, UserFactory
from .conftest import new_id, register

XLSX = "0"
EXPORT_HEADERS = [
    "身份证号",
    "姓名",
    "性别",
    "出生日期",
    "学校标识码",
    "岗位类型",
    "招聘方式",
    "招聘年份",
    "入职日期",
    "本校任职起始",
    "职称",
    "联系电话",
    "任教学科",
    "状态",
]
IMPORT_HEADERS = [
    "身份证号",
    "姓名",
    "学校标识码",
    "岗位类型",
    "招聘方式",
    "招聘年份",
    "入职日期",
    "职称",
    "联系电话",
    "任教学科",
]


def workbook(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(IMPORT_HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, rows):
    return client.post(
        reverse("admin:teachers_teacher_import"),
        {"format": XLSX, "import_file": SimpleUploadedFile("roster.xlsx", workbook(rows))},
    )


def confirm(client, dry_run):
    form = dry_run.context["confirm_form"]
    assert form is not None, "the dry run had errors"
    return client.post(reverse("admin:teachers_teacher_process_import"), form.initial)


def row(school, resident_id, *, name="新老师", phone="13900001111", subjects="语文、数学"):
    return [
        resident_id,
        name,
        school.code,
        "regular",
        "open",
        2018,
        datetime.date(2018, 8, 28),
        "",
        phone,
        subjects,
    ]


@pytest.fixture
def admin_client(world):
    return client_for(world.admin)


def test_roster_export_is_the_countys_cell_by_cell(world, admin_client):
    teacher = register(world, world.school1, name="张老师", phone="13812345678")
    teacher.subjects.set(Subject.objects.filter(name__in=["语文"]))
    outsider = SchoolFactory(name="外县小学")
    teacher_services.register_teacher(  # by the system: no one administers both counties
        actor=None,
        resident_id=new_id(),
        name="外县老师",
        school=outsider,
        post_type=PostType.REGULAR,
        recruitment=Recruitment.OPEN,
        recruitment_year=2015,
        hire_date=datetime.date(2015, 8, 25),
    )
    url = reverse("admin:teachers_teacher_export")
    page = admin_client.get(url)
    assert page.status_code == 200
    columns = {k: "on" for k, f in page.context["form"].fields.items() if f.initial is True}
    response = admin_client.post(url, {"format": XLSX, **columns})
    assert response.status_code == 200
    rows = [[c.value for c in r] for r in load_workbook(io.BytesIO(response.content)).active.rows]
    assert rows[0] == EXPORT_HEADERS
    assert len(rows) == 2  # not the other county's teacher
    with override("zh-hans"):
        regular, open_ = str(PostType.REGULAR.label), str(Recruitment.OPEN.label)
    cells = dict(zip(EXPORT_HEADERS, rows[1], strict=True))
    assert cells["身份证号"] == teacher.resident_id  # the county administrator sees it in full
    assert cells["联系电话"] == "13812345678"
    assert cells["姓名"] == "张老师" and cells["学校标识码"] == world.school1.code
    assert cells["性别"] == "女" and str(cells["出生日期"])[:10] == "1990-05-04"
    assert (cells["岗位类型"], cells["招聘方式"]) == (regular, open_)
    assert cells["任教学科"] == "语文" and cells["招聘年份"] == 2015
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT, user=world.admin)
    assert event.detail == {"exporter": "admin:teachers.teacher", "rows": 1}
    assert teacher.resident_id not in str(event.detail) + event.object_repr


def test_roster_masks_for_a_user_outside_the_full_identity_roles(world):
    teacher = register(world, world.school1, phone="13812345678")
    masked = TeacherResource(user=world.school1_user).export_resource(teacher)
    full = TeacherResource(user=world.admin).export_resource(teacher)
    assert masked[0] == teacher.masked_resident_id != teacher.resident_id
    assert masked[EXPORT_HEADERS.index("联系电话")] == "138****5678"
    assert full[0] == teacher.resident_id


def test_import_registers_through_the_service_after_a_dry_run(world, admin_client):
    resident_id = new_id(sex="M", birth=datetime.date(1992, 3, 4))
    dry_run = upload(admin_client, [row(world.school1, resident_id)])
    result = dry_run.context["result"]
    assert not result.has_validation_errors() and result.totals["new"] == 1
    assert not Teacher.objects.filter(resident_id=resident_id).exists()

    assert confirm(admin_client, dry_run).status_code == 302
    teacher = Teacher.objects.get(resident_id=resident_id)
    assert (teacher.sex, teacher.birth_date) == ("M", datetime.date(1992, 3, 4))  # from the ID
    assert teacher.school_since == teacher.hire_date == datetime.date(2018, 8, 28)
    assert set(teacher.subjects.values_list("name", flat=True)) == {"语文", "数学"}
    assert EmploymentRecord.objects.filter(teacher=teacher, school=world.school1).exists()
    assert teacher.history.last().history_user == world.admin
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT, user=world.admin)
    assert event.detail["new"] == 1 and resident_id not in str(event.detail)


def test_import_updates_a_known_teacher_but_never_moves_them(world, admin_client):
    teacher = register(world, world.school1, name="张老师", phone="13812345678")
    dry_run = upload(admin_client, [row(world.school1, teacher.resident_id, name="张老师")])
    confirm(admin_client, dry_run)
    teacher.refresh_from_db()
    assert teacher.phone == "13900001111" and teacher.recruitment_year == 2018
    assert teacher.history.first().history_user == world.admin

    moved = upload(admin_client, [row(world.school2, teacher.resident_id, name="张老师")])
    [invalid] = moved.context["result"].invalid_rows
    assert list(invalid.field_specific_errors) == ["学校标识码"]
    assert "调动" in invalid.field_specific_errors["学校标识码"][0]


def test_bad_id_or_another_countys_school_changes_nothing(world, admin_client):
    good = new_id()
    bad = good[:17] + ("0" if good[17] != "0" else "1")  # a wrong check digit
    outsider = SchoolFactory(name="外县小学")
    response = upload(
        admin_client,
        [
            row(world.school1, good),
            row(world.school1, bad, name="错号"),
            row(outsider, new_id(), name="越界"),
        ],
    )
    assert response.context.get("confirm_form") is None
    invalid = {r.number: r.field_specific_errors for r in response.context["result"].invalid_rows}
    assert set(invalid) == {2, 3}
    assert list(invalid[2]) == ["身份证号"] and "校验码错误" in invalid[2]["身份证号"][0]
    assert list(invalid[3]) == ["学校标识码"] and "本县" in invalid[3]["学校标识码"][0]
    page = response.content.decode()
    assert "校验码错误" in page and "学校标识码" in page
    assert not Teacher.objects.exists()


@pytest.mark.parametrize("step", ["import", "export"])
def test_only_a_county_administrator_reaches_the_roster_pages(world, step):
    url = reverse(f"admin:teachers_teacher_{step}")
    for user in (world.auditor, world.township1_user, world.bureau):
        response = client_for(user).get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    staff = UserFactory(username="staffer", is_staff=True)
    staff.groups.add(*Group.objects.filter(name="county_admin"))
    assert client_for(staff).get(url).status_code == 403
    assert client_for(world.admin).get(url).status_code == 200


def test_county_administrator_reads_the_countys_teachers_in_the_admin(world, admin_client):
    teacher = register(world, world.school1, name="张老师")
    outsider = teacher_services.register_teacher(
        actor=None,
        resident_id=new_id(),
        name="外县老师",
        school=SchoolFactory(name="外县小学"),
        post_type=PostType.REGULAR,
        recruitment=Recruitment.OPEN,
        recruitment_year=2015,
        hire_date=datetime.date(2015, 8, 25),
    )
    index = admin_client.get(reverse("admin:index"))
    assert reverse("admin:teachers_teacher_changelist").encode() in index.content
    listed = admin_client.get(reverse("admin:teachers_teacher_changelist"))
    assert [t.name for t in listed.context["cl"].result_list] == ["张老师"]
    page = admin_client.get(reverse("admin:teachers_teacher_change", args=[teacher.pk]))
    assert page.status_code == 200
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW, object_id=str(teacher.pk), user=world.admin
    ).exists()
    away = admin_client.get(reverse("admin:teachers_teacher_change", args=[outsider.pk]))
    assert away.status_code == 302  # not found in their scope: back to the admin's index
