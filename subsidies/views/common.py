"""What the subsidies pages share: the county of the user, paging, the form page."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from core.errors import int_or_404, show_on_form
from enrollment.models import Child, County
from enrollment.permissions import user_county

PER_PAGE = 50


def _county_or_404(user) -> County:
    county = user_county(user)
    if county is None:
        raise Http404
    return county


def _page(request, queryset):
    return Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))


def _form_page(request, form, title, back=None, **extra):
    return render(
        request, "core/form_page.html", {"form": form, "title": title, "back": back, **extra}
    )


_error = show_on_form


def _child_by_id(user, resident_id: str):
    return (
        Child.objects.for_user(user).filter(resident_id=(resident_id or "").strip().upper()).first()
    )


_int = int_or_404
