"""Two people editing the same issue, or changing the same complaint's handlers: the second save,
made from the version both opened, is refused with a message and overwrites nothing."""

from django.urls import reverse

from enrollment.roles import Role
from enrollment.services import grant_role
from inspections.models import Complaint, Issue
from inspections.services import issues
from tests.factories import UserFactory

from ..conftest import client_for
from ..lost_updates import STALE, edit_twice, second_save_refused
from ..page_forms import form_values
from .conftest import days_ahead, submitted


def test_an_inspector_saves_an_issue_and_the_version_goes_up(world, issue):
    url = reverse("inspections:issue_edit", args=[issue.pk])
    changes = {"responsible_person": "李副校长"}, {"measures": "补发、公示并通报"}
    edit_twice(client_for(world.inspector), url, *changes)
    issue.refresh_from_db()
    assert issue.measures == "补发、公示并通报" and issue.responsible_person == "李副校长"
    assert issue.version == 3


def test_two_people_editing_one_issue_the_second_save_is_refused(world, issue):
    url = reverse("inspections:issue_edit", args=[issue.pk])
    # The second form still shows the old responsible person: saving it would undo the first.
    second_save_refused(
        url,
        client_for(world.inspector),
        client_for(world.admin),
        {"responsible_person": "李副校长"},
        {"measures": "另行整改"},
    )
    issue.refresh_from_db()
    assert issue.responsible_person == "李副校长" and issue.measures == "补发并公示"
    assert issue.version == 2
    assert list(issue.events.filter(action="edited").values_list("actor", flat=True)) == [
        world.inspector.pk
    ]


def test_an_edit_form_opened_before_a_new_deadline_is_stale(world, issue):
    url = reverse("inspections:issue_edit", args=[issue.pk])
    client = client_for(world.admin)
    opened = form_values(client.get(url))
    submitted(world, issue)
    issues.reopen_issue(
        actor=world.inspector, issue=issue, reason="不彻底", deadline=days_ahead(40)
    )
    refused = client.post(url, {**opened, "measures": "另行整改"})
    assert refused.status_code == 200 and STALE in refused.content.decode()
    issue.refresh_from_db()
    assert issue.deadline == days_ahead(40) and issue.measures == "补发并公示"
    assert issue.version == 2


def _second_inspector(world):
    other = UserFactory(username="inspector2", first_name="二号督查员")
    grant_role(user=other, role=Role.INSPECTOR, place=world.county)
    return other


def test_handlers_are_changed_and_the_version_goes_up(world, named_complaint):
    url = reverse("inspections:complaint_handlers", args=[named_complaint.pk])
    client = client_for(world.admin)
    opened = form_values(client.get(url))
    assert opened["version"] == "1" and opened["handlers"] == str(world.inspector.pk)
    saved = client.post(url, {**opened, "handlers": [world.inspector.pk, world.bureau.pk]})
    assert saved.status_code == 302
    complaint = Complaint.objects.get(pk=named_complaint.pk)
    assert set(complaint.handlers.all()) == {world.inspector, world.bureau}
    assert complaint.version == 2


def test_two_people_changing_the_handlers_the_second_change_is_refused(world, named_complaint):
    other = _second_inspector(world)
    url = reverse("inspections:complaint_handlers", args=[named_complaint.pk])
    # The second one never saw the bureau staff member added: saving would drop them.
    second_save_refused(
        url,
        client_for(world.admin),
        client_for(world.inspector),
        {"handlers": [world.inspector.pk, world.bureau.pk]},
        {"handlers": [world.inspector.pk, other.pk]},
    )
    complaint = Complaint.objects.get(pk=named_complaint.pk)
    assert set(complaint.handlers.all()) == {world.inspector, world.bureau}
    assert complaint.version == 2


def test_the_issue_form_without_its_version_is_refused(world, issue):
    url = reverse("inspections:issue_edit", args=[issue.pk])
    client = client_for(world.inspector)
    opened = form_values(client.get(url))
    del opened["version"]
    response = client.post(url, {**opened, "responsible_person": "李副校长"})
    assert response.status_code == 200 and "version" in response.context["form"].errors
    assert Issue.objects.get(pk=issue.pk).responsible_person == "张校长"
