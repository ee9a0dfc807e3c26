"""The transition machinery: role (403) before state (409) before the record's data (409), and
an answer that says why not."""

import datetime
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import TransitionRefused
from core.transitions import Transition, TransitionTable


@dataclass
class Record:
    status: str
    lines: int = 0


@dataclass
class User:
    roles: frozenset
    is_superuser: bool = False


def may(user, record, roles) -> bool:
    return bool(user.roles & roles)


def needs_lines(record, on: datetime.date):
    return None if record.lines else "还需至少一行"


TABLE = TransitionTable(
    Transition("send", {"draft"}, "sent", {"clerk"}, (needs_lines,), label="sending"),
    Transition("decide", {"sent"}, "decided", {"clerk"}, label="deciding"),
    Transition("decide", {"checked"}, "decided", {"boss"}, label="deciding"),
    state_message=lambda record, transition: f"{record.status}: {transition.label} 不可",
    may=may,
)
CLERK, BOSS, READER = User({"clerk"}), User({"boss"}), User({"reader"})


def test_a_user_without_the_role_is_refused_with_403_whatever_the_state():
    answer = TABLE.can(Record("sent"), "send", READER)
    assert not answer and answer.status == 403 and answer.refused_for_role


def test_the_right_role_in_the_wrong_state_is_refused_with_409_and_the_state_named():
    answer = TABLE.can(Record("sent", lines=3), "send", CLERK)
    assert not answer and answer.status == 409 and answer.reason == "sent: sending 不可"
    assert not answer.explains  # a state not reached: the page offers no button at all


def test_a_precondition_refuses_with_its_own_sentence_and_the_page_may_explain_it():
    answer = TABLE.can(Record("draft"), "send", CLERK)
    assert not answer and answer.status == 409 and answer.reason == "还需至少一行"
    assert answer.explains


def test_allowed_is_truthy_and_names_the_target():
    answer = TABLE.can(Record("draft", lines=1), "send", CLERK)
    assert answer and answer.transition.target == "sent"
    assert TABLE.target(Record("draft"), "send") == "sent"


def test_a_step_of_two_roles_belongs_to_each_in_its_own_state():
    assert TABLE.can(Record("sent"), "decide", CLERK)
    assert TABLE.can(Record("sent"), "decide", BOSS).status == 403
    assert TABLE.can(Record("checked"), "decide", BOSS)
    assert TABLE.can(Record("checked"), "decide", CLERK).status == 403
    assert TABLE.can(Record("draft"), "decide", BOSS).status == 409
    assert TABLE.sources("decide") == {"sent", "checked"}


def test_the_system_and_a_superuser_skip_the_role_but_not_the_state():
    assert TABLE.can(Record("draft", lines=1), "send", None)
    assert TABLE.can(Record("sent"), "send", User(frozenset(), is_superuser=True)).status == 409


def test_require_raises_permission_denied_or_transition_refused():
    with pytest.raises(PermissionDenied):
        TABLE.require(Record("draft", lines=1), "send", READER)
    with pytest.raises(TransitionRefused, match="还需至少一行"):
        TABLE.require(Record("draft"), "send", CLERK)
    assert TABLE.require(Record("draft", lines=1), "send", CLERK).target == "sent"


def test_answers_lists_every_action_once():
    answers = TABLE.answers(Record("sent"), CLERK)
    assert list(answers) == ["send", "decide"]
    assert not answers["send"] and answers["decide"]


def test_an_unknown_action_is_a_programming_error():
    with pytest.raises(KeyError):
        TABLE.can(Record("draft"), "fly", CLERK)
