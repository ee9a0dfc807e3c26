"""Pages of the inspections module. Each action: GET shows the form, POST calls the service and
turns a refusal into a message on the form. Reads go through for_user() (404 outside the
scope); acting needs the role (403)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError, int_or_404, show_on_form
from core.export_jobs import request_export
from enrollment.models import County
from enrollment.permissions import (
    get_scoped_or_404,
    has_any_role,
    may_edit_shared_catalogue,
    user_county,
    user_may,
)

from . import forms, selectors
from .exports import LEDGER_QUERY_KEYS
from .models import (
    Area,
    BureauSection,
    Campaign,
    Complaint,
    Inspection,
    InspectionGroup,
    Issue,
    RecordLink,
)
from .roles import MANAGE_ROLES
from .services import complaints as complaint_services
from .services import inspections as inspection_services
from .services import issues as issue_services
from .transitions import ISSUE_TRANSITIONS

_form_error = show_on_form


def _run(request, form, action, success_message):
    try:
        result = action(form.cleaned_data)
    except DomainError as error:
        _form_error(form, error)
        return None
    messages.success(request, success_message)
    return result or True


def _managed_county(request) -> County:
    """The county the user records inspections in; 403 without the role there."""
    county = user_county(request.user, roles=MANAGE_ROLES)
    if county is None or not user_may(request.user, County.objects, MANAGE_ROLES, county):
        raise PermissionDenied
    return county


def may_manage(user) -> bool:
    """Whether to offer the recording actions (the manage roles are all county-wide; the
    services check the role against the database again)."""
    return has_any_role(user, MANAGE_ROLES)


def _form_page(request, form, title, *, back=None, multipart=False):
    return render(
        request,
        "inspections/form.html",
        {"form": form, "title": title, "back": back, "multipart": multipart},
    )


_int = int_or_404


# --- the rectification ledger ----------------------------------------------------------------


@login_required
def ledger(request):
    filtered = selectors.ledger_filter(request.user, request.GET)
    if filtered.is_bound and not filtered.is_valid():
        rows = Issue.objects.none()
    else:
        rows = selectors.ledger_rows(filtered)
    figures = selectors.ledger_figures(rows)
    selectors.styled(filtered.form)
    paginator = Paginator(rows, 50)
    paginator.count = figures.total["found"]  # the same rows, already counted
    page = paginator.get_page(request.GET.get("page"))
    today = timezone.localdate()
    return render(
        request,
        "inspections/ledger.html",
        {
            "filter": filtered,
            "page": page,
            "figures": figures,
            "today": today,
            "may_manage": may_manage(request.user),
            "chart": {
                "labels": [row["area__name"] for row in figures.by_area],
                "found": [row["found"] for row in figures.by_area],
                "rectified": [row["rectified"] for row in figures.by_area],
                "verified": [row["verified"] for row in figures.by_area],
            },
            "export_query": [
                (key, value)
                for key, values in request.GET.lists()
                if key in LEDGER_QUERY_KEYS
                for value in values
                if value
            ],
            "query_string": _without_page(request),
        },
    )


def _without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@require_POST
def ledger_export(request):
    query = {
        key: [value for value in values if value]
        for key, values in request.POST.lists()
        if key in LEDGER_QUERY_KEYS and any(values)
    }
    job = request_export(
        user=request.user,
        exporter="rectification_ledger",
        title=f"整改台账{timezone.localdate().isoformat()}",
        params={"query": query},
    )
    return redirect("core:export_detail", pk=job.pk)


# --- issues ----------------------------------------------------------------------------------


def _issue(request, pk) -> Issue:
    return get_scoped_or_404(
        Issue.objects.select_related(
            "school__township",
            "township",
            "section",
            "area",
            "campaign",
            "inspection",
            "complaint",
            "raised_by",
            "verified_by",
            "county",
        ),
        request.user,
        pk=pk,
    )


def _links(request, links):
    """Each linked record with its label, shown only when the user can see that record."""
    shown = []
    for link in links:
        model = link.content_type.model_class()
        manager = model._default_manager
        visible = manager.for_user(request.user) if hasattr(manager, "for_user") else manager
        record = visible.filter(pk=link.object_id).first() if model else None
        url = ""
        if record is not None and hasattr(record, "get_absolute_url"):
            url = record.get_absolute_url()
        shown.append(
            {
                "kind": model._meta.verbose_name if model else link.content_type.model,
                "label": str(record) if record is not None else _("a record you cannot open"),
                "url": url,
                "object_id": link.object_id,
            }
        )
    return shown


# The issue page's buttons, in order; the transition table decides which are shown.
ISSUE_BUTTONS = (
    ("start", _lazy("Start rectification"), "primary"),
    ("progress", _lazy("Report progress"), "outline-primary"),
    ("submit", _lazy("Submit the rectification"), "success"),
    ("verify", _lazy("Verify and close (销号)"), "success"),
    ("reopen", _lazy("Verification failed"), "outline-danger"),
    ("edit", _lazy("Edit"), "outline-secondary"),
    ("withdraw", _lazy("Withdraw"), "outline-danger"),
)


@login_required
def issue_detail(request, pk: int):
    issue = _issue(request, pk)
    user = request.user
    manage = user_may(user, Issue.objects, MANAGE_ROLES, issue)
    steps = ISSUE_TRANSITIONS.answers(issue, user)
    actions = [(action, label, style) for action, label, style in ISSUE_BUTTONS if steps[action]]
    if manage:
        actions.append(("link", _("Link a record"), "outline-secondary"))
    return render(
        request,
        "inspections/issue_detail.html",
        {
            "issue": issue,
            "events": issue.events.select_related("actor"),
            "links": _links(request, issue.links.select_related("content_type")),
            "actions": actions,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def issue_new(request):
    county = _managed_county(request)
    inspection = complaint = None
    initial = {}
    if request.GET.get("inspection"):
        inspection = get_scoped_or_404(
            Inspection.objects.select_related("school", "township", "section"),
            request.user,
            pk=_int(request.GET["inspection"]),
        )
        initial["unit"] = selectors.unit_value(inspection.unit)
    if request.GET.get("complaint"):
        complaint = get_scoped_or_404(
            Complaint.objects.select_related("school", "township", "section"),
            request.user,
            pk=_int(request.GET["complaint"]),
        )
        if complaint.unit is not None:
            initial["unit"] = selectors.unit_value(complaint.unit)
    form = forms.IssueForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        county=county,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        issue = _run(
            request,
            form,
            lambda d: issue_services.raise_issue(
                actor=request.user,
                county=county,
                inspection=inspection,
                complaint=complaint,
                **d,
            ),
            _("Issue recorded."),
        )
        if issue:
            return redirect("inspections:issue_detail", pk=issue.pk)
    title = _("Record an issue")
    if inspection:
        title = _("Record an issue found in the inspection of %(unit)s on %(date)s") % {
            "unit": inspection.unit_name,
            "date": inspection.date.isoformat(),
        }
    elif complaint:
        title = _("Record an issue raised from complaint #%(pk)s") % {"pk": complaint.pk}
    return _form_page(request, form, title, multipart=True)


def _issue_form_page(request, issue, form, title):
    return render(
        request,
        "inspections/form.html",
        {"form": form, "title": title, "issue": issue, "multipart": True},
    )


@login_required
@require_http_methods(["GET", "POST"])
def issue_edit(request, pk: int):
    issue = _issue(request, pk)
    if ISSUE_TRANSITIONS.can(issue, "edit", request.user).refused_for_role:
        raise PermissionDenied
    initial = {name: getattr(issue, name) for name in issue_services.EDITABLE_FIELDS}
    initial["unit"] = selectors.unit_value(issue.unit)
    initial["version"] = issue.version
    form = forms.IssueForm(
        request.POST or None,
        user=request.user,
        county=issue.county,
        editing=True,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        if _run(
            request,
            form,
            lambda d: issue_services.update_issue(actor=request.user, issue=issue, **d),
            _("Issue saved."),
        ):
            return redirect("inspections:issue_detail", pk=issue.pk)
    return _issue_form_page(request, issue, form, _("Edit issue %(number)s") % issue.__dict__)


ISSUE_ACTIONS = {
    # name: (form, service, title, success)
    "start": (
        forms.NoteForm,
        lambda actor, issue, d: issue_services.start_rectification(
            actor=actor, issue=issue, note=d["note"], on=d["on"]
        ),
        _("Start rectification"),
        _("Rectification started."),
    ),
    "progress": (
        forms.NoteForm,
        lambda actor, issue, d: issue_services.report_progress(actor=actor, issue=issue, **d),
        _("Report progress"),
        _("Progress recorded."),
    ),
    "submit": (
        forms.SubmitForm,
        lambda actor, issue, d: issue_services.submit_rectification(actor=actor, issue=issue, **d),
        _("Submit the rectification"),
        _("Rectification submitted for verification."),
    ),
    "verify": (
        forms.VerifyForm,
        lambda actor, issue, d: issue_services.verify_issue(actor=actor, issue=issue, **d),
        _("Verify and close (销号)"),
        _("Issue verified and closed."),
    ),
    "reopen": (
        forms.ReopenForm,
        lambda actor, issue, d: issue_services.reopen_issue(actor=actor, issue=issue, **d),
        _("Verification failed"),
        _("Issue sent back for rectification."),
    ),
    "withdraw": (
        forms.WithdrawForm,
        lambda actor, issue, d: issue_services.withdraw_issue(actor=actor, issue=issue, **d),
        _("Withdraw the issue"),
        _("Issue withdrawn."),
    ),
}


@login_required
@require_http_methods(["GET", "POST"])
def issue_action(request, pk: int, action: str):
    if action not in ISSUE_ACTIONS:
        raise Http404
    issue = _issue(request, pk)
    form_class, service, title, success = ISSUE_ACTIONS[action]
    # Scope (404, above), then the step's role (403); the state is the service's answer.
    if ISSUE_TRANSITIONS.can(issue, action, request.user).refused_for_role:
        raise PermissionDenied
    form = form_class(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        if _run(request, form, lambda d: service(request.user, issue, d), success):
            return redirect("inspections:issue_detail", pk=issue.pk)
    return _issue_form_page(request, issue, form, title)


def _link_view(request, owner_kind, owner, back):
    if not user_may(request.user, type(owner).objects, MANAGE_ROLES, owner):
        raise PermissionDenied
    form = forms.LinkForm(
        request.POST or None, content_types=complaint_services.linkable_content_types()
    )
    if request.method == "POST" and form.is_valid():
        if _run(
            request,
            form,
            lambda d: complaint_services.link_record(
                actor=request.user, **{owner_kind: owner}, **d
            ),
            _("Record linked."),
        ):
            return redirect(back)
    return _form_page(request, form, _("Link a record of another module"), back=back)


@login_required
@require_http_methods(["GET", "POST"])
def issue_link(request, pk: int):
    issue = _issue(request, pk)
    return _link_view(request, "issue", issue, f"/inspections/issues/{issue.pk}/")


# --- inspections -----------------------------------------------------------------------------


@login_required
def inspection_list(request):
    filtered, rows = selectors.inspection_rows(request.user, request.GET)
    selectors.styled(filtered.form)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "inspections/inspection_list.html",
        {
            "filter": filtered,
            "page": page,
            "may_manage": may_manage(request.user),
            "query_string": _without_page(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def inspection_new(request):
    county = _managed_county(request)
    form = forms.InspectionForm(
        request.POST or None, request.FILES or None, user=request.user, county=county
    )
    if request.method == "POST" and form.is_valid():
        inspection = _run(
            request,
            form,
            lambda d: inspection_services.record_inspection(actor=request.user, county=county, **d),
            _("Inspection recorded."),
        )
        if inspection:
            return redirect("inspections:inspection_detail", pk=inspection.pk)
    return _form_page(request, form, _("Record an inspection"), multipart=True)


def _inspection(request, pk) -> Inspection:
    return get_scoped_or_404(
        Inspection.objects.select_related(
            "school", "township", "section", "group", "campaign", "recorded_by"
        ),
        request.user,
        pk=pk,
    )


@login_required
def inspection_detail(request, pk: int):
    inspection = _inspection(request, pk)
    return render(
        request,
        "inspections/inspection_detail.html",
        {
            "inspection": inspection,
            "areas": inspection.areas.all(),
            "members": inspection.group.members.all() if inspection.group else [],
            "attachments": inspection.attachments.all(),
            "issues": Issue.objects.for_user(request.user)
            .filter(inspection=inspection)
            .select_related("area", "school", "township", "section"),
            "may_manage": user_may(request.user, Inspection.objects, MANAGE_ROLES, inspection),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def inspection_attach(request, pk: int):
    inspection = _inspection(request, pk)
    if not user_may(request.user, Inspection.objects, MANAGE_ROLES, inspection):
        raise PermissionDenied
    form = forms.AttachmentForm(request.POST or None, request.FILES or None)
    back = f"/inspections/inspections/{inspection.pk}/"
    if request.method == "POST" and form.is_valid():
        if _run(
            request,
            form,
            lambda d: inspection_services.add_attachment(
                actor=request.user, inspection=inspection, upload=d["upload"]
            ),
            _("Attachment added."),
        ):
            return redirect(back)
    return _form_page(request, form, _("Add an attachment"), back=back, multipart=True)


# --- campaigns, groups, areas, sections ------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def campaign_list(request):
    manage = may_manage(request.user)
    form = None
    if manage:
        county = _managed_county(request)
        form = forms.CampaignForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if _run(
                request,
                form,
                lambda d: inspection_services.create_campaign(
                    actor=request.user, county=county, **d
                ),
                _("Campaign created."),
            ):
                return redirect("inspections:campaign_list")
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "inspections/campaign_list.html",
        {"campaigns": Campaign.objects.for_user(request.user), "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def group_list(request):
    manage = may_manage(request.user)
    form = None
    if manage:
        county = _managed_county(request)
        form = forms.GroupForm(request.POST or None, user=request.user, county=county)
        if request.method == "POST" and form.is_valid():
            if _run(
                request,
                form,
                lambda d: inspection_services.create_group(actor=request.user, county=county, **d),
                _("Inspection group created."),
            ):
                return redirect("inspections:group_list")
    elif request.method == "POST":
        raise PermissionDenied
    groups = (
        InspectionGroup.objects.for_user(request.user)
        .select_related("campaign", "leader")
        .prefetch_related("members")
    )
    return render(request, "inspections/group_list.html", {"groups": groups, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def area_list(request):
    manage = may_manage(request.user)
    area_form = section_form = None
    if manage:
        county = _managed_county(request)
        # The areas are one list for every county: only who answers for all of them edits it.
        if may_edit_shared_catalogue(request.user, MANAGE_ROLES):
            area_form = forms.AreaForm(request.POST if "add_area" in request.POST else None)
        section_form = forms.SectionForm(request.POST if "add_section" in request.POST else None)
        if request.method == "POST":
            done = None
            if "add_area" in request.POST and area_form and area_form.is_valid():
                done = _run(
                    request,
                    area_form,
                    lambda d: inspection_services.add_area(actor=request.user, county=county, **d),
                    _("Area added."),
                )
            elif "add_section" in request.POST and section_form.is_valid():
                done = _run(
                    request,
                    section_form,
                    lambda d: inspection_services.add_section(
                        actor=request.user, county=county, **d
                    ),
                    _("Bureau section added."),
                )
            elif "retire" in request.POST:
                area = Area.objects.filter(pk=_int(request.POST["retire"])).first()
                if area is None:
                    raise Http404
                inspection_services.retire_area(actor=request.user, county=county, area=area)
                messages.success(request, _("Area no longer offered."))
                done = True
            if done:
                return redirect("inspections:area_list")
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "inspections/area_list.html",
        {
            "areas": Area.objects.all(),
            "sections": BureauSection.objects.for_user(request.user),
            "area_form": area_form,
            "section_form": section_form,
        },
    )


@login_required
def campaign_summary(request):
    today = timezone.localdate()
    form = forms.SummaryForm(request.GET or None, user=request.user)
    campaign = None
    date_from, date_to = datetime.date(today.year, 1, 1), today
    if form.is_bound and form.is_valid():
        campaign = form.cleaned_data["campaign"]
        if campaign is not None:
            date_from, date_to = campaign.start_date, campaign.end_date
        date_from = form.cleaned_data["date_from"] or date_from
        date_to = form.cleaned_data["date_to"] or date_to
    elif not form.is_bound:
        form = forms.SummaryForm(
            initial={"date_from": date_from, "date_to": date_to}, user=request.user
        )
    if date_to < date_from:
        date_from, date_to = date_to, date_from
    selectors.styled(form)
    summary = selectors.campaign_summary(
        request.user, date_from=date_from, date_to=date_to, campaign=campaign
    )
    return render(
        request,
        "inspections/summary.html",
        {
            "form": form,
            "summary": summary,
            "campaign": campaign,
            "date_from": date_from,
            "date_to": date_to,
        },
    )


# --- complaints ------------------------------------------------------------------------------


@login_required
def complaint_list(request):
    filtered, rows = selectors.complaint_rows(request.user, request.GET)
    selectors.styled(filtered.form)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for complaint in page:
        complaint.handler_ids = {handler.pk for handler in complaint.handlers.all()}
        complaint.identity_visible = complaint_services.sees_complainant(request.user, complaint)
    return render(
        request,
        "inspections/complaint_list.html",
        {
            "filter": filtered,
            "page": page,
            "may_manage": may_manage(request.user),
            "query_string": _without_page(request),
            "export_query": [
                (key, value)
                for key, values in request.GET.lists()
                if key in ("channel", "status")
                for value in values
                if value
            ],
        },
    )


@login_required
@require_POST
def complaint_export(request):
    query = {
        key: [value for value in values if value]
        for key, values in request.POST.lists()
        if key in ("channel", "status") and any(values)
    }
    job = request_export(
        user=request.user,
        exporter="complaints",
        title=f"信访举报登记{timezone.localdate().isoformat()}",
        params={"query": query},
    )
    return redirect("core:export_detail", pk=job.pk)


@login_required
@require_http_methods(["GET", "POST"])
def complaint_new(request):
    county = _managed_county(request)
    form = forms.ComplaintForm(
        request.POST or None,
        user=request.user,
        county=county,
        initial={"handlers": [request.user.pk]},
    )
    if request.method == "POST" and form.is_valid():
        complaint = _run(
            request,
            form,
            lambda d: complaint_services.register_complaint(actor=request.user, county=county, **d),
            _("Complaint registered."),
        )
        if complaint:
            return redirect("inspections:complaint_detail", pk=complaint.pk)
    return _form_page(request, form, _("Register a complaint"))


def _complaint(request, pk) -> Complaint:
    complaint = get_scoped_or_404(
        Complaint.objects.select_related("school", "township", "section", "campaign", "county"),
        request.user,
        pk=pk,
    )
    complaint.handler_list = list(complaint.handlers.all())
    complaint.handler_ids = {handler.pk for handler in complaint.handler_list}
    return complaint


@login_required
def complaint_detail(request, pk: int):
    complaint = _complaint(request, pk)
    identity = complaint_services.sees_complainant(request.user, complaint)
    manage = user_may(request.user, Complaint.objects, MANAGE_ROLES, complaint)
    return render(
        request,
        "inspections/complaint_detail.html",
        {
            "complaint": complaint,
            "identity_visible": identity,
            "steps": complaint.steps.select_related("actor"),
            "issues": Issue.objects.for_user(request.user)
            .filter(complaint=complaint)
            .select_related("school", "township", "section"),
            "links": _links(
                request,
                RecordLink.objects.filter(complaint=complaint).select_related("content_type"),
            ),
            "may_handle": manage and identity,
            "may_manage": manage,
            "is_open": complaint.status != Complaint.Status.CONCLUDED,
        },
    )


def _complaint_action(request, pk, form_factory, action, title, success):
    complaint = _complaint(request, pk)
    manage = user_may(request.user, Complaint.objects, MANAGE_ROLES, complaint)
    if not (manage and complaint_services.sees_complainant(request.user, complaint)):
        raise PermissionDenied
    form = form_factory(complaint, request.POST or None)
    back = f"/inspections/complaints/{complaint.pk}/"
    if request.method == "POST" and form.is_valid():
        if _run(request, form, lambda d: action(complaint, d), success):
            return redirect(back)
    return _form_page(request, form, title, back=back)


@login_required
@require_http_methods(["GET", "POST"])
def complaint_step(request, pk: int):
    return _complaint_action(
        request,
        pk,
        lambda complaint, data: forms.StepForm(data),
        lambda complaint, d: complaint_services.add_step(
            actor=request.user, complaint=complaint, **d
        ),
        _("Record a handling step"),
        _("Step recorded."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def complaint_conclude(request, pk: int):
    return _complaint_action(
        request,
        pk,
        lambda complaint, data: forms.ConcludeForm(data),
        lambda complaint, d: complaint_services.conclude_complaint(
            actor=request.user, complaint=complaint, **d
        ),
        _("Conclude the complaint"),
        _("Complaint concluded."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def complaint_handlers(request, pk: int):
    return _complaint_action(
        request,
        pk,
        lambda complaint, data: forms.HandlersForm(
            data,
            county=complaint.county,
            initial={"handlers": list(complaint.handler_ids), "version": complaint.version},
        ),
        lambda complaint, d: complaint_services.set_handlers(
            actor=request.user, complaint=complaint, **d
        ),
        _("Change the handlers"),
        _("Handlers changed."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def complaint_link(request, pk: int):
    complaint = _complaint(request, pk)
    return _link_view(request, "complaint", complaint, f"/inspections/complaints/{complaint.pk}/")


# --- files (read through the record's scope, never from a public media URL) ------------------


def _file_response(field, filename: str = ""):
    # Served as its verified type, inline only when it is a sound PDF or image (core.uploads).
    from core.uploads import upload_response

    if not field:
        raise Http404
    stem = filename.rsplit(".", 1)[0] if filename else field.name.rsplit("/", 1)[-1].split(".")[0]
    return upload_response(field, filename=stem)


@login_required
def issue_evidence(request, pk: int):
    return _file_response(_issue(request, pk).evidence_file)


@login_required
def issue_event_evidence(request, pk: int, event_pk: int):
    issue = _issue(request, pk)
    event = issue.events.filter(pk=event_pk).first()
    if event is None:
        raise Http404
    return _file_response(event.evidence_file)


@login_required
def inspection_attachment(request, pk: int, attachment_pk: int):
    inspection = _inspection(request, pk)
    attachment = inspection.attachments.filter(pk=attachment_pk).first()
    if attachment is None:
        raise Http404
    return _file_response(attachment.file, attachment.name)
