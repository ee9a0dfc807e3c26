"""送教上门: the sessions in which a teacher teaches a home-delivered child at home."""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.services import full_clean, not_future, required_text, saved_by
from enrollment.models import Child, EnrollmentStatus, EnrollmentStatusChange
from enrollment.permissions import has_any_role

from ..models import HomeTeachingSession, Teacher
from ..roles import HOME_TEACHING_ROLES

MAX_SESSION_HOURS = Decimal(8)


def status_on(child: Child, day: datetime.date) -> str | None:
    """The child's enrollment status on `day`, from the dated status history."""
    return (
        EnrollmentStatusChange.objects.filter(child=child, effective_date__lte=day)
        .order_by("-effective_date", "-pk")
        .values_list("status", flat=True)
        .first()
    )


def _session_hours(value) -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise DomainError(_("The hours must be a number."), field="hours") from None
    if hours <= 0:
        raise DomainError(_("The hours must be more than zero."), field="hours")
    if hours > MAX_SESSION_HOURS:
        raise DomainError(_("A session lasts at most 8 hours."), field="hours")
    return hours


@transaction.atomic
def record_session(
    *,
    actor,
    child: Child,
    teacher: Teacher,
    date: datetime.date,
    hours,
    content: str,
    note: str = "",
) -> HomeTeachingSession:
    """Record one 送教上门 session. The actor must be staff of the teacher's school or of the
    bureau (403 without any such role, refused on the form for a teacher outside that scope);
    the child must be home-delivered (送教上门) on the day."""
    if actor is not None and not has_any_role(actor, HOME_TEACHING_ROLES):
        raise PermissionDenied
    if (
        actor is not None
        and not actor.is_superuser
        and not Teacher.objects.for_user(actor, roles=HOME_TEACHING_ROLES)
        .filter(pk=teacher.pk)
        .exists()
    ):
        raise DomainError(
            _("You may record sessions only for teachers of your own school."), field="teacher"
        )
    not_future(date, "date")
    hours = _session_hours(hours)
    content = required_text(content, "content", _("Say what was taught."))
    child = Child.objects.select_for_update().select_related("village__township").get(pk=child.pk)
    teacher = Teacher.objects.select_related("school__township").get(pk=teacher.pk)
    if teacher.status != Teacher.Status.ACTIVE:
        raise DomainError(_("The teacher is no longer in service."), field="teacher")
    if teacher.school.township.county_id != child.village.township.county_id:
        raise DomainError(_("The teacher does not work in the child's county."), field="teacher")
    if status_on(child, date) != EnrollmentStatus.HOME_DELIVERED:
        raise DomainError(
            _("%(child)s was not receiving home-delivered education on %(date)s.")
            % {"child": child.name, "date": date.isoformat()},
            field="date",
        )
    session = HomeTeachingSession(
        child=child,
        teacher=teacher,
        date=date,
        hours=hours,
        content=content,
        note=(note or "").strip(),
        recorded_by=actor,
    )
    full_clean(session)
    return saved_by(session, actor)
