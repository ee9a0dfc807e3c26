"""The rural teacher allowance: tiers, batches, payments, the unpaid list."""

import datetime

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
from core.params import LARGEST_ID, query_int, query_year
from enrollment.models import County, School, Township
from enrollment.permissions import get_scoped_or_404, user_may

from .. import forms, selectors
from ..models import AllowanceBatch, AllowancePayment, AllowanceTier, SchoolRemoteness, Teacher
from ..services import allowances
from .common import M, _export, _form_page, _managed_county, _may_manage


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
    payments = AllowancePayment.objects.for_user(user)
    # The annual summary's drill-down: ?year= (the months paid for) and ?township=.
    year = query_year(request.GET)
    township = query_int(request.GET, "township", minimum=1, maximum=LARGEST_ID)
    if township is not None:
        visible = visible.filter(school__township_id=township)
        payments = payments.filter(school__township_id=township)
    batches = AllowanceBatch.objects.for_user(user)
    if year is not None:
        batches = batches.filter(period__year=year)
        payments = payments.filter(period__year=year)
    if township is not None:
        batches = batches.filter(pk__in=payments.values("batch_id"))
    batches = batches.annotate(
        n=Subquery(visible.annotate(c=Count("pk")).values("c")),
        amount=Subquery(visible.annotate(s=Sum("amount")).values("s")),
    ).order_by("-period", "-pk")
    page = Paginator(batches, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "teachers/allowance_list.html",
        {
            "page": page,
            "totals": selectors.totals_by_period(payments)[:24],
            "may_manage": _may_manage(user),
            "this_month": timezone.localdate().replace(day=1),
            "paid_in_year": selectors.paid_summary(payments) if year is not None else None,
            "year": year,
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
