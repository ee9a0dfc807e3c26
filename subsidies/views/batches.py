"""Payment batches and their lines: the batch page's buttons come from the transition table."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from enrollment.models import School
from enrollment.permissions import get_scoped_or_404, has_any_role

from .. import forms, selectors
from ..filters import BatchFilter
from ..models import Batch, Payment
from ..roles import BATCH_ROLES
from ..services import batches as batch_services
from ..transitions import BATCH_TRANSITIONS
from .common import _child_by_id, _county_or_404, _error, _form_page, _page


@login_required
def batch_list(request):
    batches = BatchFilter(request.GET, queryset=selectors.batch_list(request.user), request=request)
    return render(
        request,
        "subsidies/batch_list.html",
        {
            "filter": batches,
            "page": _page(request, batches.qs),
            "may_create": has_any_role(request.user, BATCH_ROLES),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def batch_new(request):
    if not has_any_role(request.user, BATCH_ROLES):
        raise PermissionDenied
    schools = School.objects.for_user(request.user, roles=BATCH_ROLES).order_by("code")
    form = forms.BatchForm(request.POST or None, schools=schools)
    if request.method == "POST" and form.is_valid():
        try:
            batch = batch_services.create_batch(
                actor=request.user, county=_county_or_404(request.user), **form.cleaned_data
            )
        except DomainError as error:
            _error(form, error)
        else:
            messages.success(request, _("Batch created. Build its list from eligibility."))
            return redirect("subsidies:batch_detail", pk=batch.pk)
    return _form_page(request, form, _("New payment batch"), back=reverse("subsidies:batch_list"))


def _batch(request, pk) -> Batch:
    return get_scoped_or_404(
        Batch.objects.select_related("programme", "school__township", "county"),
        request.user,
        pk=pk,
    )


@login_required
def batch_detail(request, pk: int):
    batch = _batch(request, pk)
    user = request.user
    lines = (
        batch.payments.select_related("child", "corrects")
        .annotate(correction_count=Count("corrections"))
        .order_by("child__name", "pk")
    )
    summary = batch.payments.aggregate(total=Sum("amount"), count=Count("pk"))
    steps = BATCH_TRANSITIONS.answers(batch, user)
    return render(
        request,
        "subsidies/batch_detail.html",
        {
            "batch": batch,
            "page": _page(request, lines),
            "summary": summary,
            "steps": steps,
            "line_form": forms.LineForm(),
            "paid_form": forms.PaidOnForm(initial={"paid_on": timezone.localdate()}),
        },
    )


# The buttons of the batch page: (the table's step, the service it calls).
BATCH_ACTIONS = {
    "build": (
        "prepare",
        lambda user, batch, data: batch_services.build_from_eligibility(actor=user, batch=batch),
    ),
    "review": (
        "review",
        lambda user, batch, data: batch_services.review_batch(actor=user, batch=batch),
    ),
    "return": (
        "return",
        lambda user, batch, data: batch_services.return_batch(actor=user, batch=batch),
    ),
    "approve": (
        "approve",
        lambda user, batch, data: batch_services.approve_batch(actor=user, batch=batch),
    ),
}


@login_required
@require_POST
def batch_action(request, pk: int, action: str):
    batch = _batch(request, pk)
    if action == "mark-paid":
        step = "pay"
    elif action in BATCH_ACTIONS:
        step = BATCH_ACTIONS[action][0]
    else:
        raise Http404
    # Scope (404, above), then the step's role (403); the state is the service's answer.
    if BATCH_TRANSITIONS.can(batch, step, request.user).refused_for_role:
        raise PermissionDenied
    try:
        if action == "mark-paid":
            form = forms.PaidOnForm(request.POST)
            if not form.is_valid():
                raise DomainError(_("Enter the payment date."))
            batch_services.mark_paid(
                actor=request.user, batch=batch, paid_on=form.cleaned_data["paid_on"]
            )
            messages.success(request, _("Marked paid; the batch is locked."))
        else:
            result = BATCH_ACTIONS[action][1](request.user, batch, request.POST)
            if action == "build":
                if result.errors:
                    for error in result.errors[:10]:
                        messages.error(request, f"{error['value']}: {error['message']}")
                else:
                    messages.success(
                        request,
                        _("%(count)d eligible children listed.") % {"count": result.created},
                    )
            else:
                messages.success(request, _("Done."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("subsidies:batch_detail", pk=batch.pk)


@login_required
@require_POST
def batch_add_line(request, pk: int):
    batch = _batch(request, pk)
    if BATCH_TRANSITIONS.can(batch, "prepare", request.user).refused_for_role:
        raise PermissionDenied
    form = forms.LineForm(request.POST)
    if form.is_valid():
        child = _child_by_id(request.user, form.cleaned_data["resident_id"])
        if child is None:
            messages.error(request, _("No child with this resident ID in your scope."))
        else:
            try:
                result = batch_services.add_payments(
                    actor=request.user,
                    batch=batch,
                    rows=[
                        {
                            "child": child.pk,
                            "amount": form.cleaned_data["amount"],
                            "reason": form.cleaned_data["reason"],
                        }
                    ],
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                for error in result.errors:
                    messages.error(request, error["message"])
                if result.created:
                    messages.success(request, _("Line added."))
    else:
        messages.error(request, _("Enter the child's resident ID."))
    return redirect("subsidies:batch_detail", pk=batch.pk)


def _payment(request, pk) -> Payment:
    return get_scoped_or_404(
        Payment.objects.select_related("batch__school__township", "child", "programme", "township"),
        request.user,
        pk=pk,
    )


@login_required
@require_POST
def payment_remove(request, pk: int):
    payment = _payment(request, pk)
    if BATCH_TRANSITIONS.can(payment.batch, "prepare", request.user).refused_for_role:
        raise PermissionDenied
    try:
        batch_services.remove_payment(actor=request.user, payment=payment)
        messages.success(request, _("Line removed."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("subsidies:batch_detail", pk=payment.batch_id)


@login_required
@require_http_methods(["GET", "POST"])
def payment_correct(request, pk: int, kind: str):
    payment = _payment(request, pk)
    if kind not in ("reverse", "supplement"):
        raise Http404
    if BATCH_TRANSITIONS.can(payment.batch, "correct", request.user).refused_for_role:
        raise PermissionDenied
    form_class = forms.ReasonForm if kind == "reverse" else forms.SupplementForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if kind == "reverse":
                line = batch_services.reverse_payment(
                    actor=request.user, payment=payment, reason=form.cleaned_data["reason"]
                )
            else:
                line = batch_services.supplement_payment(
                    actor=request.user, payment=payment, **form.cleaned_data
                )
        except DomainError as error:
            _error(form, error)
        else:
            messages.success(
                request, _("Correction recorded in batch %(batch)s.") % {"batch": line.batch}
            )
            return redirect("subsidies:batch_detail", pk=line.batch_id)
    title = _("Reverse a payment") if kind == "reverse" else _("Supplementary payment")
    return _form_page(
        request,
        form,
        f"{title} · {payment.child.name} · {payment.programme.name} {payment.period_label}",
        back=reverse("subsidies:batch_detail", args=[payment.batch_id]),
    )
