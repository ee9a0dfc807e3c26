"""Pages of Excel in and out for the registry: the cross-check (比对) of a township and the log
of exports and imports for the county's administrators and auditors."""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.export_jobs import export_redirect
from core.models import ExportJob, ImportJob

from .crosscheck import LISTS, cross_check, other_rolls
from .models import County, Township
from .permissions import has_any_role
from .roles import RECORD_VISIT_ROLES, Role

LOG_ROLES = frozenset({Role.COUNTY_ADMIN, Role.AUDITOR})


@login_required
def crosscheck_index(request):
    """The user's township, or the list of townships for county-wide users."""
    townships = Township.objects.for_user(request.user).order_by("code")
    if len(townships) == 1:
        return redirect("enrollment:crosscheck", pk=townships[0].pk)
    if not townships:
        raise Http404
    return render(request, "enrollment/crosscheck_index.html", {"townships": townships})


@login_required
def crosscheck(request, pk: int):
    check = cross_check(request.user, pk)
    name = request.GET.get("list", "unaccounted")
    if name not in LISTS:
        raise Http404
    counts = {key: queryset.count() for key, queryset in check.lists.items()}
    page = Paginator(check.lists[name], 50).get_page(request.GET.get("page"))
    others = other_rolls(page.object_list) if name == "two_rolls" else {}
    rows = [(item, others.get(item.pk, [])) for item in page.object_list]
    return render(
        request,
        "enrollment/crosscheck.html",
        {
            "township": check.township,
            "tabs": [(key, label, counts[key]) for key, label in LISTS.items()],
            "current": name,
            "current_label": LISTS[name],
            "page": page,
            "rows": rows,
            "may_visit": has_any_role(request.user, RECORD_VISIT_ROLES),
        },
    )


@login_required
@require_POST
def crosscheck_export(request, pk: int):
    check = cross_check(request.user, pk)  # 404 outside the scope
    name = request.POST.get("list", "")
    if name not in LISTS:
        raise Http404
    return export_redirect(
        request,
        exporter="crosscheck",
        title=f"{check.township.name}比对-{LISTS[name]}",
        params={"township": check.township.pk, "list": name},
    )


def _county_users(counties):
    """Users holding any role within the counties (the people whose exports the log shows)."""
    ids = [county.pk for county in counties]
    return (
        get_user_model()
        .objects.filter(
            Q(role_assignments__county__in=ids)
            | Q(role_assignments__township__county__in=ids)
            | Q(role_assignments__village__township__county__in=ids)
            | Q(role_assignments__school__township__county__in=ids)
        )
        .values("pk")
    )


@login_required
def excel_log(request):
    """Who exported or imported what, with which filters, how many rows (县教育局管理员, 审计)."""
    counties = list(County.objects.for_user(request.user, roles=LOG_ROLES))
    if not counties and not request.user.is_superuser:
        raise PermissionDenied
    kind = "imports" if request.GET.get("kind") == "imports" else "exports"
    if kind == "exports":
        jobs = ExportJob.objects.select_related("requested_by")
        if not request.user.is_superuser:
            jobs = jobs.filter(requested_by__in=_county_users(counties))
    else:
        jobs = ImportJob.objects.select_related("uploaded_by", "committed_by")
        if not request.user.is_superuser:
            jobs = jobs.filter(uploaded_by__in=_county_users(counties))
    page = Paginator(jobs.order_by("-created_at", "-pk"), 50).get_page(request.GET.get("page"))
    return render(request, "enrollment/excel_log.html", {"page": page, "kind": kind})
