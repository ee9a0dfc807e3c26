"""我的走访's API: the worklist (scope, masking, reasons), the sync of an offline visit
(roles, scope, idempotent retries, conflicts) and the notifications API."""

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from core.models import AuditEvent, Notification
from core.notifications import notify
from dropout.models import DropoutCase, Persuasion
from dropout.services import cases
from enrollment.models import Child, EnrollmentStatus, HouseholdVisit
from enrollment.services import change_status

from ..conftest import api_for, client_for
from ..factories import ChildFactory
from .conftest import days_ago

WORKLIST = "/api/v1/visit-worklist/"
SYNC = "/api/v1/visit-sync/"


def worklist_of(user) -> dict:
    response = api_for(user).get(WORKLIST)
    assert response.status_code == 200, response.content
    return response.json()


def entry_for(child, version: str, **overrides) -> dict:
    return {
        "child": child.pk,
        "seen_version": version,
        "visit_date": timezone.localdate().isoformat(),
        "visitors": "村干部甲",
        "findings": "孩子在家",
        "outcome": "at_home",
        **overrides,
    }


def version_of(user, child) -> str:
    rows = {row["id"]: row for row in worklist_of(user)["children"]}
    return rows[child.pk]["state"]["version"]


# --- the worklist ----------------------------------------------------------------------------


def test_village_official_gets_only_their_village_children(world):
    # sibling1 (village1) and child1b (village1b) are unverified; child2 of township2 too.
    ChildFactory(household=world.household2, name="李小三")
    names = {row["name"] for row in worklist_of(world.village1_user)["children"]}
    assert names == {world.sibling1.name}


def test_township_official_gets_the_whole_township_and_not_the_other(world):
    names = {row["name"] for row in worklist_of(world.township1_user)["children"]}
    assert names == {world.sibling1.name, world.child1b.name}
    names2 = {row["name"] for row in worklist_of(world.township2_user)["children"]}
    assert world.sibling1.name not in names2


def test_worklist_masks_identifiers_and_names_the_household(world):
    row = worklist_of(world.township1_user)["children"][0]
    child = Child.objects.get(pk=row["id"])
    assert row["resident_id"] == child.masked_resident_id != child.resident_id
    assert row["guardian_phone"] == child.masked_guardian_phone != child.guardian_phone
    assert row["household_head"] == child.household.head_name
    assert row["address"] == child.household.address
    assert row["reasons"] == ["unaccounted"]


def test_worklist_lists_suspected_dropouts_and_open_cases_due(world, legal_texts):
    change_status(
        actor=world.loader,
        child=world.child1,
        status=EnrollmentStatus.SUSPECTED_DROPOUT,
        effective_date=days_ago(3),
        reason="连续缺课",
        school=world.school1,
        grade=3,
    )
    rows = {row["id"]: row for row in worklist_of(world.village1_user)["children"]}
    assert rows[world.child1.pk]["reasons"] == ["suspected"]
    case = cases.open_case(actor=world.township1_user, child=world.child1, cause="work")
    rows = {row["id"]: row for row in worklist_of(world.village1_user)["children"]}
    assert "persuasion_due" in rows[world.child1.pk]["reasons"]
    assert rows[world.child1.pk]["state"]["case_id"] == case.pk
    assert rows[world.child1.pk]["may_persuade"] is True


def test_an_in_school_child_is_not_on_the_worklist(world):
    ids = {row["id"] for row in worklist_of(world.township1_user)["children"]}
    assert world.child1.pk not in ids


def test_worklist_download_is_audited_and_counts_queries(world):
    for _ in range(5):
        ChildFactory(household=world.household1)
    with CaptureQueriesContext(connection) as few:
        worklist_of(world.village1_user)
    for _ in range(10):
        ChildFactory(household=world.household1b)
    with CaptureQueriesContext(connection) as more:
        worklist_of(world.township1_user)
    assert len(more) <= len(few) + 2  # no query per row
    assert AuditEvent.objects.filter(object_type="dropout.worklist").count() == 2


def test_worklist_needs_a_login(world):
    from rest_framework.test import APIClient

    assert APIClient().get(WORKLIST).status_code == 401


# --- sync ------------------------------------------------------------------------------------


def test_sync_records_the_visit_and_answers_the_new_version(world):
    version = version_of(world.village1_user, world.sibling1)
    response = api_for(world.village1_user).post(
        SYNC,
        entry_for(world.sibling1, version, new_status="never_enrolled", status_reason="从未入学"),
        format="multipart",
    )
    assert response.status_code == 201, response.content
    visit = HouseholdVisit.objects.get()
    assert visit.recorded_by == world.village1_user
    assert list(visit.children.all()) == [world.sibling1]
    world.sibling1.refresh_from_db()
    assert world.sibling1.status == EnrollmentStatus.NEVER_ENROLLED
    assert response.json()["state"]["status"] == "never_enrolled"
    assert response.json()["state"]["version"] != version


def test_idempotent_retry_gives_one_visit(world):
    version = version_of(world.village1_user, world.sibling1)
    client = api_for(world.village1_user)
    key = f"visit-{uuid.uuid4()}-0"
    body = entry_for(world.sibling1, version, new_status="never_enrolled")
    first = client.post(SYNC, body, format="multipart", HTTP_IDEMPOTENCY_KEY=key)
    again = client.post(SYNC, body, format="multipart", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert HouseholdVisit.objects.count() == 1
    assert world.sibling1.status_changes.filter(status="never_enrolled").count() == 1


def test_without_the_key_a_second_send_of_a_status_change_is_a_conflict(world):
    version = version_of(world.village1_user, world.sibling1)
    client = api_for(world.village1_user)
    body = entry_for(world.sibling1, version, new_status="never_enrolled")
    assert client.post(SYNC, body, format="multipart").status_code == 201
    assert client.post(SYNC, body, format="multipart").status_code == 409
    assert HouseholdVisit.objects.count() == 1


def test_conflict_409_shows_both_versions_and_leaves_the_server_unchanged(world):
    version = version_of(world.village1_user, world.sibling1)
    # Meanwhile the township finds the child at school.
    change_status(
        actor=world.township1_user,
        child=world.sibling1,
        status=EnrollmentStatus.IN_SCHOOL,
        effective_date=timezone.localdate(),
        reason="已入学",
        school=world.school1,
        grade=1,
    )
    response = api_for(world.village1_user).post(
        SYNC,
        entry_for(world.sibling1, version, new_status="dropped_out", client_entry="e1"),
        format="multipart",
    )
    assert response.status_code == 409
    answer = response.json()
    assert answer["code"] == "conflict"
    assert answer["client_entry"] == "e1"
    assert answer["seen"]["status"] == "unverified"
    assert answer["current"]["status"] == "in_school"
    assert answer["seen"]["version"] == version != answer["current"]["version"]
    world.sibling1.refresh_from_db()
    assert world.sibling1.status == EnrollmentStatus.IN_SCHOOL
    assert HouseholdVisit.objects.count() == 0


def test_conflict_applied_anyway_when_the_official_decides(world):
    version = version_of(world.village1_user, world.sibling1)
    change_status(
        actor=world.township1_user,
        child=world.sibling1,
        status=EnrollmentStatus.NEVER_ENROLLED,
        effective_date=timezone.localdate(),
        reason="核实",
    )
    client = api_for(world.village1_user)
    body = entry_for(world.sibling1, version)
    assert client.post(SYNC, body, format="multipart").status_code == 409
    response = client.post(SYNC, {**body, "force": "true"}, format="multipart")
    assert response.status_code == 201
    assert HouseholdVisit.objects.count() == 1


def test_auditor_is_refused_the_sync(world):
    version = version_of(world.auditor, world.sibling1)
    response = api_for(world.auditor).post(
        SYNC, entry_for(world.sibling1, version), format="multipart"
    )
    assert response.status_code == 403
    assert HouseholdVisit.objects.count() == 0


def test_township2_gets_404_on_another_townships_child(world):
    response = api_for(world.township2_user).post(
        SYNC, entry_for(world.sibling1, "unverified.0.0."), format="multipart"
    )
    assert response.status_code == 404
    assert HouseholdVisit.objects.count() == 0


def test_township1_may_sync_its_own_child(world):
    version = version_of(world.township1_user, world.sibling1)
    response = api_for(world.township1_user).post(
        SYNC, entry_for(world.sibling1, version), format="multipart"
    )
    assert response.status_code == 201


def test_sync_validates_like_the_form(world):
    version = version_of(world.village1_user, world.sibling1)
    client = api_for(world.village1_user)
    tomorrow = (timezone.localdate() + timezone.timedelta(days=1)).isoformat()
    response = client.post(
        SYNC, entry_for(world.sibling1, version, visit_date=tomorrow), format="multipart"
    )
    assert response.status_code == 400
    assert "visit_date" in response.json()
    response = client.post(
        SYNC, entry_for(world.sibling1, version, findings=""), format="multipart"
    )
    assert response.status_code == 400 and "findings" in response.json()
    response = client.post(
        SYNC, entry_for(world.sibling1, version, new_status="in_school"), format="multipart"
    )
    assert response.status_code == 400 and "school" in response.json()
    # A child of another household is refused.
    response = client.post(
        SYNC,
        entry_for(world.sibling1, version, children=[world.sibling1.pk, world.child1b.pk]),
        format="multipart",
    )
    assert response.status_code == 400
    assert HouseholdVisit.objects.count() == 0


def test_sync_takes_a_photo(world):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "JPEG")
    photo = SimpleUploadedFile("visit.jpg", buffer.getvalue(), content_type="image/jpeg")
    version = version_of(world.village1_user, world.sibling1)
    response = api_for(world.village1_user).post(
        SYNC, {**entry_for(world.sibling1, version), "attachment": photo}, format="multipart"
    )
    assert response.status_code == 201, response.content
    assert HouseholdVisit.objects.get().attachment.name.startswith("visits/")


def test_sync_records_the_persuasion_of_the_open_case(world, legal_texts):
    change_status(
        actor=world.loader,
        child=world.child1,
        status=EnrollmentStatus.SUSPECTED_DROPOUT,
        effective_date=days_ago(5),
        reason="连续缺课",
        school=world.school1,
        grade=3,
    )
    case = cases.open_case(actor=world.township1_user, child=world.child1, cause="work")
    version = version_of(world.village1_user, world.child1)
    response = api_for(world.village1_user).post(
        SYNC,
        entry_for(
            world.child1,
            version,
            persuasion="true",
            what_was_said="宣讲义务教育法",
            family_answer="考虑返校",
            result="promised",
        ),
        format="multipart",
    )
    assert response.status_code == 201, response.content
    persuasion = Persuasion.objects.get(case=case)
    assert persuasion.visitors == "村干部甲"
    assert persuasion.officers.count() == 0  # text only: recorded, not counted
    case.refresh_from_db()
    assert case.status == DropoutCase.Status.PERSUADING
    assert response.json()["persuasion"] == persuasion.pk


def test_sync_is_in_the_schema(world):
    schema = client_for(world.admin).get("/api/schema/").content.decode()
    for path in ("/api/v1/visit-worklist/", "/api/v1/visit-sync/", "/api/v1/notifications/"):
        assert path in schema


# --- notifications ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_notifications_are_the_callers_own_and_marked_read(world):
    notify([world.village1_user], "请走访王小妹", link="/visits/")
    notify([world.township2_user], "二镇的通知")
    mine = Notification.objects.get(recipient=world.village1_user)
    other = Notification.objects.get(recipient=world.township2_user)
    client = api_for(world.village1_user)
    listed = client.get("/api/v1/notifications/").json()["results"]
    assert [row["message"] for row in listed] == ["请走访王小妹"]
    assert listed[0]["read"] is False
    assert client.post(f"/api/v1/notifications/{other.pk}/read/").status_code == 404
    response = client.post(f"/api/v1/notifications/{mine.pk}/read/")
    assert response.status_code == 200 and response.json()["read"] is True
    assert client.get("/api/v1/notifications/?unread=true").json()["results"] == []
    other.refresh_from_db()
    assert other.read_at is None


def test_an_exemption_ending_within_30_days_puts_the_child_on_the_worklist(world):
    from dropout.models import ExemptionRequest
    from enrollment.services import set_status_by_procedure

    set_status_by_procedure(
        actor=world.loader,
        child=world.child1,
        status=EnrollmentStatus.SUSPENDED,
        effective_date=days_ago(100),
        reason="因病休学",
    )
    request = ExemptionRequest.objects.create(
        child=world.child1,
        kind=ExemptionRequest.Kind.SUSPENDED,
        reason=ExemptionRequest.Reason.ILLNESS,
        reason_detail="住院治疗",
        start_date=days_ago(100),
        end_date=days_ago(-60),
        status=ExemptionRequest.Status.FILED,
        registered_by=world.township1_user,
    )
    ids = {row["id"] for row in worklist_of(world.village1_user)["children"]}
    assert world.child1.pk not in ids  # ends in 60 days: not yet
    request.end_date = days_ago(-20)
    request.save()
    rows = {row["id"]: row for row in worklist_of(world.village1_user)["children"]}
    assert rows[world.child1.pk]["reasons"] == ["exemption_ending"]
    assert rows[world.child1.pk]["exemption_end"] == request.end_date.isoformat()


# --- the app's pages -------------------------------------------------------------------------


def test_the_app_page_is_for_logged_in_users_and_linked_for_township_and_village(world):
    from django.test import Client

    assert Client().get("/visits/").status_code == 302  # to the login page
    page = client_for(world.village1_user).get("/visits/")
    assert page.status_code == 200
    assert 'id="nav-visits-app"' in page.content.decode()
    assert "我的走访" in page.content.decode()
    assert 'id="nav-visits-app"' in client_for(world.township1_user).get("/").content.decode()
    for user in (world.auditor, world.school1_user, world.bureau):
        assert 'id="nav-visits-app"' not in client_for(user).get("/").content.decode()


def test_the_service_worker_covers_the_app_and_the_manifest_installs_it(world):
    from django.test import Client

    worker = Client().get("/visits/sw.js")
    assert worker.status_code == 200
    assert worker["Content-Type"].startswith("application/javascript")
    assert worker["Service-Worker-Allowed"] == "/visits/"
    text = worker.content.decode()
    assert text.startswith("const CONFIG = ") and '"app": "/visits/"' in text
    manifest = Client().get("/visits/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    data = manifest.json()
    assert data["start_url"] == data["scope"] == "/visits/"
    assert data["display"] == "standalone"
    from django.conf import settings
    from django.contrib.staticfiles import finders

    for icon in data["icons"]:
        assert finders.find(icon["src"].removeprefix("/" + settings.STATIC_URL.lstrip("/")))


def test_the_login_page_wipes_the_stored_worklist():
    from django.test import Client

    page = Client().get("/accounts/login/").content.decode()
    assert "pwa/store.js" in page and "pwa/wipe.js" in page


@pytest.mark.django_db(transaction=True)
def test_the_auditor_marks_their_own_notifications_read_and_nobody_elses(world):
    notify([world.auditor], "导出已完成")
    notify([world.village1_user], "请走访")
    client = api_for(world.auditor)
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    assert Notification.objects.get(recipient=world.auditor).read_at is not None
    assert Notification.objects.get(recipient=world.village1_user).read_at is None


def _case_for_child1(world):
    change_status(
        actor=world.loader,
        child=world.child1,
        status=EnrollmentStatus.SUSPECTED_DROPOUT,
        effective_date=days_ago(5),
        reason="连续缺课",
        school=world.school1,
        grade=3,
    )
    return cases.open_case(actor=world.township1_user, child=world.child1, cause="work")


def test_a_persuasion_with_two_officials_counts(world, legal_texts):
    case = _case_for_child1(world)
    worklist = worklist_of(world.village1_user)
    officers = {row["id"] for row in worklist["choices"]["officers"]}
    assert {world.village1_user.pk, world.township1_user.pk} <= officers
    assert world.township2_user.pk not in officers  # another township's official
    assert world.auditor.pk not in officers  # no persuasion role
    version = {row["id"]: row for row in worklist["children"]}[world.child1.pk]["state"]["version"]
    response = api_for(world.village1_user).post(
        SYNC,
        entry_for(
            world.child1,
            version,
            persuasion="true",
            what_was_said="宣讲义务教育法",
            family_answer="不愿返校",
            result="refused",
            officers=[world.village1_user.pk, world.township1_user.pk],
        ),
        format="multipart",
    )
    assert response.status_code == 201, response.content
    persuasion = Persuasion.objects.get(case=case)
    assert set(persuasion.officers.all()) == {world.village1_user, world.township1_user}


def test_a_persuasion_with_one_official_or_another_townships_is_refused(world, legal_texts):
    _case_for_child1(world)
    version = version_of(world.village1_user, world.child1)
    client = api_for(world.village1_user)
    persuasion = {
        "persuasion": "true",
        "what_was_said": "宣讲",
        "family_answer": "不愿",
        "result": "refused",
    }
    for officers in ([world.village1_user.pk], [world.village1_user.pk, world.township2_user.pk]):
        response = client.post(
            SYNC,
            entry_for(world.child1, version, **persuasion, officers=officers),
            format="multipart",
        )
        assert response.status_code == 400 and "officers" in response.json()
    assert not Persuasion.objects.exists() and not HouseholdVisit.objects.exists()


def test_the_worklist_names_each_household_member_with_its_household(world):
    members = worklist_of(world.village1_user)["household_children"]
    assert {(row["id"], row["household"]) for row in members} == {
        (world.child1.pk, world.household1.pk),
        (world.sibling1.pk, world.household1.pk),
    }
