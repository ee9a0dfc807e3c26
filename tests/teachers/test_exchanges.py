"""Exchanges (交流轮岗): the teacher works at the other school only during the period; the same
school and overlapping periods are refused; rotation shares per school and township."""

import datetime
import threading

import pytest
from django.db import close_old_connections, connection
from django.urls import reverse

from core.errors import DomainError
from teachers.models import Exchange, Teacher
from teachers.selectors import rotation_shares
from teachers.services import exchanges

from ..conftest import client_for
from .conftest import export_and_read, register, today


def days(n):
    return today() + datetime.timedelta(days=n)


def exchange(world, teacher, start, end, to_school=None, kind="urban_rural"):
    return exchanges.create_exchange(
        actor=world.admin,
        teacher=teacher,
        to_school=to_school or world.school2,
        kind=kind,
        start_date=start,
        end_date=end,
    )


def current_school(teacher, day):
    return Teacher.objects.current_on(day).get(pk=teacher.pk).current_school_id


def test_the_current_school_changes_only_during_the_period(world, staff):
    exchange(world, staff.teacher1, days(10), days(20))
    teacher = staff.teacher1
    assert current_school(teacher, days(9)) == world.school1.pk
    assert current_school(teacher, days(10)) == world.school2.pk
    assert current_school(teacher, days(20)) == world.school2.pk
    assert current_school(teacher, days(21)) == world.school1.pk
    teacher.refresh_from_db()
    assert teacher.school == world.school1  # the school of record never changes


def test_an_exchange_to_the_teachers_own_school_is_refused(world, staff):
    with pytest.raises(DomainError, match="本校") as refused:
        exchange(world, staff.teacher1, days(1), days(5), to_school=world.school1)
    assert refused.value.field == "to_school"
    assert Exchange.objects.count() == 0


@pytest.mark.parametrize("start, end", [(5, 12), (-3, 1), (0, 10), (2, 4)])
def test_overlapping_periods_are_refused(world, staff, start, end):
    exchange(world, staff.teacher1, days(0), days(10))
    with pytest.raises(DomainError, match="重叠"):
        exchange(world, staff.teacher1, days(start), days(end))
    assert Exchange.objects.count() == 1


def test_adjacent_periods_are_allowed_and_an_end_before_start_refused(world, staff):
    exchange(world, staff.teacher1, days(0), days(10))
    exchange(world, staff.teacher1, days(11), days(20))
    with pytest.raises(DomainError, match="早于开始日期"):
        exchange(world, staff.teacher1, days(40), days(30))
    assert Exchange.objects.count() == 2


def test_an_early_end_shortens_the_period(world, staff):
    item = exchange(world, staff.teacher1, days(-10), days(30))
    exchanges.end_exchange_early(actor=world.admin, exchange=item, end_date=days(-1))
    assert current_school(staff.teacher1, today()) == world.school1.pk
    with pytest.raises(DomainError):
        exchanges.end_exchange_early(actor=world.admin, exchange=item, end_date=days(5))


def test_exchange_page_refuses_bad_input_on_the_form_and_403_for_auditor(world, staff):
    data = {
        "teacher": staff.teacher1.pk,
        "to_school": world.school1.pk,
        "kind": "township",
        "start_date": days(1).isoformat(),
        "end_date": days(30).isoformat(),
    }
    assert client_for(world.auditor).post(reverse("teachers:exchange_new"), data).status_code == 403
    response = client_for(world.admin).post(reverse("teachers:exchange_new"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["to_school"]
    data["to_school"] = world.school2.pk
    assert client_for(world.admin).post(reverse("teachers:exchange_new"), data).status_code == 302
    assert Exchange.objects.get().from_school == world.school1


def test_exchange_list_scope(world, staff):
    exchange(world, staff.teacher1, days(0), days(10))
    assert (
        client_for(world.township1_user)
        .get(reverse("teachers:exchange_list"))
        .context["page"]
        .paginator.count
        == 1
    )
    assert (
        client_for(world.township2_user)
        .get(reverse("teachers:exchange_list"))
        .context["page"]
        .paginator.count
        == 0
    )


def test_rotation_share_counts_eligible_teachers_who_began_an_exchange_this_year(world, settings):
    settings.TEACHER_EXCHANGE_ELIGIBLE_YEARS = 6
    year = today().year
    long_ago = datetime.date(year - 10, 8, 25)
    veterans = [
        register(
            world, world.school1, name=f"老{n}", hire_date=long_ago, recruitment_year=year - 10
        )
        for n in range(4)
    ]
    register(world, world.school1, name="新人", hire_date=datetime.date(year - 2, 8, 25))
    register(world, world.school2, name="二镇老", hire_date=long_ago, recruitment_year=year - 10)
    exchange(world, veterans[0], datetime.date(year, 1, 2), datetime.date(year, 1, 20))
    exchange(world, veterans[1], datetime.date(year - 1, 3, 1), datetime.date(year - 1, 4, 1))
    shares = rotation_shares(world.admin, year=year)
    schools = {row["school__name"]: row for row in shares["schools"]}
    assert (schools["一镇小学"]["eligible"], schools["一镇小学"]["rotated"]) == (4, 1)
    assert schools["一镇小学"]["share"] == 25
    assert (schools["二镇小学"]["eligible"], schools["二镇小学"]["rotated"]) == (1, 0)
    townships = {row["school__township__name"]: row for row in shares["townships"]}
    assert townships["一镇"]["share"] == 25 and townships["二镇"]["share"] == 0
    assert (shares["total"]["eligible"], shares["total"]["rotated"]) == (5, 1)
    assert shares["total"]["share"] == 20 and shares["total"]["meets_target"]
    # Scope: the township official sees their township only.
    assert [
        row["school__name"] for row in rotation_shares(world.township2_user, year=year)["schools"]
    ] == ["二镇小学"]


def test_exchange_export_read_back(world, staff, media):
    exchange(world, staff.teacher1, days(0), days(10))
    sheet = export_and_read(client_for(world.admin), reverse("teachers:exchange_export"))
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("序号", "教师", "交流类型", "派出学校")
    assert rows[1][1:4] == ("王一师", "城乡交流", "一镇小学")
    assert rows[1][5] == "二镇小学"
    assert rows[1][7].date() == days(0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_exchanges_for_one_teacher_leave_exactly_one(world):
    if connection.vendor != "postgresql":
        pytest.fail("This test needs PostgreSQL (row locks); run it with DATABASE_URL set.")
    teacher = register(world, world.school1, name="并发")
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(offset):
        try:
            barrier.wait()
            exchange(world, teacher, days(offset), days(offset + 30))
            outcomes.append("ok")
        except DomainError:
            outcomes.append("refused")
        finally:
            close_old_connections()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in (0, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert Exchange.objects.filter(teacher=teacher).count() == 1
