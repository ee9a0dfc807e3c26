"""The audit log: logins (failed ones too), every create/update/delete of a business record
(through django-simple-history's signal), every view of a child's full record, every export
and import. Who, when, what, result and the IP address; never the personal values themselves
(the record's history keeps those, behind its own permissions).

Rows form a hash chain (each row's hash covers the previous row's hash), written under a lock so
the chain has no forks; `verify_chain()` finds the first row that was altered or removed. On
PostgreSQL the lock is held from the append to the end of the transaction: a write that audits
several changes, or that has work to do after its first change, appends its events at its end
with `batched()` — one lock, one INSERT — so that the lock serialises appends, not the work.
"""

import contextlib
import hashlib
import json
import logging
import threading

from django.db import connection, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .models import AuditEvent

logger = logging.getLogger(__name__)
A = AuditEvent.Action
GENESIS = "0" * 64
_LOCK_KEY = 727_001  # the PostgreSQL advisory lock that serialises appends to the chain


def current_request():
    """The request being served, if any (simple-history's middleware keeps it per thread)."""
    return getattr(HistoricalRecords.context, "request", None)


def client_ip(request) -> str | None:
    if request is None:
        return None
    from .security import client_ip as proxied_client_ip  # the address nginx saw

    return proxied_client_ip(request) or None


def _payload(event: AuditEvent) -> str:
    return json.dumps(
        [
            event.at.isoformat(),
            event.user_id,
            event.username,
            event.action,
            event.object_type,
            event.object_id,
            event.object_repr,
            event.detail,
            event.result,
            event.ip,
        ],
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )


def row_hash(previous_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((previous_hash + _payload(event)).encode()).hexdigest()


def record(
    action: str,
    *,
    user=None,
    obj=None,
    object_type: str = "",
    object_id="",
    object_repr: str = "",
    detail: dict | None = None,
    result: str = AuditEvent.Result.OK,
    request=None,
    username: str = "",
) -> AuditEvent:
    """Append one event; `username` names who tried when there is no user (a failed login)."""
    request = request or current_request()
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        object_repr = object_repr or str(obj)
    event = AuditEvent(
        at=timezone.now(),
        user=user,
        username=user.get_username() if user is not None else username[:150],
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        object_repr=object_repr[:200],
        detail=detail or {},
        result=result,
        ip=client_ip(request),
    )
    queue = getattr(_batch, "queue", None)
    if queue is not None and connection.in_atomic_block:
        queued = _Queued(event)
        # Registered as commit callbacks are: a savepoint rolled back drops it, as it would
        # have dropped the row.
        transaction.on_commit(queued)
        queue.append(queued)
        return event
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _append_postgresql(event)
        else:  # SQLite (the demo) writes one transaction at a time
            previous = (
                AuditEvent.objects.order_by("-pk").values_list("row_hash", flat=True).first()
                or GENESIS
            )
            event.previous_hash = previous
            event.row_hash = row_hash(previous, event)
            event.save()
    return event


_batch = threading.local()  # per thread (and so per connection): the queue of batched()


class _Queued:
    """An event waiting in batched()'s queue; called at the commit, it does nothing (it was
    appended before the commit)."""

    def __init__(self, event: AuditEvent):
        self.event = event

    def __call__(self):
        pass


@contextlib.contextmanager
def batched():
    """Inside a transaction: the events recorded within are appended when the block ends, in
    order, under one acquisition of the chain's lock, instead of each at once with the lock
    then held through the rest of the transaction. Put it just inside the transaction
    (`with transaction.atomic(), audit.batched():`), so that the lock is held from the append
    to the commit only. Events of a savepoint rolled back within are dropped; an exception, or
    a transaction marked for rollback, appends nothing. Nested, the outermost appends.

    The events' `pk` and hashes are set when the block ends, not when record() returns."""
    if getattr(_batch, "queue", None) is not None:
        yield
        return
    _batch.queue = queue = []
    try:
        yield
    finally:
        _batch.queue = None
    if not queue or not connection.in_atomic_block or connection.needs_rollback:
        return
    kept = {id(callback) for _sids, callback, *_ in connection.run_on_commit}
    events = [queued.event for queued in queue if id(queued) in kept]
    if events:
        _append_events(events)


def _append_events(events: list[AuditEvent]) -> None:
    """Append `events` in order: on PostgreSQL the lock, then one statement for one event, or
    the last row's hash and one INSERT for several (hashes computed here, as verify_chain()
    computes them). Called inside the caller's transaction (batched() is), whose end releases
    the lock."""
    if connection.vendor == "postgresql" and len(events) == 1:
        _append_postgresql(events[0])
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    previous = (
        AuditEvent.objects.order_by("-pk").values_list("row_hash", flat=True).first() or GENESIS
    )
    for event in events:
        event.previous_hash = previous
        event.row_hash = previous = row_hash(previous, event)
    # One INSERT: PostgreSQL numbers its rows in the order given, the chain's order.
    AuditEvent.objects.bulk_create(events)


def _append_postgresql(event: AuditEvent) -> None:
    """Two statements per event (pages count their queries): the lock, then one INSERT that
    reads the last row's hash and computes the new one in the database, sha256 as in Python."""
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        cursor.execute(
            f"""
            WITH previous AS (
                SELECT COALESCE(
                    (SELECT row_hash FROM {table} ORDER BY id DESC LIMIT 1), %s
                ) AS hash
            )
            INSERT INTO {table} (at, user_id, username, action, object_type, object_id,
                                 object_repr, detail, result, ip, previous_hash, row_hash)
            SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, previous.hash,
                   encode(sha256(convert_to(previous.hash || %s, 'UTF8')), 'hex')
            FROM previous
            RETURNING id, previous_hash, row_hash
            """,
            [
                GENESIS,
                event.at,
                event.user_id,
                event.username,
                event.action,
                event.object_type,
                event.object_id,
                event.object_repr,
                json.dumps(event.detail, ensure_ascii=False),
                event.result,
                event.ip,
                _payload(event),
            ],
        )
        event.pk, event.previous_hash, event.row_hash = cursor.fetchone()


def verify_chain() -> int | None:
    """The pk of the first row whose hash or link does not hold, or None when the chain is
    intact from the first row kept to the last (rows past retention may have been purged from
    the start, so the first row kept anchors the chain)."""
    previous = None
    for event in AuditEvent.objects.order_by("pk").iterator(chunk_size=2000):
        if previous is None:
            previous = event.previous_hash
        if event.previous_hash != previous or event.row_hash != row_hash(previous, event):
            return event.pk
        previous = event.row_hash
    return None


# --- reads of personal data --------------------------------------------------------------------
# Each page, API answer, document or file that shows a child's personal data records a VIEW
# (as the child's own page does): which record and through what, never the values shown.


def record_view(obj, *, request, **detail) -> AuditEvent:
    """A VIEW of `obj` (the child page's own record); named by type and number, not by name."""
    return record(
        A.VIEW,
        obj=obj,
        request=request,
        object_repr=f"{obj._meta.verbose_name} #{obj.pk}",
        detail=detail,
    )


class AuditedChangeViewMixin:
    """A ModelAdmin whose change page shows a full record (a child's full resident ID): each
    opening of it is a VIEW in the audit log."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = getattr(response, "context_data", {}).get("original")
            if obj is not None:
                record_view(obj, request=request, via="admin")
        return response


# --- the signal receivers (connected in CoreConfig.ready) -------------------------------------


def on_login(sender, request, user, **kwargs):
    record(A.LOGIN, user=user, request=request)


def on_logout(sender, request, user, **kwargs):
    if user is not None:
        record(A.LOGOUT, user=user, request=request)


def on_login_failed(sender, credentials, request=None, **kwargs):
    # The name that was tried, never the password.
    tried = str(credentials.get("username", ""))[:150]
    record(
        A.LOGIN_FAILED,
        request=request,
        username=tried,
        result=AuditEvent.Result.DENIED,
    )


HISTORY_ACTIONS = {"+": A.CREATE, "~": A.UPDATE, "-": A.DELETE}


def on_history(sender, instance, history_instance, **kwargs):
    """Every save or delete of a model with history: which record, which fields changed."""
    action = HISTORY_ACTIONS.get(history_instance.history_type, A.UPDATE)
    detail = {}
    if action == A.UPDATE:
        previous = history_instance.prev_record
        if previous is not None:
            # Every tracked field, the ones users may not edit (a status) included.
            changed = sorted(
                field.name
                for field in previous.tracked_fields
                if getattr(previous, field.attname) != getattr(history_instance, field.attname)
            )
            if changed:
                detail["fields"] = changed
    record(
        action,
        user=history_instance.history_user,
        obj=instance,
        detail=detail,
    )


# Apps whose records are audited; models with a history are audited through it (above), the
# others (entries of a procedure, steps, users) through their save and delete signals. API
# tokens (core.ApiToken) are audited by core.tokens when issued and revoked, under their number.
AUDITED_APPS = {
    "auth",
    "enrollment",
    "dropout",
    "subsidies",
    "teachers",
    "inspections",
    "transfers",
}


def _plainly_audited(sender) -> bool:
    return (
        sender._meta.app_label in AUDITED_APPS
        and not hasattr(sender, "history")  # audited through its history
        and not hasattr(sender, "instance_type")  # a historical model itself
    )


# Models whose whole-row saves (the admin's) are compared with the stored row, so that the audit
# names what changed: a user's privileges above all. Names only, never values (a password hash).
DIFFED_MODELS = {"auth.user"}


def on_pre_save(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or update_fields is not None or sender._meta.label_lower not in DIFFED_MODELS:
        return
    if instance.pk is None:
        return
    names = [field.attname for field in sender._meta.concrete_fields]
    instance._audit_before = sender._default_manager.filter(pk=instance.pk).values(*names).first()


def _changed_fields(instance) -> list[str]:
    before = instance.__dict__.pop("_audit_before", None)
    if not before:
        return []
    return sorted(
        field.name
        for field in type(instance)._meta.concrete_fields
        if before[field.attname] != getattr(instance, field.attname)
        and field.name != "last_login"  # the login is its own event
    )


def on_save(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if raw or not _plainly_audited(sender):
        return
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # the login itself is the event
    if update_fields:
        detail = {"fields": sorted(update_fields)}
    else:
        changed = _changed_fields(instance)
        detail = {"fields": changed} if changed else {}
    record(A.CREATE if created else A.UPDATE, obj=instance, detail=detail)


M2M_ACTIONS = {"post_add": "added", "post_remove": "removed", "post_clear": "removed"}


def on_m2m_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    """Groups and model permissions given or taken (a user's groups and permissions, a group's
    permissions): which field, and which groups or permissions by name."""
    if action not in M2M_ACTIONS or sender._meta.app_label != "auth":
        return  # business records' relations are in their history
    field = next(
        (f for f in type(instance)._meta.many_to_many if f.remote_field.through is sender), None
    )
    if field is None or reverse:
        # Seen from the other side (group.user_set.add(user)): recorded on each user.
        if reverse and pk_set:
            accessor = next(
                (f.name for f in model._meta.many_to_many if f.remote_field.through is sender),
                None,
            )
            if accessor:
                for target in model._default_manager.filter(pk__in=pk_set):
                    record(
                        A.UPDATE,
                        obj=target,
                        detail={"fields": [accessor], M2M_ACTIONS[action]: [str(instance)]},
                    )
        return
    if action != "post_clear" and not pk_set:
        return  # nothing was actually added or removed
    detail = {"fields": [field.name]}
    if pk_set:
        detail[M2M_ACTIONS[action]] = sorted(
            str(item) for item in model._default_manager.filter(pk__in=pk_set)
        )
    record(A.UPDATE, obj=instance, detail=detail)


def on_delete(sender, instance, **kwargs):
    if _plainly_audited(sender):
        record(A.DELETE, obj=instance)


def connect():
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
    from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
    from simple_history.signals import post_create_historical_record

    pre_save.connect(on_pre_save, dispatch_uid="audit-pre-save")
    post_save.connect(on_save, dispatch_uid="audit-save")
    m2m_changed.connect(on_m2m_changed, dispatch_uid="audit-m2m")
    post_delete.connect(on_delete, dispatch_uid="audit-delete")
    user_logged_in.connect(on_login, dispatch_uid="audit-login")
    user_logged_out.connect(on_logout, dispatch_uid="audit-logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit-login-failed")
    post_create_historical_record.connect(on_history, dispatch_uid="audit-history")
