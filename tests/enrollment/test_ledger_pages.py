"""The three-tier ledgers: filters, counts, the enrollment rate and the unaccounted list."""

import datetime

from django.urls import reverse
from django.utils import timezone

from enrollment.models import EnrollmentStatus
from enrollment.services import change_status

from ..conftest import client_for
from ..factories import ChildFactory, HouseholdFactory


def _names(response):
    return {record.name for record in response.context["table"].data}


def test_township_ledger_filters_by_village(world):
    client = client_for(world.township1_user)
    url = reverse("enrollment:township_ledger", args=[world.township1.pk])
    assert _names(client.get(url)) == {"王小一", "王小妹", "王乙乙"}
    assert _names(client.get(f"{url}?village={world.village1b.pk}")) == {"王乙乙"}


def test_a_village_outside_the_scope_is_not_a_valid_filter(world):
    client = client_for(world.township1_user)
    url = reverse("enrollment:township_ledger", args=[world.township1.pk])
    response = client.get(f"{url}?village={world.village2.pk}")
    assert response.status_code == 200
    assert _names(response) == set() and response.context["filter"].errors


def test_township_ledger_filters_by_status_and_focus_group(world):
    poor = HouseholdFactory(
        village=world.village1, poverty_status="registered_poor", poverty_registration_number="P-1"
    )
    ChildFactory(household=poor, name="贫困生", is_disabled=True)
    client = client_for(world.township1_user)
    url = reverse("enrollment:township_ledger", args=[world.township1.pk])
    assert _names(client.get(f"{url}?status=in_school")) == {"王小一"}
    assert _names(client.get(f"{url}?focus=registered_poor")) == {"贫困生"}
    assert _names(client.get(f"{url}?focus=disabled")) == {"贫困生"}
    assert _names(client.get(f"{url}?focus=left_behind")) == set()


def test_stage_filter_uses_the_grade_on_a_roll_and_the_age_otherwise(world):
    today = timezone.localdate()
    teen = ChildFactory(
        household=world.household1b, name="初中生", birth_date=datetime.date(today.year - 14, 3, 1)
    )
    client = client_for(world.township1_user)
    url = reverse("enrollment:township_ledger", args=[world.township1.pk])
    assert "初中生" in _names(client.get(f"{url}?stage=junior"))
    assert "初中生" not in _names(client.get(f"{url}?stage=primary"))
    change_status(
        actor=world.admin,
        child=teen,
        status=EnrollmentStatus.IN_SCHOOL,
        effective_date=today,
        reason="r",
        school=world.school1,
        grade=6,
    )
    assert "初中生" in _names(client.get(f"{url}?stage=primary"))


def test_counts_and_rate_per_village(world):
    # township1: village1 has child1 (in school) and sibling1 (unverified); village1b one
    # unverified child. A deferral is outside the denominator.
    client = client_for(world.township1_user)
    response = client.get(reverse("enrollment:township_ledger", args=[world.township1.pk]))
    rows = {row["label"]: row for row in response.context["summary_rows"]}
    assert (rows["一村"]["population"], rows["一村"]["enrolled"], rows["一村"]["rate"]) == (
        2,
        1,
        50.0,
    )
    assert rows["一村乙"]["rate"] == 0.0
    total = response.context["total"]
    assert (total["population"], total["enrolled"], total["unaccounted"]) == (3, 1, 2)
    assert round(total["rate"], 2) == 33.33


def test_too_young_children_are_not_in_the_ledger(world):
    today = timezone.localdate()
    ChildFactory(
        household=world.household1, name="幼儿", birth_date=datetime.date(today.year - 3, 1, 1)
    )
    client = client_for(world.township1_user)
    response = client.get(reverse("enrollment:township_ledger", args=[world.township1.pk]))
    assert "幼儿" not in _names(response)


def test_school_ledger_is_the_roll(world):
    client = client_for(world.school1_user)
    response = client.get(reverse("enrollment:school_ledger", args=[world.school1.pk]))
    assert _names(response) == {"王小一"}
    assert (
        client.get(reverse("enrollment:school_ledger", args=[world.school2.pk])).status_code == 404
    )


def test_village_ledger_shows_only_the_village(world):
    client = client_for(world.village1_user)
    response = client.get(reverse("enrollment:village_ledger", args=[world.village1.pk]))
    assert _names(response) == {"王小一", "王小妹"}
    assert (
        client.get(reverse("enrollment:village_ledger", args=[world.village1b.pk])).status_code
        == 404
    )


def test_county_ledger_groups_by_township(world):
    response = client_for(world.bureau).get(
        reverse("enrollment:county_ledger", args=[world.county.pk])
    )
    labels = {row["label"] for row in response.context["summary_rows"]}
    assert labels == {"一镇", "二镇"}


def test_a_bad_as_of_date_is_404_not_500(world):
    client = client_for(world.township1_user)
    url = reverse("enrollment:township_ledger", args=[world.township1.pk])
    for bad in (
        "yesterday",
        "2026-13-45",
        (timezone.localdate() + datetime.timedelta(days=2)).isoformat(),
    ):
        assert client.get(f"{url}?as_of={bad}").status_code == 404


def test_unaccounted_list_holds_only_children_on_no_roll_in_no_legal_status(world):
    outside = ChildFactory(household=world.household1b, name="县外未核实")
    change_status(
        actor=world.admin,
        child=outside,
        status=EnrollmentStatus.OUTSIDE_COUNTY,
        effective_date=timezone.localdate(),
        reason="随迁",
        outside_school_name="外县一小",
    )
    verified = ChildFactory(household=world.household1b, name="县外已核实")
    change_status(
        actor=world.admin,
        child=verified,
        status=EnrollmentStatus.OUTSIDE_COUNTY,
        effective_date=timezone.localdate(),
        reason="随迁",
        outside_school_name="外县二小",
        outside_verified=True,
    )
    response = client_for(world.township1_user).get(reverse("enrollment:unaccounted"))
    names = {child.name for child in response.context["page"]}
    assert names == {"王小妹", "王乙乙", "县外未核实"}


def test_unaccounted_list_refuses_a_village_outside_the_scope(world):
    client = client_for(world.township1_user)
    url = reverse("enrollment:unaccounted")
    assert client.get(f"{url}?village={world.village2.pk}").status_code == 404
    assert client.get(f"{url}?village=abc").status_code == 404


def test_unaccounted_count_is_one_per_child_however_often_visited_and_shows_the_last_visit(world):
    from enrollment.models import HouseholdVisit

    for day in (datetime.date(2026, 3, 1), datetime.date(2026, 4, 2)):
        visit = HouseholdVisit.objects.create(
            visit_date=day,
            household=world.household1,
            visitors="村干部",
            findings="在家",
            outcome=HouseholdVisit.Outcome.choices[0][0],
            recorded_by=world.admin,
        )
        visit.children.add(world.sibling1)
    response = client_for(world.township1_user).get(reverse("enrollment:unaccounted"))
    page = response.context["page"]
    assert page.paginator.count == len(page.object_list) == 2
    assert {child.name: child.last_visit for child in page} == {
        "王小妹": datetime.date(2026, 4, 2),
        "王乙乙": None,
    }
    assert "2026-04-02" in response.content.decode()
