"""What the teacher pages share: the managing role, the form page, exports."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone

from core.errors import run_on_form
from core.export_jobs import export_redirect
from core.params import query_year
from enrollment.models import County
from enrollment.permissions import has_any_role, managed_county

from ..roles import MANAGE_TEACHERS_ROLES

M = MANAGE_TEACHERS_ROLES


def _may_manage(user) -> bool:
    return has_any_role(user, M)


def _require_manager(user):
    if not _may_manage(user):
        raise PermissionDenied


def _managed_county(user) -> County:
    return managed_county(user, roles=M)


def _year(request) -> int:
    """The page's `?year=`, this year without one; a year that is no year is a 400 (core.params)."""
    return query_year(request.GET, default=timezone.localdate().year)


def _form_page(request, form, *, action, success, done, title, back=None):
    """GET shows the form; POST calls `action(cleaned_data)` and redirects to `done(result)`;
    a refusal becomes a message on the form, nothing changed."""
    if request.method == "POST" and form.is_valid():
        result = run_on_form(request, form, action, success)
        if result is not None:
            return redirect(done(result))
    return render(request, "teachers/form_page.html", {"form": form, "title": title, "back": back})


def _export(request, exporter: str, title: str, params: dict):
    return export_redirect(request, exporter=exporter, title=title, params=params)
