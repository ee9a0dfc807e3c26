"""The demo data's dropout cases (seed_demo): built through the services, so they obey their
rules on whatever day the seed runs."""

from collections import defaultdict

from dropout.demo import load_dropout_demo
from dropout.models import DropoutCase, Persuasion
from enrollment.models import EnrollmentStatus
from enrollment.services import change_status

from .conftest import days_ago


def test_a_dropout_of_two_days_ago_gets_its_case_with_no_visit_dated_in_the_future(world):
    change_status(
        actor=world.loader,
        child=world.child1,
        status=EnrollmentStatus.DROPPED_OUT,
        effective_date=days_ago(2),
        reason="连续缺课",
    )
    # The loader's other demo data asks for officials by name: the township's one serves all.
    users = defaultdict(lambda: world.township1_user, admin=world.admin)

    load_dropout_demo(world.county, users)

    case = DropoutCase.objects.get(child=world.child1)
    visits = list(Persuasion.objects.filter(case=case).values_list("date", flat=True))
    assert visits and max(visits) <= days_ago(0)
    assert case.opened_on == days_ago(2)
