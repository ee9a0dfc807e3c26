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
        {"full_identity": True},
    )
    assert api.user == world.village1_user and api.detail == {"full_identity": False, "via": "api"}
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
        "操作",
        "对象类型",
        "对象编号",
        "对象",
        "结果",
        "IP地址",
        "详情",
    )
    assert len(rows) == 2  # only the failed login: the filter was applied
    assert rows[1][1] == "'=cmd|' /C calc'!A0"  # neutralised, never a formula
    assert rows[1][2] == "登录失败" and rows[1][6] == "被拒绝"
