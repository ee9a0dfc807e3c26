"""The inspection issue's table, walked: every (action, state, role) answers what the table
declares, through can() and through the service alike (the responsible unit answers, the
inspectors verify and manage)."""

import pytest

from inspections.models import Issue
from inspections.services import issues
from inspections.transitions import ISSUE_TRANSITIONS

from ..transition_matrix import walk
from .conftest import days_ago, days_ahead

ISSUE_CALLS = {
    "start": lambda user, issue: issues.start_rectification(actor=user, issue=issue),
    "progress": lambda user, issue: issues.report_progress(actor=user, issue=issue, note="整改中"),
    "submit": lambda user, issue: issues.submit_rectification(
        actor=user, issue=issue, note="已补发", on=days_ago(0)
    ),
    "verify": lambda user, issue: issues.verify_issue(actor=user, issue=issue, on=days_ago(0)),
    "reopen": lambda user, issue: issues.reopen_issue(actor=user, issue=issue, reason="未到位"),
    "withdraw": lambda user, issue: issues.withdraw_issue(actor=user, issue=issue, reason="误报"),
    "edit": lambda user, issue: issues.update_issue(
        actor=user, issue=issue, deadline=days_ahead(30)
    ),
}


@pytest.mark.parametrize("state", Issue.Status.values)
def test_every_issue_step_for_every_role_answers_as_the_table_declares(world, issue, state):
    Issue.objects.filter(pk=issue.pk).update(status=state, submitted_on=days_ago(1))
    assert walk(world, ISSUE_TRANSITIONS, issue, ISSUE_CALLS) == []


def test_the_issue_page_offers_exactly_the_steps_the_table_allows(world, issue):
    from ..conftest import client_for

    for user in (world.school1_user, world.inspector, world.auditor):
        page = client_for(user).get(f"/inspections/issues/{issue.pk}/")
        offered = {action for action, _label, _style in page.context["actions"]} - {"link"}
        allowed = {a for a, answer in ISSUE_TRANSITIONS.answers(issue, user).items() if answer}
        assert offered == allowed
