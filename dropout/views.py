"""Pages of the dropout procedure. Each action: GET shows the form, POST calls the service and
turns a refusal into a message on the form."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core import audit
from core.errors import DomainError, int_or_404, run_on_form
from core.export_jobs import export_redirect
from core.pdf import render_pdf
from core.uploads import content_disposition, upload_response
from enrollment.extensions import child_score_keys, with_child_scores
from enrollment.models import Child, Township
from enrollment.permissions import get_scoped_or_404, user_may

from . import forms, selectors
from .case_actions import case_action as _case_action
from .case_actions import plain as _plain
from .case_actions import service_initial as _service_initial
from .case_actions import with_case as _with_case
from .documents_render import document_from_content
from .filters import CaseFilter, ExemptionFilter
from .models import AbsenceReport, DropoutCase, ExemptionRequest, OfficialDocument
from .penalty_views import penalty_steps
from .progress import case_progress
from .roles import (
    ABSENCE_ROLES,
    CASE_ROLES,
    EXEMPTION_REGISTER_ROLES,
    MIN_OFFICERS,
    OPEN_CASE_ROLES,
)
from .services import absences, cases, documents, exemptions
from .transitions import (
    CASE_TRANSITIONS,
    EXEMPTION_TRANSITIONS,
    current_decision,
    current_notice,
    current_prior_notice,
    remember_loaded,
)

# --- cases -----------------------------------------------------------------------------------


@login_required
def case_list(request):
    queue = request.GET.get("queue", "open")
    if queue not in selectors.QUEUES:
        raise Http404
    # The filters (opened from/to, stage, cause, township) narrow the queue and its counts;
    # invalid ones are shown on the form and filter nothing.
    case_filter = _case_filter(request.user, request.GET)
    narrowed = case_filter.qs if case_filter.is_valid() else None
    cases = selectors.case_queue(request.user, queue)
    if narrowed is not None:
        cases = cases.filter(pk__in=narrowed.values("pk"))
    # Each case's child's scores (the dropout risk) as columns: one subquery each, no N+1.
    cases = with_child_scores(cases, "child_id")
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    service_days = datetime.timedelta(days=settings.DECISION_SERVICE_DAYS)
    for case in page:
        if case.unserved_decision_on:
            case.service_due_on = case.unserved_decision_on + service_days
    return render(
        request,
        "dropout/case_list.html",
        {
            "page": page,
            "queue": queue,
            "counts": selectors.queue_counts(request.user, within=narrowed),
            "today": timezone.localdate(),
            "filter": case_filter,
            "score_filters": [case_filter.form[key] for key in child_score_keys()],
            "filter_query": [
                (key, value)
                for key in (*CASE_FILTER_KEYS, *child_score_keys())
                for value in request.GET.getlist(key)
                if value
            ],
        },
    )


CASE_FILTER_KEYS = (
    "date_from",
    "date_to",
    "status",
    "cause",
    "township",
    "returned_from",
    "returned_to",
    "open_on",
)
EXEMPTION_FILTER_KEYS = ("kind", "township", "filed_from", "filed_to", "date_from", "date_to")


def _case_filter(user, data):
    case_filter = CaseFilter(data, queryset=DropoutCase.objects.for_user(user))
    case_filter.filters["township"].queryset = Township.objects.for_user(user)
    fields = case_filter.form.fields
    fields["township"].queryset = Township.objects.for_user(user)
    for name in ("status", "cause", "township", *child_score_keys()):
        fields[name].widget.attrs["class"] = "form-select form-select-sm"
    for name in ("date_from", "date_to"):
        fields[name].widget.input_type = "date"
        fields[name].widget.attrs["class"] = "form-control form-control-sm"
    return case_filter


@login_required
@require_POST
def case_export(request):
    """Queue the Excel ledger of the cases of one work queue (in the user's scope)."""
    queue = request.POST.get("queue", "all")
    if queue not in selectors.QUEUES:
        raise Http404
    case_filter = _case_filter(request.user, request.POST)
    if not case_filter.is_valid():
        messages.error(request, _("The filters are not valid; nothing was exported."))
        return redirect(f"{reverse('dropout:case_list')}?queue={queue}")
    query = {
        key: request.POST.getlist(key) for key in CASE_FILTER_KEYS if any(request.POST.getlist(key))
    }
    with translation.override("zh-hans"):
        title = f"失辍学案件台账（{selectors.QUEUE_TITLES[queue]}）{timezone.localdate()}"
    return export_redirect(
        request,
        exporter="dropout_cases",
        title=title,
        params={"queue": queue, "query": query},
    )


def _case(request, pk) -> DropoutCase:
    return get_scoped_or_404(
        DropoutCase.objects.select_related(
            "child__village__township",
            "child__household",
            "township__county",
            "school",
            "handler",
        ),
        request.user,
        pk=pk,
    )


@login_required
def case_detail(request, pk: int):
    case = _case(request, pk)
    # The page lists the case's documents and persuasions: the steps' checks read them too.
    case_documents = list(case.documents.select_related("voided_by").order_by("issued_on", "pk"))
    persuasions = list(case.persuasions.select_related("recorded_by").prefetch_related("officers"))
    remember_loaded(case, documents=case_documents, persuasions=persuasions)
    prior = current_prior_notice(case)
    if prior:  # every step's check and the procedure card read these: load them once
        prefetch_related_objects([prior], "replies", "hearings", "legal_reviews")
    steps = CASE_TRANSITIONS.answers(case, request.user)
    notice = current_notice(case)
    return render(
        request,
        "dropout/case_detail.html",
        {
            "case": case,
            "events": case.events.select_related("actor"),
            "persuasions": persuasions,
            "min_officers": MIN_OFFICERS,
            "case_documents": case_documents,
            "measures": case.measures.all(),
            "notice": notice,
            "prior": prior,
            "decision": current_decision(case),
            "progress": case_progress(case, day=timezone.localdate()),
            # Which steps the user may take now, and why a step is not possible yet.
            "steps": steps,
            "penalty_steps": penalty_steps(case, steps),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def open_case(request):
    child = get_scoped_or_404(
        Child.objects.select_related("village__township"),
        request.user,
        pk=_int(request.GET.get("child")),
    )
    if not user_may(request.user, Child.objects, OPEN_CASE_ROLES, child):
        raise PermissionDenied
    form = forms.OpenCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        case = run_on_form(
            request,
            form,
            lambda d: cases.open_case(actor=request.user, child=child, **d),
            _("Dropout case opened."),
        )
        if case:
            return redirect("dropout:case_detail", pk=case.pk)
    return render(
        request,
        "dropout/action_form.html",
        {"form": form, "child": child, "title": _("Open a dropout case")},
    )


_int = int_or_404


@login_required
@require_http_methods(["GET", "POST"])
def case_persuasion(request, pk: int):
    return _case_action(
        request,
        pk,
        step="persuade",
        form_factory=_with_case(forms.PersuasionForm),
        action=lambda case, d: cases.log_persuasion(actor=request.user, case=case, **d),
        title=_("Record a persuasion visit"),
        success=_("Persuasion recorded."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_notice(request, pk: int):
    return _case_action(
        request,
        pk,
        step="issue_notice",
        form_factory=_plain(forms.NoticeForm),
        action=lambda case, d: documents.issue_resume_notice(actor=request.user, case=case, **d),
        title=_("Issue the notice to resume schooling"),
        success=_("Notice issued."),
        initial=_service_initial,
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_measure(request, pk: int):
    return _case_action(
        request,
        pk,
        step="add_measure",
        form_factory=_plain(forms.MeasureForm),
        action=lambda case, d: cases.add_measure(actor=request.user, case=case, **d),
        title=_("Record a further measure"),
        success=_("Measure recorded."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_return(request, pk: int):
    return _case_action(
        request,
        pk,
        step="return",
        form_factory=lambda case, data, files, initial=None: forms.ReturnForm(data, case=case),
        action=lambda case, d: cases.return_to_school(actor=request.user, case=case, **d),
        title=_("Record the return to school"),
        success=_("Return recorded."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_close(request, pk: int):
    return _case_action(
        request,
        pk,
        step="close",
        form_factory=_plain(forms.CloseForm),
        action=lambda case, d: cases.close_case(actor=request.user, case=case, **d),
        title=_("Close the case"),
        success=_("Case closed."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_edit(request, pk: int):
    return _case_action(
        request,
        pk,
        step="edit",
        form_factory=_plain(forms.CaseDetailsForm),
        action=lambda case, d: cases.update_case_details(actor=request.user, case=case, **d),
        title=_("Edit the case"),
        success=_("Case saved."),
        initial=lambda case: {
            "cause": case.cause,
            "cause_detail": case.cause_detail,
            "responsible_persons": case.responsible_persons,
            "version": case.version,
        },
    )


# --- documents -------------------------------------------------------------------------------


def _document(request, pk) -> OfficialDocument:
    return get_scoped_or_404(
        OfficialDocument.objects.select_related("case", "voided_by"), request.user, pk=pk
    )


@login_required
def document_page(request, pk: int):
    document = _document(request, pk)
    audit.record_view(document, request=request, shown="print_page")
    return render(
        request,
        "dropout/document_print.html",
        {
            "document": document,
            "content": document.content,
            "may_correct": (
                not document.voided_by_id
                and user_may(request.user, DropoutCase.objects, CASE_ROLES, document.case)
            ),
        },
    )


@login_required
def document_pdf(request, pk: int):
    document = _document(request, pk)
    audit.record_view(document, request=request, shown="pdf")
    pdf = render_pdf(document_from_content(document.content))
    response = HttpResponse(pdf, content_type="application/pdf")
    # Open in the browser, or ?download=1 to save it under its number.
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = content_disposition(disposition, f"{document.number}.pdf")
    return response


@login_required
@require_http_methods(["GET", "POST"])
def document_correct(request, pk: int):
    document = _document(request, pk)
    if not user_may(request.user, DropoutCase.objects, CASE_ROLES, document.case):
        raise PermissionDenied
    form = forms.CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        new = run_on_form(
            request,
            form,
            lambda d: documents.correct_document(actor=request.user, document=document, **d),
            _("Corrected document issued."),
        )
        if new:
            return redirect("dropout:document_page", pk=new.pk)
    return render(
        request,
        "dropout/action_form.html",
        {
            "form": form,
            "case": document.case,
            "child": document.case.child,
            "title": _("Correct %(number)s") % {"number": document.number},
        },
    )


# --- exemptions ------------------------------------------------------------------------------


@login_required
def exemption_list(request):
    queue = request.GET.get("queue", "pending")
    requests = selectors.exemptions_for(request.user)
    # The filters of a drill-down (the annual summary: filed in a year, of a township, of a
    # kind) narrow every queue; invalid ones are shown and filter nothing.
    narrowing = {key: value for key, value in request.GET.items() if key in EXEMPTION_FILTER_KEYS}
    exemption_filter = None
    if narrowing:
        exemption_filter = ExemptionFilter(narrowing, queryset=requests)
        exemption_filter.filters["township"].queryset = Township.objects.for_user(request.user)
        if exemption_filter.is_valid():
            requests = exemption_filter.qs
    R = ExemptionRequest.Status
    queues = {
        "township": requests.filter(status__in=(R.SUBMITTED, R.RETURNED)),
        "bureau": requests.filter(status=R.TOWNSHIP_APPROVED),
        "pending": requests.filter(status__in=(R.SUBMITTED, R.RETURNED, R.TOWNSHIP_APPROVED)),
        "due": exemptions.due_back(requests),
        "all": requests,
    }
    if queue not in queues:
        raise Http404
    page = Paginator(queues[queue], 50).get_page(request.GET.get("page"))
    return render(
        request,
        "dropout/exemption_list.html",
        {
            "page": page,
            "queue": queue,
            "filter": exemption_filter,
            "counts": {name: queues[name].count() for name in ("township", "bureau", "due")},
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def exemption_new(request):
    child = get_scoped_or_404(
        Child.objects.select_related("village__township"),
        request.user,
        pk=_int(request.GET.get("child")),
    )
    if not user_may(request.user, Child.objects, EXEMPTION_REGISTER_ROLES, child):
        raise PermissionDenied
    form = forms.ExemptionForm(request.POST or None, request.FILES or None, child=child)
    if request.method == "POST" and form.is_valid():
        created = run_on_form(
            request,
            form,
            lambda d: exemptions.register_exemption(actor=request.user, child=child, **d),
            _("Exemption request registered."),
        )
        if created:
            return redirect("dropout:exemption_detail", pk=created.pk)
    return render(
        request,
        "dropout/action_form.html",
        {
            "form": form,
            "child": child,
            "title": _("Register an exemption request"),
            "multipart": True,
        },
    )


def _exemption(request, pk) -> ExemptionRequest:
    return get_scoped_or_404(
        ExemptionRequest.objects.select_related("child__village__township", "school"),
        request.user,
        pk=pk,
    )


@login_required
def exemption_detail(request, pk: int):
    exemption = _exemption(request, pk)
    answers = EXEMPTION_TRANSITIONS.answers(exemption, request.user)
    actions = [action for action, answer in answers.items() if answer]
    return render(
        request,
        "dropout/exemption_detail.html",
        {
            "exemption": exemption,
            "steps": exemption.steps.select_related("actor"),
            "actions": actions,
            "form": forms.DecisionNoteForm(),
        },
    )


EXEMPTION_ACTIONS = {
    "approve": (
        lambda user, request, data: exemptions.township_approve(
            actor=user, request=request, note=data["note"]
        ),
        _("Approved by the township."),
    ),
    "file": (
        lambda user, request, data: exemptions.file_exemption(
            actor=user, request=request, note=data["note"]
        ),
        _("Filed; the child's status is set."),
    ),
    "reject": (
        lambda user, request, data: exemptions.reject_exemption(
            actor=user, request=request, note=data["note"]
        ),
        _("Rejected."),
    ),
    "return": (
        lambda user, request, data: exemptions.return_exemption(
            actor=user, request=request, note=data["note"]
        ),
        _("Returned for more evidence."),
    ),
    "resubmit": (
        lambda user, request, data: exemptions.resubmit_exemption(
            actor=user, request=request, note=data["note"], evidence=data["evidence"]
        ),
        _("Resubmitted."),
    ),
}


@login_required
@require_POST
def exemption_action(request, pk: int, action: str):
    exemption = _exemption(request, pk)
    if action not in EXEMPTION_ACTIONS:
        raise Http404
    # Refused before the form is read: a role that may not take this step (an auditor, an
    # inspector, the township at the bureau's step) gets 403 whatever it sent.
    if EXEMPTION_TRANSITIONS.can(exemption, action, request.user).refused_for_role:
        raise PermissionDenied
    form = forms.DecisionNoteForm(request.POST, request.FILES)
    service, success = EXEMPTION_ACTIONS[action]
    if form.is_valid():
        try:
            service(request.user, exemption, form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, success)
    return redirect("dropout:exemption_detail", pk=exemption.pk)


EXEMPTION_FILES = {"application": "application_scan", "evidence": "evidence"}


@login_required
def exemption_file(request, pk: int, which: str):
    """A scan of a minor's medical or family papers: served through scope, as its verified type
    (core.uploads), and every download is audited."""
    exemption = _exemption(request, pk)
    if which not in EXEMPTION_FILES:
        raise Http404
    field = getattr(exemption, EXEMPTION_FILES[which])
    if not field:
        raise Http404
    label = ExemptionRequest._meta.get_field(EXEMPTION_FILES[which]).verbose_name
    response = upload_response(field, filename=f"{label}-{exemption.pk}")
    audit.record(audit.A.VIEW, obj=exemption, request=request, detail={"file": which})
    return response


# --- absences --------------------------------------------------------------------------------


@login_required
def absence_list(request):
    reports = (
        AbsenceReport.objects.for_user(request.user)
        .filter(returned_on__isnull=True)
        .select_related("child__village", "school")
        .order_by("first_absent_on", "pk")
    )
    page = Paginator(reports, 50).get_page(request.GET.get("page"))
    return render(request, "dropout/absence_list.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def absence_new(request):
    child = get_scoped_or_404(Child.objects.all(), request.user, pk=_int(request.GET.get("child")))
    if not user_may(request.user, Child.objects, ABSENCE_ROLES, child):
        raise PermissionDenied
    form = forms.AbsenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if run_on_form(
            request,
            form,
            lambda d: absences.report_absence(actor=request.user, child=child, **d),
            _("Absence reported."),
        ):
            return redirect("enrollment:child_detail", pk=child.pk)
    return render(
        request,
        "dropout/action_form.html",
        {"form": form, "child": child, "title": _("Report an unexcused absence")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def absence_back(request, pk: int):
    report = get_scoped_or_404(AbsenceReport.objects.select_related("child"), request.user, pk=pk)
    if not user_may(request.user, AbsenceReport.objects, ABSENCE_ROLES, report):
        raise PermissionDenied
    form = forms.BackInSchoolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if run_on_form(
            request,
            form,
            lambda d: absences.record_back_in_school(actor=request.user, report=report, **d),
            _("Back in school recorded."),
        ):
            return redirect("enrollment:child_detail", pk=report.child_id)
    return render(
        request,
        "dropout/action_form.html",
        {"form": form, "child": report.child, "title": _("Back in school")},
    )
