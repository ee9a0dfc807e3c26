import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.errors import DomainError
from enrollment.models import RoleAssignment


def today() -> datetime.date:
    return timezone.localdate()


def require_role(actor, obj, roles) -> None:
    """The actor needs one of `roles` in a scope that covers `obj` (403 otherwise), asked of
    the database. A missing actor is the system itself (a task or the demo loader)."""
    if actor is None or actor.is_superuser:
        return
    if not type(obj).objects.for_user(actor, roles=roles).filter(pk=obj.pk).exists():
        raise PermissionDenied


def require_county_role(actor, county_id, roles) -> None:
    """For records of the county as a whole (the catalogue, the fund)."""
    if actor is None or actor.is_superuser:
        return
    if not RoleAssignment.objects.filter(
        user=actor, role__in=roles, county_id=county_id, user__is_active=True
    ).exists():
        raise PermissionDenied


def require_any_county_role(actor, roles) -> None:
    if actor is None or actor.is_superuser:
        return
    if not RoleAssignment.objects.filter(
        user=actor, role__in=roles, county__isnull=False, user__is_active=True
    ).exists():
        raise PermissionDenied


def saved_by(instance, actor, **kwargs):
    instance._history_user = actor
    instance.save(**kwargs)
    return instance


def full_clean(instance, exclude=None):
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        first_field, messages = next(iter(error.message_dict.items()))
        raise DomainError(" ".join(messages), field=first_field) from error
