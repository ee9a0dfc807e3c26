"""Training events, attendance and the hours per teacher."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.params import LARGEST_ID, query_int
from enrollment.models import Township
from enrollment.permissions import get_scoped_or_404, user_may

from .. import forms, selectors
from ..models import Teacher, TrainingAttendance, TrainingEvent
from ..services import trainings
from .common import M, _export, _form_page, _managed_county, _may_manage, _year


def _date(value, default):
    try:
        return datetime.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _township(request):
    """`?township=`: trainings that teachers of this township (in the user's scope) attended."""
    township_id = query_int(request.GET, "township", minimum=1, maximum=LARGEST_ID)
    if township_id is None:
        return None
    return get_scoped_or_404(Township.objects, request.user, pk=township_id)


@login_required
def training_list(request):
    today = timezone.localdate()
    start = _date(request.GET.get("start"), today.replace(month=1, day=1))
    end = _date(request.GET.get("end"), today.replace(month=12, day=31))
    level, kind = request.GET.get("level", ""), request.GET.get("kind", "")
    programme = request.GET.get("programme", "").strip()[:100]
    township = _township(request)
    events = selectors.filtered_training_events(
        request.user,
        start=start,
        end=end,
        level=level,
        kind=kind,
        programme=programme,
        township=township,
    )
    return render(
        request,
        "teachers/training_list.html",
        {
            "page": Paginator(events, 50).get_page(request.GET.get("page")),
            "totals": selectors.training_totals(request.user, start=start, end=end),
            "start": start,
            "end": end,
            "level": level,
            "levels": TrainingEvent.Level.choices,
            "kind": kind,
            "kinds": TrainingEvent.Kind.choices,
            "programme": programme,
            "township": township,
            "may_manage": _may_manage(request.user),
        },
    )


@login_required
@require_POST
def training_export(request):
    return _export(
        request,
        "teacher_trainings",
        _("Training"),
        {
            name: request.POST.get(name, "")
            for name in ("start", "end", "level", "kind", "programme", "township")
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def training_new(request):
    county = _managed_county(request.user)
    form = forms.TrainingForm(request.POST or None)
    return _form_page(
        request,
        form,
        action=lambda d: trainings.create_training(actor=request.user, county=county, **d),
        success=_("Training recorded."),
        done=lambda event: reverse("teachers:training_detail", args=[event.pk]),
        title=_("Record a training"),
        back=reverse("teachers:training_list"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def training_detail(request, pk: int):
    event = get_scoped_or_404(TrainingEvent.objects.select_related("county"), request.user, pk=pk)
    may_manage = user_may(request.user, TrainingEvent.objects, M, event)
    form = forms.AttendanceForm(
        request.POST or None,
        teachers=Teacher.objects.for_user(request.user, roles=M)
        .filter(status=Teacher.Status.ACTIVE)
        .select_related("school"),
    )
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                trainings.record_attendance(
                    actor=request.user,
                    event=event,
                    teachers=trainings.teachers_for_attendance(
                        [t.pk for t in form.cleaned_data["teachers"]]
                    ),
                    hours=form.cleaned_data["hours"],
                )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, _("Attendance recorded."))
                return redirect("teachers:training_detail", pk=event.pk)
    attendances = (
        TrainingAttendance.objects.for_user(request.user)
        .filter(event=event)
        .select_related("teacher__school")
        .order_by("teacher__school__code", "teacher__name")
    )
    return render(
        request,
        "teachers/training_detail.html",
        {
            "event": event,
            "page": Paginator(attendances, 50).get_page(request.GET.get("page")),
            "may_manage": may_manage,
            "form": form if may_manage else None,
        },
    )


@login_required
def training_hours(request):
    year = _year(request)
    teachers_with_hours = selectors.hours_per_teacher(request.user, year=year)
    return render(
        request,
        "teachers/training_hours.html",
        {
            "year": year,
            "page": Paginator(teachers_with_hours, 50).get_page(request.GET.get("page")),
        },
    )
