"""Pages of the subsidies module. Each action: GET shows the form, POST calls the service and
turns a refusal into a message; every read goes through for_user()."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError, int_or_404, show_on_form
from core.export_jobs import request_export
from core.pagination import CappedPaginator
from core.params import query_year
from enrollment.models import Child, County, School
from enrollment.permissions import (
    get_scoped_or_404,
    has_any_role,
    may_edit_shared_catalogue,
    user_county,
    user_may,
)

from . import forms, selectors
from .exports import EXPORT_TITLES
from .filters import BatchFilter, FundEntryFilter, GapFilter, IdentificationFilter, PaymentFilter
from .models import (
    Batch,
    DifficultyIdentification,
    Donation,
    FundEntry,
    Gap,
    GapRun,
    Payment,
    Programme,
    ReliefFund,
    Stage,
)
from .roles import (
    BATCH_ROLES,
    CATALOGUE_ROLES,
    DONATION_ROLES,
    FUND_ROLES,
    GAP_CHECK_ROLES,
    IDENTIFY_ROLES,
)
from .services import batches as batch_services
from .services import fund as fund_services
from .services import gaps as gap_services
from .services import identification as identification_services
from .services import programmes as programme_services
from .transitions import BATCH_TRANSITIONS, GRANT_TRANSITIONS

PER_PAGE = 50


def _county_or_404(user) -> County:
    county = user_county(user)
    if county is None:
        raise Http404
    return county


def _page(request, queryset):
    return Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))


def _query_string(request, drop=()) -> str:
    query = request.GET.copy()
    for name in ("page", *drop):
        query.pop(name, None)
    return query.urlencode()


def _form_page(request, form, title, back=None, **extra):
    return render(
        request, "subsidies/form.html", {"form": form, "title": title, "back": back, **extra}
    )


_error = show_on_form


def _child_by_id(user, resident_id: str):
    return (
        Child.objects.for_user(user).filter(resident_id=(resident_id or "").strip().upper()).first()
    )


# --- programmes ------------------------------------------------------------------------------


@login_required
def programme_list(request):
    programmes = Programme.objects.prefetch_related("excludes").order_by("report_order", "code")
    return render(
        request,
        "subsidies/programme_list.html",
        {
            "programmes": programmes,
            "may_edit": may_edit_shared_catalogue(request.user, CATALOGUE_ROLES),
            "stage_labels": dict(Stage.choices),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def programme_edit(request, pk: int | None = None):
    if not may_edit_shared_catalogue(request.user, CATALOGUE_ROLES):
        raise PermissionDenied
    programme = get_object_or_404(Programme, pk=pk) if pk else None
    form = forms.ProgrammeForm(request.POST or None, instance=programme)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        excludes = data.pop("excludes")
        try:
            saved = programme_services.save_programme(
                actor=request.user, programme=programme, excludes=list(excludes), **data
            )
        except DomainError as error:
            _error(form, error)
        else:
            messages.success(request, _("Programme saved."))
            return redirect(reverse("subsidies:programme_list") + f"#programme-{saved.pk}")
    return _form_page(
        request,
        form,
        programme.name if programme else _("New programme"),
        back=reverse("subsidies:programme_list"),
    )


# --- batches ---------------------------------------------------------------------------------


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


# --- payments and totals ---------------------------------------------------------------------


@login_required
def payment_list(request):
    payments = PaymentFilter(
        request.GET, queryset=selectors.payment_list(request.user), request=request
    )
    return render(
        request,
        "subsidies/payment_list.html",
        {
            "filter": payments,
            "page": CappedPaginator(payments.qs, PER_PAGE).get_page(request.GET.get("page")),
            "summary": selectors.cached_paid_summary(payments, request.user),
            "query": _query_string(request),
        },
    )


@login_required
def totals(request):
    group_by = request.GET.get("by", "programme")
    if group_by not in selectors.TOTAL_DIMENSIONS:
        raise Http404
    payments = PaymentFilter(
        request.GET, queryset=selectors.payments_for(request.user), request=request
    )
    year = query_year(request.GET, default=timezone.localdate().year - 1)
    # Every figure of the page (the sentence, the table, the total) from the same payments:
    # the filters' and the report year's (by payment date).
    rows = selectors.totals(payments.qs.filter(paid_on__year=year), group_by)
    return render(
        request,
        "subsidies/totals.html",
        {
            "filter": payments,
            "rows": rows,
            "group_by": group_by,
            "dimensions": [
                ("programme", _("Programme")),
                ("stage", _("Stage")),
                ("school", _("School")),
                ("township", _("Township")),
                ("period", _("School year or term")),
            ],
            "grand_total": sum(row["amount"] for row in rows),
            "report": selectors.report_line(payments.qs, year),
            "filters_query": _query_string(request, drop=("by", "year")),
            "year": year,
            "query": _query_string(request),
        },
    )


# --- the entitlement-gap check ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def gap_runs(request):
    runs = GapRun.objects.for_user(request.user).select_related("started_by")
    may_start = has_any_role(request.user, GAP_CHECK_ROLES)
    form = forms.GapRunForm(request.POST or None)
    if request.method == "POST":
        if not may_start:
            raise PermissionDenied
        if form.is_valid():
            try:
                run = gap_services.start_gap_run(
                    actor=request.user,
                    county=_county_or_404(request.user),
                    period=form.cleaned_data["period"],
                )
            except DomainError as error:
                _error(form, error)
            else:
                messages.success(request, _("The check is running; its results appear here."))
                return redirect("subsidies:gap_detail", pk=run.pk)
    return render(
        request,
        "subsidies/gap_runs.html",
        {"page": _page(request, runs), "form": form, "may_start": may_start},
    )


@login_required
def gap_detail(request, pk: int):
    run = get_scoped_or_404(GapRun.objects.all(), request.user, pk=pk)
    scoped = Gap.objects.for_user(request.user).filter(run=run)
    gaps = GapFilter(
        request.GET,
        queryset=scoped.select_related(
            "child__household", "school", "township", "programme", "other_programme"
        ),
        request=request,
    )
    counts = dict(scoped.order_by().values_list("kind").annotate(n=Count("pk")))
    return render(
        request,
        "subsidies/gap_detail.html",
        {
            "run": run,
            "filter": gaps,
            "page": _page(request, gaps.qs),
            "counts": [(value, label, counts.get(value, 0)) for value, label in Gap.Kind.choices],
            "run_param": {"run": run.pk},
            "query": _query_string(request),
        },
    )


# --- identification --------------------------------------------------------------------------


@login_required
def identification_list(request):
    identifications = IdentificationFilter(
        request.GET,
        queryset=DifficultyIdentification.objects.for_user(request.user).select_related(
            "child__household", "school"
        ),
        request=request,
    )
    may_identify = has_any_role(request.user, IDENTIFY_ROLES)
    schools = School.objects.for_user(request.user, roles=IDENTIFY_ROLES).order_by("code")
    return render(
        request,
        "subsidies/identification_list.html",
        {
            "filter": identifications,
            "page": _page(request, identifications.qs),
            "may_identify": may_identify,
            "notice_form": forms.NoticeForm(
                schools=schools, initial={"school_year": timezone.localdate().year}
            ),
            "query": _query_string(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def identification_apply(request):
    if not has_any_role(request.user, IDENTIFY_ROLES):
        raise PermissionDenied
    form = forms.ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        child = _child_by_id(request.user, data.pop("resident_id"))
        if child is None:
            form.add_error("resident_id", _("No child with this resident ID in your scope."))
        else:
            try:
                identification_services.apply(actor=request.user, child=child, **data)
            except DomainError as error:
                _error(form, error)
            else:
                messages.success(request, _("Application recorded."))
                return redirect("subsidies:identification_list")
    return _form_page(
        request,
        form,
        _("Application for identification"),
        back=reverse("subsidies:identification_list"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def identification_decide(request, pk: int):
    item = get_scoped_or_404(
        DifficultyIdentification.objects.select_related("child", "school__township"),
        request.user,
        pk=pk,
    )
    if not user_may(request.user, DifficultyIdentification.objects, IDENTIFY_ROLES, item):
        raise PermissionDenied
    decide_title = _("Decide the level")
    form = forms.DecideForm(request.POST or None, initial={"level": item.applied_level})
    if request.method == "POST" and form.is_valid():
        try:
            identification_services.decide(
                actor=request.user, identification=item, **form.cleaned_data
            )
        except DomainError as error:
            _error(form, error)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("subsidies:identification_list")
    return _form_page(
        request,
        form,
        f"{decide_title} · {item.child.name}",
        back=reverse("subsidies:identification_list"),
    )


@login_required
@require_POST
def identification_school_action(request, action: str):
    if action not in ("pre-identify", "notice", "file"):
        raise Http404
    schools = School.objects.for_user(request.user, roles=IDENTIFY_ROLES)
    form = forms.NoticeForm(request.POST, schools=schools)
    if not form.is_valid():
        raise PermissionDenied if not schools.exists() else Http404
    data = form.cleaned_data
    try:
        if action == "pre-identify":
            count = identification_services.pre_identify(
                actor=request.user, school=data["school"], school_year=data["school_year"]
            )
        elif action == "notice":
            if not data["notice_from"] or not data["notice_until"]:
                raise DomainError(_("Enter the dates of the public notice."))
            count = identification_services.publish_notice(actor=request.user, **data)
        else:
            count = identification_services.file_identifications(
                actor=request.user, school=data["school"], school_year=data["school_year"]
            )
        messages.success(request, _("%(count)d identifications updated.") % {"count": count})
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("subsidies:identification_list")


@login_required
def identification_notice(request):
    """The printable public notice (公示名单) of a school and year."""
    school = get_scoped_or_404(
        School.objects.select_related("township"), request.user, pk=_int(request.GET.get("school"))
    )
    year = _int(request.GET.get("school_year"))
    items = (
        DifficultyIdentification.objects.for_user(request.user)
        .filter(school=school, school_year=year)
        .exclude(level__in=["", "none"])
        .select_related("child")
        .order_by("child__name", "pk")
    )
    return render(
        request,
        "subsidies/identification_notice.html",
        {"school": school, "year": year, "items": items, "today": timezone.localdate()},
    )


_int = int_or_404


# --- the fund and donations ------------------------------------------------------------------


def _fund(request) -> ReliefFund:
    county = _county_or_404(request.user)
    fund = ReliefFund.objects.for_user(request.user).filter(county=county).first()
    if fund is None:
        raise Http404
    return fund


@login_required
def fund_ledger(request):
    fund = _fund(request)
    entries = FundEntryFilter(
        request.GET,
        queryset=FundEntry.objects.for_user(request.user)
        .filter(fund=fund)
        .select_related("child", "approved_by", "recorded_by"),
        request=request,
    )
    may_act = user_may(request.user, ReliefFund.objects, FUND_ROLES, fund)
    return render(
        request,
        "subsidies/fund_ledger.html",
        {
            "fund": fund,
            "filter": entries,
            "page": _page(request, entries.qs),
            "summary": selectors.fund_summary(fund),
            "may_act": may_act,
            # The rows a decision applies to (the table's answer; each is checked on decision).
            "decidable_states": GRANT_TRANSITIONS.sources("approve"),
            "query": _query_string(request),
        },
        # A filter the form refuses (a year out of range) is shown on it, and said in the status.
        status=400 if entries.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def fund_new(request, kind: str):
    fund = _fund(request)
    if not user_may(request.user, ReliefFund.objects, FUND_ROLES, fund):
        raise PermissionDenied
    if kind not in ("inflow", "grant"):
        raise Http404
    form = (forms.InflowForm if kind == "inflow" else forms.GrantForm)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if kind == "inflow":
                fund_services.record_inflow(actor=request.user, fund=fund, **data)
            else:
                child = _child_by_id(request.user, data.pop("resident_id"))
                if child is None:
                    raise DomainError(
                        _("No child with this resident ID in your scope."), field="resident_id"
                    )
                fund_services.request_grant(actor=request.user, fund=fund, child=child, **data)
        except DomainError as error:
            _error(form, error)
        else:
            messages.success(request, _("Recorded."))
            return redirect("subsidies:fund_ledger")
    title = _("Record an inflow") if kind == "inflow" else _("Request a grant")
    return _form_page(request, form, title, back=reverse("subsidies:fund_ledger"))


@login_required
@require_POST
def fund_decide(request, pk: int, decision: str):
    entry = get_scoped_or_404(FundEntry.objects.select_related("fund"), request.user, pk=pk)
    if decision not in ("approve", "reject"):
        raise Http404
    if GRANT_TRANSITIONS.can(entry, decision, request.user).refused_for_role:
        raise PermissionDenied
    note = request.POST.get("note", "")
    try:
        if decision == "approve":
            fund_services.approve_grant(actor=request.user, entry=entry, note=note)
        else:
            fund_services.reject_grant(actor=request.user, entry=entry, note=note or _("Rejected"))
        messages.success(request, _("Decision recorded."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("subsidies:fund_ledger")


@login_required
def donation_list(request):
    donations = Donation.objects.for_user(request.user).select_related("school")
    year = query_year(request.GET)
    if year is not None:
        donations = donations.filter(date__year=year)
    totals = donations.order_by().values("kind").annotate(value=Sum("value"), n=Count("pk"))
    labels = dict(Donation.Kind.choices)
    return render(
        request,
        "subsidies/donation_list.html",
        {
            "page": _page(request, donations),
            "totals": [{**row, "label": labels[row["kind"]]} for row in totals],
            "may_record": has_any_role(request.user, DONATION_ROLES),
            "year": year,
            "query": _query_string(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def donation_new(request):
    if not has_any_role(request.user, DONATION_ROLES):
        raise PermissionDenied
    county = _county_or_404(request.user)
    schools = School.objects.for_user(request.user).order_by("code")
    form = forms.DonationForm(
        request.POST or None, schools=schools, initial={"date": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            fund_services.record_donation(actor=request.user, county=county, **form.cleaned_data)
        except DomainError as error:
            _error(form, error)
        else:
            messages.success(request, _("Donation recorded."))
            return redirect("subsidies:donation_list")
    return _form_page(
        request, form, _("Record a donation"), back=reverse("subsidies:donation_list")
    )


@login_required
def donor_list(request):
    """The printable donors' list for public thanks (鸣谢名单)."""
    county = _county_or_404(request.user)
    year = query_year(request.GET)
    donations = Donation.objects.for_user(request.user).filter(county=county)
    if year is not None:
        donations = donations.filter(date__year=year)
    donors = (
        donations.order_by()
        .values("donor", "donor_kind", "publish_name")
        .annotate(value=Sum("value"), n=Count("pk"))
        .order_by("-value", "donor")
    )
    return render(
        request,
        "subsidies/donor_list.html",
        {"county": county, "donors": donors, "year": year, "today": timezone.localdate()},
    )


# --- exports ---------------------------------------------------------------------------------


@login_required
@require_POST
def export(request, name: str):
    """Queue an Excel export of a ledger with the page's filters; the job page shows progress."""
    if name not in EXPORT_TITLES:
        raise Http404
    query = {key: values for key, values in request.POST.lists() if key != "csrfmiddlewaretoken"}
    if name == "gaps":
        get_scoped_or_404(
            GapRun.objects.all(), request.user, pk=_int((query.get("run") or [""])[0])
        )
    job = request_export(
        user=request.user,
        exporter=f"subsidies_{name}",
        title=f"{EXPORT_TITLES[name]}{timezone.localdate().isoformat()}",
        params={"query": query},
    )
    return redirect("core:export_detail", pk=job.pk)
