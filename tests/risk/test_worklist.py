"""What the risk warning adds elsewhere through the registries: the visit worklist ordered by
risk (enrollment.extensions.register_child_priority) and the overview's backtest chart
(core.home.register_home_panel)."""

import datetime

from django.urls import reverse

from dropout.fieldwork import worklist
from enrollment.models import Child, EnrollmentStatus
from risk.models import RiskBacktest, RiskScore
from tests.conftest import client_for
from tests.factories import HouseholdFactory

from .conftest import pupil


def test_the_visit_worklist_puts_the_highest_risk_first(world, today):
    children = [pupil(world, household=HouseholdFactory(village=world.village1)) for _ in range(3)]
    Child.objects.filter(pk__in=[c.pk for c in children]).update(
        status=EnrollmentStatus.SUSPECTED_DROPOUT
    )
    for child, score in zip(children, (10, 55, 0), strict=True):
        RiskScore.objects.create(
            child=child, county=world.county, score=score, computed_on=today, factors=[]
        )
    listed = [child.pk for child in worklist(world.village1_user, day=today)]
    assert listed[:2] == [children[1].pk, children[0].pk]
    assert listed.index(children[2].pk) > 1


def test_the_overview_shows_the_backtest_chart_to_the_bureau(world):
    RiskBacktest.objects.create(
        county=world.county,
        month=datetime.date(2026, 1, 1),
        population=100,
        dropouts=4,
        top5_flagged=5,
        top5_hits=2,
        top10_flagged=10,
        top10_hits=3,
    )
    html = client_for(world.bureau).get(reverse("home")).content.decode()
    assert 'id="risk-backtest-panel"' in html and 'id="backtest-chart"' in html
    village = client_for(world.village1_user).get(reverse("home")).content.decode()
    assert 'id="risk-backtest-panel"' not in village
