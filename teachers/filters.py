"""Filters of the teacher and exchange lists (the pages, the API and the exports share them)."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from core.params import DateRangeFilterSet, YearFilter
from core.widgets import QuickSelect
from enrollment.filters import name_or_resident_id
from enrollment.models import School, Township

from .models import (
    Exchange,
    HomeTeachingSession,
    PostType,
    Recruitment,
    Subject,
    Teacher,
    Title,
)


class ScopedFilterSet(django_filters.FilterSet):
    """`township` and `school` choices limited to the user's scope; Bootstrap classes."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is None and self.request is not None:  # the API's filter backend
            user = self.request.user
        if user is not None:
            for name, model in (("township", Township), ("school", School)):
                if name in self.filters:
                    self.filters[name].queryset = model.objects.for_user(user)
        for field in self.form.fields.values():
            select = getattr(field.widget, "input_type", "") == "select"
            css = "form-select" if select else "form-control"
            field.widget.attrs["class"] = f"{css} {css}-sm"


class TeacherFilter(ScopedFilterSet):
    township = django_filters.ModelChoiceFilter(
        field_name="school__township",
        queryset=Township.objects.none(),
        label=_("Township"),
        widget=QuickSelect,
    )
    school = django_filters.ModelChoiceFilter(
        queryset=School.objects.none(), label=_("School"), widget=QuickSelect
    )
    post_type = django_filters.ChoiceFilter(
        choices=PostType.choices, label=_("Post type"), widget=QuickSelect
    )
    recruitment = django_filters.ChoiceFilter(
        choices=Recruitment.choices, label=_("How recruited"), widget=QuickSelect
    )
    title = django_filters.ChoiceFilter(
        choices=Title.choices, label=_("Professional title"), widget=QuickSelect
    )
    subject = django_filters.ModelChoiceFilter(
        field_name="subjects",
        queryset=Subject.objects.all(),
        label=_("Subject"),
        widget=QuickSelect,
    )
    status = django_filters.ChoiceFilter(
        choices=Teacher.Status.choices, label=_("Status"), widget=QuickSelect
    )
    recruitment_year = YearFilter(label=_("Year recruited"))
    q = django_filters.CharFilter(method=name_or_resident_id, label=_("Name or ID"))

    class Meta:
        model = Teacher
        fields = [
            "township",
            "school",
            "post_type",
            "recruitment",
            "title",
            "subject",
            "status",
            "recruitment_year",
            "q",
        ]


class ExchangeFilter(ScopedFilterSet):
    township = django_filters.ModelChoiceFilter(
        field_name="teacher__school__township",
        queryset=Township.objects.none(),
        label=_("Township"),
        widget=QuickSelect,
    )
    school = django_filters.ModelChoiceFilter(
        method="filter_school",
        queryset=School.objects.none(),
        label=_("School"),
        widget=QuickSelect,
    )
    kind = django_filters.ChoiceFilter(
        choices=Exchange.Kind.choices, label=_("Kind"), widget=QuickSelect
    )
    year = YearFilter(field_name="start_date__year", label=_("Year started"))

    class Meta:
        model = Exchange
        fields = ["township", "school", "kind", "year"]

    @extend_schema_field(OpenApiTypes.INT)  # the school's id, for the OpenAPI schema
    def filter_school(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(from_school=value) | Q(to_school=value)) if value else queryset


class HomeTeachingFilter(ScopedFilterSet, DateRangeFilterSet):
    """送教上门 sessions in a date range, by the child's township, the teacher's school and the
    teacher."""

    date_field = "date"

    township = django_filters.ModelChoiceFilter(
        field_name="child__village__township",
        queryset=Township.objects.none(),
        label=_("Township"),
        widget=QuickSelect,
    )
    school = django_filters.ModelChoiceFilter(
        field_name="teacher__school",
        queryset=School.objects.none(),
        label=_("Teacher's school"),
        widget=QuickSelect,
    )
    teacher = django_filters.ModelChoiceFilter(
        queryset=Teacher.objects.none(), label=_("Teacher"), widget=QuickSelect
    )

    class Meta:
        model = HomeTeachingSession
        fields = ["date_from", "date_to", "township", "school", "teacher"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        user = user or (self.request.user if self.request is not None else None)
        if user is not None:
            # The teachers who gave a session: a county has thousands of teachers.
            given = HomeTeachingSession.objects.for_user(user).values("teacher_id")
            teachers = Teacher.objects.for_user(user).filter(pk__in=given).order_by("name", "pk")
            # The form is already built (ScopedFilterSet styles it): both are told.
            self.filters["teacher"].queryset = teachers
            self.form.fields["teacher"].queryset = teachers
