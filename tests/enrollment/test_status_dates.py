"""The date rule of a status change (enrollment.status_dates), stated once and used by the hand
change, the procedures of other apps and the school-roll import."""

import datetime

import pytest

from core.errors import DomainError
from enrollment.models import EnrollmentStatus
from enrollment.services import set_status_by_procedure
from enrollment.status_dates import status_change_date

S = EnrollmentStatus
BIRTH = datetime.date(2015, 3, 4)
LAST = datetime.date(2024, 9, 1)
TODAY = datetime.date(2025, 1, 10)


def _date(requested, *, move_early=False, last_change=LAST):
    return status_change_date(
        requested=requested,
        birth_date=BIRTH,
        last_change=last_change,
        today=TODAY,
        move_early=move_early,
    )


def test_a_date_between_the_last_change_and_today_is_kept_either_way():
    for move_early in (False, True):
        assert _date(LAST, move_early=move_early) == LAST
        assert _date(TODAY, move_early=move_early) == TODAY


def test_a_typed_date_before_the_last_change_is_refused():
    with pytest.raises(DomainError) as error:
        _date(LAST - datetime.timedelta(days=1))
    assert error.value.field == "effective_date" and LAST.isoformat() in error.value.message


def test_a_document_date_before_the_last_change_is_moved_up_to_it():
    assert _date(datetime.date(2023, 9, 1), move_early=True) == LAST


def test_the_future_and_before_birth_are_refused_even_for_a_document():
    for requested in (TODAY + datetime.timedelta(days=1), BIRTH - datetime.timedelta(days=1)):
        for move_early in (False, True):
            with pytest.raises(DomainError) as error:
                _date(requested, move_early=move_early, last_change=None)
            assert error.value.field == "effective_date"


def test_without_a_recorded_change_only_birth_and_today_bound_the_date():
    assert _date(BIRTH, last_change=None) == BIRTH


def test_a_procedure_dates_an_older_decision_from_the_last_recorded_change(world):
    world.child1.refresh_from_db()
    last = world.child1.status_since
    change = set_status_by_procedure(
        actor=world.admin,
        child=world.child1,
        status=S.DROPPED_OUT,
        effective_date=last - datetime.timedelta(days=30),
        reason="劝返程序",
    )
    assert change.effective_date == last
    world.child1.refresh_from_db()
    assert (world.child1.status, world.child1.status_since) == (S.DROPPED_OUT, last)
