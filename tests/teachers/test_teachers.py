"""Teacher records: registration with a validated resident ID, edits, transfers with the
employment history, leaving; scopes (404) and roles (403); the list masks IDs."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core.errors import DomainError, TransitionRefused
from teachers.models import EmploymentRecord, PostType, Teacher
from teachers.services import teachers

from ..conftest import client_for
from .conftest import new_id, register, today


def test_registration_takes_sex_and_birth_date_from_the_resident_id(world):
    number = new_id(sex="M", birth=datetime.date(1988, 2, 29))
    teacher = register(world, world.school1, resident_id=number.lower())
    assert teacher.resident_id == number
    assert (teacher.sex, teacher.birth_date) == ("M", datetime.date(1988, 2, 29))
    record = teacher.employments.get()
    assert (record.school, record.start_date, record.end_date) == (
        world.school1,
        teacher.hire_date,
        None,
    )


@pytest.mark.parametrize(
    "bad, message",
    [("51030219900504123", "18"), ("510302199005041230", "check digit"), ("", "empty")],
)
def test_a_bad_resident_id_is_refused_with_a_clear_message(world, bad, message, settings):
    settings.LANGUAGE_CODE = "en"
    with pytest.raises(DomainError) as refused:
        register(world, world.school1, resident_id=bad)
    assert refused.value.field == "resident_id"
    assert Teacher.objects.count() == 0


def test_the_same_resident_id_cannot_be_registered_twice(world):
    number = new_id()
    register(world, world.school1, resident_id=number)
    with pytest.raises(DomainError, match="已登记"):
        register(world, world.school2, resident_id=number)
    assert Teacher.objects.count() == 1


def test_a_hire_date_in_the_future_is_refused(world):
    with pytest.raises(DomainError) as refused:
        register(world, world.school1, hire_date=today() + datetime.timedelta(days=3))
    assert refused.value.field == "hire_date"


def test_special_post_teacher_gets_the_default_service_period(world, settings):
    settings.SPECIAL_POST_SERVICE_YEARS = 3
    teacher = register(
        world,
        world.school1,
        post_type=PostType.SPECIAL_POST,
        recruitment="special_post_plan",
        hire_date=datetime.date(2023, 8, 25),
        recruitment_year=2023,
    )
    assert teacher.special_post_status == Teacher.SpecialPostStatus.SERVING
    assert (teacher.service_years, teacher.service_end) == (3, datetime.date(2026, 8, 25))


def test_only_county_managers_register_teachers(world):
    for user in (world.school1_user, world.township1_user, world.auditor, world.inspector):
        with pytest.raises(PermissionDenied):
            teachers.register_teacher(
                actor=user,
                resident_id=new_id(),
                name="某",
                school=world.school1,
                post_type=PostType.REGULAR,
                recruitment="open",
                recruitment_year=2015,
                hire_date=datetime.date(2015, 9, 1),
            )
    assert Teacher.objects.count() == 0


def test_edit_changes_particulars_and_keeps_history(world, staff):
    teachers.update_teacher(
        actor=world.bureau, teacher=staff.teacher1, title="first", phone="13800001111"
    )
    staff.teacher1.refresh_from_db()
    assert (staff.teacher1.title, staff.teacher1.phone) == ("first", "13800001111")
    assert staff.teacher1.history.first().history_user == world.bureau


def test_a_special_post_cannot_be_made_by_editing(world, staff):
    with pytest.raises(DomainError, match="特岗"):
        teachers.update_teacher(actor=world.admin, teacher=staff.teacher1, post_type="special_post")


def test_transfer_closes_the_old_employment_and_opens_the_new(world, staff):
    day = today() - datetime.timedelta(days=10)
    teachers.transfer_teacher(
        actor=world.admin, teacher=staff.teacher1, school=world.school2, date=day, note="调动"
    )
    staff.teacher1.refresh_from_db()
    assert (staff.teacher1.school, staff.teacher1.school_since) == (world.school2, day)
    old, new = EmploymentRecord.objects.filter(teacher=staff.teacher1).order_by("start_date")
    assert (old.school, old.end_date) == (world.school1, day - datetime.timedelta(days=1))
    assert (new.school, new.end_date) == (world.school2, None)


def test_transfer_to_the_same_school_is_refused(world, staff):
    with pytest.raises(DomainError, match="已在此学校"):
        teachers.transfer_teacher(
            actor=world.admin, teacher=staff.teacher1, school=world.school1, date=today()
        )


def test_leaving_ends_the_employment_and_cannot_be_recorded_twice(world, staff):
    teachers.record_leaving(
        actor=world.admin, teacher=staff.teacher1, left_on=today(), reason="调出本县"
    )
    staff.teacher1.refresh_from_db()
    assert staff.teacher1.status == Teacher.Status.LEFT
    assert staff.teacher1.employments.get().end_date == today()
    with pytest.raises(TransitionRefused):
        teachers.record_leaving(
            actor=world.admin, teacher=staff.teacher1, left_on=today(), reason="again"
        )


# --- pages: scope and roles --------------------------------------------------------------------


def test_school_staff_see_their_own_school_teachers_only(world, staff):
    client = client_for(world.school1_user)
    page = client.get(reverse("teachers:teacher_list"))
    assert [t.name for t in page.context["page"]] == ["王一师"]
    assert (
        client.get(reverse("teachers:teacher_detail", args=[staff.teacher1.pk])).status_code == 200
    )
    assert (
        client.get(reverse("teachers:teacher_detail", args=[staff.teacher2.pk])).status_code == 404
    )


def test_township_official_reads_own_township_and_gets_404_for_another(world, staff):
    client = client_for(world.township2_user)
    assert (
        client.get(reverse("teachers:teacher_detail", args=[staff.teacher2.pk])).status_code == 200
    )
    assert (
        client.get(reverse("teachers:teacher_detail", args=[staff.teacher1.pk])).status_code == 404
    )


def test_village_cadre_sees_no_teachers(world, staff):
    client = client_for(world.village1_user)
    assert client.get(reverse("teachers:teacher_list")).context["page"].paginator.count == 0


def test_auditor_reads_all_and_cannot_write(world, staff):
    client = client_for(world.auditor)
    assert client.get(reverse("teachers:teacher_list")).context["page"].paginator.count == 2
    response = client.post(
        reverse("teachers:teacher_edit", args=[staff.teacher1.pk]), {"name": "改名"}
    )
    assert response.status_code == 403
    assert client.post(reverse("teachers:teacher_new"), {}).status_code == 403
    staff.teacher1.refresh_from_db()
    assert staff.teacher1.name == "王一师"


def test_school_staff_cannot_edit_their_own_teachers(world, staff):
    client = client_for(world.school1_user)
    url = reverse("teachers:teacher_leave", args=[staff.teacher1.pk])
    assert client.post(url, {"left_on": today(), "reason": "x"}).status_code == 403


def test_list_masks_resident_ids_and_detail_shows_full_id_to_the_bureau(world, staff):
    number = staff.teacher1.resident_id
    listing = client_for(world.admin).get(reverse("teachers:teacher_list")).content.decode()
    assert number not in listing and staff.teacher1.masked_resident_id in listing
    detail = reverse("teachers:teacher_detail", args=[staff.teacher1.pk])
    assert number in client_for(world.admin).get(detail).content.decode()
    assert number not in client_for(world.school1_user).get(detail).content.decode()


def test_register_page_creates_a_teacher_and_shows_bad_input_on_the_form(world):
    client = client_for(world.bureau)
    data = {
        "name": "新老师",
        "resident_id": "510302199005041239",  # wrong check digit
        "school": world.school1.pk,
        "title": "none",
        "post_type": "regular",
        "recruitment": "free_normal",
        "recruitment_year": 2024,
        "hire_date": "2024-08-25",
    }
    response = client.post(reverse("teachers:teacher_new"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["resident_id"]
    assert Teacher.objects.count() == 0
    data["resident_id"] = new_id()
    response = client.post(reverse("teachers:teacher_new"), data)
    teacher = Teacher.objects.get()
    assert response["Location"] == reverse("teachers:teacher_detail", args=[teacher.pk])


def test_list_filters_by_post_type_and_text(world, staff):
    register(world, world.school1, name="代课甲", post_type=PostType.SUBSTITUTE)
    client = client_for(world.admin)
    page = client.get(reverse("teachers:teacher_list"), {"post_type": "substitute"})
    assert [t.name for t in page.context["page"]] == ["代课甲"]
    page = client.get(reverse("teachers:teacher_list"), {"q": "李二"})
    assert [t.name for t in page.context["page"]] == ["李二师"]


def test_teacher_list_query_count_is_bounded(world, django_assert_max_num_queries):
    for number in range(60):
        register(world, world.school1 if number % 2 else world.school2, name=f"教师{number}")
    client = client_for(world.admin)
    client.get(reverse("teachers:teacher_list"))  # the session's first request writes its clock
    with django_assert_max_num_queries(15):
        response = client.get(reverse("teachers:teacher_list"))
    assert len(response.context["page"].object_list) == 50


def test_the_list_filters_offer_all_as_their_empty_choice(world):
    from django.utils import translation

    with translation.override("zh-hans"):
        page = client_for(world.admin).get(
            reverse("teachers:teacher_list"), HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
    html = page.content.decode()
    assert "---------" not in html
    assert '<select name="post_type"' in html
    post_type = html.split('<select name="post_type"', 1)[1].split("</select>", 1)[0]
    assert '<option value="">全部</option>' in post_type.replace(" selected", "")
