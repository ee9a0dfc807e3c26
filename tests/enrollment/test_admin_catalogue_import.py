"""The admin's import and export of villages and schools (django-import-export), driven through
the admin's real pages as a county administrator: scoped, validated by the models' own rules,
all-or-nothing after a dry run, with history rows and audit events."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from core.models import AuditEvent
from enrollment.admin_resources import ConfirmStorage
from enrollment.models import School, Village

from ..conftest import client_for
from ..factories import SchoolFactory, TownshipFactory, UserFactory, VillageFactory

XLSX = "0"  # the first of the admin's formats
VILLAGE_HEADERS = ["统计用区划代码", "名称", "所属乡镇"]
SCHOOL_HEADERS = ["学校标识码", "名称", "学段/类型", "所属乡镇", "所在村", "寄宿制", "农村学校"]


def workbook(headers, rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, model, headers, rows):
    """The import page's first step: the dry run."""
    content = workbook(headers, rows)
    return client.post(
        reverse(f"admin:enrollment_{model}_import"),
        {
            "format": XLSX,
            "import_file": SimpleUploadedFile(
                "catalogue.xlsx",
                content,
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
        },
    )


def confirm(client, model, dry_run):
    form = dry_run.context["confirm_form"]
    assert form is not None, "the dry run had errors"
    return client.post(reverse(f"admin:enrollment_{model}_process_import"), form.initial)


def export(client, model) -> list[list]:
    url = reverse(f"admin:enrollment_{model}_export")
    page = client.get(url)
    assert page.status_code == 200
    # Every column ticked, as the export page has them by default.
    columns = {
        name: "on" for name, field in page.context["form"].fields.items() if field.initial is True
    }
    response = client.post(url, {"format": XLSX, **columns})
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


@pytest.fixture
def other_county():
    township = TownshipFactory(name="外县镇")
    village = VillageFactory(township=township, name="外县村")
    school = SchoolFactory(township=township, village=village, name="外县小学")
    return township, village, school


@pytest.fixture
def admin_client(world):
    return client_for(world.admin)


def test_villages_export_the_county_only_cell_by_cell(world, admin_client, other_county):
    rows = export(admin_client, "village")
    assert rows[0] == VILLAGE_HEADERS
    expected = sorted(
        [v.code, v.name, v.township.code] for v in (world.village1, world.village1b, world.village2)
    )
    assert sorted(rows[1:]) == expected
    assert other_county[1].code not in {row[0] for row in rows}
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT, user=world.admin)
    assert event.detail == {"exporter": "admin:enrollment.village", "rows": 3}
    assert "一村" not in event.object_repr + str(event.detail)


def test_schools_export_with_codes_and_chinese_labels(world, admin_client, other_county):
    rows = export(admin_client, "school")
    assert rows[0] == SCHOOL_HEADERS
    by_code = {row[0]: row for row in rows[1:]}
    assert set(by_code) == {world.school1.code, world.school2.code}
    assert by_code[world.school1.code] == [
        world.school1.code,
        "一镇小学",
        "小学",
        world.township1.code,
        world.village1.code,
        "否",
        "是",
    ]


def test_superuser_exports_every_county(world, other_county):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    codes = {row[0] for row in export(client_for(root), "village")[1:]}
    assert {world.village1.code, other_county[1].code} <= codes


def test_admin_changelist_is_scoped_and_offers_import_and_export(world, admin_client, other_county):
    response = admin_client.get(reverse("admin:enrollment_village_changelist"))
    assert response.status_code == 200
    names = {village.name for village in response.context["cl"].result_list}
    assert names == {"一村", "一村乙", "二村"}
    assert reverse("admin:enrollment_village_import").encode() in response.content
    assert reverse("admin:enrollment_village_export").encode() in response.content


def test_valid_import_dry_run_then_confirm_writes_with_history(world, admin_client):
    rows = [
        ["510100999001", "新村", world.township1.code],
        [world.village1.code, "一村（更名）", "一镇"],  # the township by its name
        [world.village2.code, "二村", world.township2.code],  # unchanged
    ]
    dry_run = upload(admin_client, "village", VILLAGE_HEADERS, rows)
    assert dry_run.status_code == 200
    result = dry_run.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["new"] == 1 and result.totals["update"] == 1
    assert "新村".encode() in dry_run.content
    assert not Village.objects.filter(code="510100999001").exists()  # nothing written yet
    world.village1.refresh_from_db()
    assert world.village1.name == "一村"

    done = confirm(admin_client, "village", dry_run)
    assert done.status_code == 302
    created = Village.objects.get(code="510100999001")
    assert created.township == world.township1
    world.village1.refresh_from_db()
    assert world.village1.name == "一村（更名）"
    assert created.history.get().history_user == world.admin
    latest = world.village1.history.first()
    assert latest.history_type == "~" and latest.history_user == world.admin
    assert world.village2.history.count() == 1  # unchanged: no history row
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT, user=world.admin)
    assert event.result == AuditEvent.Result.OK
    assert event.detail == {
        "importer": "admin:enrollment.village",
        "step": "commit",
        "new": 1,
        "changed": 1,
        "unchanged": 1,
    }
    assert "新村" not in str(event.detail) + event.object_repr


def test_one_bad_code_changes_nothing_and_says_where_and_why(world, admin_client):
    before = list(Village.objects.values_list("code", "name").order_by("code"))
    rows = [
        ["510100999001", "新村", world.township1.code],
        ["51010099900", "短码村", world.township1.code],  # 11 digits
    ]
    response = upload(admin_client, "village", VILLAGE_HEADERS, rows)
    assert response.status_code == 200
    result = response.context["result"]
    assert result.has_validation_errors()
    assert response.context.get("confirm_form") is None
    [invalid] = result.invalid_rows
    assert invalid.number == 2
    assert invalid.field_specific_errors == {"统计用区划代码": ["12位数字。"]}
    page = response.content.decode()
    assert "统计用区划代码" in page and "12位数字。" in page
    assert list(Village.objects.values_list("code", "name").order_by("code")) == before


def test_rows_refused_at_confirmation_roll_back_every_row(world, admin_client):
    """The confirmation imports the kept file again; a row that fails then leaves nothing
    written (not even the rows before it), and the refusal is audited."""
    rows = [
        ["510100999001", "新村", world.township1.code],
        ["510100999002", "又一村", world.township1.code],
    ]
    dry_run = upload(admin_client, "village", VILLAGE_HEADERS, rows)
    form = dry_run.context["confirm_form"]
    # The kept file is replaced by one whose second row is bad (as if it changed meanwhile).
    kept = ConfirmStorage(name=form.initial["import_file_name"], read_mode="rb")
    kept.save(workbook(VILLAGE_HEADERS, [rows[0], ["5101", "坏码村", world.township1.code]]))
    response = admin_client.post(
        reverse("admin:enrollment_village_process_import"), form.initial, follow=True
    )
    assert "未写入任何数据" in response.content.decode()
    assert not Village.objects.filter(code="510100999001").exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT, user=world.admin)
    assert event.result == AuditEvent.Result.FAILED
    assert event.detail["new"] == 1  # counted, then rolled back


def test_another_countys_township_or_village_is_refused(world, admin_client, other_county):
    township, village, _school = other_county
    rows = [
        ["510100999001", "越界村", township.code],
        [village.code, "改名", world.township1.code],
    ]
    response = upload(admin_client, "village", VILLAGE_HEADERS, rows)
    first, second = response.context["result"].invalid_rows
    assert (first.number, second.number) == (1, 2)
    assert list(first.field_specific_errors) == ["所属乡镇"]
    assert township.code in first.field_specific_errors["所属乡镇"][0]
    assert "本县" in first.field_specific_errors["所属乡镇"][0]
    assert list(second.field_specific_errors) == ["统计用区划代码"]
    assert "其他县" in second.field_specific_errors["统计用区划代码"][0]
    village.refresh_from_db()
    assert village.name == "外县村" and not Village.objects.filter(name="越界村").exists()


def test_school_import_checks_the_ten_digit_code(world, admin_client):
    rows = [
        ["2151999001", "新小学", "小学", world.township1.code, world.village1.code, "否", "是"],
        ["215199900", "九位码", "primary", world.township1.code, "", "否", "是"],
        ["2151999003", "错村", "初中", world.township1.code, world.village2.code, "是", "是"],
    ]
    response = upload(admin_client, "school", SCHOOL_HEADERS, rows)
    invalid = {
        row.number: row.field_specific_errors for row in response.context["result"].invalid_rows
    }
    assert set(invalid) == {2, 3}
    assert list(invalid[2]) == ["学校标识码"]
    assert "10位" in invalid[2]["学校标识码"][0]
    assert list(invalid[3]) == ["所在村"]
    assert not School.objects.filter(code="2151999001").exists()

    good = upload(admin_client, "school", SCHOOL_HEADERS, rows[:1])
    confirm(admin_client, "school", good)
    school = School.objects.get(code="2151999001")
    assert (school.stage, school.village, school.is_boarding) == ("primary", world.village1, False)
    assert school.history.get().history_user == world.admin


@pytest.mark.parametrize("model", ["village", "school"])
@pytest.mark.parametrize("step", ["import", "export"])
def test_users_without_the_admin_role_cannot_reach_the_pages(world, model, step):
    url = reverse(f"admin:enrollment_{model}_{step}")
    for user in (world.auditor, world.township1_user):  # not staff: the admin's login page
        response = client_for(user).get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
        response = client_for(user).post(url, {"format": XLSX})
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    # Staff with the admin's model permissions but no county administrator role: refused.
    staff = UserFactory(username="staffer", is_staff=True)
    staff.groups.add(*Group.objects.filter(name="county_admin"))
    response = client_for(staff).get(url)
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_confirm_storage_is_the_shared_cache():
    storage = ConfirmStorage(name="probe", read_mode="rb")
    storage.save(b"xlsx")
    assert storage.read() == b"xlsx"
    storage.remove()
    assert storage.read() is None


def test_history_of_another_countys_village_is_not_found(world, admin_client, other_county):
    """django-simple-history falls back to the latest historical row when the record is not in
    the admin's queryset: the history list and each version (and its revert form) would show,
    and revert, another county's village. Both answer 404 and nothing changes."""
    village = other_county[1]
    version = village.history.latest()
    history = reverse("admin:enrollment_village_history", args=[village.pk])
    version_url = reverse(
        "admin:enrollment_village_simple_history", args=[village.pk, version.history_id]
    )
    assert admin_client.get(history).status_code == 404
    assert admin_client.get(version_url).status_code == 404
    revert = {"code": village.code, "name": "改名村", "township": village.township_id}
    assert admin_client.post(version_url, revert).status_code == 404
    village.refresh_from_db()
    assert village.name == "外县村" and village.history.count() == 1
    # The county's own village: its history and its versions open.
    own = world.village1.history.latest()
    assert (
        admin_client.get(
            reverse("admin:enrollment_village_history", args=[world.village1.pk])
        ).status_code
        == 200
    )
    assert (
        admin_client.get(
            reverse(
                "admin:enrollment_village_simple_history", args=[world.village1.pk, own.history_id]
            )
        ).status_code
        == 200
    )
