"""The capped paginator: exact up to the cap, "more than the cap" beyond it, and a count that
reads at most cap + 1 rows whatever the size of the table."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.pagination import CappedPaginator

from ..factories import UserFactory


@pytest.fixture
def users(db):
    UserFactory.create_batch(12)
    return get_user_model().objects.order_by("pk")


def test_a_list_up_to_the_cap_is_counted_exactly_with_its_last_page(users):
    paginator = CappedPaginator(users, 5, cap=20)
    assert paginator.count == 12
    assert not paginator.is_capped
    assert paginator.num_pages == 3
    assert len(paginator.get_page(3)) == 2


def test_a_list_beyond_the_cap_offers_whole_pages_up_to_the_cap_only(users):
    paginator = CappedPaginator(users, 4, cap=10)  # rounded down to whole pages: 8
    assert paginator.count == 8
    assert paginator.is_capped
    assert paginator.num_pages == 2
    last = paginator.get_page(99)
    assert last.number == 2 and not last.has_next()
    assert [user.pk for user in last] == [user.pk for user in users[4:8]]


def test_a_list_of_exactly_the_cap_is_not_capped(users):
    paginator = CappedPaginator(users, 4, cap=12)
    assert paginator.count == 12 and not paginator.is_capped


def test_the_count_stops_after_cap_plus_one_rows(users):
    paginator = CappedPaginator(users, 5, cap=10)
    with CaptureQueriesContext(connection) as queries:
        assert paginator.count == 10
    (query,) = queries.captured_queries
    assert "LIMIT 11" in query["sql"]
    assert "ORDER BY" not in query["sql"]


def test_a_separate_queryset_is_counted_for_wrapped_rows(users):
    paginator = CappedPaginator(list(users), 5, cap=10, count_queryset=users.filter(pk__lt=0))
    assert paginator.count == 0


def test_a_plain_list_is_counted_by_its_length(users):
    paginator = CappedPaginator(list(users), 5, cap=10)
    assert paginator.count == 12 and not paginator.is_capped
