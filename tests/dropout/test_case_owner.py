"""Cases have an owner: a handler (承办人) and responsible persons (包保责任人) who are users;
"my open cases" are mine; a change of either is recorded."""

import pytest
from django.urls import reverse

from core.errors import DomainError
from dropout.models import DropoutCase
from dropout.selectors import case_queue, queue_counts
from dropout.services.assignment import reassign_case
from dropout.services.cases import open_case
from tests.conftest import client_for

from .conftest import days_ago


def test_the_official_who_opens_a_case_carries_it(case, world):
    assert case.handler == world.township1_user


def test_my_open_cases_are_the_ones_i_carry_or_answer_for(case, world):
    assert queue_counts(world.township1_user)["mine"] == 1
    # The bureau sees the case in its scope, but it is not the bureau's case.
    assert queue_counts(world.bureau)["mine"] == 0
    assert queue_counts(world.bureau)["open"] == 1
    reassign_case(
        actor=world.township1_user,
        case=case,
        handler=world.township1_user,
        guarantors=[world.village1_user, world.school1_user],
    )
    assert list(case_queue(world.village1_user, "mine")) == [case]
    assert queue_counts(world.school1_user)["mine"] == 1


def test_reassigning_is_recorded_with_who_from_and_to(case, world):
    world.township1_user.last_name, world.township1_user.first_name = "王", "建国"
    world.township1_user.save()
    world.bureau.last_name = "李局"
    world.bureau.save()
    reassign_case(
        actor=world.bureau, case=case, handler=world.bureau, guarantors=[world.village1_user]
    )
    case.refresh_from_db()
    assert case.handler == world.bureau
    assert list(case.guarantors.all()) == [world.village1_user]
    event = case.events.get(action="reassigned")
    assert event.actor == world.bureau
    assert "王建国 → 李局" in event.note


def test_the_handler_must_be_an_official_of_the_case(case, world):
    for outsider in (world.township2_user, world.village1_user, world.inspector):
        with pytest.raises(DomainError):
            reassign_case(actor=world.township1_user, case=case, handler=outsider, guarantors=[])
    with pytest.raises(DomainError):  # another township's official answers for nothing here
        reassign_case(
            actor=world.township1_user,
            case=case,
            handler=world.township1_user,
            guarantors=[world.township2_user],
        )


def test_the_form_reassigns_within_scope(case, world):
    url = reverse("dropout:case_assign", args=[case.pk])
    client = client_for(world.township1_user)
    page = client.get(url)
    assert page.status_code == 200 and "township2" not in page.content.decode()
    answer = client.post(
        url, {"handler": world.bureau.pk, "guarantors": [world.school1_user.pk], "note": "调岗"}
    )
    assert answer.status_code == 302
    case.refresh_from_db()
    assert case.handler == world.bureau
    detail = client.get(reverse("dropout:case_detail", args=[case.pk])).content.decode()
    assert 'id="action-assign"' in detail


def test_other_township_gets_404_and_auditor_403(case, world):
    url = reverse("dropout:case_assign", args=[case.pk])
    assert client_for(world.township2_user).get(url).status_code == 404
    assert client_for(world.auditor).get(url).status_code == 403
    answer = client_for(world.auditor).post(url, {"handler": world.auditor.pk})
    assert answer.status_code == 403
    assert client_for(world.inspector).get(url).status_code == 403
    case.refresh_from_db()
    assert case.handler == world.township1_user


def test_a_case_the_daily_task_opened_has_no_handler_until_assigned(world, legal_texts):
    case = open_case(
        actor=None, child=world.child2, cause=DropoutCase.Cause.WORK, opened_on=days_ago(3)
    )
    assert case.handler is None
    assert queue_counts(world.township2_user)["mine"] == 0
