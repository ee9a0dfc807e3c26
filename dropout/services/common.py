import datetime

from django.core.exceptions import PermissionDenied
from django.utils import timezone


def today() -> datetime.date:
    return timezone.localdate()


def require_role(actor, obj, roles) -> None:
    """The actor needs one of `roles` in a scope that covers `obj` (403 otherwise). A missing
    actor is the system itself (a scheduled task)."""
    if actor is None or actor.is_superuser:
        return
    # Asked of the database, not of the caller's object, which may be stale.
    if not type(obj).objects.for_user(actor, roles=roles).filter(pk=obj.pk).exists():
        raise PermissionDenied


def saved_by(instance, actor, **kwargs):
    instance._history_user = actor
    instance.save(**kwargs)
    return instance
