"""`|display` shows what get_FOO_display shows, in the active language."""

import pytest
from django.utils import translation

from core.templatetags.choices import display
from enrollment.models import Child, EnrollmentStatus, Grade
from teachers.models import Teacher


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_choice_is_shown_as_get_foo_display_shows_it_in_each_language(language):
    with translation.override(language):
        for status in EnrollmentStatus.values:
            child = Child(status=status)
            assert display(child, "status") == child.get_status_display()
        for grade in Grade.values:
            child = Child(grade=grade)
            assert display(child, "grade") == child.get_grade_display()
        for status in Teacher.Status.values:
            teacher = Teacher(status=status)
            assert display(teacher, "status") == teacher.get_status_display()


def test_the_labels_follow_the_active_language():
    with translation.override("en"):
        english = display(Teacher(status="active"), "status")
    with translation.override("zh-hans"):
        chinese = display(Teacher(status="active"), "status")
    assert english == "In service" and chinese != english


def test_a_value_outside_the_choices_is_shown_as_it_is():
    assert display(Child(status="no_such_status"), "status") == "no_such_status"
    assert display(Child(grade=None), "grade") is None
