"""送教上门: who records a session for which child, who sees it, bad input, the export."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core.errors import DomainError
from enrollment.models import EnrollmentStatus
from enrollment.roles import Role
from enrollment.services import change_status, grant_role
from teachers.models import HomeTeachingSession
from teachers.services.home_teaching import record_session

from ..conftest import client_for
from ..factories import ChildFactory, UserFactory
from .conftest import export_and_read, today

URL_NEW = reverse("teachers:home_teaching_new")
URL_LIST = reverse("teachers:home_teaching_list")


def last_year(month, day) -> datetime.date:
    return datetime.date(today().year - 1, month, day)


@pytest.fixture
def home(world, staff):
    """world.child1b (township1) home-delivered by school1 since 1 October last year; a child
    of township2 home-delivered by school2; a school2 staff member."""
    h = type("Home", (), {})()
    change_status(
        actor=world.loader,
        child=world.child1b,
        status=EnrollmentStatus.HOME_DELIVERED,
        effective_date=last_year(10, 1),
        reason="残疾儿童评估安置：送教上门",
        school=world.school1,
        grade=3,
    )
    h.child2 = ChildFactory(household=world.household2, name="李送教")
    change_status(
        actor=world.loader,
        child=h.child2,
        status=EnrollmentStatus.HOME_DELIVERED,
        effective_date=last_year(9, 1),
        reason="残疾儿童评估安置：送教上门",
        school=world.school2,
        grade=2,
    )
    h.school2_user = UserFactory(username="school2")
    grant_role(user=h.school2_user, role=Role.SCHOOL_STAFF, place=world.school2)
    return h


def form(world, staff, **overrides) -> dict:
    return {
        "child": world.child1b.pk,
        "teacher": staff.teacher1.pk,
        "date": last_year(11, 5).isoformat(),
        "hours": "2",
        "content": "语文：识字与朗读",
        "note": "",
        **overrides,
    }


def test_school_staff_record_a_session_of_their_teacher(world, staff, home):
    response = client_for(world.school1_user).post(URL_NEW, form(world, staff))
    assert response.status_code == 302
    session = HomeTeachingSession.objects.get()
    assert (session.child, session.teacher, session.hours) == (
        world.child1b,
        staff.teacher1,
        Decimal("2.0"),
    )
    assert session.recorded_by == world.school1_user
    assert session.history.get().history_user == world.school1_user


def test_bureau_records_for_any_teacher_of_the_county(world, staff, home):
    session = record_session(
        actor=world.bureau,
        child=home.child2,
        teacher=staff.teacher1,
        date=last_year(12, 1),
        hours="1.5",
        content="生活适应",
    )
    assert session.pk and session.teacher == staff.teacher1


def test_a_child_not_home_delivered_on_the_date_is_refused(world, staff, home):
    client = client_for(world.school1_user)
    # Before 1 October last year child1b had no status yet: refused, in Chinese.
    response = client.post(URL_NEW, form(world, staff, date=last_year(9, 20).isoformat()))
    assert response.status_code == 200
    assert "不是送教上门对象" in response.content.decode()
    with pytest.raises(DomainError, match="不是送教上门对象"):
        record_session(
            actor=world.bureau,
            child=world.child1,  # in school
            teacher=staff.teacher1,
            date=last_year(11, 5),
            hours=2,
            content="数学",
        )
    # A child home-delivered once but back in school since is refused from that day.
    change_status(
        actor=world.loader,
        child=world.child1b,
        status=EnrollmentStatus.IN_SCHOOL,
        effective_date=last_year(12, 1),
        reason="随班就读",
        school=world.school1,
        grade=3,
    )
    with pytest.raises(DomainError, match="不是送教上门对象"):
        record_session(
            actor=world.bureau,
            child=world.child1b,
            teacher=staff.teacher1,
            date=last_year(12, 2),
            hours=2,
            content="数学",
        )
    assert record_session(
        actor=world.bureau,
        child=world.child1b,
        teacher=staff.teacher1,
        date=last_year(11, 30),
        hours=2,
        content="数学",
    ).pk
    assert HomeTeachingSession.objects.count() == 1


def test_a_teacher_outside_the_recorders_scope_is_refused(world, staff, home):
    # The form offers school1's teachers only; the service refuses another school's teacher.
    response = client_for(world.school1_user).post(
        URL_NEW, form(world, staff, teacher=staff.teacher2.pk)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["teacher"]
    with pytest.raises(DomainError, match="只能为本校教师"):
        record_session(
            actor=world.school1_user,
            child=world.child1b,
            teacher=staff.teacher2,
            date=last_year(11, 5),
            hours=2,
            content="数学",
        )
    assert not HomeTeachingSession.objects.exists()


def test_school_staff_of_another_school_get_404_for_the_child(world, staff, home):
    url = f"{URL_NEW}?child={world.child1b.pk}"
    assert client_for(home.school2_user).get(url).status_code == 404
    page = client_for(world.school1_user).get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["child"] == world.child1b.pk
    assert client_for(world.school1_user).get(f"{URL_NEW}?child=abc").status_code == 400


def test_auditor_and_township_officials_cannot_record(world, staff, home):
    for user in (world.auditor, world.township1_user, world.inspector):
        client = client_for(user)
        assert client.get(URL_NEW).status_code == 403
        assert client.post(URL_NEW, form(world, staff)).status_code == 403
    with pytest.raises(PermissionDenied):
        record_session(
            actor=world.auditor,
            child=world.child1b,
            teacher=staff.teacher1,
            date=last_year(11, 5),
            hours=2,
            content="数学",
        )
    assert not HomeTeachingSession.objects.exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("hours", "0"),
        ("hours", "8.5"),
        ("hours", "abc"),
        ("content", "   "),
        ("date", (datetime.date.today() + datetime.timedelta(days=3)).isoformat()),
        ("date", "2025-13-40"),
    ],
)
def test_bad_input_is_refused_with_nothing_recorded(world, staff, home, field, value):
    response = client_for(world.school1_user).post(URL_NEW, form(world, staff, **{field: value}))
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not HomeTeachingSession.objects.exists()


@pytest.fixture
def sessions(world, staff, home):
    """child1b by teacher1 twice; child2 (township2, school2's roll) by teacher1 once and by
    teacher2 once."""
    made = []
    for child, teacher, day, hours in (
        (world.child1b, staff.teacher1, last_year(11, 5), "2"),
        (world.child1b, staff.teacher1, last_year(11, 19), "1.5"),
        (home.child2, staff.teacher1, last_year(10, 8), "2"),
        (home.child2, staff.teacher2, last_year(10, 22), "3"),
    ):
        made.append(
            record_session(
                actor=world.bureau,
                child=child,
                teacher=teacher,
                date=day,
                hours=hours,
                content="送教内容",
            )
        )
    return made


def listed(user, **query) -> list:
    response = client_for(user).get(URL_LIST, query)
    assert response.status_code == 200
    return sorted(session.pk for session in response.context["page"])


def test_who_sees_which_sessions(world, staff, home, sessions):
    a, b, c, d = (session.pk for session in sessions)
    assert listed(world.auditor) == [a, b, c, d]
    assert listed(world.bureau) == [a, b, c, d]
    # School1's staff: their school's child (a, b) and their teacher's session elsewhere (c).
    assert listed(world.school1_user) == [a, b, c]
    # School2's staff: their child (c, d), whoever taught.
    assert listed(home.school2_user) == [c, d]
    # Township officials: the children of their township.
    assert listed(world.township1_user) == [a, b]
    assert listed(world.township2_user) == [c, d]
    assert listed(world.village1_user) == []


def test_the_list_filters(world, staff, home, sessions):
    a, b, c, d = (session.pk for session in sessions)
    assert listed(world.auditor, township=world.township2.pk) == [c, d]
    assert listed(world.auditor, school=world.school2.pk) == [d]
    assert listed(world.auditor, teacher=staff.teacher1.pk) == [a, b, c]
    assert listed(
        world.auditor,
        date_from=last_year(11, 1).isoformat(),
        date_to=last_year(11, 10).isoformat(),
    ) == [a]
    page = client_for(world.auditor).get(URL_LIST, {"township": world.township1.pk})
    assert page.context["totals"] == {"sessions": 2, "children": 1, "hours": Decimal("3.5")}
    # A bad range filters nothing and says why.
    bad = client_for(world.auditor).get(
        URL_LIST, {"date_from": last_year(12, 1).isoformat(), "date_to": last_year(1, 1)}
    )
    assert bad.context["filter"].errors


def test_the_list_shows_the_masked_id_and_the_child_page_its_sessions(world, staff, sessions):
    content = client_for(world.auditor).get(URL_LIST).content.decode()
    assert world.child1b.masked_resident_id in content
    assert world.child1b.resident_id not in content
    child_page = client_for(world.school1_user).get(
        reverse("enrollment:child_detail", args=[world.child1b.pk])
    )
    html = child_page.content.decode()
    assert 'id="home-teaching-panel"' in html
    assert html.count('class="mb-1 home-teaching-session"') == 2
    assert f"{URL_NEW}?child={world.child1b.pk}" in html
    # The auditor reads the panel but is offered no recording link.
    auditor_page = (
        client_for(world.auditor)
        .get(reverse("enrollment:child_detail", args=[world.child1b.pk]))
        .content.decode()
    )
    assert 'id="home-teaching-panel"' in auditor_page
    assert f"{URL_NEW}?child=" not in auditor_page
    # A child in school has no panel.
    other = client_for(world.school1_user).get(
        reverse("enrollment:child_detail", args=[world.child1.pk])
    )
    assert 'id="home-teaching-panel"' not in other.content.decode()


def test_export_read_back(world, staff, home, sessions, media):
    sheet = export_and_read(
        client_for(world.township2_user), reverse("teachers:home_teaching_export")
    )
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "序号",
        "日期",
        "儿童姓名",
        "身份证号",
        "乡镇",
        "村（社区）",
        "送教教师",
        "教师所在学校",
        "学时",
        "送教内容",
        "备注",
    )
    body = [(row[2], row[3], row[4], row[6], row[8]) for row in rows[1:]]
    masked = home.child2.masked_resident_id
    assert "*" in masked
    assert body == [
        ("李送教", masked, "二镇", "李二师", 3),
        ("李送教", masked, "二镇", "王一师", 2),
    ]
    # The list's filters go with the export.
    sheet = export_and_read(
        client_for(world.auditor),
        reverse("teachers:home_teaching_export"),
        {"teacher": staff.teacher2.pk},
    )
    assert len(list(sheet.iter_rows(values_only=True))) == 2


def test_list_and_export_query_counts(world, staff, home, sessions, django_assert_max_num_queries):
    from core.exports import get_exporter

    for number in range(6):
        record_session(
            actor=world.bureau,
            child=world.child1b,
            teacher=staff.teacher1,
            date=last_year(12, 1 + number),
            hours=1,
            content="加练",
        )
    client = client_for(world.auditor)
    client.get(URL_LIST)  # the session and the user warm up
    with django_assert_max_num_queries(12):
        assert client.get(URL_LIST).status_code == 200
    export = get_exporter("teacher_home_teaching")(world.auditor, {})
    with django_assert_max_num_queries(4):
        rows = list(export.rows)
    assert len(rows) == 10


def test_menu_links_the_list(world):
    page = client_for(world.auditor).get(reverse("teachers:teacher_list"))
    assert URL_LIST in page.content.decode()
