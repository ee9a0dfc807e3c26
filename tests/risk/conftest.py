import datetime

import pytest
from django.utils import timezone

from dropout.models import AbsenceReport
from enrollment.models import EnrollmentStatus, EnrollmentStatusChange
from enrollment.services import change_status
from tests.factories import ChildFactory

S = EnrollmentStatus


def normal_birth_date(grade: int, day: datetime.date) -> datetime.date:
    """A birth date at which a child is exactly the grade's normal age (grade + 5 on the
    31 August before the school year of `day`)."""
    year = day.year if day.month >= 9 else day.year - 1
    return datetime.date(year - (grade + 5), 3, 1)


def enrol(world, child, *, school=None, grade=4, on=None, boarder=False, loader=None):
    change_status(
        actor=loader or world.loader,
        child=child,
        status=S.IN_SCHOOL,
        effective_date=on or datetime.date(timezone.localdate().year - 2, 9, 1),
        reason="学籍注册",
        school=school or world.school1,
        grade=grade,
        is_boarder=boarder,
    )
    child.refresh_from_db()
    return child


def pupil(world, *, grade=4, household=None, school=None, **fields):
    """An in-school child at the grade's normal age (no factor applies unless asked)."""
    today = timezone.localdate()
    child = ChildFactory(
        household=household or world.household1,
        birth_date=fields.pop("birth_date", normal_birth_date(grade, today)),
        **fields,
    )
    return enrol(world, child, school=school, grade=grade)


def absence(world, child, *, since, back=None, reported=None):
    report = AbsenceReport.objects.create(
        child=child,
        school=child.current_school or world.school1,
        first_absent_on=since,
        reported_by=world.loader,
    )
    AbsenceReport.objects.filter(pk=report.pk).update(
        returned_on=back,
        reported_at=reported
        or timezone.make_aware(datetime.datetime.combine(since, datetime.time(9))),
    )
    return report


def history(child, status, on, *, previous="", recorded=None, **fields):
    """A dated status entry written straight into the history (the services' rules are
    not what these tests are about); `recorded`: when it was entered (default: now)."""
    entry = EnrollmentStatusChange.objects.create(
        child=child,
        status=status,
        effective_date=on,
        previous_status=previous,
        reason="测试",
        **fields,
    )
    if recorded is not None:
        EnrollmentStatusChange.objects.filter(pk=entry.pk).update(recorded_at=recorded)
    return entry


def backdate(child, *, recorded):
    """Every status entry of the child recorded at `recorded` (as if entered back then)."""
    EnrollmentStatusChange.objects.filter(child=child).update(recorded_at=recorded)


@pytest.fixture
def today():
    return timezone.localdate()
