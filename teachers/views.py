"""Pages of the teacher workforce. Reads go through for_user() (out of scope → 404); writes need
a managing role in a covering scope (403) and call the services (a refusal → a form message)."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.export_jobs import request_export
from enrollment.models import County, School, Township
from enrollment.permissions import get_scoped_or_404, has_any_role, user_county, user_may

from . import forms, selectors
from .filters import ExchangeFilter, TeacherFilter
from .models import (
    AllowanceBatch,
    AllowancePayment,
    AllowanceTier,
    Exchange,
    SchoolRemoteness,
    Teacher,
    TrainingAttendance,
    TrainingEvent,
)
from .roles import MANAGE_TEACHERS_ROLES, TEACHER_FULL_IDENTITY_ROLES
from .services import allowances, exchanges, teachers, trainings

M = MANAGE_TEACHERS_ROLES


def _may_manage(user) -> bool:
    return has_any_role(user, M)


def _require_manager(user):
    if not _may_manage(user):
        raise PermissionDenied


def _managed_county(user) -> County:
    county = user_county(user, roles=M)
    if county is None:
        raise PermissionDenied
    return county


def _year(request) -> int:
    value = request.GET.get("year", "")
    if value.isdigit() and 1950 <= int(value) <= 2100:
        return int(value)
    return timezone.localdate().year


def _form_page(request, form, *, action, success, done, title, back=None):
    """GET shows the form; POST calls `action(cleaned_data)` and redirects to `done(result)`;
    a refusal becomes a message on the form, nothing changed."""
    if request.method == "POST" and form.is_valid():
        try:
            result = action(form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, success)
            return redirect(done(result))
    return render(request, "teachers/form_page.html", {"form": form, "title": title, "back": back})


def _export(request, exporter: str, title: str, params: dict):
    job = request_export(user=request.user, exporter=exporter, title=title, params=params)
    return redirect("core:export_detail", pk=job.pk)


def _query(request) -> dict:
    return {key: values for key, values in request.POST.lists() if key != "csrfmiddlewaretoken"}


# --- teachers ---------------------------------------------------------------------------------


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
            "export_query": [(k, v) for k, vs in request.GET.lists() if k != "page" for v in vs],
        },
    )


@login_required
@require_POST
def teacher_export(request):
    return _export(request, "teachers", _("Teachers"), {"query": _query(request)})


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
    page = Paginator(selectors.special_posts(request.user, queue=queue, year=year), 50).get_page(
        request.GET.get("page")
    )
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


# --- staffing ---------------------------------------------------------------------------------


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


# --- exchanges --------------------------------------------------------------------------------


@login_required
def exchange_list(request):
    exchange_filter = ExchangeFilter(
        request.GET or None, queryset=selectors.exchanges_for(request.user), user=request.user
    )
    page = Paginator(exchange_filter.qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "teachers/exchange_list.html",
        {
            "filter": exchange_filter,
            "page": page,
            "today": timezone.localdate(),
            "may_manage": _may_manage(request.user),
            "export_query": [(k, v) for k, vs in request.GET.lists() if k != "page" for v in vs],
        },
    )


@login_required
@require_POST
def exchange_export(request):
    return _export(request, "teacher_exchanges", _("Exchanges"), {"query": _query(request)})


@login_required
@require_http_methods(["GET", "POST"])
def exchange_new(request):
    _require_manager(request.user)
    initial = {}
    candidates = (
        Teacher.objects.for_user(request.user, roles=M)
        .filter(status=Teacher.Status.ACTIVE)
        .select_related("school")
    )
    # From a teacher's page (or posting for one teacher) the choice is that teacher only: a
    # county has thousands, too many for one drop-down on a phone.
    chosen = request.POST.get("teacher") or request.GET.get("teacher") or ""
    if chosen.isdigit():
        initial["teacher"] = int(chosen)
        candidates = candidates.filter(pk=int(chosen))
    form = forms.ExchangeForm(
        request.POST or None,
        initial=initial,
        teachers=candidates,
        schools=School.objects.for_user(request.user, roles=M),
    )
    return _form_page(
        request,
        form,
        action=lambda d: exchanges.create_exchange(actor=request.user, **d),
        success=_("Exchange recorded."),
        done=lambda exchange: reverse("teachers:exchange_list"),
        title=_("Record an exchange"),
        back=reverse("teachers:exchange_list"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def exchange_end(request, pk: int):
    exchange = get_scoped_or_404(
        Exchange.objects.select_related("teacher", "to_school"), request.user, pk=pk
    )
    if not user_may(request.user, Exchange.objects, M, exchange):
        raise PermissionDenied
    form = forms.EndExchangeForm(request.POST or None)
    return _form_page(
        request,
        form,
        action=lambda d: exchanges.end_exchange_early(actor=request.user, exchange=exchange, **d),
        success=_("Early return recorded."),
        done=lambda e: reverse("teachers:exchange_list"),
        title=_("End the exchange early") + f" · {exchange.teacher.name}",
        back=reverse("teachers:exchange_list"),
    )


@login_required
def rotation(request):
    year = _year(request)
    return render(
        request,
        "teachers/rotation.html",
        {
            "year": year,
            "shares": selectors.rotation_shares(request.user, year=year),
            "settings": settings,
        },
    )


# --- rural teacher allowance ------------------------------------------------------------------


@login_required
def allowance_list(request):
    user = request.user
    # Counts and sums of the payments the user may see (a township sees its own share).
    visible = (
        AllowancePayment.objects.for_user(user)
        .filter(batch=OuterRef("pk"))
        .order_by()
        .values("batch")
    )
    batches = (
        AllowanceBatch.objects.for_user(user)
        .annotate(
            n=Subquery(visible.annotate(c=Count("pk")).values("c")),
            amount=Subquery(visible.annotate(s=Sum("amount")).values("s")),
        )
        .order_by("-period", "-pk")
    )
    page = Paginator(batches, 50).get_page(request.GET.get("page"))
    payments = AllowancePayment.objects.for_user(user)
    return render(
        request,
        "teachers/allowance_list.html",
        {
            "page": page,
            "totals": selectors.totals_by_period(payments)[:24],
            "may_manage": _may_manage(user),
            "this_month": timezone.localdate().replace(day=1),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def batch_new(request):
    county = _managed_county(request.user)
    form = forms.BatchForm(
        request.POST or None,
        townships=Township.objects.filter(county=county),
        initial={"period": f"{timezone.localdate():%Y-%m}"},
    )
    return _form_page(
        request,
        form,
        action=lambda d: allowances.create_batch(actor=request.user, county=county, **d),
        success=_("Batch created."),
        done=lambda batch: reverse("teachers:batch_detail", args=[batch.pk]),
        title=_("New allowance batch"),
        back=reverse("teachers:allowance_list"),
    )


def _batch(request, pk) -> AllowanceBatch:
    return get_scoped_or_404(AllowanceBatch.objects.select_related("county"), request.user, pk=pk)


@login_required
def batch_detail(request, pk: int):
    batch = _batch(request, pk)
    payments = (
        AllowancePayment.objects.for_user(request.user)
        .filter(batch=batch)
        .select_related("teacher", "school__township")
        .order_by("school__township__code", "school__code", "teacher__name")
    )
    may_manage = user_may(request.user, AllowanceBatch.objects, M, batch)
    return render(
        request,
        "teachers/batch_detail.html",
        {
            "batch": batch,
            "page": Paginator(payments, 50).get_page(request.GET.get("page")),
            "sums": payments.aggregate(n=Count("pk"), amount=Sum("amount")),
            "may_manage": may_manage and batch.status == AllowanceBatch.Status.DRAFT,
            "paid_form": forms.PaidForm(),
        },
    )


def _managed_batch(request, pk) -> AllowanceBatch:
    batch = _batch(request, pk)
    if not user_may(request.user, AllowanceBatch.objects, M, batch):
        raise PermissionDenied
    return batch


@login_required
@require_POST
def batch_paid(request, pk: int):
    batch = _managed_batch(request, pk)
    form = forms.PaidForm(request.POST)
    if form.is_valid():
        try:
            allowances.mark_batch_paid(actor=request.user, batch=batch, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Batch marked as paid."))
    else:
        messages.error(request, _("Give the payment date."))
    return redirect("teachers:batch_detail", pk=batch.pk)


@login_required
@require_http_methods(["GET", "POST"])
def batch_add_payment(request, pk: int):
    batch = _managed_batch(request, pk)
    form = forms.PaymentForm(
        request.POST or None,
        teachers=Teacher.objects.for_user(request.user, roles=M).select_related("school"),
    )
    return _form_page(
        request,
        form,
        action=lambda d: allowances.add_payment(actor=request.user, batch=batch, **d),
        success=_("Payment added."),
        done=lambda p: reverse("teachers:batch_detail", args=[batch.pk]),
        title=_("Add a payment") + f" · {batch.title}",
        back=reverse("teachers:batch_detail", args=[batch.pk]),
    )


@login_required
@require_POST
def payment_remove(request, pk: int):
    payment = get_scoped_or_404(
        AllowancePayment.objects.select_related("batch__county"), request.user, pk=pk
    )
    if not user_may(request.user, AllowanceBatch.objects, M, payment.batch):
        raise PermissionDenied
    try:
        allowances.remove_payment(actor=request.user, payment=payment)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Payment removed."))
    return redirect("teachers:batch_detail", pk=payment.batch_id)


def _period(request) -> datetime.date:
    value = request.GET.get("period") or request.POST.get("period")
    if not value:
        return timezone.localdate().replace(day=1)
    try:
        return allowances.parse_period(value)
    except DomainError:
        raise Http404 from None


@login_required
def allowance_unpaid(request):
    period = _period(request)
    unpaid = selectors.unpaid_teachers(
        selectors.teachers_for(request.user).select_related("school__remoteness__tier"), period
    )
    return render(
        request,
        "teachers/allowance_unpaid.html",
        {
            "period": period,
            "page": Paginator(unpaid, 50).get_page(request.GET.get("page")),
        },
    )


@login_required
@require_POST
def allowance_unpaid_export(request):
    period = _period(request)
    return _export(
        request,
        "teacher_allowance_unpaid",
        _("Rural teachers not paid"),
        {"period": f"{period:%Y-%m}"},
    )


@login_required
@require_POST
def allowance_payments_export(request):
    return _export(request, "teacher_allowance_payments", _("Allowance payments"), {})


@login_required
@require_http_methods(["GET", "POST"])
def tiers(request):
    user = request.user
    county = County.objects.for_user(user).first()
    may_manage = _may_manage(user) and county is not None
    tier_form = forms.TierForm(request.POST if "save_tier" in request.POST else None)
    school_form = forms.SchoolTierForm(
        request.POST if "set_school" in request.POST else None,
        schools=School.objects.for_user(user, roles=M),
        tiers=AllowanceTier.objects.filter(county=county),
    )
    if request.method == "POST":
        county = _managed_county(user)
        try:
            if "save_tier" in request.POST and tier_form.is_valid():
                allowances.save_tier(actor=user, county=county, **tier_form.cleaned_data)
                messages.success(request, _("Tier saved."))
                return redirect("teachers:tiers")
            if "set_school" in request.POST and school_form.is_valid():
                allowances.set_school_tier(actor=user, **school_form.cleaned_data)
                messages.success(request, _("School tier saved."))
                return redirect("teachers:tiers")
        except DomainError as error:
            form = tier_form if "save_tier" in request.POST else school_form
            form.add_error(error.field if error.field in form.fields else None, error.message)
    return render(
        request,
        "teachers/tiers.html",
        {
            "tiers": AllowanceTier.objects.for_user(user).annotate(schools_count=Count("schools")),
            "schools": SchoolRemoteness.objects.for_user(user)
            .select_related("school__township", "tier")
            .order_by("tier__rank", "school__code"),
            "may_manage": may_manage,
            "tier_form": tier_form,
            "school_form": school_form,
        },
    )


# --- training ---------------------------------------------------------------------------------


def _date(value, default):
    try:
        return datetime.date.fromisoformat(value) if value else default
    except ValueError:
        return default


@login_required
def training_list(request):
    today = timezone.localdate()
    start = _date(request.GET.get("start"), today.replace(month=1, day=1))
    end = _date(request.GET.get("end"), today.replace(month=12, day=31))
    events = selectors.training_events_for(request.user).filter(start_date__range=(start, end))
    level = request.GET.get("level", "")
    if level in TrainingEvent.Level.values:
        events = events.filter(level=level)
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
        {"start": request.POST.get("start", ""), "end": request.POST.get("end", "")},
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
