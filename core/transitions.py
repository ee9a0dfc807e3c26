"""Transition tables: the allowed steps of a workflow, declared once.

A workflow (a dropout case, an exemption request, an inspection issue, a payment batch, a fund
entry) lists its steps as `Transition`s: the action, the states it may start from, the state
it leads to, the roles that may take it and the preconditions on the record's data, each with
the sentence that explains a refusal. `TransitionTable.can()` answers whether and why not;
`require()` raises that answer. Services call `require()` on the locked row; views, templates
and the API call `can()` to enable, disable and explain buttons — nobody types a state name
again (pretix's `Order.user_cancel_allowed` used by both the view and the service).

One order of checks everywhere: scope (the caller fetched the record through `for_user()`,
404), role (403), state and preconditions (409).

The table knows no app: whether a user holds one of the roles over the record is asked of the
record's `objects.for_user(user, roles=...)`, or of the `may` function the app passes in (the
enrollment app's `user_may`, which answers from the loaded object without a query).
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import TransitionRefused

# A precondition looks at the record (and the day the step would be taken) and returns the
# refusal sentence, or None when the step may go ahead.
Precondition = Callable[[object, datetime.date], "str | None"]


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    target: str | None  # None: the step keeps the state (a persuasion, an edit)
    roles: frozenset = frozenset()
    preconditions: tuple = ()
    # Who may take the step when it is not a matter of roles over the record's scope (an
    # issue is answered by its responsible unit): (user, record) -> bool.
    allowed: Callable | None = None
    label: str = ""

    def __post_init__(self):
        object.__setattr__(self, "sources", frozenset(self.sources))
        object.__setattr__(self, "roles", frozenset(self.roles))
        object.__setattr__(self, "preconditions", tuple(self.preconditions))


@dataclass(frozen=True)
class Answer:
    """The answer of `can()`: truthy when allowed; otherwise `reason` says why and `status`
    is what the refusal answers over HTTP (403 for the role, 409 for the state or data)."""

    allowed: bool
    reason: str = ""
    status: int = 200
    transition: Transition | None = field(default=None, compare=False)

    def __bool__(self):
        return self.allowed

    @property
    def refused_for_role(self) -> bool:
        return not self.allowed and self.status == 403

    @property
    def explains(self) -> bool:
        """Refused by a precondition of the record's data while the state is right: the
        page shows the step disabled, with the reason (还需1次劝返)."""
        return not self.allowed and self.status == 409 and self.transition is not None

    def raise_if_refused(self) -> None:
        if self.allowed:
            return
        if self.status == 403:
            raise PermissionDenied(self.reason)
        raise TransitionRefused(self.reason)


def _may_by_query(user, obj, roles) -> bool:
    return type(obj).objects.for_user(user, roles=roles).filter(pk=obj.pk).exists()


class TransitionTable:
    """The steps of one workflow. `state_message(record, action)` builds the refusal of a
    step that is not possible in the record's state."""

    def __init__(
        self,
        *transitions: Transition,
        state_message: Callable[[object, Transition], str],
        may: Callable[[object, object, Iterable], bool] = _may_by_query,
        state_attr: str = "status",
    ):
        self.transitions: dict[str, list[Transition]] = {}
        for transition in transitions:
            self.transitions.setdefault(transition.action, []).append(transition)
        self.state_message = state_message
        self.may = may
        self.state_attr = state_attr

    def __contains__(self, action) -> bool:
        return action in self.transitions

    @property
    def actions(self) -> list[str]:
        return list(self.transitions)

    def variants(self, action: str) -> list[Transition]:
        if action not in self.transitions:
            raise KeyError(f"Unknown action {action!r}")
        return self.transitions[action]

    def _holds(self, user, obj, transition: Transition) -> bool:
        if transition.allowed is not None:
            return transition.allowed(user, obj)
        return self.may(user, obj, transition.roles)

    def can(self, obj, action: str, user, *, on: datetime.date | None = None) -> Answer:
        """Whether `user` may take `action` on `obj` now, and why not. `obj` is already in the
        user's scope (the caller fetched it through `for_user()`); no user is the system."""
        variants = self.variants(action)
        system = user is None or user.is_superuser
        # The role first: a user who could take this step in no state is refused (403)
        # before being told about the state.
        if not system and not any(self._holds(user, obj, v) for v in variants):
            return Answer(False, _("You may not take this step."), 403)
        state = getattr(obj, self.state_attr)
        transition = next((v for v in variants if state in v.sources), None)
        if transition is None:
            return Answer(False, self.state_message(obj, variants[0]), 409)
        # The same step may belong to different roles in different states (the township
        # decides a submitted request, the bureau an approved one).
        if not system and len(variants) > 1 and not self._holds(user, obj, transition):
            return Answer(False, _("You may not take this step."), 403, transition)
        on = on or timezone.localdate()
        for precondition in transition.preconditions:
            reason = precondition(obj, on)
            if reason:
                return Answer(False, str(reason), 409, transition)
        return Answer(True, "", 200, transition)

    def require(self, obj, action: str, user, *, on: datetime.date | None = None) -> Transition:
        """The service's check, on the locked row: raises PermissionDenied (403) or
        TransitionRefused (409) with the reason; returns the transition taken."""
        answer = self.can(obj, action, user, on=on)
        answer.raise_if_refused()
        return answer.transition

    def answers(self, obj, user, *, on: datetime.date | None = None) -> dict[str, Answer]:
        """Every action's answer, for a page that enables and explains its buttons."""
        return {action: self.can(obj, action, user, on=on) for action in self.transitions}

    def sources(self, action: str) -> frozenset:
        """The states the step may start from (for a list that marks the rows it applies to)."""
        return frozenset().union(*(transition.sources for transition in self.variants(action)))

    def target(self, obj, action: str) -> str | None:
        state = getattr(obj, self.state_attr)
        for transition in self.variants(action):
            if state in transition.sources:
                return transition.target or state
        return None
