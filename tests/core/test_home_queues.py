"""Issue 17, point 10: each role's home leads with its own work queue, scoped; a unit is told of
an issue raised against it and the notifications of a closed issue stop counting as unread;
people are named by their names (and posts), not their logins."""

import io
import re

import pytest
from django.test import TestCase
from django.urls import reverse
from openpyxl import load_workbook

from core.models import ExportJob, Notification
from core.notifications import unread_count
from dropout.models import DropoutCase
from dropout.services import absences, cases
from enrollment.models import HouseholdVisit
from enrollment.roles import Role
from enrollment.services import grant_role
from inspections.services import issues

from ..conftest import client_for
from ..dropout.conftest import days_ago
from ..factories import UserFactory
from ..inspections.conftest import area, pdf_upload, raise_issue

# The queues each demo role's home shows (and no other): core.home's providers decide by role.
QUEUES_OF = {
    "admin": ["issues_to_verify", "exemptions_bureau", "overdue_townships", "batches_to_approve"],
    "bureau": [
        "exemptions_bureau",
        "overdue_townships",
        "batches_to_approve",
        "rectifications_due",
    ],
    "township1_user": ["cases_due", "exemptions_township", "unaccounted", "rectifications_due"],
    "village1_user": ["visits_due"],
    "school1_user": ["absences", "rectifications_due"],
    "inspector": ["issues_to_verify"],
    "auditor": ["exports", "audit_log"],
}
FIGURE_ROLES = {"admin", "bureau", "township1_user"}

NAMES = {"inspector": ("郑", "国栋"), "school1_user": ("吴", "晓燕"), "auditor": ("王", "静")}


@pytest.fixture
def named(world):
    for attribute, (family, given) in NAMES.items():
        user = getattr(world, attribute)
        user.last_name, user.first_name = family, given
        user.save()
    return world


def _home(user):
    response = client_for(user).get(reverse("home"))
    assert response.status_code == 200
    return response


def _queues(response) -> dict:
    return {queue.key: queue for queue in response.context["home_queues"]}


def _queue_keys_in_page(response) -> list[str]:
    return re.findall(r'data-queue="([a-z_]+)"', response.content.decode())


@pytest.mark.parametrize("who", list(QUEUES_OF))
def test_each_role_home_leads_with_its_own_queues_and_no_other(world, legal_texts, who):
    response = _home(getattr(world, who))
    assert _queue_keys_in_page(response) == QUEUES_OF[who]
    html = response.content.decode()
    if who in FIGURE_ROLES:
        # The bureau's and the township's figures stay, below their queues.
        assert html.index('id="home-queues"') < html.index('id="rate-chart"')
    else:
        # The inspector, village, school and auditor are not shown the dropout KPIs.
        assert 'id="rate-chart"' not in html and 'data-stat="rate"' not in html


def test_cases_due_lists_the_townships_own_cases_only(world, legal_texts):
    case = cases.open_case(
        actor=world.township1_user, child=world.child1, cause="work", opened_on=days_ago(40)
    )
    queue = _queues(_home(world.township1_user))["cases_due"]
    assert queue.count == 1
    assert queue.items[0].url == reverse("dropout:case_detail", args=[case.pk])
    assert world.child1.name in _home(world.township1_user).content.decode()
    other = _queues(_home(world.township2_user))["cases_due"]
    assert other.count == 0 and other.items == []
    # The bureau sees the township behind schedule (a case no one has persuaded for 40 days).
    townships = _queues(_home(world.bureau))["overdue_townships"]
    assert [item.label for item in townships.items] == [world.township1.name]
    assert townships.items[0].url == reverse(
        "enrollment:township_ledger", args=[world.township1.pk]
    )


def test_a_returned_case_leaves_the_queue(world, legal_texts):
    case = cases.open_case(
        actor=world.township1_user, child=world.child1, cause="work", opened_on=days_ago(40)
    )
    assert _queues(_home(world.township1_user))["cases_due"].count == 1
    DropoutCase.objects.filter(pk=case.pk).update(status=DropoutCase.Status.RETURNED)
    assert _queues(_home(world.township1_user))["cases_due"].count == 0


def test_visits_due_lists_the_villages_children_not_visited_lately(world):
    queue = _queues(_home(world.village1_user))["visits_due"]
    labels = [item.label for item in queue.items]
    # sibling1 lives in village1 and is unverified; child1b lives in village1b (out of scope).
    assert world.sibling1.name in labels and world.child1b.name not in labels
    assert reverse("enrollment:record_visit", args=[world.sibling1.pk]) in [
        item.url for item in queue.items
    ]
    visit = HouseholdVisit.objects.create(
        visit_date=days_ago(3),
        household=world.household1,
        visitors="周德明",
        findings="在外省就读",
        outcome=HouseholdVisit.Outcome.OTHER,
        recorded_by=world.village1_user,
    )
    visit.children.add(world.sibling1)
    labels = [item.label for item in _queues(_home(world.village1_user))["visits_due"].items]
    assert world.sibling1.name not in labels


def test_the_school_follows_its_absences_and_rectifications(world, legal_texts):
    report = absences.report_absence(
        actor=world.school1_user, child=world.child1, first_absent_on=days_ago(3)
    )
    queue = _queues(_home(world.school1_user))["absences"]
    assert queue.count == 1
    assert queue.items[0].url == reverse("dropout:absence_back", args=[report.pk])
    assert queue.action_url == reverse("enrollment:school_ledger", args=[world.school1.pk])


def test_rectifications_due_are_the_units_own(world):
    issue = raise_issue(world)  # against school1
    queue = _queues(_home(world.school1_user))["rectifications_due"]
    assert [item.url for item in queue.items] == [
        reverse("inspections:issue_detail", args=[issue.pk])
    ]
    school2_user = UserFactory(username="school2")
    grant_role(user=school2_user, role=Role.SCHOOL_STAFF, place=world.school2)
    assert _queues(_home(school2_user))["rectifications_due"].count == 0
    # An issue submitted for verification leaves the unit's queue and joins the inspector's.
    assert _queues(_home(world.inspector))["issues_to_verify"].count == 0
    issues.submit_rectification(
        actor=world.school1_user, issue=issue, note="已补发", evidence_file=pdf_upload()
    )
    assert _queues(_home(world.school1_user))["rectifications_due"].count == 0
    verify = _queues(_home(world.inspector))["issues_to_verify"]
    assert verify.count == 1 and verify.items[0].url.endswith(f"/issues/{issue.pk}/")


def test_the_school_is_notified_when_an_issue_is_raised_against_it(world):
    with TestCase.captureOnCommitCallbacks(execute=True):
        issue = raise_issue(world, deadline=days_ago(-15))
    told = Notification.objects.get(recipient=world.school1_user)
    assert told.link == reverse("inspections:issue_detail", args=[issue.pk])
    assert issue.number in told.message and world.school1.name in told.message
    assert not Notification.objects.filter(recipient=world.township2_user).exists()
    # The bell shows the number, with an accessible name that says what it counts.
    html = _home(world.school1_user).content.decode()
    bell = re.search(r'<a[^>]*id="notification-bell"[^>]*>.*?</a>', html, re.S).group(0)
    assert re.search(r'aria-label="[^"]*1[^"]*"', bell)
    assert re.search(r">\s*1\s*</span>", bell) and "新增" not in bell


def test_closing_an_issue_reads_its_notifications(world):
    with TestCase.captureOnCommitCallbacks(execute=True):
        issue = raise_issue(world)
        other = raise_issue(world, area_name="营养餐")
        issues.submit_rectification(
            actor=world.school1_user, issue=issue, note="已补发", evidence_file=pdf_upload()
        )
    assert unread_count(world.school1_user) == 2  # told of both issues
    assert Notification.objects.filter(recipient=world.inspector, read_at=None).count() == 1
    with TestCase.captureOnCommitCallbacks(execute=True):
        issues.verify_issue(actor=world.inspector, issue=issue, note="核实已补发")
    link = reverse("inspections:issue_detail", args=[issue.pk])
    assert not Notification.objects.filter(link=link, read_at=None).exists()
    world.school1_user._unread_notifications = None
    assert unread_count(world.school1_user) == 1  # the other issue is still open
    assert Notification.objects.get(recipient=world.school1_user, read_at=None).link == reverse(
        "inspections:issue_detail", args=[other.pk]
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        issues.withdraw_issue(actor=world.inspector, issue=other, reason="重复录入")
    assert not Notification.objects.filter(read_at=None).exists()
    assert _home(world.school1_user).context["nav_unread_notifications"] == 0


def test_the_notification_list_says_unread_not_new(world):
    Notification.objects.create(recipient=world.school1_user, message="督查问题已交办")
    html = client_for(world.school1_user).get(reverse("core:notification_list")).content.decode()
    assert "未读" in html and "新增" not in html


def test_history_lines_name_people_not_logins(named):
    world = named
    issue = raise_issue(world)
    issues.start_rectification(actor=world.school1_user, issue=issue, note="正在补发")
    html = (
        client_for(world.inspector)
        .get(reverse("inspections:issue_detail", args=[issue.pk]))
        .content.decode()
    )
    lines = re.findall(r'<div class="entry"><div class="small text-secondary">([^<]*)</div>', html)
    assert any("郑国栋" in line for line in lines) and any("吴晓燕" in line for line in lines)
    assert not any("inspector" in line or "school1" in line for line in lines)


def test_the_header_names_the_user_with_their_post(world):
    grant_role(
        user=world.township1_user, role=Role.TOWNSHIP_OFFICIAL, place=world.township1, post="副镇长"
    )
    world.township1_user.last_name, world.township1_user.first_name = "孙", "建国"
    world.township1_user.save()
    html = _home(world.township1_user).content.decode()
    person = re.search(r'<span[^>]*id="nav-person"[^>]*>.*?</span>', html, re.S).group(0)
    assert "孙建国" in person and "副镇长" in person and "township1" not in person


def test_the_audit_export_names_the_person(named, settings, tmp_path):
    from core import audit

    world = named
    settings.MEDIA_ROOT = tmp_path
    audit.record(audit.A.VIEW, user=world.school1_user, obj=world.child1)
    client = client_for(world.auditor)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("core:audit_export"), {"action": "view"})
    job = ExportJob.objects.get(exporter="audit")
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error
    download = client.get(reverse("core:export_download", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1:3] == ("用户", "姓名")
    assert rows[1][1:3] == ("school1", "吴晓燕")
    # The auditor's home lists the export, and the log's exports by the person's name (the
    # school's read of a record stays in the searchable log, not in the review queue).
    queues = _queues(_home(world.auditor))
    assert queues["exports"].items[0].url == reverse("core:export_detail", args=[job.pk])
    labels = [item.label for item in queues["audit_log"].items]
    assert labels and labels[0].startswith("王静") and not any("吴晓燕" in x for x in labels)


@pytest.mark.parametrize("who", list(QUEUES_OF))
def test_home_query_count_is_bounded(world, legal_texts, who, django_assert_max_num_queries):
    cases.open_case(
        actor=world.township1_user, child=world.child1, cause="work", opened_on=days_ago(40)
    )
    for index in range(3):
        raise_issue(world, description=f"问题{index}")
    area("营养餐")
    client = client_for(getattr(world, who))
    client.get(reverse("home"))  # warm the per-process caches (ledger summary, trend)
    # 28, and one for the transfers under way (transfers.home: one query while few wait).
    with django_assert_max_num_queries(29):
        assert client.get(reverse("home")).status_code == 200
