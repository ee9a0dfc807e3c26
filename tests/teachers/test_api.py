"""The API resources teachers, exchanges, allowances, trainings: scoped reads, writes through
the services (403 without the role, 400 for bad input, 409 for a refused transition)."""

import datetime

from teachers.models import Exchange, Subject, Teacher
from teachers.services import allowances, trainings

from ..conftest import api_for
from .conftest import new_id, register, today


def test_teachers_list_is_scoped_and_masks_ids_for_non_bureau_users(world, staff):
    response = api_for(world.township1_user).get("/api/v1/teachers/")
    rows = response.json()["results"]
    assert [row["name"] for row in rows] == ["王一师"]
    assert rows[0]["resident_id"] == staff.teacher1.masked_resident_id
    # A list masks for everyone (core.masking.shows_full); one teacher's record shows the full
    # ID to the county admin, whose role needs it.
    admin = api_for(world.admin)
    rows = admin.get("/api/v1/teachers/").json()["results"]
    assert {row["resident_id"] for row in rows} == {
        staff.teacher1.masked_resident_id,
        staff.teacher2.masked_resident_id,
    }
    one = admin.get(f"/api/v1/teachers/{staff.teacher2.pk}/").json()
    assert one["resident_id"] == staff.teacher2.resident_id
    assert (
        api_for(world.school1_user).get(f"/api/v1/teachers/{staff.teacher2.pk}/").status_code == 404
    )
    assert api_for(world.village1_user).get("/api/v1/teachers/").json()["count"] == 0


def test_teachers_filter_by_post_type(world, staff):
    register(world, world.school2, name="代课", post_type="substitute")
    rows = api_for(world.auditor).get("/api/v1/teachers/", {"post_type": "substitute"}).json()
    assert [row["name"] for row in rows["results"]] == ["代课"]


def test_create_teacher_201_and_bad_id_400_and_auditor_403(world):
    # A transactional test elsewhere may have flushed the seeded catalogue.
    Subject.objects.get_or_create(code="mathematics", defaults={"name": "数学"})
    data = {
        "name": "接口老师",
        "resident_id": new_id(),
        "school": world.school1.pk,
        "subjects": ["mathematics"],
        "post_type": "regular",
        "recruitment": "open",
        "recruitment_year": 2020,
        "hire_date": "2020-08-25",
    }
    assert api_for(world.auditor).post("/api/v1/teachers/", data, format="json").status_code == 403
    bad = dict(data, resident_id="510302199005041230")
    response = api_for(world.admin).post("/api/v1/teachers/", bad, format="json")
    assert response.status_code == 400 and "resident_id" in response.json()
    response = api_for(world.admin).post("/api/v1/teachers/", data, format="json")
    assert response.status_code == 201
    assert response.json()["subjects"] == ["数学"]
    assert Teacher.objects.get().name == "接口老师"


def test_update_and_convert_with_409_when_not_due(world, staff):
    response = api_for(world.bureau).patch(
        f"/api/v1/teachers/{staff.teacher1.pk}/", {"title": "senior", "version": 1}, format="json"
    )
    assert response.status_code == 200 and response.json()["title"] == "senior"
    response = api_for(world.bureau).post(
        f"/api/v1/teachers/{staff.teacher1.pk}/convert/",
        {"converted_on": today().isoformat(), "decision": "x"},
        format="json",
    )
    assert response.status_code == 409
    response = api_for(world.school1_user).patch(
        f"/api/v1/teachers/{staff.teacher1.pk}/", {"title": "first"}, format="json"
    )
    assert response.status_code == 403


def test_exchanges_create_and_refuse_the_same_school(world, staff):
    data = {
        "teacher": staff.teacher1.pk,
        "to_school": world.school1.pk,
        "kind": "township",
        "start_date": today().isoformat(),
        "end_date": (today() + datetime.timedelta(days=90)).isoformat(),
    }
    response = api_for(world.admin).post("/api/v1/exchanges/", data, format="json")
    assert response.status_code == 400 and "to_school" in response.json()
    data["to_school"] = world.school2.pk
    response = api_for(world.admin).post("/api/v1/exchanges/", data, format="json")
    assert response.status_code == 201
    assert response.json()["from_school"] == world.school1.pk
    assert api_for(world.auditor).post("/api/v1/exchanges/", data, format="json").status_code == 403
    assert Exchange.objects.count() == 1
    assert api_for(world.township2_user).get("/api/v1/exchanges/").json()["count"] == 0
    assert api_for(world.township1_user).get("/api/v1/exchanges/").json()["count"] == 1


def test_allowances_are_read_only_and_scoped(world, staff, rural_school2):
    period = (today().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    allowances.create_batch(actor=world.admin, county=world.county, period=period)
    rows = api_for(world.township2_user).get("/api/v1/allowances/").json()["results"]
    assert [(row["teacher_name"], row["amount"]) for row in rows] == [("李二师", "400.00")]
    assert api_for(world.township1_user).get("/api/v1/allowances/").json()["count"] == 0
    assert api_for(world.admin).post("/api/v1/allowances/", {}).status_code == 405


def test_trainings_create_attend_and_refuse_duplicates(world, staff):
    data = {
        "title": "县级培训",
        "level": "county",
        "start_date": "2025-05-01",
        "end_date": "2025-05-02",
        "hours": "16",
        "provider": "县教师进修学校",
    }
    assert api_for(world.auditor).post("/api/v1/trainings/", data, format="json").status_code == 403
    response = api_for(world.bureau).post("/api/v1/trainings/", data, format="json")
    assert response.status_code == 201
    pk = response.json()["id"]
    url = f"/api/v1/trainings/{pk}/attendances/"
    response = api_for(world.bureau).post(url, {"teachers": [staff.teacher1.pk]}, format="json")
    assert response.status_code == 200 and [r["teacher_name"] for r in response.json()] == [
        "王一师"
    ]
    response = api_for(world.bureau).post(url, {"teachers": [staff.teacher1.pk]}, format="json")
    assert response.status_code == 400
    assert api_for(world.school1_user).get(f"/api/v1/trainings/{pk}/").json()["person_times"] == 1
    assert api_for(world.township2_user).get(f"/api/v1/trainings/{pk}/").status_code == 404


def test_api_list_query_counts(world, staff, django_assert_max_num_queries):
    for number in range(30):
        register(world, world.school1, name=f"教师{number}")
    event = trainings.create_training(
        actor=world.admin,
        county=world.county,
        title="t",
        level="county",
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2025, 1, 1),
        hours=8,
        provider="p",
    )
    trainings.record_attendance(
        actor=world.admin,
        event=event,
        teachers=list(Teacher.objects.select_related("school__township")),
    )
    client = api_for(world.admin)
    for url in (
        "/api/v1/teachers/",
        "/api/v1/exchanges/",
        "/api/v1/allowances/",
        "/api/v1/trainings/",
    ):
        with django_assert_max_num_queries(8):
            assert client.get(url).status_code == 200
