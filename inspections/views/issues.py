"""Issues: their page, recording and editing, and the steps of their transition table."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from core.errors import run_on_form
from enrollment.permissions import get_scoped_or_404, user_may

from .. import forms, selectors
from ..models import Complaint, Inspection, Issue
from ..roles import MANAGE_ROLES
from ..services import issues as issue_services
from ..transitions import ISSUE_TRANSITIONS
from .common import _form_page, _int, _link_view, _links, _managed_county


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
        issue = run_on_form(
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
        if run_on_form(
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
        if run_on_form(request, form, lambda d: service(request.user, issue, d), success):
            return redirect("inspections:issue_detail", pk=issue.pk)
    return _issue_form_page(request, issue, form, title)


@login_required
@require_http_methods(["GET", "POST"])
def issue_link(request, pk: int):
    issue = _issue(request, pk)
    return _link_view(request, "issue", issue, f"/inspections/issues/{issue.pk}/")
