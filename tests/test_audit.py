"""The audit log: what is written, that it cannot be changed, the chain, the page and export."""

import datetime
import io
import threading

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core import audit
from core.models import AuditEvent, ExportJob
from enrollment.models import EnrollmentStatus
from enrollment.services import change_status

from .conftest import PASSWORD, api_for, client_for

A = AuditEvent.Action


def events(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("pk"))


def test_logins_failed_logins_and_logouts_are_recorded_with_the_ip(world):
    world.township1_user.set_password(PASSWORD)
    world.township1_user.save()
    client = client_for(world.nobody)
    client.logout()
    client.post(reverse("login"), {"username": "township1", "password": "wrong"})
    client.post(reverse("login"), {"username": "no-such-user", "password": "wrong"})
    client.post(reverse("login"), {"username": "township1", "password": PASSWORD})
    client.post(reverse("logout"))
    failed = events(action=A.LOGIN_FAILED)
    assert [(e.username, e.result, e.user_id) for e in failed] == [
        ("township1", "denied", None),
        ("no-such-user", "denied", None),
    ]
    (login,) = events(action=A.LOGIN, username="township1")
    assert login.user == world.township1_user and login.ip == "127.0.0.1"
    assert events(action=A.LOGOUT, username="township1")
    assert not any("wrong" in str(e.detail) for e in AuditEvent.objects.all())


def test_a_change_records_who_changed_which_fields_but_not_the_values(world):
    before = AuditEvent.objects.count()
    change_status(
        actor=world.township1_user,
        child=world.child1,
        status=EnrollmentStatus.OUTSIDE_COUNTY,
        effective_date=timezone.localdate(),
        reason="随父母外出",
        outside_school_name="某市实验学校",
    )
    written = list(AuditEvent.objects.order_by("pk")[before:])
    update = next(e for e in written if e.object_type == "enrollment.child")
    assert update.action == A.UPDATE and update.user == world.township1_user
    assert update.object_id == str(world.child1.pk)
    assert {"status", "outside_school_name", "current_school"} <= set(update.detail["fields"])
    assert "某市实验学校" not in str(update.detail)  # values stay in the record's history
    created = next(e for e in written if e.object_type == "enrollment.enrollmentstatuschange")
    assert created.action == A.CREATE


def test_every_view_of_a_child_record_is_recorded(world):
    client_for(world.township1_user).get(reverse("enrollment:child_detail", args=[world.child1.pk]))
    api_for(world.village1_user).get(f"/api/v1/children/{world.child1.pk}/")
    page, api = events(action=A.VIEW)
    assert (page.user, page.object_id, page.detail) == (
        world.township1_user,
        str(world.child1.pk),
        # The township handles the child's case: its 涉案 flag is shown, and the row says so.
        {"full_identity": True, "case_flag": True},
    )
    # The village never sees the flag.
    assert api.user == world.village1_user
    assert api.detail == {"full_identity": False, "case_flag": False, "via": "api"}
    # Out of scope: 404 and nothing viewed.
    client_for(world.township2_user).get(reverse("enrollment:child_detail", args=[world.child1.pk]))
    assert len(events(action=A.VIEW)) == 2


def test_exports_are_recorded_with_their_filters(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(world.auditor).post(
            reverse("enrollment:export_ledger", args=["township", world.township1.pk])
            + "?status=in_school"
        )
    (export,) = events(action=A.EXPORT)
    assert export.user == world.auditor and export.detail["exporter"] == "ledger"
    assert export.object_id == str(ExportJob.objects.get().pk)


def test_audit_rows_cannot_be_changed_or_deleted(world):
    event = audit.record(A.EXPORT, user=world.auditor, object_repr="台账")
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    # Not through the ORM either: the database refuses.
    for statement in (
        "UPDATE core_auditevent SET username = 'someone-else' WHERE id = %s",
        "DELETE FROM core_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(result="failed")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).username == "auditor"


def test_rows_past_the_retention_period_may_be_purged(world):
    event = audit.record(A.LOGIN, user=world.auditor)
    old = timezone.now() - datetime.timedelta(days=181)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER ALL")
        cursor.execute("UPDATE core_auditevent SET at = %s WHERE id = %s", [old, event.pk])
        cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER ALL")
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
    assert not AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_chain_shows_an_altered_row(world):
    first = audit.record(A.LOGIN, user=world.auditor)
    second = audit.record(A.EXPORT, user=world.auditor, object_repr="台账")
    audit.record(A.LOGOUT, user=world.auditor)
    assert second.previous_hash == first.row_hash
    assert audit.verify_chain() is None
    with connection.cursor() as cursor:  # what only the database owner could do
        cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER ALL")
        cursor.execute("UPDATE core_auditevent SET object_repr = '别的' WHERE id = %s", [second.pk])
        cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER ALL")
    assert audit.verify_chain() == second.pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_chain(world):
    barrier = threading.Barrier(4)

    def write():
        try:
            barrier.wait()
            for _ in range(5):
                audit.record(A.VIEW, user=world.auditor, object_repr="并发")
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert AuditEvent.objects.filter(object_repr="并发").count() == 20
    assert audit.verify_chain() is None
    hashes = list(AuditEvent.objects.values_list("previous_hash", flat=True))
    assert len(hashes) == len(set(hashes))  # no two rows continue the same row: no fork


@pytest.mark.parametrize("who", ["admin", "auditor"])
def test_admins_and_auditors_search_the_log(world, who):
    audit.record(A.LOGIN, user=world.township1_user)
    audit.record(A.EXPORT, user=world.auditor, object_repr="一镇台账")
    client = client_for(getattr(world, who))
    page = client.get(reverse("core:audit_list"), {"username": "auditor", "action": "export"})
    assert page.status_code == 200
    assert [e.object_repr for e in page.context["page"]] == ["一镇台账"]
    assert client.get(reverse("core:audit_list"), {"since": "not-a-date"}).status_code == 200


@pytest.mark.parametrize("who", ["bureau", "township1_user", "school1_user", "inspector"])
def test_others_cannot_read_or_export_the_log(world, who):
    client = client_for(getattr(world, who))
    assert client.get(reverse("core:audit_list")).status_code == 403
    assert client.post(reverse("core:audit_export")).status_code == 403
    assert not ExportJob.objects.exists()


def test_the_log_exports_to_excel(world, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    audit.record(A.LOGIN_FAILED, username="=cmd|' /C calc'!A0", result="denied")
    client = client_for(world.auditor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("core:audit_export"), {"action": "login_failed"})
    job = ExportJob.objects.get(exporter="audit")
    assert response.url == reverse("core:export_detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error
    download = client.get(reverse("core:export_download", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "时间",
        "用户",
        "姓名",
        "操作",
        "对象类型",
        "对象编号",
        "对象",
        "结果",
        "IP地址",
        "详情",
    )
    assert len(rows) == 2  # only the failed login: the filter was applied
    assert rows[1][1] == "=cmd|' /C calc'!A0"  # text as typed (quote prefix), never a formula
    assert rows[1][3] == "登录失败" and rows[1][7] == "被拒绝"


# --- reads of personal data (issue 16, point 9): each one writes a VIEW, EXPORT or IMPORT row --


def _read_rows(before: int) -> list[AuditEvent]:
    """The rows written since `before`, less the logins of the test clients."""
    return [row for row in AuditEvent.objects.order_by("pk")[before:] if row.action != A.LOGIN]


@pytest.fixture
def operator_client(world):
    """The deployment's operator (a superuser) in the Django admin."""
    from .factories import UserFactory

    return client_for(UserFactory(username="operator", is_superuser=True, is_staff=True))


def _no_personal_values(rows, *values):
    for row in rows:
        text = f"{row.object_repr} {row.detail}"
        for value in values:
            assert value not in text, (value, text)


def test_reading_a_childs_history_through_the_api_is_recorded(world):
    before = AuditEvent.objects.count()
    response = api_for(world.township1_user).get(f"/api/v1/children/{world.child1.pk}/history/")
    assert response.status_code == 200
    (view,) = _read_rows(before)
    assert (view.action, view.user, view.object_type, view.object_id) == (
        A.VIEW,
        world.township1_user,
        "enrollment.child",
        str(world.child1.pk),
    )
    assert view.detail == {"via": "api", "shown": "status_history"}
    _no_personal_values([view], world.child1.name, world.child1.resident_id)
    # Out of scope: 404, nothing read.
    api_for(world.township2_user).get(f"/api/v1/children/{world.child1.pk}/history/")
    assert AuditEvent.objects.count() == before + 1


def test_opening_the_status_form_is_recorded_but_not_posting_it(world):
    client = client_for(world.township1_user)
    url = reverse("enrollment:change_status", args=[world.child1.pk])
    before = AuditEvent.objects.count()
    assert client.get(url).status_code == 200
    (view,) = _read_rows(before)
    assert (view.action, view.object_id, view.detail) == (
        A.VIEW,
        str(world.child1.pk),
        {"shown": "status_form"},
    )
    _no_personal_values([view], world.child1.name)


def test_the_admin_child_page_with_the_full_id_is_recorded(world, operator_client):
    before = AuditEvent.objects.count()
    page = operator_client.get(f"/admin/enrollment/child/{world.child1.pk}/change/")
    assert page.status_code == 200 and world.child1.resident_id in page.content.decode()
    views = [row for row in _read_rows(before) if row.action == A.VIEW]
    assert [(row.object_type, row.object_id, row.detail) for row in views] == [
        ("enrollment.child", str(world.child1.pk), {"via": "admin"})
    ]
    _no_personal_values(views, world.child1.name, world.child1.resident_id)


def test_a_visit_read_through_the_api_or_the_admin_is_recorded(world, operator_client):
    from enrollment.services import record_visit

    visit = record_visit(
        actor=world.village1_user,
        household=world.household1,
        children=[world.child1],
        visit_date=timezone.localdate(),
        visitors="村干部甲",
        findings="孩子在外务工",
        outcome="working_away",
        follow_up="",
    )
    before = AuditEvent.objects.count()
    assert api_for(world.village1_user).get(f"/api/v1/visits/{visit.pk}/").status_code == 200
    assert operator_client.get(
        f"/admin/enrollment/householdvisit/{visit.pk}/change/"
    ).status_code == (200)
    views = [row for row in _read_rows(before) if row.action == A.VIEW]
    assert [(row.object_type, row.object_id, row.detail) for row in views] == [
        ("enrollment.householdvisit", str(visit.pk), {"via": "api"}),
        ("enrollment.householdvisit", str(visit.pk), {"via": "admin"}),
    ]
    _no_personal_values(views, "孩子在外务工", world.household1.head_name)


@pytest.fixture
def notice(world, legal_texts):
    from dropout.models import DropoutCase
    from dropout.services import cases, documents

    from .dropout.conftest import days_ago, persuade

    case = cases.open_case(
        actor=world.township1_user,
        child=world.child1,
        cause=DropoutCase.Cause.WORK,
        cause_detail="外出务工",
        responsible_persons="镇长 张三",
        opened_on=days_ago(40),
    )
    persuade(world, case)
    documents.issue_resume_notice(
        actor=world.township1_user,
        case=case,
        served_on=days_ago(20),
        served_to="王大",
        service_method="in_person",
        served_by="李四",
        service_place="一村1组",
    )
    return case.documents.get()


def test_each_print_page_and_pdf_of_a_document_is_recorded(world, notice):
    client = client_for(world.township1_user)
    api = api_for(world.township1_user)
    before = AuditEvent.objects.count()
    assert client.get(reverse("dropout:document_page", args=[notice.pk])).status_code == 200
    assert client.get(reverse("dropout:document_pdf", args=[notice.pk])).status_code == 200
    assert api.get(f"/api/v1/documents/{notice.pk}/").status_code == 200
    assert api.get(f"/api/v1/documents/{notice.pk}/pdf/").status_code == 200
    views = _read_rows(before)
    assert [(row.action, row.object_type, row.object_id) for row in views] == [
        (A.VIEW, "dropout.officialdocument", str(notice.pk))
    ] * 4
    assert [row.detail for row in views] == [
        {"shown": "print_page"},
        {"shown": "pdf"},
        {"via": "api"},
        {"via": "api", "shown": "pdf"},
    ]
    _no_personal_values(views, world.child1.name, "王大", notice.number)
    # Another township's official gets 404 and reads nothing.
    other = client_for(world.township2_user)
    before = AuditEvent.objects.count()
    assert other.get(reverse("dropout:document_pdf", args=[notice.pk])).status_code == 404
    assert AuditEvent.objects.count() == before


def test_each_download_of_an_export_is_recorded(
    world, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(world.auditor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("enrollment:export_ledger", args=["township", world.township1.pk]))
    job = ExportJob.objects.get()
    before = AuditEvent.objects.count()
    for _ in range(2):
        download = client.get(reverse("core:export_download", args=[job.pk]))
        assert download.status_code == 200
        b"".join(download.streaming_content)
    downloads = _read_rows(before)
    assert [(row.action, row.user, row.object_id) for row in downloads] == [
        (A.EXPORT, world.auditor, str(job.pk))
    ] * 2
    assert downloads[0].detail == {
        "exporter": "ledger",
        "step": "download",
        "rows": job.rows_written,
    }


def test_uploads_and_dry_runs_of_imports_are_recorded_rejected_ones_too(world):
    from .imports.conftest import police_bytes, upload

    scope = f"township:{world.township1.pk}"
    before = AuditEvent.objects.count()
    # A file that is not a workbook: the form refuses it, nothing is kept, the attempt is logged.
    response, job = upload(world.township1_user, "police_extract", scope, b"not a workbook")
    refused = _read_rows(before)
    if job is None:
        assert response.status_code == 200
        (row,) = refused
        assert (row.action, row.result, row.user) == (A.IMPORT, "denied", world.township1_user)
        assert row.detail["step"] == "upload" and row.detail["refused"] == ["file"]
    else:  # the dry run refuses it
        assert [(row.detail["step"], row.result) for row in refused] == [
            ("upload", "ok"),
            ("dry_run", "denied"),
        ]
    # A workbook whose rows have errors: uploaded (ok), dry run rejected (denied).
    before = AuditEvent.objects.count()
    bad_row = [1, "赵一", "男", "not-an-id", "2016.3.4", "一村1组1号", "", "赵大", "父亲", "", ""]
    _response, job = upload(
        world.township1_user, "police_extract", scope, police_bytes([bad_row]), name="赵一.xlsx"
    )
    assert job.status == "rejected"
    rows = _read_rows(before)
    assert [(row.action, row.detail["step"], row.result) for row in rows] == [
        (A.IMPORT, "upload", "ok"),
        (A.IMPORT, "dry_run", "denied"),
    ]
    assert all(row.object_id == str(job.pk) and row.user == world.township1_user for row in rows)
    assert rows[1].detail["rows"] == 1 and rows[1].detail["rows_with_errors"] == 1
    _no_personal_values(rows, "赵一", "not-an-id")
