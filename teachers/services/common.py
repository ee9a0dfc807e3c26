import datetime

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from enrollment.models import School

from ..roles import MANAGE_TEACHERS_ROLES


def today() -> datetime.date:
    return timezone.localdate()


def require_manager(actor, obj) -> None:
    """The actor needs a managing role in a scope that covers `obj` (403 otherwise), asked of
    the database rather than of the caller's possibly stale object. No actor: the system."""
    if actor is None or actor.is_superuser:
        return
    model = type(obj)
    if not model.objects.for_user(actor, roles=MANAGE_TEACHERS_ROLES).filter(pk=obj.pk).exists():
        raise PermissionDenied


def require_school_manager(actor, school: School) -> None:
    require_manager(actor, school)


def saved_by(instance, actor, **kwargs):
    instance._history_user = actor
    instance.save(**kwargs)
    return instance


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)
