"""The JSON API: token login, validation errors as 400 with field errors, same services."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core.resident_id import make_resident_id
from enrollment.models import Child, EnrollmentStatus, HouseholdVisit

from ..conftest import PASSWORD, api_for


def test_token_login_and_use(world):
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": "township1", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listed = client.get("/api/v1/children/").json()
    assert {row["name"] for row in listed["results"]} == {"王小一", "王小妹", "王乙乙"}


def test_token_login_with_a_wrong_password_is_refused(world):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "township1", "password": "wrong"}, format="json"
    )
    assert response.status_code == 400
    assert "token" not in response.json()


def test_bad_token_is_401(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nonsense")
    assert client.get("/api/v1/children/").status_code == 401


def _registration(world, **overrides):
    data = {
        "household": world.household1.pk,
        "name": "王新",
        "resident_id": make_resident_id(
            place_code="510304", birth_date=datetime.date(2017, 1, 2), sequence=9, sex="M"
        ),
        "guardian_name": "王一",
        "guardian_relation": "父亲",
        "is_left_behind": True,
    }
    data.update(overrides)
    return data


def test_registering_a_child_through_the_api(world):
    response = api_for(world.township1_user).post(
        "/api/v1/children/", _registration(world), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    child = Child.objects.get(pk=body["id"])
    assert body["resident_id"] == child.resident_id  # the township official needs the full ID
    assert child.is_left_behind and child.status_changes.count() == 1
    assert child.history.first().history_user == world.township1_user


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"resident_id": "510304201701020190"}, "resident_id"),  # bad checksum (…019X is valid)
        ({"resident_id": "51030420170230009X"}, "resident_id"),  # bad date
        ({"resident_id": "", "has_no_resident_id": False}, "resident_id"),
        ({"household": 999999}, "household"),
        ({"name": ""}, "name"),
        ({"guardian_phone": "abc"}, "guardian_phone"),
        ({"sex": "F"}, "sex"),
    ],
)
def test_bad_registrations_answer_400_with_the_field_and_change_nothing(world, overrides, field):
    count = Child.objects.count()
    response = api_for(world.township1_user).post(
        "/api/v1/children/", _registration(world, **overrides), format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert Child.objects.count() == count


def test_status_change_through_the_api_and_its_history(world):
    api = api_for(world.school1_user)
    today = timezone.localdate().isoformat()
    response = api.post(
        f"/api/v1/children/{world.child1.pk}/status/",
        {
            "status": "suspected_dropout",
            "effective_date": today,
            "reason": "缺课7天",
            "school": world.school1.pk,
            "grade": 3,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    history = api.get(f"/api/v1/children/{world.child1.pk}/history/").json()
    assert history[0]["status"] == "suspected_dropout"
    assert history[0]["recorded_by"] == "school1"


def test_status_change_with_a_future_date_is_400(world):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = api_for(world.admin).post(
        f"/api/v1/children/{world.child1.pk}/status/",
        {"status": "dropped_out", "effective_date": tomorrow, "reason": "x"},
        format="json",
    )
    assert response.status_code == 400 and "effective_date" in response.json()


def test_recording_a_visit_through_the_api_changes_the_status(world):
    response = api_for(world.village1_user).post(
        "/api/v1/visits/",
        {
            "visit_date": timezone.localdate().isoformat(),
            "household": world.household1.pk,
            "children": [world.child1.pk, world.sibling1.pk],
            "visitors": "村干部甲",
            "findings": "均在家",
            "outcome": "at_home",
            "new_status": "dropped_out",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert HouseholdVisit.objects.get().children.count() == 2
    statuses = set(
        Child.objects.filter(pk__in=[world.child1.pk, world.sibling1.pk]).values_list(
            "status", flat=True
        )
    )
    assert statuses == {EnrollmentStatus.DROPPED_OUT}


def test_a_visit_with_children_of_two_households_is_400(world):
    response = api_for(world.township1_user).post(
        "/api/v1/visits/",
        {
            "visit_date": timezone.localdate().isoformat(),
            "household": world.household1.pk,
            "children": [world.child1.pk, world.child1b.pk],
            "visitors": "甲",
            "findings": "x",
            "outcome": "other",
        },
        format="json",
    )
    assert response.status_code == 400 and "children" in response.json()
    assert HouseholdVisit.objects.count() == 0


@pytest.mark.parametrize(
    "query", ["status=nonsense", "focus=nonsense", "stage=college", "village=abc"]
)
def test_bad_filters_answer_400(world, query):
    assert api_for(world.admin).get(f"/api/v1/children/?{query}").status_code == 400


def test_children_filter_like_the_ledger(world):
    api = api_for(world.admin)
    names = {r["name"] for r in api.get("/api/v1/children/?status=in_school").json()["results"]}
    assert names == {"王小一", "李小二"}
    by_village = api.get(f"/api/v1/children/?village={world.village1.pk}").json()["results"]
    assert {r["name"] for r in by_village} == {"王小一", "王小妹"}


def test_schema_and_docs_are_served_without_a_cdn(world):
    api = api_for(world.admin)
    schema = api.get("/api/schema/?format=json")
    assert schema.status_code == 200
    assert "/api/v1/children/{id}/status/" in schema.json()["paths"]
    docs = api.get("/api/docs/")
    assert docs.status_code == 200
    assert "cdn.jsdelivr" not in docs.content.decode()


def test_a_role_that_may_not_change_status_gets_403_through_the_api(world):
    response = api_for(world.village1_user).post(
        f"/api/v1/children/{world.child1.pk}/status/",
        {
            "status": "dropped_out",
            "effective_date": timezone.localdate().isoformat(),
            "reason": "x",
        },
        format="json",
    )
    assert response.status_code == 403
    world.child1.refresh_from_db()
    assert world.child1.status == EnrollmentStatus.IN_SCHOOL
