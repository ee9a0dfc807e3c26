"""Numbers read from a query string, parsed once: a value out of range is a 400 with a message
(a page's 400 shows it, the API answers it on the parameter), never a 500 from deep inside a
lookup. `?year=0` used to reach `date__year`, which builds date(0, 1, 1) and crashes;
`?year=5270294308289453239816` overflowed a C long."""

import django_filters
from django import forms
from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import DomainError

# The registers begin long after 1900, and nothing is planned past 2100; both bounds keep
# every year inside what datetime.date and the databases' year extraction accept.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2100
# A primary key or a count in a query string: PostgreSQL's bigint.
LARGEST_ID = 2**63 - 1


class BadParameter(DomainError, BadRequest):
    """A query-string value that cannot be used. A DomainError, so the API's exception handler
    answers 400 on the parameter; a BadRequest, so a page answers 400 (core.views.bad_request
    shows the message)."""


def query_int(params, name: str, *, minimum: int, maximum: int, default=None) -> int | None:
    """The integer `params[name]` (a QueryDict or dict); absent or empty → `default`."""
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    # Digits only: int() also takes "1_000", "٣" and whitespace, and a long string of digits
    # is refused before it is converted (int() of 100,000 digits is slow).
    body = raw[1:] if raw[:1] == "-" else raw
    if not body.isascii() or not body.isdigit() or len(body) > len(str(LARGEST_ID)):
        raise BadParameter(_("Enter a whole number."), field=name)
    value = int(raw)
    if not minimum <= value <= maximum:
        raise BadParameter(
            _("Enter a number from %(minimum)s to %(maximum)s.")
            % {"minimum": minimum, "maximum": maximum},
            field=name,
        )
    return value


def query_year(params, name: str = "year", *, default=None) -> int | None:
    return query_int(params, name, minimum=EARLIEST_YEAR, maximum=LATEST_YEAR, default=default)


class YearFilter(django_filters.NumberFilter):
    """A calendar or school year in a FilterSet: a whole number in the plausible range (an
    invalid one is a form error: the API answers 400, a page shows it on the filter)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", EARLIEST_YEAR)
        kwargs.setdefault("max_value", LATEST_YEAR)
        super().__init__(*args, **kwargs)


class IdFilter(django_filters.NumberFilter):
    """A primary key in a FilterSet: a whole number that fits the database's integer."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", LARGEST_ID)
        kwargs.setdefault("error_messages", {"invalid": gettext_lazy("Enter a whole number.")})
        super().__init__(*args, **kwargs)


def _plausible_year(value) -> None:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise forms.ValidationError(
            _("Enter a date from %(earliest)s to %(latest)s.")
            % {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR}
        )


class DateBoundFilter(django_filters.DateFilter):
    """One end of a date range in a FilterSet: YYYY-MM-DD in the plausible years; anything
    else is a form error (the API answers 400 on the parameter, a page shows it)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        kwargs.setdefault(
            "error_messages", {"invalid": gettext_lazy("Enter a date as YYYY-MM-DD.")}
        )
        kwargs.setdefault("validators", [_plausible_year])
        super().__init__(*args, **kwargs)


class DateRangeFilterSet(django_filters.FilterSet):
    """`date_from` and `date_to` (both inclusive) on the field `date_field` names — a date, or
    a date-time read as its local date with `__date`; a start after the end is an error on
    `date_to`, so that a bad range filters nothing and queues nothing."""

    date_field = ""

    date_from = DateBoundFilter(method="filter_date_from", label=gettext_lazy("From"))
    date_to = DateBoundFilter(method="filter_date_to", label=gettext_lazy("To"))

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(**{f"{self.date_field}__gte": value}) if value else queryset

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(**{f"{self.date_field}__lte": value}) if value else queryset

    def get_form_class(self):
        return type("DateRangeForm", (_DateRangeFormMixin, super().get_form_class()), {})


class _DateRangeFormMixin:
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned
