"""Unexcused absence → suspected dropout (after SUSPECTED_DROPOUT_DAYS) → dropout with a case
(after DROPOUT_DAYS), moved along by a daily task."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError, TransitionRefused
from core.services import require_role, saved_by, today
from enrollment.models import Child, EnrollmentStatus
from enrollment.services import set_status_by_procedure

from ..models import AbsenceReport, DropoutCase
from ..roles import ABSENCE_ROLES
from .cases import live_case, open_case, reopen_case

S = EnrollmentStatus


@transaction.atomic
def report_absence(
    *,
    actor,
    child: Child,
    first_absent_on: datetime.date,
    reason_known: str = "",
    called_home_by: str = "",
) -> AbsenceReport:
    require_role(actor, child, ABSENCE_ROLES)
    child = Child.objects.select_for_update().get(pk=child.pk)
    if first_absent_on > today():
        raise DomainError(
            _("The first day of absence cannot be in the future."), field="first_absent_on"
        )
    if child.status not in (S.IN_SCHOOL, S.SUSPECTED_DROPOUT) or not child.current_school_id:
        raise TransitionRefused(_("Only a pupil on a school roll can be reported absent."))
    if AbsenceReport.objects.filter(child=child, returned_on__isnull=True).exists():
        raise TransitionRefused(_("This pupil's absence is already reported and still open."))
    report = AbsenceReport(
        child=child,
        school=child.current_school,
        first_absent_on=first_absent_on,
        reason_known=reason_known.strip(),
        called_home_by=called_home_by.strip(),
        reported_by=actor,
    )
    saved_by(report, actor)
    case = live_case(child)
    if case is not None and case.status == DropoutCase.Status.RETURNED:
        # Absent again inside the consolidation period: the same case reopens.
        reopen_case(
            actor=actor,
            case=case,
            on=first_absent_on,
            note=_("Absent again from %(date)s") % {"date": first_absent_on.isoformat()},
        )
    return report


@transaction.atomic
def record_back_in_school(
    *, actor, report: AbsenceReport, returned_on: datetime.date
) -> AbsenceReport:
    """The pupil came back before becoming a dropout."""
    require_role(actor, report, ABSENCE_ROLES)
    report = AbsenceReport.objects.select_for_update().select_related("child").get(pk=report.pk)
    if report.returned_on:
        raise TransitionRefused(_("This absence is already closed."))
    if returned_on > today() or returned_on < report.first_absent_on:
        raise DomainError(
            _("The return date must lie between the first day of absence and today."),
            field="returned_on",
        )
    child = report.child
    if child.status == S.DROPPED_OUT:
        raise TransitionRefused(
            _("The pupil is already a dropout: record the return on the dropout case.")
        )
    report.returned_on = returned_on
    saved_by(report, actor)
    if child.status == S.SUSPECTED_DROPOUT:
        set_status_by_procedure(
            actor=actor,
            child=child,
            status=S.IN_SCHOOL,
            effective_date=returned_on,
            school=child.current_school,
            grade=child.grade,
            class_name=child.class_name,
            is_inclusive=child.is_inclusive,
            reason=_("Back in school after absence"),
        )
    return report


def advance_absences(*, day: datetime.date | None = None, county=None) -> dict:
    """The daily step: each open absence moves the child along by the days it has lasted.
    Idempotent: a child already moved is left alone. Each child in its own transaction.
    `county`: only its children (the scheduled run goes county by county)."""
    day = day or today()
    suspected_after = datetime.timedelta(days=settings.SUSPECTED_DROPOUT_DAYS)
    dropout_after = datetime.timedelta(days=settings.DROPOUT_DAYS)
    moved = {"suspected": 0, "dropped_out": 0}
    open_reports = AbsenceReport.objects.filter(returned_on__isnull=True).select_related("child")
    if county is not None:
        open_reports = open_reports.filter(child__village__township__county=county)
    for report in open_reports.iterator():
        child = report.child
        with transaction.atomic():
            if child.status == S.IN_SCHOOL and day - report.first_absent_on >= suspected_after:
                set_status_by_procedure(
                    actor=None,
                    child=child,
                    status=S.SUSPECTED_DROPOUT,
                    effective_date=report.first_absent_on + suspected_after,
                    school=child.current_school,
                    grade=child.grade,
                    class_name=child.class_name,
                    is_inclusive=child.is_inclusive,
                    reason=_("Absent without excuse since %(date)s")
                    % {"date": report.first_absent_on.isoformat()},
                )
                child.refresh_from_db()
                moved["suspected"] += 1
            if (
                child.status == S.SUSPECTED_DROPOUT
                and day - report.first_absent_on >= dropout_after
                and live_case(child) is None
            ):
                open_case(
                    actor=None,
                    child=child,
                    cause=DropoutCase.Cause.OTHER,
                    cause_detail=_(
                        "Absent for more than %(days)d days since %(date)s; "
                        "the reason is to be established."
                    )
                    % {"days": settings.DROPOUT_DAYS, "date": report.first_absent_on.isoformat()},
                    opened_on=report.first_absent_on + dropout_after,
                )
                moved["dropped_out"] += 1
    return moved
