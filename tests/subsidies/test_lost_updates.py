"""Two bureau users editing the same programme of the catalogue: the second save, made from the
version both opened, is refused with a message and overwrites nothing (pages and API)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from subsidies.models import Programme

from ..conftest import api_for, client_for
from ..lost_updates import edit_twice, second_save_refused, second_update_refused_by_the_api
from ..page_forms import form_values
from .conftest import ensure_catalogue, programme


@pytest.fixture
def nutrition(world):
    ensure_catalogue()
    return programme("nutrition")


def test_a_bureau_user_saves_a_programme_and_the_version_goes_up(world, nutrition):
    url = reverse("subsidies:programme_edit", args=[nutrition.pk])
    changes = {"standard_amount": "6.00"}, {"funding_source": "中央财政"}
    edit_twice(client_for(world.bureau), url, *changes)
    nutrition.refresh_from_db()
    assert nutrition.funding_source == "中央财政" and nutrition.standard_amount == Decimal("6.00")
    assert nutrition.version == 3


def test_two_bureau_users_editing_one_programme_the_second_save_is_refused(world, nutrition):
    url = reverse("subsidies:programme_edit", args=[nutrition.pk])
    # The second form still shows 5.00 a day: saving it would undo the first save.
    second_save_refused(
        url,
        client_for(world.admin),
        client_for(world.bureau),
        {"standard_amount": "6.00"},
        {"days_per_term": "95"},
    )
    nutrition.refresh_from_db()
    assert nutrition.standard_amount == Decimal("6.00") and nutrition.days_per_term == 100
    assert nutrition.version == 2


def test_a_new_programme_starts_at_version_one(world, nutrition):
    client = client_for(world.bureau)
    opened = form_values(client.get(reverse("subsidies:programme_new")))
    assert "version" not in opened
    data = {
        **form_values(client.get(reverse("subsidies:programme_edit", args=[nutrition.pk]))),
        "code": "county-meal",
        "name": "县级午餐补助",
    }
    del data["version"]
    response = client.post(reverse("subsidies:programme_new"), data)
    assert response.status_code == 302
    assert Programme.objects.get(code="county-meal").version == 1


def test_the_api_refuses_an_update_from_a_stale_version_with_409(world, nutrition):
    url = f"/api/v1/programmes/{nutrition.pk}/"
    second_update_refused_by_the_api(
        url,
        api_for(world.admin),
        api_for(world.bureau),
        {"standard_amount": "6.00"},
        {"standard_amount": "7.00"},
    )
    nutrition.refresh_from_db()
    assert nutrition.standard_amount == Decimal("6.00") and nutrition.version == 2


def test_the_api_needs_the_version_read_to_update(world, nutrition):
    url = f"/api/v1/programmes/{nutrition.pk}/"
    response = api_for(world.bureau).patch(url, {"standard_amount": "6.00"}, format="json")
    assert response.status_code == 400 and "version" in response.json()
    full = {**api_for(world.bureau).get(url).json(), "standard_amount": "6.00"}
    del full["version"]
    response = api_for(world.bureau).put(url, full, format="json")
    assert response.status_code == 400 and "version" in response.json()
    nutrition.refresh_from_db()
    assert nutrition.standard_amount == Decimal("5.00") and nutrition.version == 1
