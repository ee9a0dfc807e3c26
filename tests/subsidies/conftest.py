import datetime
import importlib

import pytest

from enrollment.models import EnrollmentStatus, PovertyStatus
from enrollment.services import change_status
from subsidies.models import Programme
from subsidies.services import batches

YEAR = 2025  # the school year 2025–2026 of the scenarios
AUTUMN, SPRING = f"{YEAR}-1", f"{YEAR}-2"


def ensure_catalogue():
    """The national programmes come from a data migration; a transactional test elsewhere in the
    session empties the tables after it, so put them back when they are gone."""
    if Programme.objects.exists():
        return
    from django.apps import apps

    migration = importlib.import_module("subsidies.migrations.0002_national_programmes")
    migration.seed(apps, None)


def enrol(world, child, school, *, grade=3, on=None, boarder=False, status=None):
    return change_status(
        actor=world.loader,
        child=child,
        status=status or EnrollmentStatus.IN_SCHOOL,
        effective_date=on or datetime.date(YEAR, 9, 1),
        reason="学籍注册",
        school=school,
        grade=grade,
        is_boarder=boarder,
    )


def leave(world, child, status, on):
    return change_status(
        actor=world.loader, child=child, status=status, effective_date=on, reason="离校"
    )


def poor(household, status=PovertyStatus.REGISTERED_POOR):
    household.poverty_status = status
    household.save()
    return household


def programme(code) -> Programme:
    return Programme.objects.get(code=code)


def paid_batch(world, code, period, school, rows, *, actor=None):
    """A batch of `rows` taken through review, approval and payment."""
    actor = actor or world.bureau
    batch = batches.create_batch(
        actor=actor, county=world.county, programme=programme(code), period=period, school=school
    )
    result = batches.add_payments(actor=actor, batch=batch, rows=rows)
    assert not result.errors, result.errors
    batches.review_batch(actor=actor, batch=batch)
    batches.approve_batch(actor=world.bureau, batch=batch)
    batches.mark_paid(actor=world.bureau, batch=batch, paid_on=datetime.date(YEAR + 1, 3, 20))
    batch.refresh_from_db()
    return batch


@pytest.fixture
def scenario(world):
    """child1: boarder of a registered-poor household at school1 (grade 3);
    child2: non-boarder of a low-income household at school2 (grade 8, junior);
    child1b: school1, not poor, non-boarder."""
    ensure_catalogue()
    world.school1.is_boarding = True
    world.school1.save()
    poor(world.household1)
    poor(world.household2, PovertyStatus.LOW_INCOME)
    enrol(world, world.child1, world.school1, grade=3, boarder=True)
    enrol(world, world.child2, world.school2, grade=8)
    enrol(world, world.child1b, world.school1, grade=4)
    for child in (world.child1, world.child2, world.child1b):
        child.refresh_from_db()
    return world
