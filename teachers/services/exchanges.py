"""Exchanges (交流轮岗): a teacher works at another school for a period, then returns. The
teacher's school of record never changes; where the teacher works on a day is derived from the
exchanges covering that day (Teacher.objects.current_on)."""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError, TransitionRefused
from core.services import require_role, saved_by
from enrollment.models import School

from ..models import Exchange, Teacher
from ..roles import MANAGE_TEACHERS_ROLES


@transaction.atomic
def create_exchange(
    *,
    actor,
    teacher: Teacher,
    to_school: School,
    kind: str,
    start_date: datetime.date,
    end_date: datetime.date,
    note: str = "",
) -> Exchange:
    require_role(actor, teacher, MANAGE_TEACHERS_ROLES)
    require_role(actor, to_school, MANAGE_TEACHERS_ROLES)
    # The teacher's row is the lock: two exchanges of one teacher are checked one after the other.
    teacher = Teacher.objects.select_for_update().get(pk=teacher.pk)
    if teacher.status != Teacher.Status.ACTIVE:
        raise TransitionRefused(_("Only a teacher in service can go on an exchange."))
    if kind not in Exchange.Kind.values:
        raise DomainError(_("Unknown kind of exchange."), field="kind")
    if to_school.pk == teacher.school_id:
        raise DomainError(
            _("An exchange goes to another school: %(school)s is the teacher's own school.")
            % {"school": to_school.name},
            field="to_school",
        )
    if end_date < start_date:
        raise DomainError(_("The exchange ends before it starts."), field="end_date")
    if start_date < teacher.school_since:
        raise DomainError(
            _("The exchange starts before the teacher came to %(school)s (%(day)s).")
            % {"school": teacher.school.name, "day": teacher.school_since.isoformat()},
            field="start_date",
        )
    overlapping = (
        Exchange.objects.filter(teacher=teacher, start_date__lte=end_date, end_date__gte=start_date)
        .select_related("to_school")
        .first()
    )
    if overlapping is not None:
        raise DomainError(
            _("The period overlaps the teacher's exchange to %(school)s (%(start)s – %(end)s).")
            % {
                "school": overlapping.to_school.name,
                "start": overlapping.start_date.isoformat(),
                "end": overlapping.end_date.isoformat(),
            },
            field="start_date",
        )
    exchange = Exchange(
        teacher=teacher,
        from_school_id=teacher.school_id,
        to_school=to_school,
        kind=kind,
        start_date=start_date,
        end_date=end_date,
        note=(note or "").strip(),
        recorded_by=actor,
    )
    exchange.full_clean()
    return saved_by(exchange, actor)


@transaction.atomic
def end_exchange_early(*, actor, exchange: Exchange, end_date: datetime.date) -> Exchange:
    """The teacher returns before the planned end (the period is shortened, never lengthened)."""
    require_role(actor, exchange, MANAGE_TEACHERS_ROLES)
    Teacher.objects.select_for_update().get(pk=exchange.teacher_id)
    exchange = Exchange.objects.select_for_update().get(pk=exchange.pk)
    if end_date < exchange.start_date:
        raise DomainError(_("The exchange ends before it starts."), field="end_date")
    if end_date >= exchange.end_date:
        raise DomainError(
            _("An early end must be before the planned end (%(day)s).")
            % {"day": exchange.end_date.isoformat()},
            field="end_date",
        )
    exchange.end_date = end_date
    return saved_by(exchange, actor)
