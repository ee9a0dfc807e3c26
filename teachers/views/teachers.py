"""The teacher records: list, detail, edits, transfers, leaving, special-post teachers."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.export_jobs import export_fields, posted_query
from core.params import LARGEST_ID, query_int
from enrollment.models import School
from enrollment.permissions import get_scoped_or_404, user_may

from .. import forms, selectors
from ..filters import TeacherFilter
from ..models import Teacher
from ..roles import TEACHER_FULL_IDENTITY_ROLES
from ..services import teachers
from .common import M, _export, _form_page, _may_manage, _require_manager, _year


@login_required
def teacher_list(request):
    teacher_filter = TeacherFilter(
        request.GET or None, queryset=selectors.teachers_for(request.user), user=request.user
    )
    page = Paginator(teacher_filter.qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "teachers/teacher_list.html",
        {
            "filter": teacher_filter,
            "page": page,
            "may_manage": _may_manage(request.user),
            "export_query": export_fields(request.GET),
        },
    )


@login_required
@require_POST
def teacher_export(request):
    return _export(request, "teachers", _("Teachers"), {"query": posted_query(request)})


def _teacher(request, pk) -> Teacher:
    return get_scoped_or_404(
        Teacher.objects.select_related("school__township"), request.user, pk=pk
    )


def _managed_teacher(request, pk) -> Teacher:
    teacher = _teacher(request, pk)
    if not user_may(request.user, Teacher.objects, M, teacher):
        raise PermissionDenied
    return teacher


@login_required
def teacher_detail(request, pk: int):
    teacher = _teacher(request, pk)
    user = request.user
    today = timezone.localdate()
    current = Teacher.objects.current_on(today).filter(pk=teacher.pk).values("current_school_id")
    current_school_id = current[0]["current_school_id"] if current else teacher.school_id
    return render(
        request,
        "teachers/teacher_detail.html",
        {
            "teacher": teacher,
            "full_identity": user_may(user, Teacher.objects, TEACHER_FULL_IDENTITY_ROLES, teacher),
            "may_manage": user_may(user, Teacher.objects, M, teacher),
            "current_school": (
                School.objects.filter(pk=current_school_id).first()
                if current_school_id != teacher.school_id
                else None
            ),
            "subjects": teacher.subjects.all(),
            "employments": teacher.employments.select_related("school"),
            "exchanges": teacher.exchanges.select_related("to_school", "from_school"),
            "trainings": teacher.trainings.select_related("event").order_by("-event__start_date"),
            "allowances": teacher.allowances.select_related("batch").order_by("-period")[:24],
            "history": teacher.history.select_related("history_user")[:20],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def teacher_new(request):
    _require_manager(request.user)
    form = forms.TeacherForm(
        request.POST or None, schools=School.objects.for_user(request.user, roles=M)
    )
    return _form_page(
        request,
        form,
        action=lambda d: teachers.register_teacher(actor=request.user, **d),
        success=_("Teacher registered."),
        done=lambda teacher: reverse("teachers:teacher_detail", args=[teacher.pk]),
        title=_("Register a teacher"),
        back=reverse("teachers:teacher_list"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def teacher_edit(request, pk: int):
    teacher = _managed_teacher(request, pk)
    initial = {name: getattr(teacher, name) for name in teachers.EDITABLE_FIELDS}
    initial["subjects"] = list(teacher.subjects.all())
    initial["version"] = teacher.version
    form = forms.TeacherForm(request.POST or None, initial=initial, editing=True)

    def action(data):
        changes = {
            k: v
            for k, v in data.items()
            if k not in ("subjects", "version") and v != initial.get(k)
        }
        return teachers.update_teacher(
            actor=request.user,
            teacher=teacher,
            subjects=data["subjects"],
            version=data["version"],
            **changes,
        )

    return _form_page(
        request,
        form,
        action=action,
        success=_("Teacher saved."),
        done=lambda t: reverse("teachers:teacher_detail", args=[t.pk]),
        title=_("Edit %(name)s") % {"name": teacher.name},
        back=reverse("teachers:teacher_detail", args=[teacher.pk]),
    )


def _teacher_action(request, pk, *, form_class, service, success, title, form_kwargs=None):
    teacher = _managed_teacher(request, pk)
    form = form_class(request.POST or None, **(form_kwargs or {}))
    return _form_page(
        request,
        form,
        action=lambda d: service(actor=request.user, teacher=teacher, **d),
        success=success,
        done=lambda t: reverse("teachers:teacher_detail", args=[teacher.pk]),
        title=f"{title} · {teacher.name}",
        back=reverse("teachers:teacher_detail", args=[teacher.pk]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def teacher_transfer(request, pk: int):
    return _teacher_action(
        request,
        pk,
        form_class=forms.TransferForm,
        form_kwargs={"schools": School.objects.for_user(request.user, roles=M)},
        service=teachers.transfer_teacher,
        success=_("Transfer recorded."),
        title=_("Transfer to another school"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def teacher_convert(request, pk: int):
    return _teacher_action(
        request,
        pk,
        form_class=forms.ConversionForm,
        service=teachers.convert_special_post,
        success=_("Conversion to a regular post recorded."),
        title=_("Convert to a regular post"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def teacher_leave(request, pk: int):
    return _teacher_action(
        request,
        pk,
        form_class=forms.LeavingForm,
        service=teachers.record_leaving,
        success=_("Leaving recorded."),
        title=_("Record leaving"),
    )


# --- special-post teachers --------------------------------------------------------------------


@login_required
def special_posts(request):
    queue = request.GET.get("queue", "due")
    if queue not in selectors.SPECIAL_POST_QUEUES:
        raise Http404
    year = _year(request)
    listed = selectors.special_posts(request.user, queue=queue, year=year)
    township = query_int(request.GET, "township", minimum=1, maximum=LARGEST_ID)
    if township is not None:  # the annual summary's drill-down of one township
        listed = listed.filter(school__township_id=township)
    page = Paginator(listed, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "teachers/special_posts.html",
        {
            "page": page,
            "queue": queue,
            "year": year,
            "may_manage": _may_manage(request.user),
            "default_years": settings.SPECIAL_POST_SERVICE_YEARS,
        },
    )
