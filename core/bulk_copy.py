"""Insert many new rows with PostgreSQL's COPY, and their history rows with them.

`bulk_create` builds a model instance and an SQL parameter per value, which costs more than the
database work itself at tens of thousands of rows; COPY streams plain values. The caller passes
dicts of attribute values (`village_id`, not `village`); every other column gets its field's
default, as `Model()` would give it. Like `bulk_create`, no signals are sent: callers audit the
batch as a whole. On other databases (the SQLite demo) it falls back to bulk_create.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.utils import timezone

HISTORY_CREATED = "+"


def _reserve_ids(table: str, column: str, count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _defaults(model, now) -> dict:
    values = {}
    for field in model._meta.concrete_fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values[field.attname] = now
        elif field.has_default() or not field.null:
            values[field.attname] = field.get_default()
        else:
            values[field.attname] = None
    return values


def _copy(model, columns: list[str], rows: Iterable[list]) -> None:
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _history_of(model):
    """The model's django-simple-history manager, if it keeps one (read from the model's meta:
    a history table's own `history` foreign key is no manager)."""
    attribute = getattr(model._meta, "simple_history_manager_attribute", None)
    return getattr(model, attribute) if attribute else None


def copy_insert(
    model,
    rows: list[dict],
    *,
    history_user=None,
    history_reason="",
    return_ids=True,
    write_history=True,
) -> list[int]:
    """Insert `rows` (attribute dicts) into `model`'s table and, when the model keeps a
    django-simple-history record, one "created" history row each (none with
    `write_history=False`, as `bulk_create` leaves none). Returns the new primary keys in the
    order of `rows` (reserved from the sequence first; with `return_ids=False` the database
    numbers the rows itself, which is faster, and nothing is returned). Call it inside the
    caller's transaction."""
    if not rows:
        return []
    history = _history_of(model) if write_history else None
    if connection.vendor != "postgresql":
        ids = _bulk_create_fallback(model, rows, history_user, history_reason, history)
        return ids if return_ids else []
    now = timezone.now()
    pk = model._meta.pk
    need_ids = return_ids or history is not None  # history rows carry the row's id
    ids = _reserve_ids(model._meta.db_table, pk.column, len(rows)) if need_ids else None
    fields = [field for field in model._meta.concrete_fields if need_ids or field is not pk]
    defaults = _defaults(model, now)
    attnames = [field.attname for field in fields]

    def values():
        for index, row in enumerate(rows):
            merged = {**defaults, **row}
            if ids is not None:
                merged[pk.attname] = ids[index]
            yield [merged[attname] for attname in attnames]

    _copy(model, [field.column for field in fields], values())
    if history is not None:
        rows_with_ids = [{**row, pk.attname: new_id} for new_id, row in zip(ids, rows, strict=True)]
        _copy_history(
            history.model, attnames, defaults, rows_with_ids, now, history_user, history_reason
        )
    return ids if return_ids else []


def _copy_history(history_model, attnames, defaults, rows, now, user, reason) -> None:
    history_pk = history_model._meta.pk
    history_fields = [f for f in history_model._meta.concrete_fields if f is not history_pk]
    tracked = set(attnames)
    special = {
        "history_date": now,
        "history_change_reason": reason or None,
        "history_type": HISTORY_CREATED,
        "history_user_id": getattr(user, "pk", None),
    }

    def values():
        for row in rows:
            merged = {**defaults, **row}
            yield [
                merged[field.attname] if field.attname in tracked else special.get(field.attname)
                for field in history_fields
            ]

    _copy(history_model, [field.column for field in history_fields], values())


def _bulk_create_fallback(model, rows, user, reason, history) -> list[int]:
    from simple_history.utils import bulk_create_with_history

    instances = [model(**row) for row in rows]
    if history is not None:
        bulk_create_with_history(
            instances, model, batch_size=2000, default_user=user, default_change_reason=reason
        )
    else:
        model.objects.bulk_create(instances, batch_size=2000)
    return [instance.pk for instance in instances]
