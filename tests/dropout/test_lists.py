"""Dropout lists and API lists run a bounded number of queries; scope per role."""

import pytest
from django.conf import settings
from django.urls import reverse

from dropout.models import DropoutCase
from dropout.services import cases

from ..conftest import api_for, client_for
from ..factories import ChildFactory, HouseholdFactory
from .conftest import days_ago, persuade


@pytest.fixture
def many_cases(world, legal_texts):
    for index in range(25):
        household = HouseholdFactory(village=world.village1)
        child = ChildFactory(household=household)
        case = cases.open_case(
            actor=world.township1_user, child=child, cause="work", opened_on=days_ago(60)
        )
        if index % 2:
            persuade(world, case)
    return world


@pytest.mark.parametrize("queue", ["open", "overdue", "stale", "all"])
def test_case_list_query_count_is_bounded(many_cases, django_assert_max_num_queries, queue):
    client = client_for(many_cases.township1_user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("dropout:case_list") + f"?queue={queue}")
    assert response.status_code == 200


def test_api_case_list_query_count_is_bounded(many_cases, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = api_for(many_cases.admin).get("/api/v1/dropout-cases/")
    assert response.json()["count"] == 25


def test_exemption_list_query_count_is_bounded(many_cases, django_assert_max_num_queries):
    client = client_for(many_cases.bureau)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("dropout:exemption_list")).status_code == 200


@pytest.mark.parametrize(
    "user_name, expected",
    [
        ("admin", 25),
        ("bureau", 25),
        ("auditor", 25),
        ("inspector", 25),
        ("township1_user", 25),
        ("township2_user", 0),
        ("village1_user", 25),
        ("school1_user", 0),
        ("nobody", 0),
    ],
)
def test_who_sees_which_cases(many_cases, user_name, expected):
    user = getattr(many_cases, user_name)
    assert DropoutCase.objects.for_user(user).count() == expected


def test_the_daily_task_is_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["dropout-daily-run"]
    assert entry["task"] == "dropout.tasks.daily_dropout_run"
    from config.celery import app

    app.loader.import_default_modules()
    assert "dropout.tasks.daily_dropout_run" in app.tasks
