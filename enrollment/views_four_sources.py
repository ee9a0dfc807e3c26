"""四查三比对 pages: a township's mismatch lists with their resolve actions, the county's counts
per township, and the quarterly re-check (季度复核)."""

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import DomainError

from .crosscheck_models import MismatchKind, QuarterlyRecheck
from .four_sources import (
    CHILD_KINDS,
    RECHECK_ROLES,
    RESOLVE_ROLES,
    confirm_quarter,
    county_counts,
    current_quarter,
    mismatches,
    providers_for,
    resolve_mismatch,
    township_counts,
)
from .models import County, Township
from .permissions import get_scoped_or_404, has_any_role, user_may
from .roles import CHANGE_STATUS_ROLES, RECORD_VISIT_ROLES


@login_required
def four_sources(request, pk: int):
    township = get_scoped_or_404(Township.objects.select_related("county"), request.user, pk=pk)
    kind = request.GET.get("kind", CHILD_KINDS[0])
    if kind not in CHILD_KINDS:
        raise Http404
    counts = township_counts(request.user, township)
    labels = dict(MismatchKind.choices)
    page = Paginator(mismatches(request.user, township, kind), 50).get_page(request.GET.get("page"))
    user = request.user
    return render(
        request,
        "enrollment/four_sources.html",
        {
            "township": township,
            "tabs": [(key, labels[key], counts.get(key, 0)) for key in CHILD_KINDS],
            "providers": providers_for(user, township),
            "current": kind,
            "current_label": labels[kind],
            "page": page,
            "may_resolve": user_may(user, Township.objects, RESOLVE_ROLES, township),
            "may_visit": has_any_role(user, RECORD_VISIT_ROLES),
            "may_change_status": has_any_role(user, CHANGE_STATUS_ROLES),
            "transfers": apps.is_installed("transfers"),
            "rechecks": QuarterlyRecheck.objects.for_user(user)
            .filter(township=township)
            .select_related("confirmed_by")[:8],
        },
    )


@login_required
@require_POST
def four_sources_resolve(request, pk: int):
    kind = request.POST.get("kind", "")
    try:
        resolution = resolve_mismatch(
            actor=request.user, child_pk=pk, kind=kind, note=request.POST.get("note", "")
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("enrollment:crosscheck_index")
    except ValidationError as error:  # an empty or too long note
        messages.error(request, "；".join(error.messages))
        return redirect("enrollment:crosscheck_index")
    township = resolution.child.village.township_id
    messages.success(request, resolution.child.name)
    return redirect(reverse("enrollment:four_sources", args=[township]) + f"?kind={kind}")


@login_required
def four_sources_county(request, pk: int):
    county = get_scoped_or_404(County.objects, request.user, pk=pk)
    townships = list(Township.objects.for_user(request.user).filter(county=county).order_by("code"))
    counts = county_counts(request.user, county)
    year, quarter = current_quarter()
    confirmed = {
        recheck.township_id: recheck
        for recheck in QuarterlyRecheck.objects.for_user(request.user)
        .filter(township__county=county, year=year, quarter=quarter)
        .select_related("confirmed_by")
    }
    labels = dict(MismatchKind.choices)
    rows = [
        (
            township,
            [counts.get(township.pk, {}).get(kind, 0) for kind in CHILD_KINDS],
            confirmed.get(township.pk),
        )
        for township in townships
    ]
    return render(
        request,
        "enrollment/four_sources_county.html",
        {
            "county": county,
            "headers": [labels[kind] for kind in CHILD_KINDS],
            "rows": rows,
            "year": year,
            "quarter": quarter,
            "may_confirm": user_may(request.user, County.objects, RECHECK_ROLES, county),
        },
    )


@login_required
@require_POST
def four_sources_confirm(request, pk: int):
    try:
        recheck = confirm_quarter(
            actor=request.user, township_pk=pk, note=request.POST.get("note", "")
        )
    except DomainError as error:
        messages.error(request, error.message)
        township = get_scoped_or_404(Township.objects, request.user, pk=pk)
        return redirect("enrollment:four_sources_county", pk=township.county_id)
    messages.success(request, recheck.township.name)
    return redirect("enrollment:four_sources_county", pk=recheck.township.county_id)
