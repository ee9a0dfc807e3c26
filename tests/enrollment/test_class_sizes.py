"""大班额: classes of LARGE_CLASS_SIZE (56) pupils or more, 超大班额 from OVERSIZED_CLASS_SIZE (66),
counted from the pupils' school, grade and class in one GROUP BY query; shown on the ledgers and
in the overview for the schools of the user's scope only."""

import datetime

import pytest
from django.urls import reverse

from enrollment.demo import load_demo
from enrollment.models import Child, EnrollmentStatus, School
from enrollment.selectors import class_size_overview, large_classes

from ..conftest import client_for

S = EnrollmentStatus


def seat(world, school, grade, class_name, count, status=S.IN_SCHOOL):
    """`count` pupils in one class (children without a resident ID: no ID to make up)."""
    household = world.household1 if school == world.school1 else world.household2
    Child.objects.bulk_create(
        Child(
            household=household,
            village=household.village,
            name=f"学生{grade}{class_name}{index}",
            has_no_resident_id=True,
            sex="F",
            birth_date=datetime.date(2016, 3, 1),
            guardian_name="家长",
            guardian_relation="母亲",
            status=status,
            status_since=datetime.date(2025, 9, 1),
            current_school=school,
            grade=grade,
            class_name=class_name,
        )
        for index in range(count)
    )


def sizes(schools):
    return {(row["grade"], row["class_name"]): row["size"] for row in large_classes(schools)}


def test_the_thresholds_hold_at_their_boundaries(world):
    for grade, count in ((1, 55), (2, 56), (3, 65), (4, 66)):
        seat(world, world.school1, grade, "1班", count)
    classes = large_classes(School.objects.all())
    assert {(row["grade"], row["size"], row["oversized"]) for row in classes} == {
        (2, 56, False),
        (3, 65, False),
        (4, 66, True),
    }
    overview = class_size_overview(School.objects.all())
    assert (overview["large"], overview["oversized"]) == (3, 1)
    assert overview["by_school"] == [
        {"id": world.school1.pk, "name": "一镇小学", "township": "一镇", "large": 3, "oversized": 1}
    ]


def test_the_thresholds_are_settings(world, settings):
    seat(world, world.school1, 1, "1班", 50)
    seat(world, world.school1, 2, "1班", 49)
    assert sizes(School.objects.all()) == {}
    settings.LARGE_CLASS_SIZE, settings.OVERSIZED_CLASS_SIZE = 45, 50
    classes = large_classes(School.objects.all())
    assert {(row["grade"], row["oversized"]) for row in classes} == {(1, True), (2, False)}


def test_a_class_is_a_school_grade_and_class_name(world):
    seat(world, world.school1, 5, "1班", 40)
    seat(world, world.school1, 5, "2班", 40)  # the same grade, another class
    seat(world, world.school1, 6, "1班", 40)  # the same name, another grade
    seat(world, world.school2, 5, "1班", 40)  # the same class, another school
    seat(world, world.school1, 4, "", 80)  # no class name: no class to count
    assert sizes(School.objects.all()) == {}


def test_only_pupils_who_sit_in_the_class_count(world):
    seat(world, world.school1, 3, "1班", 55)
    seat(world, world.school1, 3, "1班", 3, status=S.HOME_DELIVERED)  # 送教上门: no seat
    seat(world, world.school1, 3, "1班", 3, status=S.DROPPED_OUT)
    assert sizes(School.objects.all()) == {}
    seat(world, world.school1, 3, "1班", 1, status=S.SUSPECTED_DROPOUT)  # still holds a seat
    assert sizes(School.objects.all()) == {(3, "1班"): 56}


def test_the_sizes_are_one_query(world, django_assert_num_queries):
    for school in (world.school1, world.school2):
        seat(world, school, 2, "1班", 60)
        seat(world, school, 3, "1班", 70)
    schools = School.objects.for_user(world.bureau)  # the user's scopes, loaded once
    with django_assert_num_queries(1):
        overview = class_size_overview(schools)
    assert (overview["large"], overview["oversized"]) == (4, 2)
    assert [(row["name"], row["large"], row["oversized"]) for row in overview["by_township"]] == [
        ("一镇", 2, 1),
        ("二镇", 2, 1),
    ]


# --- the pages: the user's schools only ---------------------------------------------------------


@pytest.fixture
def crowded(world):
    seat(world, world.school1, 2, "1班", 58)
    seat(world, world.school2, 3, "2班", 67)


def test_a_township_official_sees_only_its_schools_classes(world, crowded, legal_texts):
    client = client_for(world.township1_user)
    home = client.get(reverse("home")).context
    assert [row["school"] for row in home["class_sizes"]["classes"]] == ["一镇小学"]
    ledger = client.get(reverse("enrollment:township_ledger", args=[world.township1.pk]))
    page = ledger.content.decode()
    assert 'data-class-size="58"' in page and 'data-class-size="67"' not in page
    other = client_for(world.township2_user).get(reverse("home")).context
    assert [(row["school"], row["oversized"]) for row in other["class_sizes"]["classes"]] == [
        ("二镇小学", True)
    ]


def test_the_county_overview_counts_per_township_and_school(world, crowded, legal_texts):
    response = client_for(world.bureau).get(reverse("home"))
    class_sizes = response.context["class_sizes"]
    assert (class_sizes["large"], class_sizes["oversized"]) == (2, 1)
    assert [
        (row["name"], row["large"], row["oversized"]) for row in class_sizes["by_township"]
    ] == [
        ("一镇", 1, 0),
        ("二镇", 1, 1),
    ]
    page = response.content.decode()
    assert 'id="large-classes-by-township"' in page and 'id="large-classes-by-school"' in page
    assert 'data-stat="large-classes">2<' in page and 'data-stat="oversized-classes">1<' in page


def test_the_school_ledger_flags_its_large_classes(world, crowded):
    response = client_for(world.school1_user).get(
        reverse("enrollment:school_ledger", args=[world.school1.pk])
    )
    page = response.content.decode()
    assert 'data-class-size="58"' in page and "大班额" in page
    assert 'data-class-size="67"' not in page  # another school's
    assert (
        client_for(world.school1_user)
        .get(reverse("enrollment:school_ledger", args=[world.school2.pk]))
        .status_code
        == 404
    )


def test_a_past_days_ledger_has_no_class_sizes(world, crowded):
    response = client_for(world.bureau).get(
        reverse("enrollment:county_ledger", args=[world.county.pk]),
        {"as_of": (datetime.date.today() - datetime.timedelta(days=30)).isoformat()},
    )
    assert response.context["class_sizes"] is None


def test_the_ledger_with_its_class_sizes_keeps_its_query_budget(
    world, crowded, django_assert_max_num_queries
):
    client = client_for(world.bureau)
    url = reverse("enrollment:county_ledger", args=[world.county.pk])
    client.get(url)  # the summary cache warmed
    with django_assert_max_num_queries(20):
        assert client.get(url).context["class_sizes"]["large"] == 2


# --- the demo ----------------------------------------------------------------------------------


def test_the_demo_has_a_large_and_an_oversized_class(db):
    county, _created = load_demo("demo")
    overview = class_size_overview(School.objects.filter(township__county=county))
    kinds = {row["oversized"] for row in overview["classes"]}
    assert kinds == {True, False}
    assert all(row["grade"] <= 9 for row in overview["classes"])


def test_the_sizes_are_cached_until_a_pupil_is_placed(
    world, redis_cache, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from enrollment.services import change_status

    seat(world, world.school1, 3, "1班", 55)
    client = client_for(world.bureau)
    url = reverse("enrollment:county_ledger", args=[world.county.pk])
    assert client.get(url).context["class_sizes"]["large"] == 0
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).context["class_sizes"]["large"] == 0
    assert not any("HAVING" in query["sql"] for query in queries.captured_queries)
    with django_capture_on_commit_callbacks(execute=True):
        change_status(
            actor=world.admin,
            child=world.child1b,
            status=S.IN_SCHOOL,
            effective_date=datetime.date.today(),
            reason="入学",
            school=world.school1,
            grade=3,
            class_name="1班",
        )
    assert client.get(url).context["class_sizes"]["large"] == 1
