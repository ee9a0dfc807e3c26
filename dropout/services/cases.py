"""失辍学案件: reported → persuading → notice_issued → penalty_decided, ending in returned
(then a consolidation period and strike-off) or closed."""

import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from core.concurrency import check_and_bump
from core.errors import DomainError, TransitionRefused
from core.notifications import settle
from core.services import not_future, require_role, saved_by, today
from enrollment.models import Child, EnrollmentStatus, School
from enrollment.services import set_status_by_procedure

from ..models import AbsenceReport, CaseEvent, CaseMeasure, DropoutCase, Persuasion
from ..roles import OPEN_CASE_ROLES, PERSUASION_ROLES
from ..transitions import CASE_TRANSITIONS
from .officers import validate_officers

C = DropoutCase.Status
EXEMPTION_STATUSES = (
    EnrollmentStatus.DEFERRED,
    EnrollmentStatus.SUSPENDED,
    EnrollmentStatus.HOME_DELIVERED,
    EnrollmentStatus.SPECIAL_SCHOOL,
)


def event(case, *, actor, action, from_status="", note=""):
    CaseEvent.objects.create(
        case=case,
        action=action,
        from_status=from_status,
        to_status=case.status,
        note=note,
        actor=actor,
    )


def locked_case(case) -> DropoutCase:
    return (
        DropoutCase.objects.select_for_update()
        .select_related("child__village__township__county", "child__household", "township")
        .get(pk=case.pk)
    )


def live_case(child) -> DropoutCase | None:
    return (
        DropoutCase.objects.filter(child=child).filter(status__in=DropoutCase.OPEN_STATUSES).first()
        or DropoutCase.objects.filter(
            child=child, status=C.RETURNED, struck_off_on__isnull=True
        ).first()
    )


def _last_school(child: Child) -> School | None:
    if child.current_school_id:
        return child.current_school
    change = (
        child.status_changes.filter(school__isnull=False).order_by("-effective_date", "-pk").first()
    )
    return change.school if change else None


@transaction.atomic
def open_case(
    *,
    actor,
    child: Child,
    cause: str,
    cause_detail: str = "",
    responsible_persons: str = "",
    opened_on: datetime.date | None = None,
) -> DropoutCase:
    """Open the child's case (or reopen the one still in its consolidation period); the child
    is a dropout in the ledger from that day."""
    require_role(actor, child, OPEN_CASE_ROLES)
    child = Child.objects.select_for_update().select_related("village__township").get(pk=child.pk)
    opened_on = opened_on or today()
    not_future(opened_on, "opened_on")
    current = live_case(child)
    if current is not None and current.is_open:
        raise TransitionRefused(_("This child already has an open case."))
    if current is not None:  # returned, still in consolidation
        return reopen_case(
            actor=actor, case=current, on=opened_on, note=cause_detail or _("Dropped out again")
        )
    if child.status in (EnrollmentStatus.MOVED_AWAY, EnrollmentStatus.DECEASED):
        raise TransitionRefused(_("A child who moved away or died cannot have a dropout case."))
    if cause not in DropoutCase.Cause.values:
        raise DomainError(_("Choose the reason for dropping out."), field="cause")
    school = _last_school(child)
    case = DropoutCase(
        child=child,
        township=child.village.township,
        school=school,
        cause=cause,
        cause_detail=cause_detail.strip(),
        responsible_persons=responsible_persons.strip(),
        opened_on=opened_on,
        opened_by=actor,
        handler=actor,  # the official who opens a case carries it until it is reassigned
        last_action_on=opened_on,
    )
    saved_by(case, actor)
    event(case, actor=actor, action="opened", note=case.get_cause_display())
    if child.status != EnrollmentStatus.DROPPED_OUT:
        set_status_by_procedure(
            actor=actor,
            child=child,
            status=EnrollmentStatus.DROPPED_OUT,
            effective_date=opened_on,
            reason=_("Dropout case opened: %(cause)s") % {"cause": case.get_cause_display()},
        )
    return case


@transaction.atomic
def reopen_case(*, actor, case: DropoutCase, on: datetime.date, note: str = "") -> DropoutCase:
    """A new absence inside the consolidation period reopens the same case, with its history."""
    case = locked_case(case)
    CASE_TRANSITIONS.require(case, "reopen", actor)
    previous = case.status
    case.status = C.PERSUADING if case.persuasions.exists() else C.REPORTED
    case.returned_on, case.consolidation_until, case.last_action_on = None, None, on
    saved_by(case, actor)
    event(case, actor=actor, action="reopened", from_status=previous, note=note)
    set_status_by_procedure(
        actor=actor,
        child=case.child,
        status=EnrollmentStatus.DROPPED_OUT,
        effective_date=on,
        reason=_("Dropped out again within the consolidation period; case reopened"),
    )
    return case


@transaction.atomic
def log_persuasion(
    *,
    actor,
    case: DropoutCase,
    date: datetime.date,
    visitors: str,
    what_was_said: str,
    family_answer: str,
    result: str,
    officers=(),
) -> Persuasion:
    """劝返. With two officials named (`officers`, 行政处罚法 Art. 42) it counts towards the
    notice to resume schooling; without, it is recorded but does not count."""
    case = locked_case(case)
    transition = CASE_TRANSITIONS.require(case, "persuade", actor)
    if officers:
        officers = validate_officers(case, officers, PERSUASION_ROLES)
    elif not visitors.strip():
        raise DomainError(_("Say who went."), field="visitors")
    not_future(date, "date")
    if date < case.opened_on:
        raise DomainError(_("The persuasion is dated before the case was opened."), field="date")
    if result not in Persuasion.Result.values:
        raise DomainError(_("Choose the result."), field="result")
    persuasion = Persuasion.objects.create(
        case=case,
        date=date,
        visitors=visitors.strip(),
        what_was_said=what_was_said.strip(),
        family_answer=family_answer.strip(),
        result=result,
        recorded_by=actor,
    )
    if officers:
        persuasion.officers.set(officers)
    previous = case.status
    case.status = transition.target or case.status
    case.last_action_on = max(case.last_action_on, date)
    saved_by(case, actor)
    event(
        case,
        actor=actor,
        action="persuasion",
        from_status=previous,
        note=f"{date.isoformat()} {persuasion.get_result_display()}",
    )
    return persuasion


@transaction.atomic
def add_measure(
    *, actor, case: DropoutCase, kind: str, date: datetime.date, description: str
) -> CaseMeasure:
    """相应制约措施: only after a penalty decision; the case stays open."""
    case = locked_case(case)
    CASE_TRANSITIONS.require(case, "add_measure", actor)
    not_future(date, "date")
    if not description.strip():
        raise DomainError(_("Describe the measure."), field="description")
    measure = CaseMeasure.objects.create(
        case=case, kind=kind, date=date, description=description.strip(), recorded_by=actor
    )
    case.last_action_on = max(case.last_action_on, date)
    saved_by(case, actor)
    event(
        case,
        actor=actor,
        action="measure",
        from_status=case.status,
        note=measure.get_kind_display(),
    )
    return measure


@transaction.atomic
def return_to_school(
    *,
    actor,
    case: DropoutCase,
    school: School,
    grade: int,
    returned_on: datetime.date,
    class_name: str = "",
) -> DropoutCase:
    """复学 at any step: the child is back in school in the ledger; consolidation begins."""
    case = locked_case(case)
    CASE_TRANSITIONS.require(case, "return", actor)
    not_future(returned_on, "returned_on")
    if returned_on < case.opened_on:
        raise DomainError(_("The return is dated before the case was opened."), field="returned_on")
    if grade is None:
        raise DomainError(_("Give the grade."), field="grade")
    previous = case.status
    case.status, case.returned_on = C.RETURNED, returned_on
    case.consolidation_until = returned_on + datetime.timedelta(days=settings.CONSOLIDATION_DAYS)
    case.last_action_on = returned_on
    saved_by(case, actor)
    event(
        case,
        actor=actor,
        action="returned",
        from_status=previous,
        note=f"{school.name} {returned_on.isoformat()}",
    )
    set_status_by_procedure(
        actor=actor,
        child=case.child,
        status=EnrollmentStatus.IN_SCHOOL,
        effective_date=returned_on,
        school=school,
        grade=grade,
        class_name=class_name,
        reason=_("Returned to school (复学)"),
    )
    AbsenceReport.objects.filter(child=case.child, returned_on__isnull=True).update(
        returned_on=returned_on
    )
    settle(case_link(case.pk))  # nothing about the case waits to be read any more
    return case


@transaction.atomic
def close_case(
    *, actor, case: DropoutCase, reason: str, evidence: str, closed_on: datetime.date | None = None
) -> DropoutCase:
    case = locked_case(case)
    CASE_TRANSITIONS.require(case, "close", actor)
    closed_on = closed_on or today()
    not_future(closed_on, "closed_on")
    if reason not in DropoutCase.CloseReason.values:
        raise DomainError(_("Choose the reason for closing."), field="reason")
    if not evidence.strip():
        raise DomainError(_("Describe the evidence for closing the case."), field="evidence")
    child = case.child
    if reason == DropoutCase.CloseReason.EXEMPTED and child.status not in EXEMPTION_STATUSES:
        raise TransitionRefused(
            _(
                "Closing for an exemption needs a filed exemption request: "
                "the child's status is not an exemption."
            )
        )
    if reason == DropoutCase.CloseReason.AGED_OUT:
        from enrollment.selectors import age_on_reference

        if age_on_reference(child.birth_date, closed_on) <= settings.SCHOOL_AGE_MAX:
            raise TransitionRefused(_("The child is still of compulsory-education age."))
    previous = case.status
    case.status, case.closed_on = C.CLOSED, closed_on
    case.close_reason, case.close_evidence = reason, evidence.strip()
    case.last_action_on = closed_on
    saved_by(case, actor)
    event(
        case,
        actor=actor,
        action="closed",
        from_status=previous,
        note=case.get_close_reason_display(),
    )
    settle(case_link(case.pk))
    final_status = {
        DropoutCase.CloseReason.MOVED_OUT: EnrollmentStatus.MOVED_AWAY,
        DropoutCase.CloseReason.DECEASED: EnrollmentStatus.DECEASED,
    }.get(reason)
    if final_status and child.status != final_status:
        set_status_by_procedure(
            actor=actor,
            child=child,
            status=final_status,
            effective_date=closed_on,
            reason=_("Dropout case closed: %(reason)s")
            % {"reason": case.get_close_reason_display()},
        )
    return case


@transaction.atomic
def strike_off_consolidated(*, day: datetime.date | None = None, county=None) -> int:
    """销号: returned cases whose consolidation period has passed without a new absence.
    `county`: only its children's cases."""
    day = day or today()
    cases = DropoutCase.objects.select_for_update().filter(
        status=C.RETURNED, struck_off_on__isnull=True, consolidation_until__lt=day
    )
    if county is not None:
        cases = cases.filter(child__village__township__county=county)
    count = 0
    for case in cases:
        case.struck_off_on = day
        saved_by(case, None)
        event(case, actor=None, action="struck_off", from_status=case.status)
        count += 1
    return count


def update_case_details(
    *,
    actor,
    case: DropoutCase,
    cause: str,
    cause_detail: str,
    responsible_persons: str,
    version: int | None = None,
) -> DropoutCase:
    """`version`: the one the editor's form was built from; a stale one is refused."""
    with transaction.atomic():
        case = locked_case(case)
        CASE_TRANSITIONS.require(case, "edit", actor)
        check_and_bump(case, version)
        case.cause, case.cause_detail = cause, cause_detail.strip()
        case.responsible_persons = responsible_persons.strip()
        saved_by(case, actor)
        event(case, actor=actor, action="edited", from_status=case.status)
    return case


def case_link(case_id: int) -> str:
    """The link a notification about a case carries (settled when the case ends)."""
    return reverse("dropout:case_detail", args=[case_id])


def notify_overdue_notices(*, day: datetime.date | None = None, county=None) -> int:
    """Tell the township officials, once per notice, that a notice's deadline has passed
    without a return: the case is ready for a penalty decision. `county`: only its notices."""
    from core.notifications import notify
    from enrollment.selectors import officials_by_township

    from ..models import OfficialDocument

    day = day or today()
    notices = OfficialDocument.objects.filter(
        kind=OfficialDocument.Kind.RESUME_NOTICE,
        voided_by__isnull=True,
        deadline__lt=day,
        case__status=C.NOTICE_ISSUED,
    ).select_related("case__child")
    if county is not None:
        notices = notices.filter(township__county=county)
    overdue = list(notices)
    officials = officials_by_township(notice.township_id for notice in overdue)
    with transaction.atomic():
        for notice in overdue:
            notify(
                officials[notice.township_id],
                _(
                    "The notice %(number)s to %(child)s's guardian passed its deadline "
                    "(%(deadline)s) without a return."
                )
                % {
                    "number": notice.number,
                    "child": notice.case.child.name,
                    "deadline": notice.deadline.isoformat(),
                },
                link=case_link(notice.case_id),
                key=f"notice-overdue:{notice.pk}",
            )
    return len(overdue)
