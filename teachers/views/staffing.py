"""Staffing against the ratios, and recruitment."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrollment.models import Township
from enrollment.permissions import get_scoped_or_404

from .. import selectors
from .common import _export, _year


def _township_param(request):
    value = request.GET.get("township") or request.POST.get("township")
    if not value:
        return None
    if not str(value).isdigit():
        raise Http404
    return get_scoped_or_404(Township.objects, request.user, pk=int(value))


@login_required
def staffing(request):
    township = _township_param(request)
    table = selectors.county_staffing(request.user, township=township)
    return render(
        request,
        "teachers/staffing.html",
        {
            "table": table,
            "township": township,
            "townships": Township.objects.for_user(request.user),
            "stages": selectors.STAGES,
            "ratios": settings.TEACHER_STUDENT_RATIOS,
        },
    )


@login_required
@require_POST
def staffing_export(request):
    township = _township_param(request)
    return _export(
        request,
        "teacher_staffing",
        _("Staffing and vacancies"),
        {"township": township.pk if township else None},
    )


# --- recruitment ------------------------------------------------------------------------------


@login_required
def recruitment(request):
    year = _year(request)
    summary = selectors.recruitment_summary(request.user, year=year)
    return render(
        request,
        "teachers/recruitment.html",
        {"summary": summary, "year": year, "years": range(year - 5, year + 1)},
    )
