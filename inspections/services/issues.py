"""问题: open → rectifying → submitted → verified (销号); a failed verification sends it back to
rectifying with the reason; withdrawn with a reason instead of ever being deleted."""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from core.concurrency import check_and_bump
from core.errors import DomainError
from core.notifications import notify, settle
from core.numbering import take_next_number
from core.services import check_upload, not_future, require_role, required_text, saved_by, today
from enrollment.models import County, RoleAssignment

from ..models import Area, Campaign, Complaint, Inspection, Issue, IssueEvent, UnitKind, overdue_q
from ..roles import MANAGE_ROLES
from ..transitions import ISSUE_TRANSITIONS
from .units import check_unit

EDITABLE_FIELDS = (
    "area",
    "category",
    "description",
    "evidence",
    "responsible_person",
    "measures",
    "deadline",
)


def issue_number(county: County, year: int) -> str:
    return (
        f"{year}-{take_next_number(issuer=f'inspections:{county.code}', kind='issue', year=year)}"
    )


def _event(issue, *, actor, action, on, from_status="", note="", evidence_file=None):
    return IssueEvent.objects.create(
        issue=issue,
        action=action,
        from_status=from_status,
        to_status=issue.status,
        on=on,
        note=note,
        evidence_file=evidence_file or "",
        actor=actor,
    )


def _locked(issue) -> Issue:
    return (
        Issue.objects.select_for_update(of=("self",))
        .select_related("school", "township", "section")
        .get(pk=issue.pk)
    )


def _validate_fields(
    *, county, area, category, description, responsible_person, measures, deadline, evidence=""
):
    if area is None:
        raise DomainError(_("Choose the area."), field="area")
    if category not in Issue.Category.values:
        raise DomainError(_("Choose the category."), field="category")
    required_text(description, "description", _("Describe the problem."))
    required_text(responsible_person, "responsible_person", _("Name the responsible person."))
    required_text(measures, "measures", _("Say what must be done to rectify it."))
    if deadline is None:
        raise DomainError(_("Set the deadline for rectification."), field="deadline")


@transaction.atomic
def raise_issue(
    *,
    actor,
    county: County,
    unit,
    area: Area,
    category: str,
    description: str,
    responsible_person: str,
    measures: str,
    deadline: datetime.date,
    evidence: str = "",
    evidence_file=None,
    inspection: Inspection | None = None,
    complaint: Complaint | None = None,
    campaign: Campaign | None = None,
    found_on: datetime.date | None = None,
) -> Issue:
    """Record a problem found in an inspection or raised from a complaint."""
    require_role(actor, county, MANAGE_ROLES)
    check_unit(unit, county)
    _validate_fields(
        county=county,
        area=area,
        category=category,
        description=description,
        responsible_person=responsible_person,
        measures=measures,
        deadline=deadline,
    )
    for source in (inspection, complaint, campaign):
        if source is not None and source.county_id != county.pk:
            raise DomainError(_("The source is not in this county."))
    found_on = found_on or (inspection.date if inspection else today())
    not_future(found_on, "found_on")
    if deadline < found_on:
        raise DomainError(
            _("The deadline cannot be before the day it was found."), field="deadline"
        )
    evidence_file = check_upload(evidence_file, "evidence_file")
    if campaign is None:
        campaign = (inspection and inspection.campaign) or (complaint and complaint.campaign)
    issue = Issue(
        county=county,
        campaign=campaign,
        inspection=inspection,
        complaint=complaint,
        area=area,
        category=category,
        description=description.strip(),
        evidence=evidence.strip(),
        evidence_file=evidence_file or "",
        responsible_person=responsible_person.strip(),
        measures=measures.strip(),
        deadline=deadline,
        found_on=found_on,
        raised_by=actor,
        number=issue_number(county, found_on.year),
    )
    issue.set_unit(unit)
    saved_by(issue, actor)
    _event(issue, actor=actor, action=IssueEvent.Action.RAISED, on=found_on)
    # The unit learns of it at once (and finds it among its rectifications due at home).
    _tell_unit(
        issue,
        _("Issue %(number)s was raised against %(unit)s: rectify by %(deadline)s."),
        unit=issue.unit_name,
        deadline=deadline.isoformat(),
    )
    if complaint is not None and complaint.status == Complaint.Status.RECEIVED:
        Complaint.objects.filter(pk=complaint.pk).update(status=Complaint.Status.HANDLING)
    return issue


@transaction.atomic
def update_issue(*, actor, issue: Issue, unit=None, version: int | None = None, **changes) -> Issue:
    """Correct an issue's details; a verified or withdrawn issue is closed for good.
    `version`: the one the editor's form was built from; a stale one is refused."""
    issue = _locked(issue)
    ISSUE_TRANSITIONS.require(issue, "edit", actor)
    check_and_bump(issue, version)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(_("These fields cannot be edited: %s") % ", ".join(sorted(unknown)))
    values = {name: changes.get(name, getattr(issue, name)) for name in EDITABLE_FIELDS}
    county = issue.county
    _validate_fields(county=county, **values)
    if values["deadline"] < issue.found_on:
        raise DomainError(
            _("The deadline cannot be before the day it was found."), field="deadline"
        )
    before = {name: getattr(issue, name) for name in EDITABLE_FIELDS}
    for name, value in values.items():
        setattr(issue, name, value.strip() if isinstance(value, str) else value)
    if unit is not None and unit != issue.unit:
        check_unit(unit, county)
        before["unit"] = issue.unit_name
        issue.set_unit(unit)
    changed = [
        str(Issue._meta.get_field(name).verbose_name)
        for name in EDITABLE_FIELDS
        if getattr(issue, name) != before[name]
    ] + ([str(pgettext_lazy("inspections", "unit"))] if "unit" in before else [])
    if not changed:
        issue.refresh_from_db(fields=["version"])  # nothing saved: the version stays
        return issue
    saved_by(issue, actor)
    _event(
        issue,
        actor=actor,
        action=IssueEvent.Action.EDITED,
        on=today(),
        from_status=issue.status,
        note="、".join(changed),
    )
    return issue


@transaction.atomic
def start_rectification(*, actor, issue: Issue, note: str = "", on=None) -> Issue:
    """The responsible unit acknowledges the issue and starts on it."""
    issue = _locked(issue)
    transition = ISSUE_TRANSITIONS.require(issue, "start", actor)
    on = on or today()
    not_future(on, "on")
    previous, issue.status = issue.status, transition.target
    if note.strip():
        issue.progress = note.strip()
    saved_by(issue, actor)
    _event(
        issue, actor=actor, action=IssueEvent.Action.STARTED, on=on, from_status=previous, note=note
    )
    return issue


@transaction.atomic
def report_progress(*, actor, issue: Issue, note: str, on=None, evidence_file=None) -> Issue:
    issue = _locked(issue)
    transition = ISSUE_TRANSITIONS.require(issue, "progress", actor)
    note = required_text(note, "note", _("Say what has been done."))
    on = on or today()
    not_future(on, "on")
    evidence_file = check_upload(evidence_file, "evidence_file")
    previous = issue.status
    issue.status, issue.progress = transition.target, note
    saved_by(issue, actor)
    _event(
        issue,
        actor=actor,
        action=IssueEvent.Action.PROGRESS,
        on=on,
        from_status=previous,
        note=note,
        evidence_file=evidence_file,
    )
    return issue


@transaction.atomic
def submit_rectification(*, actor, issue: Issue, note: str, evidence_file=None, on=None) -> Issue:
    """The responsible unit reports the rectification done, with evidence, for verification."""
    issue = _locked(issue)
    transition = ISSUE_TRANSITIONS.require(issue, "submit", actor)
    note = required_text(note, "note", _("Say how the problem was rectified."))
    on = on or today()
    not_future(on, "on")
    if on < issue.found_on:
        raise DomainError(_("The date cannot be before the issue was found."), field="on")
    evidence_file = check_upload(evidence_file, "evidence_file")
    previous = issue.status
    issue.status, issue.progress, issue.submitted_on = transition.target, note, on
    saved_by(issue, actor)
    _event(
        issue,
        actor=actor,
        action=IssueEvent.Action.SUBMITTED,
        on=on,
        from_status=previous,
        note=note,
        evidence_file=evidence_file,
    )
    _tell_inspectors(issue, _("Rectification of issue %(number)s submitted for verification."))
    return issue


@transaction.atomic
def verify_issue(*, actor, issue: Issue, note: str = "", on=None) -> Issue:
    """An inspector checks the rectification and closes the issue (销号)."""
    issue = _locked(issue)
    transition = ISSUE_TRANSITIONS.require(issue, "verify", actor)
    on = on or today()
    not_future(on, "on")
    if issue.submitted_on and on < issue.submitted_on:
        raise DomainError(_("Verification cannot precede the submission."), field="on")
    issue.status, issue.verified_on, issue.verified_by = transition.target, on, actor
    saved_by(issue, actor)
    _event(
        issue,
        actor=actor,
        action=IssueEvent.Action.VERIFIED,
        on=on,
        from_status=Issue.Status.SUBMITTED,
        note=note,
    )
    settle(_link(issue))  # closed: nothing about it waits to be read any more
    return issue


@transaction.atomic
def reopen_issue(*, actor, issue: Issue, reason: str, deadline=None, on=None) -> Issue:
    """Verification failed: back to rectifying with the reason (and, if given, a new deadline)."""
    issue = _locked(issue)
    transition = ISSUE_TRANSITIONS.require(issue, "reopen", actor)
    reason = required_text(reason, "reason", _("Say why the rectification is not accepted."))
    on = on or today()
    not_future(on, "on")
    if deadline is not None:
        if deadline < on:
            raise DomainError(_("The new deadline cannot be in the past."), field="deadline")
        issue.deadline = deadline
        # The deadline is on the edit form: a form opened before this is now stale.
        check_and_bump(issue, None)
    issue.status, issue.submitted_on = transition.target, None
    saved_by(issue, actor)
    _event(
        issue,
        actor=actor,
        action=IssueEvent.Action.REOPENED,
        on=on,
        from_status=Issue.Status.SUBMITTED,
        note=reason,
    )
    _tell_unit(issue, _("Rectification of issue %(number)s was not accepted: %(reason)s"), reason)
    return issue


@transaction.atomic
def withdraw_issue(*, actor, issue: Issue, reason: str) -> Issue:
    """Take back an issue raised in error: it stays on record with the reason."""
    issue = _locked(issue)
    transition = ISSUE_TRANSITIONS.require(issue, "withdraw", actor)
    reason = required_text(reason, "reason", _("Say why the issue is withdrawn."))
    previous = issue.status
    issue.status, issue.withdrawn_reason = transition.target, reason
    saved_by(issue, actor)
    _event(
        issue,
        actor=actor,
        action=IssueEvent.Action.WITHDRAWN,
        on=today(),
        from_status=previous,
        note=reason,
    )
    settle(_link(issue))
    return issue


# --- who is told -----------------------------------------------------------------------------


def unit_users(issue):
    """The people who answer for the issue's unit."""
    if issue.unit_kind == UnitKind.SCHOOL:
        lookup = {"role": "school_staff", "school_id": issue.school_id}
    elif issue.unit_kind == UnitKind.TOWNSHIP:
        lookup = {"role": "township_official", "township_id": issue.township_id}
    else:
        lookup = {"role": "bureau_staff", "county_id": issue.county_id}
    return get_user_model().objects.filter(
        is_active=True, pk__in=RoleAssignment.objects.filter(**lookup).values("user_id")
    )


def _link(issue) -> str:
    return reverse("inspections:issue_detail", args=[issue.pk])


def _tell_unit(issue, template, reason="", **values):
    notify(
        list(unit_users(issue)),
        template % {"number": issue.number, "reason": reason, **values},
        link=_link(issue),
    )


def _tell_inspectors(issue, template):
    recipients = [issue.raised_by] if issue.raised_by.is_active else []
    notify(recipients, template % {"number": issue.number}, link=_link(issue))


def notify_overdue_issues(day: datetime.date | None = None) -> int:
    """Flag every issue whose deadline passed without a submitted rectification: an event on
    the issue and one notification to its unit and to the inspector who raised it, once per
    deadline (a rerun, or the next day, repeats nothing)."""
    day = day or today()
    flagged = 0
    candidates = (
        Issue.objects.filter(overdue_q(day))
        .exclude(overdue_notified_for=F("deadline"))
        .select_related("school", "township", "section", "raised_by")
        .order_by("pk")
    )
    for issue in candidates.iterator(chunk_size=500):
        with transaction.atomic():
            locked = Issue.objects.select_for_update().get(pk=issue.pk)
            still_overdue = locked.status in Issue.PENDING_STATUSES and locked.deadline < day
            if locked.overdue_notified_for == locked.deadline or not still_overdue:
                continue
            locked.overdue_notified_for = locked.deadline
            Issue.objects.filter(pk=locked.pk).update(overdue_notified_for=locked.deadline)
            _event(
                locked,
                actor=None,
                action=IssueEvent.Action.OVERDUE,
                on=day,
                from_status=locked.status,
                note=_("Deadline %(deadline)s passed without a submitted rectification.")
                % {"deadline": locked.deadline.isoformat()},
            )
            message = _(
                "Issue %(number)s (%(unit)s) is past its rectification deadline %(deadline)s."
            ) % {
                "number": issue.number,
                "unit": issue.unit_name,
                "deadline": issue.deadline.isoformat(),
            }
            recipients = list(unit_users(issue))
            if issue.raised_by.is_active:
                recipients.append(issue.raised_by)
            notify(
                recipients,
                message,
                link=_link(issue),
                key=f"inspections-overdue:{issue.pk}:{issue.deadline.isoformat()}",
            )
            flagged += 1
    return flagged
