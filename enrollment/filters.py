"""The FilterSets of the ledger pages and the children API, and of the household visits and help
pairings (their API list and their Excel ledgers: the same filters, the same rows)."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.params import DateRangeFilterSet
from core.widgets import NamedModelChoiceFilter

from .extensions import child_score_keys, child_scores, filter_child_scores
from .help_models import HelpActivity
from .models import (
    Child,
    EnrollmentStatus,
    HelpPairing,
    HouseholdVisit,
    School,
    Township,
    Village,
)
from .permissions import has_any_role
from .roles import CASE_FLAG_ROLES
from .selectors import FOCUS_GROUPS, STAGE_JUNIOR, STAGE_PRIMARY, involved_in_case, stage_q

FOCUS_CHOICES = [
    ("registered_poor", _("Registered poor (建档立卡)")),
    ("left_behind", _("Left-behind")),
    ("disabled", _("Disabled")),
    ("orphan", _("Orphan or unsupported")),
    ("in_difficulty", _("In difficulty")),
    ("migrant", _("Migrant")),
]
# 涉案未成年人: offered (and accepted) only to users holding one of CASE_FLAG_ROLES, and then
# it finds only the children those roles cover.
INVOLVED_IN_CASE = "involved_in_case"
CASE_FOCUS_CHOICE = (INVOLVED_IN_CASE, _("Involved in a legal case"))


def name_or_resident_id(queryset, name, value):
    """The `q` search of a register of people (children, teachers): text that starts with six
    digits (a division code) matches the resident ID from its start, anything else the name."""
    value = value.strip()
    if not value:
        return queryset
    if value[:6].isdigit():
        return queryset.filter(resident_id__startswith=value.upper())
    return queryset.filter(name__contains=value)


class LedgerFilter(django_filters.FilterSet):
    """Filters on the `ledger_*` annotations so that today's and a past day's ledger filter alike.

    `village` and `school` choices are limited to the user's scope by the view.
    """

    village = NamedModelChoiceFilter(
        queryset=Village.objects.none(), label=_("Village"), empty_label=_("All")
    )
    school = NamedModelChoiceFilter(
        queryset=School.objects.none(),
        label=_("School"),
        empty_label=_("All"),
        field_name="ledger_school_id",
        method="filter_school",
    )
    stage = django_filters.ChoiceFilter(
        choices=[(STAGE_PRIMARY, _("Primary")), (STAGE_JUNIOR, _("Junior secondary"))],
        method="filter_stage",
        label=_("Stage"),
        empty_label=_("All"),
    )
    status = django_filters.ChoiceFilter(
        choices=EnrollmentStatus.choices,
        field_name="ledger_status",
        label=_("Status"),
        empty_label=_("All"),
    )
    focus = django_filters.ChoiceFilter(
        choices=[*FOCUS_CHOICES, CASE_FOCUS_CHOICE],
        method="filter_focus",
        label=_("Focus group"),
        empty_label=_("All"),
    )
    q = django_filters.CharFilter(method=name_or_resident_id, label=_("Name or ID"))

    class Meta:
        model = Child
        fields = ["village", "school", "stage", "status", "focus", "q"]

    def __init__(self, *args, user=None, day=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.day = day or timezone.localdate()
        self.user = user
        if user is not None:
            self.filters["village"].queryset = Village.objects.for_user(user)
            self.filters["school"].queryset = School.objects.for_user(user)
        # The modules' per-child scores (extensions.CHILD_SCORES: the dropout risk), each a
        # filter by level; added before the form is built.
        for score in child_scores():
            self.filters[score.key] = django_filters.ChoiceFilter(
                choices=[(value, label) for value, label, _low in score.levels],
                method=self.score_filter(score),
                label=score.label,
                empty_label=_("All"),
            )
        selects = ("village", "school", "stage", "status", "focus", *child_score_keys())
        # The form is built on first access: only after the querysets are limited.
        for name, field in self.form.fields.items():
            css = "form-select" if name in selects else "form-control"
            field.widget.attrs["class"] = f"{css} {css}-sm"
        if user is None or not has_any_role(user, CASE_FLAG_ROLES):
            # On this form only: a filter's field is built once and may be shared by copies.
            self.form.fields["focus"].choices = FOCUS_CHOICES

    @staticmethod
    def score_filter(score):
        def apply(queryset, name, value):
            return filter_child_scores(queryset, {score.key: value})

        return apply

    def filter_school(self, queryset, name, value):
        return queryset.filter(ledger_school_id=value.pk) if value else queryset

    def filter_stage(self, queryset, name, value):
        return queryset.filter(stage_q(value, self.day)) if value else queryset

    def filter_focus(self, queryset, name, value):
        if value == INVOLVED_IN_CASE:
            return involved_in_case(queryset, self.user)
        return queryset.filter(FOCUS_GROUPS[value]) if value else queryset


class VisitFilter(DateRangeFilterSet):
    """Visits made in the range, by household, child and outcome."""

    date_field = "visit_date"

    class Meta:
        model = HouseholdVisit
        fields = ["household", "children", "outcome", "date_from", "date_to"]


class PairingFilter(DateRangeFilterSet):
    """Pairings that began in the range."""

    date_field = "start_date"

    class Meta:
        model = HelpPairing
        fields = ["partner_kind", "date_from", "date_to"]


class HelpActivityFilter(DateRangeFilterSet):
    """帮扶活动 done in the range, by township and kind; the township choices are the user's."""

    date_field = "date"

    township = NamedModelChoiceFilter(
        queryset=Township.objects.none(),
        field_name="village__township",
        label=_("Township"),
        empty_label=_("All"),
    )
    kind = django_filters.ChoiceFilter(
        choices=HelpActivity.Kind.choices, label=_("Kind"), empty_label=_("All")
    )

    class Meta:
        model = HelpActivity
        fields = ["date_from", "date_to", "township", "kind"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.filters["township"].queryset = Township.objects.for_user(user)
        for name, field in self.form.fields.items():
            css = "form-select" if name in ("township", "kind") else "form-control"
            field.widget.attrs["class"] = f"{css} {css}-sm"
            if name.startswith("date"):
                field.widget.input_type = "date"
                field.widget.format = "%Y-%m-%d"
