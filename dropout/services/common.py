import datetime

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from enrollment.permissions import user_may


def today() -> datetime.date:
    return timezone.localdate()


def require_role(actor, obj, roles) -> None:
    """The actor needs one of `roles` in a scope that covers `obj` (403 otherwise). A missing
    actor is the system itself (a scheduled task)."""
    if actor is None:
        return
    if not user_may(actor, type(obj).objects, roles, obj):
        raise PermissionDenied


def saved_by(instance, actor, **kwargs):
    instance._history_user = actor
    instance.save(**kwargs)
    return instance
