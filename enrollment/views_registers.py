"""The households a newly imported poverty register no longer names, for staff to confirm."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError

from .permissions import has_any_role
from .registers import REGISTER_ROLES, confirm_left_register, left_register_entries


@login_required
def left_registers(request):
    page = Paginator(left_register_entries(request.user), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "enrollment/left_registers.html",
        {"page": page, "may_confirm": has_any_role(request.user, REGISTER_ROLES)},
    )


@login_required
@require_POST
def left_register_confirm(request, pk: int):
    try:
        entry = confirm_left_register(actor=request.user, entry_pk=pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, entry.household.head_name)
    return redirect("enrollment:left_registers")
