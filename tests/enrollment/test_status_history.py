import datetime

import pytest
from django.utils import timezone

from core.errors import DomainError
from enrollment import selectors
from enrollment.models import Child, EnrollmentStatus, EnrollmentStatusChange
from enrollment.services import change_status

S = EnrollmentStatus


def test_changing_a_status_records_a_dated_history_entry(world):
    day = timezone.localdate() - datetime.timedelta(days=3)
    change_status(
        actor=world.township1_user,
        child=world.child1,
        status=S.DROPPED_OUT,
        effective_date=day,
        reason="外出务工",
    )
    world.child1.refresh_from_db()
    assert world.child1.status == S.DROPPED_OUT and world.child1.status_since == day
    assert world.child1.current_school is None  # no longer on a roll
    latest = world.child1.status_changes.order_by("-effective_date", "-pk").first()
    assert (latest.status, latest.previous_status, latest.recorded_by) == (
        S.DROPPED_OUT,
        S.IN_SCHOOL,
        world.township1_user,
    )
    # The change history library records who changed the child row too.
    assert world.child1.history.first().history_user == world.township1_user


def test_deferral_and_suspension_cannot_be_set_by_hand(world):
    for status in (S.DEFERRED, S.SUSPENDED):
        with pytest.raises(DomainError):
            change_status(
                actor=world.admin,
                child=world.child1,
                status=status,
                effective_date=timezone.localdate(),
                reason="病",
            )
    world.child1.refresh_from_db()
    assert world.child1.status == S.IN_SCHOOL


def test_future_effective_date_is_refused_and_nothing_changes(world):
    count = EnrollmentStatusChange.objects.count()
    with pytest.raises(DomainError):
        change_status(
            actor=world.admin,
            child=world.child1,
            status=S.DROPPED_OUT,
            effective_date=timezone.localdate() + datetime.timedelta(days=1),
            reason="x",
        )
    assert EnrollmentStatusChange.objects.count() == count


def test_effective_date_before_the_last_change_is_refused(world):
    world.child1.refresh_from_db()
    last = world.child1.status_since
    with pytest.raises(DomainError) as error:
        change_status(
            actor=world.admin,
            child=world.child1,
            status=S.DROPPED_OUT,
            effective_date=last - datetime.timedelta(days=1),
            reason="x",
        )
    assert error.value.field == "effective_date" and last.isoformat() in error.value.message


def test_in_school_needs_a_school_and_grade(world):
    with pytest.raises(DomainError) as error:
        change_status(
            actor=world.admin,
            child=world.child1b,
            status=S.IN_SCHOOL,
            effective_date=timezone.localdate(),
            reason="入学",
        )
    assert error.value.field == "school"
    with pytest.raises(DomainError) as error:
        change_status(
            actor=world.admin,
            child=world.child1b,
            status=S.IN_SCHOOL,
            effective_date=timezone.localdate(),
            reason="入学",
            school=world.school1,
        )
    assert error.value.field == "grade"


def test_outside_county_needs_the_school_name(world):
    with pytest.raises(DomainError) as error:
        change_status(
            actor=world.admin,
            child=world.child1b,
            status=S.OUTSIDE_COUNTY,
            effective_date=timezone.localdate(),
            reason="随迁",
        )
    assert error.value.field == "outside_school_name"


def test_the_same_status_twice_is_refused(world):
    with pytest.raises(DomainError):
        change_status(
            actor=world.admin,
            child=world.child1,
            status=S.IN_SCHOOL,
            effective_date=timezone.localdate(),
            reason="again",
            school=world.school1,
            grade=3,
        )


def _township_ledger(world, as_of):
    children = Child.objects.filter(village__township=world.township1)
    day = as_of or timezone.localdate()
    return selectors.ledger_population(children, day=day, as_of=as_of)


def test_the_ledger_of_a_past_day_is_rebuilt_from_history(world):
    today = timezone.localdate()
    then = today - datetime.timedelta(days=20)
    drop_day = today - datetime.timedelta(days=10)
    change_status(
        actor=world.admin,
        child=world.child1,
        status=S.DROPPED_OUT,
        effective_date=drop_day,
        reason="外出务工",
    )

    past = {c.pk: c.ledger_status for c in _township_ledger(world, then)}
    now = {c.pk: c.ledger_status for c in _township_ledger(world, None)}
    assert past[world.child1.pk] == S.IN_SCHOOL
    assert now[world.child1.pk] == S.DROPPED_OUT

    past_total = selectors.summary_total(
        selectors.ledger_summary(_township_ledger(world, then), group_by="village")
    )
    now_total = selectors.summary_total(
        selectors.ledger_summary(_township_ledger(world, None), group_by="village")
    )
    assert past_total["enrolled"] == now_total["enrolled"] + 1
    assert now_total["dropped_out"] == past_total["dropped_out"] + 1


def test_a_child_registered_after_a_past_day_is_not_in_that_days_ledger(world):
    then = world.child1.status_since - datetime.timedelta(days=1)
    later = _township_ledger(world, then)
    assert world.child1.pk not in {c.pk for c in later}
