"""The overview (home page): figures of the user's widest scope, charts backed by tables."""

import datetime

from django.urls import reverse

from dropout.dashboard import month_ends
from dropout.services import cases
from enrollment.models import EnrollmentStatus
from enrollment.services import change_status

from ..conftest import client_for
from .conftest import days_ago


def test_month_ends_are_the_last_twelve_month_ends():
    ends = month_ends(datetime.date(2026, 3, 15))
    assert ends[0] == datetime.date(2025, 3, 31) and ends[-1] == datetime.date(2026, 2, 28)
    assert len(ends) == 12


def test_township_overview_counts(world, legal_texts):
    change_status(
        actor=world.admin,
        child=world.child1b,
        status=EnrollmentStatus.DROPPED_OUT,
        effective_date=days_ago(100),
        reason="外出务工",
    )
    cases.open_case(
        actor=world.township1_user, child=world.child1b, cause="work", opened_on=days_ago(90)
    )
    response = client_for(world.township1_user).get(reverse("home"))
    assert response.status_code == 200
    context = response.context
    assert context["place"] == world.township1
    assert context["total"]["population"] == 3 and context["total"]["dropped_out"] == 1
    states = {row["status"]: row["count"] for row in context["cases_by_state"]}
    assert states["reported"] == 1 and sum(states.values()) == 1
    # The child dropped out 100 days ago: the last month ends count it, a year ago none did.
    trend = context["trend"]
    assert trend[-1]["dropouts"] == 1 and trend[0]["dropouts"] == 0
    assert [row["label"] for row in context["summary_rows"]] == ["一村", "一村乙"]


def test_the_overview_is_scoped(world, legal_texts):
    cases.open_case(
        actor=world.township1_user, child=world.child1, cause="work", opened_on=days_ago(10)
    )
    other = client_for(world.township2_user).get(reverse("home")).context
    assert other["place"] == world.township2
    assert all(row["count"] == 0 for row in other["cases_by_state"])
    county = client_for(world.bureau).get(reverse("home")).context
    assert county["place"] == world.county
    assert {row["label"] for row in county["summary_rows"]} == {"一镇", "二镇"}


def test_a_user_without_a_role_sees_a_hint(world):
    response = client_for(world.nobody).get(reverse("home"))
    assert response.status_code == 200 and "place" not in response.context


def test_overview_query_count_is_bounded(world, legal_texts, django_assert_max_num_queries):
    client = client_for(world.bureau)
    with django_assert_max_num_queries(30):
        assert client.get(reverse("home")).status_code == 200


def test_a_dropout_spell_counts_only_at_the_month_ends_inside_it(world):
    from django.utils import timezone

    from dropout.dashboard import dropouts_by_month_end, month_ends

    dropped, back = days_ago(200), days_ago(100)
    change_status(
        actor=world.admin,
        child=world.child1,
        status=EnrollmentStatus.DROPPED_OUT,
        effective_date=dropped,
        reason="辍学",
    )
    change_status(
        actor=world.admin,
        child=world.child1,
        status=EnrollmentStatus.IN_SCHOOL,
        effective_date=back,
        reason="复学",
        school=world.school1,
        grade=3,
    )
    today = timezone.localdate()
    trend = dropouts_by_month_end(world.township1_user, "township", world.township1, today)
    expected = [1 if dropped <= end < back else 0 for end in month_ends(today)]
    assert [point["dropouts"] for point in trend] == expected
    assert sum(expected) >= 2
