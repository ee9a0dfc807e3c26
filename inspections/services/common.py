import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.uploads import validate_document_upload
from enrollment.models import School, Township

from ..models import BureauSection


def today() -> datetime.date:
    return timezone.localdate()


def require_role(actor, obj, roles) -> None:
    """The actor needs one of `roles` in a scope that covers `obj` (403 otherwise), asked of
    the database; no actor is the system itself (a scheduled task)."""
    if actor is None or actor.is_superuser:
        return
    if not type(obj).objects.for_user(actor, roles=roles).filter(pk=obj.pk).exists():
        raise PermissionDenied


def saved_by(instance, actor, **kwargs):
    instance._history_user = actor
    instance.save(**kwargs)
    return instance


def not_future(day, field) -> None:
    if day is None:
        raise DomainError(_("Enter the date."), field=field)
    if day > today():
        raise DomainError(_("The date cannot be in the future."), field=field)


def required_text(value, field, message) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, field=field)
    return value


def check_upload(upload, field) -> None:
    if upload:
        try:
            validate_document_upload(upload)
        except ValidationError as error:
            raise DomainError(" ".join(error.messages), field=field) from error


def unit_county_id(unit) -> int:
    if isinstance(unit, School):
        return unit.township.county_id
    if isinstance(unit, Township):
        return unit.county_id
    if isinstance(unit, BureauSection):
        return unit.county_id
    raise DomainError(_("Choose the unit."), field="unit")


def check_unit(unit, county, field="unit") -> None:
    if unit is None:
        raise DomainError(_("Choose the unit."), field=field)
    if unit_county_id(unit) != county.pk:
        raise DomainError(_("The unit is not in this county."), field=field)
