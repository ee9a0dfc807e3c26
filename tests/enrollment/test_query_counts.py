"""Ledger pages and API lists run a bounded number of queries whatever the page size."""

import pytest
from django.urls import reverse

from enrollment.models import EnrollmentStatus
from enrollment.services import assign_help_partner, change_status

from ..conftest import api_for, client_for
from ..factories import ChildFactory, HouseholdFactory


@pytest.fixture
def crowded_township(world):
    """Sixty more children in township1 with mixed statuses, focus flags and pairings."""
    from django.utils import timezone

    today = timezone.localdate()
    for index in range(60):
        household = HouseholdFactory(
            village=world.village1 if index % 2 else world.village1b,
            poverty_status="lifted" if index % 5 == 0 else "none",
            poverty_registration_number="P1" if index % 5 == 0 else "",
        )
        child = ChildFactory(household=household, is_left_behind=index % 3 == 0)
        if index % 4 == 0:
            change_status(
                actor=world.admin,
                child=child,
                status=EnrollmentStatus.IN_SCHOOL,
                effective_date=today,
                reason="r",
                school=world.school1,
                grade=4,
            )
        if index % 7 == 0:
            assign_help_partner(
                actor=world.admin,
                child=child,
                partner_name="T",
                partner_kind="teacher",
                plan="p",
                start_date=today,
            )
    return world


@pytest.mark.parametrize("per_page", [25, 200])
@pytest.mark.parametrize(
    "query",
    [
        "",
        "?status=in_school",
        "?focus=registered_poor",
        "?as_of=2025-12-01",
        "?stage=primary&village=",
    ],
)
def test_township_ledger_query_count_is_bounded(
    crowded_township, django_assert_max_num_queries, per_page, query
):
    client = client_for(crowded_township.township1_user)
    url = reverse("enrollment:township_ledger", args=[crowded_township.township1.pk])
    separator = "&" if query else "?"
    with django_assert_max_num_queries(14):
        response = client.get(f"{url}{query}{separator}per_page={per_page}")
    assert response.status_code == 200


@pytest.mark.parametrize("kind", ["county", "village", "school"])
def test_other_ledgers_query_count_is_bounded(
    crowded_township, django_assert_max_num_queries, kind
):
    place = {
        "county": crowded_township.county,
        "village": crowded_township.village1,
        "school": crowded_township.school1,
    }[kind]
    client = client_for(crowded_township.admin)
    with django_assert_max_num_queries(14):
        response = client.get(
            reverse(f"enrollment:{kind}_ledger", args=[place.pk]) + "?per_page=200"
        )
    assert response.status_code == 200


def test_unaccounted_list_query_count_is_bounded(crowded_township, django_assert_max_num_queries):
    client = client_for(crowded_township.township1_user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("enrollment:unaccounted"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count >= 40


@pytest.mark.parametrize("page_size", [10, 100])
def test_api_children_list_query_count_is_bounded(
    crowded_township, django_assert_max_num_queries, page_size
):
    api = api_for(crowded_township.township1_user)
    with django_assert_max_num_queries(6):
        response = api.get(f"/api/v1/children/?page_size={page_size}&focus=left_behind")
    assert response.status_code == 200


def test_api_visits_list_query_count_is_bounded(crowded_township, django_assert_max_num_queries):
    api = api_for(crowded_township.admin)
    with django_assert_max_num_queries(6):
        assert api.get("/api/v1/visits/").status_code == 200


def test_child_page_query_count_is_bounded(crowded_township, django_assert_max_num_queries):
    client = client_for(crowded_township.township1_user)
    # A fixed set: session, user and roles with their places, the child, the audit row of the
    # view (lock + insert), the unread notifications, history, visits, pairings, and the dropout
    # panel (cases, exemption requests, absences), the subsidies panel (payments received, the
    # latest entitlement check's gaps), the risk panel's score and the transfers panel: 17 in
    # a request; inside the test's transaction the audit row's block adds a SAVEPOINT and a
    # RELEASE.
    with django_assert_max_num_queries(19):
        response = client.get(reverse("enrollment:child_detail", args=[crowded_township.child1.pk]))
    assert response.status_code == 200


def test_a_ledger_beyond_the_count_cap_says_more_than_and_a_filtered_one_counts_exactly(
    crowded_township, monkeypatch
):
    monkeypatch.setattr("core.pagination.COUNT_CAP", 25)
    client = client_for(crowded_township.township1_user)
    url = reverse("enrollment:township_ledger", args=[crowded_township.township1.pk])
    whole = client.get(f"{url}?per_page=25")
    paginator = whole.context["table"].paginator
    assert paginator.is_capped and paginator.count == 25 and paginator.num_pages == 1
    assert "超过 25 名儿童" in whole.content.decode()
    enrolled = client.get(f"{url}?per_page=25&status=in_school")
    paginator = enrolled.context["table"].paginator
    rows = enrolled.context["table"].page.object_list
    assert not paginator.is_capped and paginator.count == len(rows) > 0
    assert f"{paginator.count} 名儿童" in enrolled.content.decode()
