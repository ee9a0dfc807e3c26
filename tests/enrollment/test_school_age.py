import datetime

from django.test import override_settings

from enrollment.selectors import (
    age_on_reference,
    is_school_age,
    school_age_birth_range,
    school_year_of,
)


def test_school_year_starts_on_first_september():
    assert school_year_of(datetime.date(2026, 8, 31)) == 2025
    assert school_year_of(datetime.date(2026, 9, 1)) == 2026


def test_age_is_counted_on_31_august_before_the_school_year():
    day = datetime.date(2026, 11, 29)
    assert age_on_reference(datetime.date(2020, 8, 31), day) == 6
    assert age_on_reference(datetime.date(2020, 9, 1), day) == 5


def test_window_is_six_to_fifteen_by_default():
    day = datetime.date(2026, 11, 29)
    earliest, latest = school_age_birth_range(day)
    assert latest == datetime.date(2020, 8, 31)
    assert earliest == datetime.date(2010, 9, 1)
    assert is_school_age(datetime.date(2010, 9, 1), day)
    assert not is_school_age(datetime.date(2010, 8, 31), day)


@override_settings(SCHOOL_AGE_MIN=7, SCHOOL_AGE_MAX=14)
def test_window_is_a_setting():
    day = datetime.date(2026, 11, 29)
    assert school_age_birth_range(day) == (datetime.date(2011, 9, 1), datetime.date(2019, 8, 31))
