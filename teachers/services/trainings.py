"""Training (培训): events and who attended them; totals of events and person-times (人次)."""

import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from core.errors import DomainError
from core.services import require_role, saved_by
from enrollment.models import County

from ..models import Teacher, TrainingAttendance, TrainingEvent
from ..roles import MANAGE_TEACHERS_ROLES


def _hours(value) -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise DomainError(_("The hours must be a number."), field="hours") from None
    if hours <= 0:
        raise DomainError(_("The hours must be more than zero."), field="hours")
    return hours


@transaction.atomic
def create_training(
    *,
    actor,
    county: County,
    title: str,
    level: str,
    start_date: datetime.date,
    end_date: datetime.date,
    hours,
    provider: str,
    kind: str = TrainingEvent.Kind.OTHER,
    programme: str = "",
) -> TrainingEvent:
    require_role(actor, county, MANAGE_TEACHERS_ROLES)
    if level not in TrainingEvent.Level.values:
        raise DomainError(_("Unknown training level."), field="level")
    if kind not in TrainingEvent.Kind.values:
        raise DomainError(_("Unknown kind of training."), field="kind")
    if end_date < start_date:
        raise DomainError(_("The training ends before it starts."), field="end_date")
    title, provider = (title or "").strip(), (provider or "").strip()
    if not title:
        raise DomainError(_("The title is required."), field="title")
    if not provider:
        raise DomainError(_("The provider is required."), field="provider")
    event = TrainingEvent(
        county=county,
        title=title,
        level=level,
        kind=kind,
        programme=(programme or "").strip(),
        start_date=start_date,
        end_date=end_date,
        hours=_hours(hours),
        provider=provider,
        created_by=actor,
    )
    event.full_clean()
    return saved_by(event, actor)


@transaction.atomic
def record_attendance(
    *, actor, event: TrainingEvent, teachers, hours=None
) -> list[TrainingAttendance]:
    """Teachers who attended (each once); hours default to the event's."""
    require_role(actor, event.county, MANAGE_TEACHERS_ROLES)
    event = TrainingEvent.objects.select_for_update().get(pk=event.pk)
    teachers = list(teachers)
    if not teachers:
        raise DomainError(_("Choose at least one teacher."), field="teachers")
    hours = event.hours if hours in (None, "") else _hours(hours)
    if hours > event.hours:
        raise DomainError(
            _("Attended hours cannot exceed the training's %(hours)s hours.")
            % {"hours": event.hours},
            field="hours",
        )
    outside = [t.name for t in teachers if t.school.township.county_id != event.county_id]
    if outside:
        raise DomainError(
            _("Not teachers of this county: %s") % "、".join(outside), field="teachers"
        )
    already = set(
        TrainingAttendance.objects.filter(event=event, teacher__in=teachers).values_list(
            "teacher__name", flat=True
        )
    )
    if already:
        raise DomainError(
            _("Already recorded as attending: %s") % "、".join(sorted(already)), field="teachers"
        )
    return bulk_create_with_history(
        [TrainingAttendance(event=event, teacher=teacher, hours=hours) for teacher in teachers],
        TrainingAttendance,
        default_user=actor,
    )


def teachers_for_attendance(ids) -> list[Teacher]:
    return list(Teacher.objects.filter(pk__in=ids).select_related("school__township"))
