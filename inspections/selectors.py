"""Reads of the inspections module: the rectification ledger (filters, counts, per unit and per
area), the campaign summary, and the unit choices of a user's scope."""

import datetime
from dataclasses import dataclass

import django_filters
from django import forms
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.widgets import QuickSelect
from enrollment.forms import DATE_INPUT
from enrollment.models import School, Township

from .models import (
    Area,
    BureauSection,
    Campaign,
    Complaint,
    Inspection,
    Issue,
    UnitKind,
    overdue_q,
)

S = Issue.Status
RECTIFIED_STATUSES = (S.SUBMITTED, S.VERIFIED)


# --- units -----------------------------------------------------------------------------------


def unit_value(unit) -> str:
    kind = {School: "school", Township: "township", BureauSection: "section"}[type(unit)]
    return f"{kind}:{unit.pk}"


def unit_choices(user, county=None) -> list:
    """Grouped (optgroup) choices of the units the user sees: townships, schools, sections."""
    townships = Township.objects.for_user(user).order_by("code")
    schools = (
        School.objects.for_user(user).select_related("township").order_by("township__code", "code")
    )
    sections = BureauSection.objects.for_user(user)
    if county is not None:
        townships = townships.filter(county=county)
        schools = schools.filter(township__county=county)
        sections = sections.filter(county=county)
    choices = []
    for label, kind, rows in (
        (_("Townships"), "township", [(t.pk, t.name) for t in townships]),
        (_("Schools"), "school", [(s.pk, f"{s.name}（{s.township.name}）") for s in schools]),
        (_("Bureau sections"), "section", [(s.pk, s.name) for s in sections]),
    ):
        if rows:
            choices.append((label, [(f"{kind}:{pk}", name) for pk, name in rows]))
    return choices


def resolve_unit(user, value: str):
    """The unit a `kind:pk` value names, if the user sees it; None otherwise."""
    kind, _sep, pk = (value or "").partition(":")
    model = {"school": School, "township": Township, "section": BureauSection}.get(kind)
    if model is None or not pk.isdigit():
        return None
    return model.objects.for_user(user).filter(pk=int(pk)).first()


def unit_q(value: str) -> Q:
    kind, _sep, pk = (value or "").partition(":")
    if kind not in UnitKind.values or not pk.isdigit():
        return Q(pk__in=[])
    return Q(unit_kind=kind, **{kind: int(pk)})


# --- the rectification ledger ----------------------------------------------------------------


def _drill_township():
    """The township a unit lies in: the annual summary's drill-downs name it (hidden: the
    filter bars choose by unit)."""
    return django_filters.NumberFilter(
        field_name="unit_township_id", label=_("Township"), widget=forms.HiddenInput
    )


def _date_range(field: str):
    return (
        django_filters.DateFilter(
            field_name=field, lookup_expr="gte", label=_("From"), widget=DATE_INPUT
        ),
        django_filters.DateFilter(
            field_name=field, lookup_expr="lte", label=_("Until"), widget=DATE_INPUT
        ),
    )


class LedgerFilter(django_filters.FilterSet):
    campaign = django_filters.ModelChoiceFilter(
        queryset=Campaign.objects.none(),
        label=_("Campaign"),
        empty_label=_("All"),
        widget=QuickSelect,
    )
    area = django_filters.ModelChoiceFilter(
        queryset=Area.objects.all(), label=_("Area"), empty_label=_("All"), widget=QuickSelect
    )
    # Every township, school and bureau section of the county: some 220 options.
    unit = django_filters.ChoiceFilter(
        label=_("Responsible unit"),
        method="filter_unit",
        empty_label=_("All"),
        widget=QuickSelect,
    )
    status = django_filters.ChoiceFilter(
        choices=S.choices, label=_("State"), empty_label=_("All live"), widget=QuickSelect
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput
    )
    q = django_filters.CharFilter(label=_("Search"), method="filter_text")
    found_from, found_to = _date_range("found_on")
    township = _drill_township()
    # The annual summary's "rectified" drill-down: submitted for verification or closed.
    rectified = django_filters.BooleanFilter(
        label=_("Rectified"), method="filter_rectified", widget=forms.HiddenInput
    )

    class Meta:
        model = Issue
        fields = ["campaign", "area", "unit", "status", "overdue", "q", "found_from", "found_to"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["campaign"].queryset = Campaign.objects.for_user(user)
        self.filters["unit"].extra["choices"] = unit_choices(user)

    def filter_queryset(self, queryset):
        # Withdrawn issues are on record but out of the ledger unless asked for by state.
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.exclude(status=S.WITHDRAWN)
        return super().filter_queryset(queryset)

    def filter_unit(self, queryset, name, value):
        return queryset.filter(unit_q(value)) if value else queryset

    def filter_rectified(self, queryset, name, value):
        return queryset.filter(status__in=RECTIFIED_STATUSES) if value else queryset

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(overdue_q()) if value else queryset

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(description__icontains=value)
            | Q(number__icontains=value)
            | Q(responsible_person__icontains=value)
        )


def ledger_filter(user, data) -> LedgerFilter:
    # Always bound: withdrawn issues leave the ledger even when no filter is given.
    return LedgerFilter(data or {}, queryset=Issue.objects.for_user(user), user=user)


def ledger_rows(filtered):
    return filtered.qs.select_related("school", "township", "section", "area", "campaign").order_by(
        "deadline", "pk"
    )


def _counts(day):
    return {
        "found": Count("pk"),
        "rectified": Count("pk", filter=Q(status__in=RECTIFIED_STATUSES)),
        "verified": Count("pk", filter=Q(status=S.VERIFIED)),
        "overdue": Count("pk", filter=overdue_q(day)),
    }


def _with_rate(row: dict) -> dict:
    row["rate"] = round(100 * row["rectified"] / row["found"], 1) if row["found"] else None
    return row


@dataclass
class LedgerFigures:
    total: dict
    by_area: list[dict]
    by_unit: list[dict]


def ledger_figures(queryset, day=None) -> LedgerFigures:
    """发现问题XX个、整改问题XX个、销号XX个 and the rectification rate, in total, per area and per
    unit — each one grouped query."""
    day = day or timezone.localdate()
    base = queryset.order_by()
    by_area = [
        _with_rate(row)
        for row in base.values("area__name").annotate(**_counts(day)).order_by("area__name")
    ]
    # Every issue has exactly one area: the total is the sum of the areas' rows.
    total = _with_rate(
        {
            key: sum(row[key] for row in by_area)
            for key in ("found", "rectified", "verified", "overdue")
        }
    )
    unit_rows = (
        base.values("unit_kind", "school__name", "township__name", "section__name")
        .annotate(**_counts(day))
        .order_by("-found", "unit_kind", "school__name", "township__name", "section__name")
    )
    kind_labels = dict(UnitKind.choices)
    by_unit = []
    for row in unit_rows:
        row["unit"] = row["school__name"] or row["township__name"] or row["section__name"] or ""
        row["kind"] = kind_labels.get(row["unit_kind"], "")
        by_unit.append(_with_rate(row))
    return LedgerFigures(total=total, by_area=by_area, by_unit=by_unit)


def progress_text(issue: Issue) -> str:
    """整改进展 as the county files it."""
    if issue.status == S.OPEN:
        return str(_("Not started"))
    if issue.status == S.WITHDRAWN:
        return str(_("Withdrawn: %(reason)s") % {"reason": issue.withdrawn_reason})
    label = issue.get_status_display()
    return f"{label}：{issue.progress}" if issue.progress else str(label)


def closure_text(issue: Issue) -> str:
    """销号情况."""
    if issue.status == S.VERIFIED and issue.verified_on:
        return str(_("Closed on %(day)s") % {"day": issue.verified_on.isoformat()})
    if issue.status == S.WITHDRAWN:
        return str(_("Withdrawn"))
    return str(_("Not closed"))


# --- lists -----------------------------------------------------------------------------------


class InspectionFilter(django_filters.FilterSet):
    campaign = django_filters.ModelChoiceFilter(
        queryset=Campaign.objects.none(), label=_("Campaign"), empty_label=_("All")
    )
    area = django_filters.ModelChoiceFilter(
        queryset=Area.objects.all(), label=_("Area"), empty_label=_("All"), field_name="areas"
    )
    date_from = django_filters.DateFilter(
        field_name="date", lookup_expr="gte", label=_("From"), widget=DATE_INPUT
    )
    date_to = django_filters.DateFilter(
        field_name="date", lookup_expr="lte", label=_("Until"), widget=DATE_INPUT
    )
    township = _drill_township()

    class Meta:
        model = Inspection
        fields = ["campaign", "area", "date_from", "date_to"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["campaign"].queryset = Campaign.objects.for_user(user)


def inspection_rows(user, data):
    filtered = InspectionFilter(data or None, queryset=Inspection.objects.for_user(user), user=user)
    rows = (
        filtered.qs.select_related("school", "township", "section", "group", "campaign")
        .prefetch_related("areas")
        .annotate(issue_count=Count("issues", distinct=True))
        .order_by("-date", "-pk")
    )
    return filtered, rows


class ComplaintFilter(django_filters.FilterSet):
    channel = django_filters.ChoiceFilter(
        choices=Complaint.Channel.choices, label=_("Channel"), empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        choices=Complaint.Status.choices, label=_("State"), empty_label=_("All")
    )
    received_from, received_to = _date_range("received_on")
    township = _drill_township()

    class Meta:
        model = Complaint
        fields = ["channel", "status", "received_from", "received_to"]


def complaint_rows(user, data):
    filtered = ComplaintFilter(data or None, queryset=Complaint.objects.for_user(user))
    rows = (
        filtered.qs.select_related("school", "township", "section")
        .prefetch_related("handlers")
        .annotate(issue_count=Count("issues", distinct=True))
        .order_by("-received_on", "-pk")
    )
    return filtered, rows


# --- the campaign summary --------------------------------------------------------------------


def about(number: int) -> int:
    """The figure a report writes as “XX余次”: rounded down to tens from 20 up."""
    return number - number % 10 if number >= 20 else number


def campaign_summary(
    user, *, date_from: datetime.date, date_to: datetime.date, campaign=None, township=None
) -> dict:
    """Inspections made (纵向监督检查XX余次), issues found, rectified and closed, complaints
    received and concluded in the period, by area."""
    inspections = Inspection.objects.for_user(user).filter(date__range=(date_from, date_to))
    issues = (
        Issue.objects.for_user(user)
        .filter(found_on__range=(date_from, date_to))
        .exclude(status=S.WITHDRAWN)
    )
    complaints = Complaint.objects.for_user(user).filter(received_on__range=(date_from, date_to))
    if campaign is not None:
        inspections = inspections.filter(campaign=campaign)
        issues = issues.filter(campaign=campaign)
        complaints = complaints.filter(campaign=campaign)
    if township is not None:  # the units that lie in the township (itself and its schools)
        inspections = inspections.filter(unit_township=township)
        issues = issues.filter(unit_township=township)
        complaints = complaints.filter(unit_township=township)
    inspection_count = inspections.count()
    figures = ledger_figures(issues, day=min(date_to, timezone.localdate()))
    complaint_counts = complaints.aggregate(
        received=Count("pk"),
        concluded=Count("pk", filter=Q(status=Complaint.Status.CONCLUDED)),
        anonymous=Count("pk", filter=Q(is_anonymous=True)),
    )
    units_inspected = (
        inspections.order_by()
        .values("unit_kind", "school_id", "township_id", "section_id")
        .distinct()
        .count()
    )
    groups = inspections.aggregate(groups=Count("group", distinct=True))["groups"]
    return {
        "groups": groups,
        "inspections": inspection_count,
        "inspections_about": about(inspection_count),
        # “130余” when the figure was rounded down, the exact number otherwise.
        "inspections_text": (
            gettext("%(number)s+") % {"number": about(inspection_count)}
            if about(inspection_count) < inspection_count
            else str(inspection_count)
        ),
        "units_inspected": units_inspected,
        "issues": figures.total,
        "by_area": figures.by_area,
        "complaints": complaint_counts,
    }


def styled(form):
    """Bootstrap classes on a filter form's widgets (small, for the filter bars)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs["class"] = "form-check-input"
        elif isinstance(widget, forms.Select):
            widget.attrs["class"] = "form-select form-select-sm"
        else:
            widget.attrs["class"] = "form-control form-control-sm"
    return form
