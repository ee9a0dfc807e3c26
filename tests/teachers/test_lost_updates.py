"""Two managers editing the same teacher: the second save, made from the version both opened,
is refused with a message and overwrites nothing (pages and API)."""

import datetime

from django.urls import reverse

from teachers.models import Teacher
from teachers.services import teachers

from ..conftest import api_for, client_for
from ..page_forms import form_values
from .conftest import register, today

STALE = "已被他人修改"


def test_a_manager_saves_a_teacher_and_the_version_goes_up(world, staff):
    url = reverse("teachers:teacher_edit", args=[staff.teacher1.pk])
    client = client_for(world.bureau)
    opened = form_values(client.get(url))
    assert opened["version"] == "1"
    saved = client.post(url, {**opened, "phone": "13800000001"})
    assert saved.status_code == 302
    teacher = Teacher.objects.get(pk=staff.teacher1.pk)
    assert teacher.phone == "13800000001" and teacher.version == 2
    # Reopened, the form carries the new version and saves again.
    again = form_values(client.get(url))
    assert again["version"] == "2"
    assert client.post(url, {**again, "title": "first"}).status_code == 302
    teacher.refresh_from_db()
    assert teacher.title == "first" and teacher.phone == "13800000001" and teacher.version == 3


def test_two_managers_editing_one_teacher_the_second_save_is_refused(world, staff):
    url = reverse("teachers:teacher_edit", args=[staff.teacher1.pk])
    first, second = client_for(world.admin), client_for(world.bureau)
    first_form, second_form = form_values(first.get(url)), form_values(second.get(url))
    assert first_form["version"] == second_form["version"] == "1"
    saved = first.post(url, {**first_form, "phone": "13800000001"})
    assert saved.status_code == 302
    # The second form still shows the old (empty) phone: saving it would undo the first save.
    refused = second.post(url, {**second_form, "name": "王一师改"})
    assert refused.status_code == 200
    assert STALE in refused.content.decode()
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
    first, second = api_for(world.admin), api_for(world.bureau)
    read = first.get(url).json()["version"]
    assert second.get(url).json()["version"] == read == 1
    saved = first.patch(url, {"title": "senior", "version": read}, format="json")
    assert saved.status_code == 200 and saved.json()["version"] == 2
    refused = second.patch(url, {"title": "first", "version": read}, format="json")
    assert refused.status_code == 409
    assert STALE in refused.json()["detail"]
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
