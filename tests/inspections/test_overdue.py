"""Overdue detection: an issue past its deadline and not yet submitted is flagged; the daily
task notifies its unit and the inspector once per deadline."""

from django.test import TestCase

from core.models import Notification
from inspections.models import Issue
from inspections.services import issues
from inspections.tasks import notify_overdue_issues_task

from .conftest import days_ago, days_ahead, raise_issue, submitted


def test_overdue_means_past_the_deadline_and_not_yet_submitted(world):
    late = raise_issue(world, deadline=days_ago(1))
    due_today = raise_issue(world, deadline=days_ago(0))
    future = raise_issue(world, deadline=days_ahead(3))
    late_but_submitted = raise_issue(world, deadline=days_ago(2))
    submitted(world, late_but_submitted)
    late_rectifying = raise_issue(world, deadline=days_ago(5))
    issues.start_rectification(actor=world.school1_user, issue=late_rectifying)
    late_withdrawn = raise_issue(world, deadline=days_ago(5))
    issues.withdraw_issue(actor=world.inspector, issue=late_withdrawn, reason="误报")

    overdue = set(Issue.objects.overdue().values_list("pk", flat=True))
    assert overdue == {late.pk, late_rectifying.pk}
    for issue in (late, due_today, future, late_but_submitted, late_rectifying, late_withdrawn):
        issue.refresh_from_db()
        assert issue.is_overdue == (issue.pk in overdue)


def test_the_daily_task_flags_and_notifies_once_per_deadline(world):
    late = raise_issue(world, deadline=days_ago(1))
    raise_issue(world, deadline=days_ahead(3))
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert notify_overdue_issues_task.delay().get() == 1
    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert recipients == {"school1", "inspector"}
    assert late.number in Notification.objects.first().message
    assert late.events.filter(action="overdue", actor__isnull=True).count() == 1

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert issues.notify_overdue_issues() == 0  # a rerun repeats nothing
    assert Notification.objects.count() == 2

    # A failed verification with a new deadline that passes again is a new overdue event.
    submitted(world, late)
    issues.reopen_issue(actor=world.inspector, issue=late, reason="不彻底", deadline=days_ahead(0))
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert issues.notify_overdue_issues(day=days_ahead(1)) == 1
    assert Notification.objects.count() == 4


def test_a_township_issue_notifies_the_township_officials(world):
    raise_issue(world, unit=world.township1, deadline=days_ago(3))
    with TestCase.captureOnCommitCallbacks(execute=True):
        issues.notify_overdue_issues()
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "township1",
        "inspector",
    }


def test_the_task_is_in_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "inspections.tasks.notify_overdue_issues_task" in tasks
