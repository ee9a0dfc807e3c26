"""The demo county holds transfers of this year and last, two of them under way."""

import pytest
from django.utils import timezone

from enrollment.models import EnrollmentStatus, Village
from enrollment.services import change_status
from transfers.demo import load_transfers_demo
from transfers.models import Transfer

from ..factories import ChildFactory, HouseholdFactory, TownshipFactory, VillageFactory

pytestmark = pytest.mark.django_db


def test_the_demo_holds_a_pending_transfer_this_year_and_transfers_last_year(world):
    township3 = TownshipFactory(county=world.county, name="三镇")
    VillageFactory(township=township3, name="三村")
    import datetime

    september = datetime.date(timezone.localdate().year - 1, 9, 1)
    for township, school in ((world.township1, world.school1), (world.township2, world.school2)):
        village = Village.objects.filter(township=township).order_by("code").first()
        for number in range(3):
            child = ChildFactory(household=HouseholdFactory(village=village), name=f"演示{number}")
            change_status(
                actor=world.loader,
                child=child,
                status=EnrollmentStatus.IN_SCHOOL,
                effective_date=september,
                reason="学籍注册",
                school=school,
                grade=2,
            )
    users = {"township1": world.township1_user, "bureau": world.bureau}
    assert load_transfers_demo(world.county, users) == "transfers: 6 (2 under way)"
    this_year = timezone.localdate().year
    pending = Transfer.objects.filter(status__in=Transfer.PENDING_STATUSES)
    assert pending.count() == 2
    assert pending.filter(kind=Transfer.Kind.TOWNSHIP, proposed_on__year=this_year).count() == 1
    last_year = Transfer.objects.filter(proposed_on__year=this_year - 1)
    assert sorted(last_year.values_list("status", flat=True)) == [
        "accepted",
        "confirmed",
        "returned",
    ]
    out = last_year.get(kind=Transfer.Kind.OUT)
    assert (
        out.letter_number.startswith("二镇教转字〔") and f"〔{this_year - 1}〕" in out.letter_number
    )
    # Loaded once.
    assert load_transfers_demo(world.county, users) == "transfers demo already present"
    assert Transfer.objects.count() == 6
