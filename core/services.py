"""The machinery every app's services use, written once: the day, who saved a record, the
role check, model validation as a domain error, and the small input rules that every form of
every module repeats (a date not in the future, a required text, an upload that is safe).

It knows no app: the role check asks the object's own `objects.for_user()`."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import DomainError
from .uploads import verify_document_upload


def today() -> datetime.date:
    """The local day (Asia/Shanghai): what 'today' means on every paper the county signs."""
    return timezone.localdate()


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def saved_by(instance, actor, **kwargs):
    """Save with the actor recorded in the instance's history (django-simple-history)."""
    instance._history_user = actor
    instance.save(**kwargs)
    return instance


def created_with(instance, actor, **relations):
    """Create `instance` with its many-to-many `relations` ({field name: objects}) as ONE change,
    as every other record is: one history row (holding the relations, simple-history's m2m
    snapshot) and so one audit entry. A save then a `.set()` writes a second history row, and a
    second audit entry, for the relations alone (simple-history's m2m_changed).

    The through rows are inserted in one statement and their snapshot in another, with no
    m2m_changed signal (whose only receivers are that second history row and the audit of the
    auth app's relations). simple-history's own snapshot of the new record's relations is
    skipped: it would query the through tables, which cannot hold a row of a record not yet
    created (a tenth of an offline visit's sync)."""
    from simple_history.signals import (
        post_create_historical_record,
        pre_create_historical_record,
    )

    rows = []
    creating = instance._state.adding

    def no_snapshot_query(sender, instance: object = None, history_instance=None, **kwargs):
        if instance is target and creating:
            history_instance._history_m2m_fields = ()  # shadows the history model's list

    def remember(sender, instance: object = None, history_instance=None, **kwargs):
        if instance is target:
            rows.append(history_instance)

    target = instance
    uid = f"created-with-{id(instance)}"
    pre_create_historical_record.connect(no_snapshot_query, weak=False, dispatch_uid=uid)
    post_create_historical_record.connect(remember, weak=False, dispatch_uid=uid)
    try:
        saved_by(instance, actor)
    finally:
        pre_create_historical_record.disconnect(dispatch_uid=uid)
        post_create_historical_record.disconnect(dispatch_uid=uid)
    history_row = rows[-1] if rows else None
    for name, objects in relations.items():
        field = type(instance)._meta.get_field(name)
        through = field.remote_field.through
        source, target_field = field.m2m_field_name(), field.m2m_reverse_field_name()
        links = through.objects.bulk_create(
            [through(**{source: instance, target_field: other}) for other in objects]
        )
        snapshot = getattr(type(history_row), name, None) if history_row else None
        if snapshot is not None and links:
            model = snapshot.model
            model.objects.bulk_create(
                [
                    model(
                        history=history_row,
                        **{f.attname: getattr(link, f.attname) for f in through._meta.fields},
                    )
                    for link in links
                ]
            )
    return instance


def require_role(actor, obj, roles) -> None:
    """The actor needs one of `roles` in a scope that covers `obj` (403 otherwise), asked of the
    database rather than of the caller's possibly stale object. No actor is the system itself
    (a scheduled task, the demo loader)."""
    if actor is None or actor.is_superuser:
        return
    if not type(obj).objects.for_user(actor, roles=roles).filter(pk=obj.pk).exists():
        raise PermissionDenied


def full_clean(instance, exclude=None) -> None:
    """The model's own validation, its first message raised as a DomainError on its field."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        first_field, messages = next(iter(error.message_dict.items()))
        raise DomainError(" ".join(messages), field=first_field) from error


def not_future(day, field: str, *, message=None) -> None:
    if day is None:
        raise DomainError(_("Enter the date."), field=field)
    if day > today():
        raise DomainError(message or _("The date cannot be in the future."), field=field)


def required_text(value, field: str, message) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, field=field)
    return value


def check_upload(upload, field: str):
    """An uploaded document (scan, photo, PDF) passes the shared upload rules or is refused
    on its field; no upload is fine (whether one is required is the caller's rule). Returns
    the file to keep: the checked one (an image re-encoded), named by its verified type."""
    if upload:
        try:
            return verify_document_upload(upload).file
        except ValidationError as error:
            raise DomainError(" ".join(error.messages), field=field) from error
    return upload
