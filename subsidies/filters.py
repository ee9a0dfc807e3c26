"""FilterSets shared by the pages, the API and the exports (the same filters, the same rows)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from core.params import IdFilter, YearFilter
from core.widgets import NamedModelChoiceFilter, QuickSelect
from enrollment.models import School, Township

from .models import (
    Batch,
    DifficultyIdentification,
    FundEntry,
    Gap,
    Payment,
    Programme,
    PublicFundAllocation,
    Stage,
)
from .selectors import paid_in_year


def _schools(request):
    if request is None:
        return School.objects.none()
    return School.objects.for_user(request.user).order_by("code")


def _townships(request):
    if request is None:
        return Township.objects.none()
    return Township.objects.for_user(request.user).order_by("code")


class StyledFilterSet(django_filters.FilterSet):
    """Bootstrap classes on the filter widgets (phone and desktop alike)."""

    @property
    def form(self):
        form = super().form
        for field in form.fields.values():
            css = "form-select" if hasattr(field, "choices") else "form-control"
            field.widget.attrs.setdefault("class", f"{css} {css}-sm")
        return form


class PaymentFilter(StyledFilterSet):
    programme = django_filters.ModelChoiceFilter(
        queryset=Programme.objects.filter(per_child=True),
        label=_("Programme"),
        empty_label=_("All"),
        widget=QuickSelect,
    )
    period = django_filters.CharFilter(label=_("School year or term"), method="filter_period")
    township = NamedModelChoiceFilter(
        queryset=_townships, label=_("Township"), empty_label=_("All")
    )
    school = NamedModelChoiceFilter(queryset=_schools, label=_("School"), empty_label=_("All"))
    stage = django_filters.ChoiceFilter(
        choices=Stage.choices, label=_("Stage"), empty_label=_("All"), widget=QuickSelect
    )
    kind = django_filters.ChoiceFilter(
        choices=Payment.Kind.choices, label=_("Kind"), empty_label=_("All"), widget=QuickSelect
    )
    name = django_filters.CharFilter(
        field_name="child__name", lookup_expr="startswith", label=_("Child's name")
    )
    batch = IdFilter(field_name="batch_id", label=_("Batch"))
    # The lines counted in a calendar year's figures (a reversal in its payment's year): the
    # annual summary's drill-down.
    paid_year = YearFilter(label=_("Counted in year"), method="filter_paid_year")

    class Meta:
        model = Payment
        fields = [
            "programme",
            "period",
            "township",
            "school",
            "stage",
            "kind",
            "name",
            "batch",
            "paid_year",
        ]

    def filter_paid_year(self, queryset, name, value):
        return paid_in_year(queryset, int(value))

    def filter_period(self, queryset, name, value):
        """A year matches its terms too: "2024" finds 2024, 2024-1 and 2024-2."""
        value = value.strip()
        if len(value) == 4 and value.isdigit():
            return queryset.filter(school_year=int(value))
        return queryset.filter(period=value)


class BatchFilter(StyledFilterSet):
    programme = django_filters.ModelChoiceFilter(
        queryset=Programme.objects.filter(per_child=True),
        label=_("Programme"),
        empty_label=_("All"),
    )
    period = django_filters.CharFilter(label=_("School year or term"), lookup_expr="startswith")
    status = django_filters.ChoiceFilter(
        choices=Batch.Status.choices, label=_("Status"), empty_label=_("All")
    )
    school = NamedModelChoiceFilter(queryset=_schools, label=_("School"), empty_label=_("All"))

    class Meta:
        model = Batch
        fields = ["programme", "period", "status", "school"]


class GapFilter(StyledFilterSet):
    kind = django_filters.ChoiceFilter(
        choices=Gap.Kind.choices, label=_("Kind"), empty_label=_("All")
    )
    programme = django_filters.ModelChoiceFilter(
        queryset=Programme.objects.filter(per_child=True),
        label=_("Programme"),
        empty_label=_("All"),
    )
    township = NamedModelChoiceFilter(
        queryset=_townships, label=_("Township"), empty_label=_("All")
    )
    school = NamedModelChoiceFilter(queryset=_schools, label=_("School"), empty_label=_("All"))
    run = IdFilter(field_name="run_id", label=_("Check"))

    class Meta:
        model = Gap
        fields = ["kind", "programme", "township", "school", "run"]


class IdentificationFilter(StyledFilterSet):
    school_year = YearFilter(label=_("School year"))
    school = NamedModelChoiceFilter(queryset=_schools, label=_("School"), empty_label=_("All"))
    status = django_filters.ChoiceFilter(
        choices=DifficultyIdentification.Status.choices, label=_("Status"), empty_label=_("All")
    )

    class Meta:
        model = DifficultyIdentification
        fields = ["school_year", "school", "status"]


class FundEntryFilter(StyledFilterSet):
    kind = django_filters.ChoiceFilter(
        choices=FundEntry.Kind.choices, label=_("Kind"), empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        choices=FundEntry.Status.choices, label=_("Status"), empty_label=_("All")
    )
    year = YearFilter(field_name="date__year", label=_("Year"))

    class Meta:
        model = FundEntry
        fields = ["kind", "status", "year"]


class PublicFundFilter(StyledFilterSet):
    period = django_filters.CharFilter(label=_("School year or term"), method="filter_period")
    year = YearFilter(field_name="allocated_on__year", label=_("Year allocated"))
    township = django_filters.ModelChoiceFilter(
        field_name="school__township",
        queryset=_townships,
        label=_("Township"),
        empty_label=_("All"),
        widget=QuickSelect,
    )
    school = NamedModelChoiceFilter(queryset=_schools, label=_("School"), empty_label=_("All"))

    class Meta:
        model = PublicFundAllocation
        fields = ["period", "year", "township", "school"]

    filter_period = PaymentFilter.filter_period
