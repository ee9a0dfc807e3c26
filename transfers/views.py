"""Pages of transfers: the list (both sides), the detail with its steps, the forms of each step
and the transfer letter. Scope through for_user() (404), role through the transition table or
PROPOSE_ROLES (403), state in the service (409, shown on the form)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core import audit
from core.errors import run_on_form
from core.pagination import query_without_page
from enrollment.models import Child
from enrollment.permissions import user_may

from . import selectors, services
from .forms import (
    AcceptForm,
    ConfirmForm,
    MoveOutForm,
    ProposeForm,
    ReturnForm,
    TransferFilterForm,
)
from .models import Transfer
from .roles import PROPOSE_ROLES
from .transitions import TRANSFER_TRANSITIONS

STEP_FORMS = {"accept": AcceptForm, "return": ReturnForm, "confirm": ConfirmForm}
STEP_TITLES = {
    "accept": gettext_lazy("Accept the transfer"),
    "return": gettext_lazy("Return the transfer"),
    "confirm": gettext_lazy("Record the destination's confirmation"),
}


@login_required
def transfer_list(request):
    form = TransferFilterForm(request.GET or None)
    values = form.cleaned_data if form.is_valid() else {}
    rows = selectors.filtered(
        selectors.transfer_rows(request.user),
        status=values.get("status", ""),
        kind=values.get("kind", ""),
        direction=values.get("direction", ""),
        user=request.user,
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "transfers/transfer_list.html",
        {"form": form, "page": page, "query": query_without_page(request)},
    )


def _transfer(request, pk) -> Transfer:
    return get_object_or_404(
        Transfer.objects.for_user(request.user).select_related(
            *selectors.ROW_RELATIONS,
            "from_county",
            "to_county",
            "from_household",
            "to_household",
            "proposed_by",
            "decided_by",
        ),
        pk=pk,
    )


@login_required
def transfer_detail(request, pk):
    transfer = _transfer(request, pk)
    audit.record_view(transfer, request=request)
    answers = TRANSFER_TRANSITIONS.answers(transfer, request.user)
    steps = [
        {"action": action, "answer": answers[action], "title": STEP_TITLES[action]}
        for action in STEP_FORMS
        if not answers[action].refused_for_role
    ]
    return render(
        request,
        "transfers/transfer_detail.html",
        {"transfer": transfer, "steps": steps},
    )


@login_required
@require_http_methods(["GET", "POST"])
def transfer_step(request, pk, action):
    if action not in STEP_FORMS:
        raise Http404
    transfer = _transfer(request, pk)
    answer = TRANSFER_TRANSITIONS.can(transfer, action, request.user)
    if answer.refused_for_role:
        raise PermissionDenied
    extra = {"transfer": transfer, "user": request.user} if action == "accept" else {}
    form = STEP_FORMS[action](request.POST or None, **extra)
    if request.method == "POST" and form.is_valid():

        def act(data):
            if action == "accept":
                return services.accept_transfer(
                    actor=request.user, transfer=transfer, household=data["household"]
                )
            if action == "return":
                return services.return_transfer(
                    actor=request.user, transfer=transfer, reason=data["reason"]
                )
            return services.confirm_transfer(actor=request.user, transfer=transfer, **data)

        if run_on_form(request, form, act, _("Saved.")):
            return redirect("transfers:detail", pk=transfer.pk)
    elif request.method == "GET" and not answer:
        messages.warning(request, answer.reason)
    return render(
        request,
        "core/form_page.html",
        {
            "form": form,
            "title": f"{STEP_TITLES[action]}：{transfer.child.name}",
            "back": reverse("transfers:detail", args=[transfer.pk]),
        },
    )


def _child_to_move(request, pk) -> Child:
    child = get_object_or_404(
        Child.objects.for_user(request.user).select_related("village__township"), pk=pk
    )
    if not user_may(request.user, Child.objects, PROPOSE_ROLES, child):
        raise PermissionDenied
    return child


@login_required
@require_http_methods(["GET", "POST"])
def propose(request, child_pk):
    child = _child_to_move(request, child_pk)
    form = ProposeForm(request.POST or None, child=child)
    if request.method == "POST" and form.is_valid():
        transfer = run_on_form(
            request,
            form,
            lambda data: services.propose_transfer(actor=request.user, child=child, **data),
            _("The transfer was proposed; the receiving side decides."),
        )
        if transfer:
            return redirect("transfers:detail", pk=transfer.pk)
    return render(
        request,
        "core/form_page.html",
        {
            "form": form,
            "title": _("Transfer %(child)s to another township or county") % {"child": child},
            "back": reverse("enrollment:child_detail", args=[child.pk]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def move_out(request, child_pk):
    child = _child_to_move(request, child_pk)
    form = MoveOutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        transfer = run_on_form(
            request,
            form,
            lambda data: services.move_out(actor=request.user, child=child, **data),
            _("The child was marked moved out; print the transfer letter."),
        )
        if transfer:
            return redirect("transfers:detail", pk=transfer.pk)
    return render(
        request,
        "core/form_page.html",
        {
            "form": form,
            "title": _("Move %(child)s out of the county (转出)") % {"child": child},
            "back": reverse("enrollment:child_detail", args=[child.pk]),
        },
    )


@login_required
def transfer_letter(request, pk):
    from .letter import letter_pdf

    transfer = _transfer(request, pk)
    if not transfer.letter_number:
        raise Http404
    audit.record_view(transfer, request=request, shown="pdf")
    response = HttpResponse(letter_pdf(transfer), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="transfer-letter-{transfer.pk}.pdf"'
    return response
