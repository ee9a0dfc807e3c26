"""Pagination of lists that can hold hundreds of thousands of rows (a county's payments, its
children), where an exact COUNT(*) would read every row of the county on every page view."""

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts at most `cap` rows: exact (with its last page) for any list up to the cap, which
    covers the filtered views a user works with, and "more than `cap`" beyond it, at a cost that
    no longer grows with the table. Pages beyond the cap are not offered: an OFFSET that deep
    reads as many rows as the count would have; a filter narrows the list instead.

    `count_queryset` counts a queryset the list is built from when `object_list` is a wrapper
    (django-tables2 rows)."""

    def __init__(self, object_list, per_page, *args, cap=None, count_queryset=None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        cap = COUNT_CAP if cap is None else cap
        # Whole pages, so that the last page offered is a full one.
        self.cap = max(int(per_page), cap - cap % int(per_page))
        self.count_queryset = count_queryset
        self.is_capped = False

    @cached_property
    def count(self) -> int:
        rows = self.count_queryset if self.count_queryset is not None else self.object_list
        if not isinstance(rows, QuerySet):
            return super().count
        # COUNT(*) over a subquery with LIMIT: it stops after cap + 1 rows.
        found = rows.order_by()[: self.cap + 1].count()
        self.is_capped = found > self.cap
        return min(found, self.cap)


class CappedPageNumberPagination(PageNumberPagination):
    """The API's page-number pagination over a `CappedPaginator`: `count` is exact up to the cap
    and the cap beyond it, and `count_is_capped` says which, so a client never takes the cap for
    the size of the list. `next` leads up to the last whole page under the cap; beyond it a
    filter narrows the list, as on the pages."""

    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        return Response(
            {
                "count": paginator.count,
                "count_is_capped": paginator.is_capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        properties = response["properties"]
        properties["count"] = {
            **properties["count"],
            "description": _(
                "Number of results, counted up to a cap; when count_is_capped is true there "
                "are more than this."
            ),
        }
        response["properties"] = {
            "count": properties.pop("count"),
            "count_is_capped": {
                "type": "boolean",
                "example": False,
                "description": _(
                    "True when the list holds more results than count; pages beyond it are not "
                    "offered, narrow the list with a filter instead."
                ),
            },
            **properties,
        }
        response["required"] = [*response["required"], "count_is_capped"]
        return response


def query_without_page(request, drop=()) -> str:
    """The page's query string without the page number (and the parameters in `drop`): what the
    pager's and the tabs' links append, so that they keep the filters and start at page 1."""
    query = request.GET.copy()
    for name in ("page", *drop):
        query.pop(name, None)
    return query.urlencode()
