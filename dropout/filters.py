"""FilterSets of the dropout-control records, shared by the API lists and the Excel ledgers (the
same filters, the same rows): each a date range on the record's own date, plus its kinds."""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from core.params import DateBoundFilter, DateRangeFilterSet, IdFilter
from enrollment.extensions import child_scores, filter_child_scores
from enrollment.models import Township

from .models import (
    AbsenceReport,
    CaseMeasure,
    DropoutCase,
    ExemptionRequest,
    ExemptionStep,
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
    # The annual summary's drill-downs: cases returned in a range, cases open on a day.
    returned_from = DateBoundFilter(
        field_name="returned_on", lookup_expr="gte", label=_("Returned from")
    )
    returned_to = DateBoundFilter(
        field_name="returned_on", lookup_expr="lte", label=_("Returned until")
    )
    open_on = DateBoundFilter(method="filter_open_on", label=_("Open on"))

    class Meta:
        model = DropoutCase
        fields = [
            "status",
            "township",
            "cause",
            "handler",
            "date_from",
            "date_to",
            "returned_from",
            "returned_to",
            "open_on",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The modules' per-child scores (enrollment.extensions.CHILD_SCORES: the dropout risk)
        # filter the cases by their child's level.
        for score in child_scores():
            self.filters[score.key] = django_filters.ChoiceFilter(
                choices=[(value, label) for value, label, _low in score.levels],
                method=_score_filter(score),
                label=score.label,
                empty_label=_("All"),
            )

    def filter_open_on(self, queryset, name, value):
        return queryset.filter(open_on_q(value)) if value else queryset


def _score_filter(score):
    def apply(queryset, name, value):
        return filter_child_scores(queryset, {score.key: value}, "child_id")

    return apply


def open_on_q(day) -> Q:
    """Cases open on `day`: opened by then, neither returned nor closed by then."""
    return (
        Q(opened_on__lte=day)
        & (Q(returned_on__isnull=True) | Q(returned_on__gt=day))
        & (Q(closed_on__isnull=True) | Q(closed_on__gt=day))
    )


class PersuasionFilter(DateRangeFilterSet):
    date_field = "date"

    township = django_filters.ModelChoiceFilter(
        field_name="case__township", queryset=Township.objects.all(), label=_("Township")
    )

    class Meta:
        model = Persuasion
        fields = ["township", "date_from", "date_to"]


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

    township = django_filters.ModelChoiceFilter(
        field_name="case__township", queryset=Township.objects.all(), label=_("Township")
    )

    class Meta:
        model = CaseMeasure
        fields = ["township", "date_from", "date_to"]


class ExemptionFilter(DateRangeFilterSet):
    """Requests registered in the range (the local date of registration); filed with the bureau
    (approved) in a range; of a township."""

    date_field = "registered_at__date"

    filed_from = DateBoundFilter(method="filter_filed_from", label=_("Filed from"))
    filed_to = DateBoundFilter(method="filter_filed_to", label=_("Filed until"))
    township = django_filters.ModelChoiceFilter(
        field_name="child__village__township", queryset=Township.objects.all(), label=_("Township")
    )

    class Meta:
        model = ExemptionRequest
        fields = ["status", "kind", "township", "date_from", "date_to", "filed_from", "filed_to"]

    def _filed(self, queryset, **at):
        steps = ExemptionStep.objects.filter(request=OuterRef("pk"), action="file", **at)
        return queryset.filter(Exists(steps))

    def filter_filed_from(self, queryset, name, value):
        return self._filed(queryset, at__date__gte=value) if value else queryset

    def filter_filed_to(self, queryset, name, value):
        return self._filed(queryset, at__date__lte=value) if value else queryset


class AbsenceFilter(DateRangeFilterSet):
    """Absences that began in the range."""

    date_field = "first_absent_on"

    class Meta:
        model = AbsenceReport
        fields = ["date_from", "date_to"]
