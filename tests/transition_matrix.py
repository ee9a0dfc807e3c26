"""Walk a transition table: for every action and every role of the shared world, the answer of
`can()` is what the table declares (role 403, then state 409, else allowed), and the service
refuses exactly when `can()` says no, with the same status."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from core.errors import TransitionRefused

# The shared world's users, each in a scope that covers the records the matrices build.
ROLE_USERS = {
    "county_admin": "admin",
    "bureau_staff": "bureau",
    "township_official": "township1_user",
    "village_cadre": "village1_user",
    "school_staff": "school1_user",
    "inspector": "inspector",
    "auditor": "auditor",
}


class _Rollback(Exception):
    pass


def declared(table, record, action, user, role) -> int:
    """The table's declaration read directly, not through can()."""
    variants = table.variants(action)

    def holds(variant):
        return variant.allowed(user, record) if variant.allowed else role in variant.roles

    if not any(holds(v) for v in variants):
        return 403
    variant = next((v for v in variants if getattr(record, table.state_attr) in v.sources), None)
    if variant is None:
        return 409
    return 200 if holds(variant) else 403


def outcome(call) -> int:
    """What the service answered, its writes undone."""
    try:
        with transaction.atomic():
            call()
            raise _Rollback
    except _Rollback:
        return 200
    except PermissionDenied:
        return 403
    except TransitionRefused:
        return 409


def walk(world, table, record, calls: dict, *, refresh=None) -> list[str]:
    """Every action (`calls`: action -> (user, record) -> service call) for every role; the
    mismatches, as sentences (empty when the table, can() and the service agree)."""
    assert set(calls) == set(table.actions), "every action of the table is walked"
    mismatches = []
    for role, attribute in ROLE_USERS.items():
        user = getattr(world, attribute)
        for action, call in calls.items():
            record.refresh_from_db()
            if refresh:
                refresh(record)
            expected = declared(table, record, action, user, role)
            answer = table.can(record, action, user)
            got = 200 if answer else answer.status
            served = outcome(lambda: call(user, record))  # noqa: B023
            if not (expected == got == served):
                mismatches.append(
                    f"{role} {action} in {getattr(record, table.state_attr)}: table {expected}, "
                    f"can() {got} ({answer.reason}), service {served}"
                )
    return mismatches
