"""Teacher exchanges (交流轮岗) and the rotation list."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.export_jobs import export_fields, posted_query
from enrollment.models import School
from enrollment.permissions import get_scoped_or_404, user_may

from .. import forms, selectors
from ..filters import ExchangeFilter
from ..models import Exchange, Teacher
from ..services import exchanges
from .common import M, _export, _form_page, _may_manage, _require_manager, _year


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
            "export_query": export_fields(request.GET),
        },
    )


@login_required
@require_POST
def exchange_export(request):
    return _export(request, "teacher_exchanges", _("Exchanges"), {"query": posted_query(request)})


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
