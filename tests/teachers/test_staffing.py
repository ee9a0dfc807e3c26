"""Staffing quotas (编制) from enrolment by stage and the national ratios, per school (a nine-year
school computed per stage then summed), township and county; vacancies and over-quota."""

import datetime
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enrollment.models import Child, EnrollmentStatus
from enrollment.services import change_status
from teachers.models import PostType
from teachers.selectors import county_staffing, school_quota
from teachers.services import exchanges

from ..conftest import client_for
from .conftest import enrol, export_and_read, nine_year_school, register, today


def test_school_quota_sums_the_stages_then_rounds():
    exact, quota = school_quota({"primary": 190, "junior": 27}, is_rural=True)
    assert exact == Decimal(10) + Decimal(2)
    assert quota == 12
    # 100/19 = 5.26 and 20/13.5 = 1.48: summed 6.74 → 7 (rounding each stage would give 6).
    exact, quota = school_quota({"primary": 100, "junior": 20}, is_rural=True)
    assert quota == 7


def test_ratios_are_settings(settings):
    settings.TEACHER_STUDENT_RATIOS = {
        "urban": {"primary": 10, "junior": 10, "senior": 10},
        "rural": {"primary": 19, "junior": 13.5, "senior": 12.5},
    }
    assert school_quota({"primary": 100}, is_rural=False)[1] == 10
    assert school_quota({"primary": 100}, is_rural=True)[1] == 5


def test_nine_year_school_quota_vacancies_and_township_county_sums(world):
    school = nine_year_school(world)
    enrol(world, school, 3, 38)  # primary: 38 / 19 = 2
    enrol(world, school, 8, 27)  # junior: 27 / 13.5 = 2
    for number in range(2):
        register(world, school, name=f"在编{number}")
    register(world, school, name="代课", post_type=PostType.SUBSTITUTE)  # not counted
    table = county_staffing(world.admin)
    row = next(r for r in table.rows if r.school == school)
    assert (row.students["primary"], row.students["junior"]) == (38, 27)
    assert row.quota == 4
    assert (row.posts["regular"], row.posts["substitute"], row.counted) == (2, 1, 2)
    assert (row.vacancy, row.over) == (2, 0)
    # world.school1 has one pupil (grade 3) → quota round(1/19) = 0; no teachers.
    township = next(t for t in table.townships if t.township == world.township1)
    assert township.quota == 4 and township.vacancy == 2 and township.schools == 2
    assert table.total.quota == 4 and table.total.vacancy == 2 and table.total.schools == 3


def test_a_school_over_quota_is_flagged(world):
    enrol(world, world.school2, 2, 18)  # 19 pupils with world.child2 → quota 1
    register(world, world.school2, name="甲")
    register(world, world.school2, name="乙")
    row = next(r for r in county_staffing(world.admin).rows if r.school == world.school2)
    assert (row.quota, row.counted, row.vacancy, row.over) == (1, 2, 0, 1)
    page = client_for(world.admin).get(reverse("teachers:staffing"))
    assert page.context["table"].total.over == 1
    assert b"table-warning" in page.content


def test_an_exchange_counts_at_the_receiving_school_only_during_its_period(world):
    teacher = register(world, world.school1, name="交流者")
    exchanges.create_exchange(
        actor=world.admin,
        teacher=teacher,
        to_school=world.school2,
        kind="urban_rural",
        start_date=today() - datetime.timedelta(days=5),
        end_date=today() + datetime.timedelta(days=5),
    )
    rows = {r.school: r for r in county_staffing(world.admin).rows}
    assert (rows[world.school1].counted, rows[world.school1].exchange_out) == (0, 1)
    assert (rows[world.school2].counted, rows[world.school2].exchange_in) == (1, 1)
    later = today() + datetime.timedelta(days=6)
    rows = {r.school: r for r in county_staffing(world.admin, day=later).rows}
    assert (rows[world.school1].counted, rows[world.school2].counted) == (1, 0)


def test_staffing_scope_township_official_sees_own_township(world):
    table = county_staffing(world.township1_user)
    assert {r.school for r in table.rows} == {world.school1}
    response = client_for(world.township1_user).get(
        reverse("teachers:staffing"), {"township": world.township2.pk}
    )
    assert response.status_code == 404


def test_staffing_page_query_count(world, django_assert_max_num_queries):
    nine_year_school(world)
    client = client_for(world.admin)
    client.get(reverse("teachers:staffing"))  # the session's first request writes its clock
    with django_assert_max_num_queries(15):
        assert client.get(reverse("teachers:staffing")).status_code == 200


def test_staffing_excel_holds_schools_township_sums_and_county_total(world, media):
    school = nine_year_school(world)
    enrol(world, school, 3, 38)
    enrol(world, school, 8, 27)
    register(world, school, name="在编")
    sheet = export_and_read(client_for(world.auditor), reverse("teachers:staffing_export"))
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:5] == ("乡镇", "学校", "城乡", "学前在校生", "小学在校生")
    assert header[-4:] == ("交流调出", "计入编制人数", "缺额", "超编")
    by_school = {row[1]: row for row in rows[1:]}
    nine = by_school["一镇九年一贯制学校"]
    assert nine[0] == "一镇" and nine[2] == "农村"
    assert (nine[4], nine[5]) == (38, 27)  # primary, junior pupils
    assert nine[9] == 4  # quota
    assert nine[10] == 1  # regular
    assert (nine[-2], nine[-1]) == (3, 0)  # vacancy 3, not over quota
    township_rows = [row for row in rows[1:] if row[1] == "乡镇合计"]
    assert [row[0] for row in township_rows] == ["一镇", "二镇"]
    assert rows[-1][0] == "全县合计" and rows[-1][9] == 4 and rows[-1][-2] == 3


def test_the_page_shows_each_schools_row_with_its_figures_and_flags(world):
    school = nine_year_school(world)
    enrol(world, school, 3, 38)
    enrol(world, school, 8, 27)
    register(world, school, name="在编")
    register(world, school, name="代课", post_type=PostType.SUBSTITUTE)
    enrol(world, world.school2, 2, 18)
    register(world, world.school2, name="甲")
    register(world, world.school2, name="乙")
    html = client_for(world.admin).get(reverse("teachers:staffing")).content.decode()
    assert (
        f'<tr data-school="{school.pk}" class=""><td>{school.name}<div class="small '
        f'text-secondary">{school.township.name} · '
    ) in html
    # primary, junior, senior, other; quota; regular, special-post, substitute; in/out; counted
    assert (
        "<td>38</td><td>27</td><td>0</td><td>0</td>"
        '<td class="fw-semibold">4</td><td>1</td><td>0</td><td>1</td><td>+0 / −0</td><td>1</td>'
        '<td class="text-danger fw-semibold" data-vacancy>3</td><td class="" data-over>0</td></tr>'
    ) in html
    over = f'<tr data-school="{world.school2.pk}" class="table-warning">'
    assert over in html
    assert (
        '<td class="" data-vacancy>0</td><td class="text-warning-emphasis fw-semibold" data-over>'
        '<i class="bi bi-exclamation-triangle"></i> 1</td></tr>'
    ) in html.split(over)[1]


def test_pupils_are_cached_and_an_enrolment_or_a_departure_shows_at_once(
    world, redis_cache, django_capture_on_commit_callbacks
):
    school = nine_year_school(world)

    def pupils():
        page = client_for(world.admin).get(reverse("teachers:staffing"))
        row = next(r for r in page.context["table"].rows if r.school == school)
        return row.students["primary"], row.students["junior"], row.quota

    assert pupils() == (0, 0, 0)
    with django_capture_on_commit_callbacks(execute=True):
        enrol(world, school, 3, 38)
    assert pupils() == (38, 0, 2)

    # A cached read costs no pupil query.
    with CaptureQueriesContext(connection) as queries:
        assert pupils() == (38, 0, 2)
    assert not any('"enrollment_child"' in query["sql"] for query in queries.captured_queries)

    pupil = Child.objects.filter(current_school=school).first()
    with django_capture_on_commit_callbacks(execute=True):
        change_status(
            actor=world.admin,
            child=pupil,
            status=EnrollmentStatus.MOVED_AWAY,
            effective_date=today(),
            reason="迁出",
        )
    assert pupils() == (37, 0, 2)
