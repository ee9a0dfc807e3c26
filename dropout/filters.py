"""FilterSets of the dropout-control records, shared by the API lists and the Excel ledgers (the
same filters, the same rows): each a date range on the record's own date, plus its kinds."""

import django_filters
from django.utils.translation import gettext_lazy as _

from core.params import DateRangeFilterSet, IdFilter
from enrollment.models import Township

from .models import (
    AbsenceReport,
    CaseMeasure,
    DropoutCase,
    ExemptionRequest,
    OfficialDocument,
    Persuasion,
)


class CaseFilter(DateRangeFilterSet):
    """Cases opened in the range, by stage, cause, township and handler (承办人)."""

    date_field = "opened_on"

    status = django_filters.ChoiceFilter(choices=DropoutCase.Status.choices, label=_("Status"))
    cause = django_filters.ChoiceFilter(
        choices=DropoutCase.Cause.choices, label=_("Reason for dropping out")
    )
    township = django_filters.ModelChoiceFilter(
        queryset=Township.objects.all(), label=_("Township")
    )
    handler = IdFilter(field_name="handler_id", label=_("Case handler"))

    class Meta:
        model = DropoutCase
        fields = ["status", "township", "cause", "handler", "date_from", "date_to"]


class PersuasionFilter(DateRangeFilterSet):
    date_field = "date"

    class Meta:
        model = Persuasion
        fields = ["date_from", "date_to"]


class DocumentFilter(DateRangeFilterSet):
    """Documents issued in the range, of one kind or all."""

    date_field = "issued_on"

    kind = django_filters.ChoiceFilter(choices=OfficialDocument.Kind.choices, label=_("Kind"))

    class Meta:
        model = OfficialDocument
        fields = ["kind", "date_from", "date_to"]


class RegisterFilter(DocumentFilter):
    """发文登记 is kept per township, kind and year: a date range selects the numbering years it
    touches, whole, so that no number of a year is left out of the register."""

    date_field = "year"

    township = django_filters.ModelChoiceFilter(
        queryset=Township.objects.all(), label=_("Township")
    )

    class Meta:
        model = OfficialDocument
        fields = ["township", "kind", "date_from", "date_to"]

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(year__gte=value.year) if value else queryset

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(year__lte=value.year) if value else queryset


class MeasureFilter(DateRangeFilterSet):
    date_field = "date"

    class Meta:
        model = CaseMeasure
        fields = ["date_from", "date_to"]


class ExemptionFilter(DateRangeFilterSet):
    """Requests registered in the range (the local date of registration)."""

    date_field = "registered_at__date"

    class Meta:
        model = ExemptionRequest
        fields = ["status", "kind", "date_from", "date_to"]


class AbsenceFilter(DateRangeFilterSet):
    """Absences that began in the range."""

    date_field = "first_absent_on"

    class Meta:
        model = AbsenceReport
        fields = ["date_from", "date_to"]
