"""Pages of the registry: ledgers, the unaccounted list, the child page and its forms."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_tables2 import RequestConfig

from core import audit
from core.errors import run_on_form
from core.export_jobs import export_fields, export_redirect, posted_filters
from core.pagination import CappedPaginator

from . import selectors, services
from .exports import ledger_export_title
from .extensions import CHILD_ACTIONS, CHILD_PANELS, LEDGER_TABS, child_scores
from .forms import (
    ChildRegistrationForm,
    HelpPairingForm,
    HouseholdForm,
    HouseholdVisitForm,
    StatusChangeForm,
)
from .ledgers import (
    LEDGER_KINDS,
    build_ledger,
    cached_class_sizes,
    cached_summary,
    label_summary_rows,
    ledger_query_keys,
    summary_group_label,
)
from .models import CASE_FLAG_FIELD, Child, HouseholdVisit, PartnerUnit, Village
from .permissions import (
    get_scoped_or_404,
    has_any_role,
    require,
    sees_case_flag,
    sees_full_identity,
    user_may,
)
from .roles import (
    ASSIGN_PAIRING_ROLES,
    CHANGE_STATUS_ROLES,
    RECORD_VISIT_ROLES,
    REGISTER_CHILD_ROLES,
    Role,
)
from .scoping import role_assignments
from .tables import LedgerTable, score_columns

LEDGER_PAGE_SIZES = (25, 50, 100, 200)


def ledger_url_for(place) -> str:
    kind = place._meta.model_name
    if kind == "prefecture":  # no ledger of children: the counties' figures
        return reverse("enrollment:prefecture_overview", args=[place.pk])
    return reverse(f"enrollment:{kind}_ledger", args=[place.pk])


# --- ledgers ---------------------------------------------------------------------------------


@login_required
def ledger(request, kind: str, pk: int, preset_status: str = ""):
    """The three-tier ledger; with `preset_status` the same page is the suspected-dropout or
    dropout ledger (its status filter fixed)."""
    if kind not in LEDGER_KINDS:
        raise Http404
    query = request.GET.copy()
    if preset_status:
        query["status"] = preset_status
    built = build_ledger(request.user, kind, pk, query)
    summary_rows = cached_summary(built, request.user, query)
    label_summary_rows(summary_rows, built.group_by)
    table = LedgerTable(built.rows, extra_columns=score_columns())
    per_page = _per_page(request)
    RequestConfig(
        request,
        paginate={
            "per_page": per_page,
            "paginator_class": CappedPaginator,
            "count_queryset": built.rows,
        },
    ).configure(table)
    return render(
        request,
        "enrollment/ledger.html",
        {
            "kind": kind,
            "place": built.place,
            "filter": built.filter,
            "table": table,
            "summary_rows": summary_rows,
            "total": selectors.summary_total(summary_rows),
            "day": built.day,
            "as_of": built.as_of,
            "group_label": summary_group_label(built.group_by),
            "page_sizes": LEDGER_PAGE_SIZES,
            "per_page": per_page,
            "chart": {
                "labels": [row["label"] for row in summary_rows],
                "rates": [row["rate"] for row in summary_rows],
            },
            "can_register": kind != "school" and has_any_role(request.user, REGISTER_CHILD_ROLES),
            "preset_status": preset_status,
            # 大班额 of the place's schools, from today's roll (not on a past day's ledger).
            "class_sizes": cached_class_sizes(request.user, kind, built.place)
            if built.as_of is None and not preset_status
            else None,
            "ledger_tabs": [
                {
                    "label": tab.label,
                    "preset_status": tab.preset_status,
                    "url": reverse(tab.url_name, args=[kind, pk]),
                }
                for tab in LEDGER_TABS
            ],
            "ledger_title": next(
                (tab.label for tab in LEDGER_TABS if tab.preset_status == preset_status), ""
            )
            if preset_status
            else "",
            "export_query": export_fields(query, ledger_query_keys()),
            "score_filters": [built.filter.form[score.key] for score in child_scores()],
        },
    )


@login_required
@require_http_methods(["POST"])
def export_ledger(request, kind: str, pk: int):
    """Queue the Excel export of the ledger as filtered on the page; the job page shows progress."""
    if kind not in LEDGER_KINDS:
        raise Http404
    built = build_ledger(request.user, kind, pk, request.POST)  # 404 outside the scope
    query = posted_filters(request, ledger_query_keys())
    return export_redirect(
        request,
        exporter="ledger",
        title=ledger_export_title(built, query),
        params={"kind": kind, "pk": pk, "query": query},
    )


def _per_page(request) -> int:
    try:
        value = int(request.GET.get("per_page", 50))
    except ValueError:
        return 50
    return value if value in LEDGER_PAGE_SIZES else 50


@login_required
def unaccounted(request):
    day = timezone.localdate()
    found = selectors.unaccounted_children_found(request.user, day=day)
    village_id = request.GET.get("village", "")
    villages = Village.objects.for_user(request.user).select_related("township")
    if village_id:
        if not village_id.isdigit() or not villages.filter(pk=village_id).exists():
            raise Http404
        found = found.filter(village_id=village_id)
    paginator = Paginator(selectors.unaccounted_children(found), 50)
    paginator.count = found.count()  # the same rows, counted without the list's joins
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "enrollment/unaccounted.html",
        {
            "page": page,
            "villages": villages,
            "village_id": village_id,
            "day": day,
            "may_visit": has_any_role(request.user, RECORD_VISIT_ROLES),
        },
    )


# --- the child -------------------------------------------------------------------------------


@login_required
def child_detail(request, pk: int):
    child = get_scoped_or_404(
        Child.objects.select_related("village__township__county", "household", "current_school"),
        request.user,
        pk=pk,
    )
    user = request.user
    full_identity = sees_full_identity(user, child)
    # 涉案未成年人 is shown (as the ledger's `case_flag`) only to the roles handling the case.
    case_flag_shown = sees_case_flag(user, child)
    child.case_flag = child.is_involved_in_case if case_flag_shown else None
    audit.record(
        audit.A.VIEW,
        obj=child,
        request=request,
        detail={"full_identity": full_identity, "case_flag": case_flag_shown},
    )
    # The page shows each visit's own fields only: no recorder, no other children to load.
    visits = HouseholdVisit.objects.filter(children=child).order_by("-visit_date", "-pk")
    return render(
        request,
        "enrollment/child_detail.html",
        {
            "child": child,
            "full_identity": full_identity,
            "history": selectors.status_history(child),
            "visits": visits,
            "pairings": child.help_pairings.order_by("-start_date", "-pk"),
            "may_change_status": user_may(user, Child.objects, CHANGE_STATUS_ROLES, child),
            "may_visit": user_may(user, Child.objects, RECORD_VISIT_ROLES, child),
            "may_pair": user_may(user, Child.objects, ASSIGN_PAIRING_ROLES, child),
            "extra_panels": [
                render_to_string(template, context, request=request)
                for template, context in filter(
                    None, (show(request, child) for show in CHILD_PANELS)
                )
            ],
            "extra_actions": [
                link for actions in CHILD_ACTIONS for link in actions(request, child)
            ],
        },
    )


def _child_for_action(request, pk, roles):
    child = get_scoped_or_404(
        Child.objects.select_related("village__township", "household"), request.user, pk=pk
    )
    require(request.user, Child.objects, roles, child)
    return child


@login_required
@require_http_methods(["GET", "POST"])
def change_status(request, pk: int):
    child = _child_for_action(request, pk, CHANGE_STATUS_ROLES)
    if request.method == "GET":  # the form shows the child's record
        audit.record_view(child, request=request, shown="status_form")
    form = StatusChangeForm(request.POST or None, child=child)
    if request.method == "POST" and form.is_valid():
        if run_on_form(
            request,
            form,
            lambda data: services.change_status(actor=request.user, child=child, **data),
            _("Status changed."),
        ):
            return redirect("enrollment:child_detail", pk=child.pk)
    return render(request, "enrollment/status_form.html", {"child": child, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def record_visit(request, pk: int):
    child = _child_for_action(request, pk, RECORD_VISIT_ROLES)
    form = HouseholdVisitForm(request.POST or None, request.FILES or None, child=child)
    if request.method == "POST" and form.is_valid():
        children = list(form.cleaned_data["children"])
        for other in children:
            require(request.user, Child.objects, RECORD_VISIT_ROLES, other)

        def record(data):
            return services.record_visit(
                actor=request.user,
                household=child.household,
                children=children,
                visit_date=data["visit_date"],
                visitors=data["visitors"],
                findings=data["findings"],
                outcome=data["outcome"],
                follow_up=data["follow_up"],
                attachment=data["attachment"],
                teacher_visitors=data["teacher_visitors"] or 0,
                new_status=data["new_status"],
                status_reason=data["status_reason"],
                school=data["school"],
                grade=data["grade"],
                class_name=data["class_name"],
                outside_school_name=data["outside_school_name"],
            )

        if run_on_form(request, form, record, _("Household visit recorded.")):
            return redirect("enrollment:child_detail", pk=child.pk)
    return render(request, "enrollment/visit_form.html", {"child": child, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def assign_partner(request, pk: int):
    child = _child_for_action(request, pk, ASSIGN_PAIRING_ROLES)
    units = PartnerUnit.objects.for_user(request.user).filter(
        county_id=child.village.township.county_id, is_active=True
    )
    form = HelpPairingForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        if run_on_form(
            request,
            form,
            lambda data: services.assign_help_partner(actor=request.user, child=child, **data),
            _("Help partner assigned."),
        ):
            return redirect("enrollment:child_detail", pk=child.pk)
    return render(request, "enrollment/pairing_form.html", {"child": child, "form": form})


def _require_register_role(user):
    if not has_any_role(user, REGISTER_CHILD_ROLES):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def register_child(request):
    _require_register_role(request.user)
    initial = {}
    if request.GET.get("household", "").isdigit():
        initial["household"] = request.GET["household"]
    form = ChildRegistrationForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        household = form.cleaned_data["household"]
        require(request.user, type(household).objects, REGISTER_CHILD_ROLES, household)

        def register(data):
            return services.register_child(
                actor=request.user,
                household=data["household"],
                name=data["name"],
                resident_id=data["resident_id"],
                has_no_resident_id=data["has_no_resident_id"],
                sex=data["sex"],
                birth_date=data["birth_date"],
                guardian_name=data["guardian_name"],
                guardian_relation=data["guardian_relation"],
                guardian_phone=data["guardian_phone"],
                flags=form.flags(),
                is_involved_in_case=data.get(CASE_FLAG_FIELD, False),
            )

        child = run_on_form(request, form, register, _("Child registered."))
        if child is not None:
            for warning in child.registration_warnings:
                messages.warning(request, warning)
            return redirect("enrollment:child_detail", pk=child.pk)
    return render(request, "enrollment/child_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def register_household(request):
    _require_register_role(request.user)
    form = HouseholdForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        require(request.user, Village.objects, REGISTER_CHILD_ROLES, form.cleaned_data["village"])
        household = run_on_form(
            request,
            form,
            lambda data: services.register_household(actor=request.user, **data),
            _("Household registered; now register its children."),
        )
        if household is not None:
            return redirect(reverse("enrollment:register_child") + f"?household={household.pk}")
    return render(request, "enrollment/household_form.html", {"form": form})


def role_home_links(user):
    """Navigation entries by the user's scopes (used by the context processor)."""
    links = []
    for assignment in role_assignments(user):
        place = assignment.scope_object
        links.append(
            {"url": ledger_url_for(place), "label": place.name, "role": Role(assignment.role).label}
        )
    return links


@login_required
def visit_attachment(request, pk: int):
    """Attachments are served only through scope, as their verified type (core.uploads), and
    audited: they show minors' homes and documents."""
    from core.uploads import upload_response

    visit = get_scoped_or_404(HouseholdVisit.objects, request.user, pk=pk)
    if not visit.attachment:
        raise Http404
    label = HouseholdVisit._meta.get_field("attachment").verbose_name
    response = upload_response(visit.attachment, filename=f"{label}-{visit.pk}")
    audit.record(audit.A.VIEW, obj=visit, request=request, detail={"file": "attachment"})
    return response
