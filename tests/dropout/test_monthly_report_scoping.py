"""A county's monthly report reads its own children's status history only: another county's
children and status changes (recorded later, dated later, with higher ids) change none of its
figures, and the other county's report counts its own children the same way."""

import datetime

from django.utils import timezone

from dropout.reports import compute_month, previous_month
from enrollment.models import EnrollmentStatus
from enrollment.services import change_status

from ..factories import (
    ChildFactory,
    HouseholdFactory,
    SchoolFactory,
    TownshipFactory,
    VillageFactory,
)

S = EnrollmentStatus
M2 = previous_month(timezone.localdate())  # last month
M1 = previous_month(M2)
FLOWS = ("dropouts_start", "dropouts_new", "dropouts_returned", "dropouts_left", "dropouts_end")


def day(month, n):
    return month + datetime.timedelta(days=n - 1)


def _histories(actor, village, school, prefix):
    """Five children of `village`: 0 drops out on M1/10 and stays out; 1 drops out on M1/12 and
    returns on M2/6; 2 drops out on M2/3 and returns on M2/20; 3 studies outside the county
    (unverified) from M2/8; 4 is never verified."""
    last_sept = datetime.date(timezone.localdate().year - 1, 9, 1)
    kids = [
        ChildFactory(household=HouseholdFactory(village=village), name=f"{prefix}{n}")
        for n in range(5)
    ]

    def change(kid, status, on, **fields):
        change_status(
            actor=actor, child=kid, status=status, effective_date=on, reason="变动", **fields
        )

    for kid in kids[:4]:
        change(kid, S.IN_SCHOOL, last_sept, school=school, grade=4)
    change(kids[0], S.DROPPED_OUT, day(M1, 10))
    change(kids[1], S.DROPPED_OUT, day(M1, 12))
    change(kids[1], S.IN_SCHOOL, day(M2, 6), school=school, grade=4)
    change(kids[2], S.DROPPED_OUT, day(M2, 3))
    change(kids[2], S.IN_SCHOOL, day(M2, 20), school=school, grade=4)
    change(kids[3], S.OUTSIDE_COUNTY, day(M2, 8), outside_school_name="外县实验小学")
    return kids


def test_another_countys_children_and_changes_leave_the_report_unchanged(world):
    _histories(world.loader, world.village1, SchoolFactory(township=world.township1), "甲")
    before = {month: compute_month(world.county, month) for month in (M1, M2)}
    ours = before[M2]["county"]
    assert [ours["totals"][key] for key in FLOWS] == [2, 1, 2, 0, 1]
    assert ours["totals"]["outside_county"] == 1
    assert [row["name"] for row in ours["outstanding"]] == ["甲0"]

    # Another county, built after ours: its entries are dated on the same days and later
    # (M1/28, M2/28) and have higher ids, so a look-up of "the latest entry" not tied to
    # each of our children, or a cohort not tied to our county, would read them.
    township = TownshipFactory(name="他镇")
    assert township.county_id != world.county.pk
    village = VillageFactory(township=township)
    theirs = _histories(world.loader, village, SchoolFactory(township=township), "乙")
    change_status(
        actor=world.loader,
        child=theirs[4],
        status=S.DROPPED_OUT,
        effective_date=day(M1, 28),
        reason="变动",
    )
    extra = ChildFactory(household=HouseholdFactory(village=village), name="乙5")
    change_status(
        actor=world.loader,
        child=extra,
        status=S.OUTSIDE_COUNTY,
        effective_date=day(M2, 28),
        reason="变动",
        outside_school_name="外县实验小学",
    )

    for month in (M1, M2):
        assert compute_month(world.county, month) == before[month]

    other = compute_month(township.county, M2)["county"]
    # Their own: 乙4 out since M1/28 (start and end), 乙0 as ours; 乙5 and 乙3 outside.
    assert [other["totals"][key] for key in FLOWS] == [3, 1, 2, 0, 2]
    assert other["totals"]["outside_county"] == 2
    assert other["totals"]["population"] == 6
    assert [row["name"] for row in other["outstanding"]] == ["乙0", "乙4"]
