"""Two managers editing the same teacher: the second save, made from the version both opened,
is refused with a message and overwrites nothing (pages and API)."""

import datetime

from django.urls import reverse

from teachers.models import Teacher
from teachers.services import teachers

from ..conftest import api_for, client_for
from ..lost_updates import STALE, edit_twice, second_save_refused, second_update_refused_by_the_api
from ..page_forms import form_values
from .conftest import register, today


def test_a_manager_saves_a_teacher_and_the_version_goes_up(world, staff):
    url = reverse("teachers:teacher_edit", args=[staff.teacher1.pk])
    edit_twice(client_for(world.bureau), url, {"phone": "13800000001"}, {"title": "first"})
    teacher = Teacher.objects.get(pk=staff.teacher1.pk)
    assert teacher.title == "first" and teacher.phone == "13800000001" and teacher.version == 3


def test_two_managers_editing_one_teacher_the_second_save_is_refused(world, staff):
    url = reverse("teachers:teacher_edit", args=[staff.teacher1.pk])
    # The second form still shows the old (empty) phone: saving it would undo the first save.
    second_save_refused(
        url,
        client_for(world.admin),
        client_for(world.bureau),
        {"phone": "13800000001"},
        {"name": "王一师改"},
    )
    teacher = Teacher.objects.get(pk=staff.teacher1.pk)
    assert teacher.phone == "13800000001" and teacher.name == "王一师"
    assert teacher.version == 2


def test_an_edit_form_opened_before_a_conversion_is_stale(world):
    teacher = register(
        world,
        world.school1,
        name="特岗老师",
        post_type="special_post",
        hire_date=datetime.date(2019, 8, 25),
        recruitment_year=2019,
        recruitment="special_post_plan",
    )
    url = reverse("teachers:teacher_edit", args=[teacher.pk])
    client = client_for(world.bureau)
    opened = form_values(client.get(url))
    teachers.convert_special_post(
        actor=world.admin, teacher=teacher, converted_on=today(), decision="某发〔2025〕1号"
    )
    refused = client.post(url, {**opened, "phone": "13800000001"})
    assert refused.status_code == 200 and STALE in refused.content.decode()
    teacher.refresh_from_db()
    assert teacher.post_type == "regular" and teacher.phone == "" and teacher.version == 2


def test_the_api_refuses_an_update_from_a_stale_version_with_409(world, staff):
    url = f"/api/v1/teachers/{staff.teacher1.pk}/"
    second_update_refused_by_the_api(
        url, api_for(world.admin), api_for(world.bureau), {"title": "senior"}, {"title": "first"}
    )
    teacher = Teacher.objects.get(pk=staff.teacher1.pk)
    assert teacher.title == "senior" and teacher.version == 2


def test_the_api_needs_the_version_read_to_update(world, staff):
    url = f"/api/v1/teachers/{staff.teacher1.pk}/"
    for method in ("patch", "put"):
        response = getattr(api_for(world.bureau), method)(url, {"title": "senior"}, format="json")
        assert response.status_code == 400 and "version" in response.json(), method
    teacher = Teacher.objects.get(pk=staff.teacher1.pk)
    assert teacher.title != "senior" and teacher.version == 1


def test_a_form_sent_without_its_version_is_refused_with_a_message(world, staff):
    url = reverse("teachers:teacher_edit", args=[staff.teacher1.pk])
    client = client_for(world.bureau)
    opened = form_values(client.get(url))
    del opened["version"]
    refused = client.post(url, {**opened, "phone": "13800000001"})
    assert refused.status_code == 200
    assert "重新加载" in refused.content.decode()
    teacher = Teacher.objects.get(pk=staff.teacher1.pk)
    assert teacher.phone != "13800000001" and teacher.version == 1
