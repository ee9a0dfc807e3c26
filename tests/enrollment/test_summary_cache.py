"""Ledger summaries are cached on a shared cache (Redis) until the next status change."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from enrollment.models import EnrollmentStatus
from enrollment.services import change_status

from ..conftest import client_for


def _total(client, world):
    response = client.get(reverse("enrollment:township_ledger", args=[world.township1.pk]))
    return response.context["total"]


def test_summary_is_cached_and_a_status_change_makes_it_stale(
    world, redis_cache, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    client = client_for(world.township1_user)
    first = _total(client, world)
    assert first["enrolled"] == 1
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        again = _total(client, world)
    assert again == first
    assert not any("FILTER (WHERE" in q["sql"] for q in queries.captured_queries)

    with django_capture_on_commit_callbacks(execute=True):
        change_status(
            actor=world.admin,
            child=world.child1b,
            status=EnrollmentStatus.IN_SCHOOL,
            effective_date=timezone.localdate(),
            reason="入学",
            school=world.school1,
            grade=3,
        )
    assert _total(client, world)["enrolled"] == 2


def test_other_scopes_do_not_share_a_cached_summary(world, redis_cache):
    township = _total(client_for(world.township1_user), world)
    village_view = (
        client_for(world.village1_user)
        .get(reverse("enrollment:village_ledger", args=[world.village1.pk]))
        .context["total"]
    )
    assert township["population"] == 3 and village_view["population"] == 2


def test_without_a_shared_cache_nothing_is_cached(world):
    assert "locmem" in settings.CACHES["default"]["BACKEND"]
    from core.cache import cached

    calls = []
    cached("x", [1], lambda: calls.append(1))
    cached("x", [1], lambda: calls.append(1))
    assert len(calls) == 2
