"""Insert many new rows with PostgreSQL's COPY, and their history rows with them.

`bulk_create` builds a model instance and an SQL parameter per value, which costs more than the
database work itself at tens of thousands of rows; COPY streams plain values. The caller passes
dicts of attribute values (`village_id`, not `village`); every other column gets its field's
default, as `Model()` would give it. Like `bulk_create`, no signals are sent: callers audit the
batch as a whole. On other databases (the SQLite demo) it falls back to bulk_create.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import operator
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait

import psycopg
from django.db import connection, transaction
from django.utils import timezone

HISTORY_CREATED = "+"


class WriteLane:
    """Database work of the caller's transaction, run in order by a second thread on the same
    connection while the caller builds the next rows in Python: PostgreSQL works on one core
    while Python works on the other (psycopg waits for the server without holding the GIL).
    Until `drain()` the caller must not use the connection itself. Elsewhere than on
    PostgreSQL the work simply runs at once, on the caller's thread."""

    def __init__(self):
        self._pending: list[Future] = []
        self._failed = False
        self._executor = None
        if connection.vendor == "postgresql":
            connection.ensure_connection()
            self._raw = connection.connection
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="write-lane")

    def submit(self, work: Callable, *args) -> Future:
        """Run `work(cursor, *args)` after everything submitted before it (not at all once
        something before it failed). Its future gives what it returns."""
        if self._executor is None:
            done = Future()
            with connection.cursor() as cursor:
                done.set_result(work(cursor, *args))
            return done
        future = self._executor.submit(self._run, work, args)
        self._pending.append(future)
        return future

    def _run(self, work, args):
        if self._failed:
            raise RuntimeError("skipped: earlier work of this lane failed")
        try:
            # Server-side binding: large array parameters travel as values, not as SQL text.
            with connection.wrap_database_errors, psycopg.Cursor(self._raw) as cursor:
                return work(cursor, *args)
        except BaseException:
            self._failed = True
            raise

    def drain(self) -> None:
        """Wait for all the work; the first failure is raised here (the work after it then
        failed too, in the aborted transaction that the caller rolls back)."""
        pending, self._pending = self._pending, []
        wait(pending)  # all of it: the connection is the caller's again only then
        for future in pending:
            future.result()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def write_lane():
    lane = WriteLane()
    try:
        yield lane
        lane.drain()
    finally:
        lane.close()


def reserve_ids(model, count: int) -> list[int] | None:
    """`count` new primary keys of `model` from its sequence; None elsewhere than on
    PostgreSQL (where `copy_insert` lets the database number the rows)."""
    if connection.vendor != "postgresql":
        return None
    return _reserve_ids(model._meta.db_table, model._meta.pk.column, count)


def _reserve_ids(table: str, column: str, count: int) -> list[int]:
    if not count:
        return []
    with connection.cursor() as cursor:
        # The sequence's name is looked up once: per row, the lookup costs 7× the nextval.
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
        sequence = cursor.fetchone()[0]
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count]
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


def _copy(model, columns: list[str], rows: Iterable[list], lane: WriteLane | None) -> None:
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    statement = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({quoted}) FROM STDIN"
    if lane is None:
        with connection.cursor() as cursor:
            _write_copy(cursor.cursor, statement, rows)
    else:  # the rows are built now, here; the lane sends them
        lane.submit(_write_copy, statement, list(rows))


def _write_copy(cursor, statement: str, rows: Iterable) -> None:
    with cursor.copy(statement) as copy:
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
    ids: list[int] | None = None,
    lane: WriteLane | None = None,
) -> list[int]:
    """Insert `rows` (attribute dicts) into `model`'s table and, when the model keeps a
    django-simple-history record, one "created" history row each (none with
    `write_history=False`, as `bulk_create` leaves none). Returns the new primary keys in the
    order of `rows` (reserved from the sequence first; with `return_ids=False` the database
    numbers the rows itself, which is faster, and nothing is returned; `ids` gives keys
    reserved beforehand with `reserve_ids`). With a `lane`, the rows are built now and written
    by the lane (see WriteLane). Call it inside the caller's transaction."""
    if not rows:
        return []
    history = _history_of(model) if write_history else None
    if connection.vendor != "postgresql":
        ids = _bulk_create_fallback(model, rows, history_user, history_reason, history)
        return ids if return_ids else []
    now = timezone.now()
    pk = model._meta.pk
    need_ids = return_ids or history is not None  # history rows carry the row's id
    if ids is None and need_ids:
        ids = _reserve_ids(model._meta.db_table, pk.column, len(rows))
    fields = [field for field in model._meta.concrete_fields if ids is not None or field is not pk]
    defaults = _defaults(model, now)
    attnames = [field.attname for field in fields]
    pick = _picker(attnames)

    def values():
        if ids is None:
            for row in rows:
                yield pick({**defaults, **row})
        else:
            for new_id, row in zip(ids, rows, strict=True):
                yield pick({**defaults, **row, pk.attname: new_id})

    _copy(model, [field.column for field in fields], values(), lane)
    if history is not None:
        _copy_history(
            history.model,
            attnames,
            defaults,
            rows,
            ids,
            pk.attname,
            now,
            history_user,
            history_reason,
            lane,
        )
    return ids if return_ids else []


def _picker(names: list[str]):
    """A row's values in `names` order, taken by C code (a comprehension costs more per row)."""
    getter = operator.itemgetter(*names)
    return getter if len(names) > 1 else lambda row: (getter(row),)


def _copy_history(history_model, attnames, defaults, rows, ids, pk_name, now, user, reason, lane):
    history_pk = history_model._meta.pk
    history_fields = [f for f in history_model._meta.concrete_fields if f is not history_pk]
    tracked = set(attnames)
    # Every history column the tracked row does not give is the same for the whole batch.
    constant = {
        "history_date": now,
        "history_change_reason": reason or None,
        "history_type": HISTORY_CREATED,
        "history_user_id": getattr(user, "pk", None),
    }
    base = {
        field.attname: constant.get(field.attname)
        for field in history_fields
        if field.attname not in tracked
    }
    base.update(defaults)
    pick = _picker([field.attname for field in history_fields])

    def values():
        for new_id, row in zip(ids, rows, strict=True):
            yield pick({**base, **row, pk_name: new_id})

    _copy(history_model, [field.column for field in history_fields], values(), lane)


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


_UPDATE_TABLES = itertools.count(1)


def copy_update(
    model, rows: list[dict], *, fields: list[str], history_user=None, history_reason=""
) -> int:
    """Set `fields` (attribute names) of existing rows to the values in `rows` (dicts with the
    primary key's attribute name and each field's), with one "changed" history row each when the
    model keeps a django-simple-history record. On PostgreSQL the values travel by COPY into a
    temporary table and one statement does the rest, an UPDATE … FROM whose RETURNING feeds the
    history's INSERT (set-based: no CASE WHEN per row as `bulk_update` builds); elsewhere
    `bulk_update_with_history`. Returns the number of rows updated. Call it inside the caller's
    transaction."""
    if not rows:
        return 0
    pk = model._meta.pk
    history = _history_of(model)
    if connection.vendor != "postgresql":
        return _bulk_update_fallback(model, rows, fields, history_user, history_reason, history)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = {field.attname: field.column for field in model._meta.concrete_fields}
    temp = quote(f"_copy_update_{next(_UPDATE_TABLES)}")
    names = [pk.attname, *fields]
    selected = ", ".join(quote(columns[name]) for name in names)
    pick = _picker(names)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE {temp} ON COMMIT DROP AS "
            f"SELECT {selected} FROM {table} WITH NO DATA"
        )
        _write_copy(cursor.cursor, f"COPY {temp} ({selected}) FROM STDIN", map(pick, rows))
        assignments = ", ".join(
            f"{quote(columns[name])} = t.{quote(columns[name])}" for name in fields
        )
        key = quote(pk.column)
        update = f"UPDATE {table} c SET {assignments} FROM {temp} t WHERE c.{key} = t.{key}"
        if history is None:
            cursor.execute(update)
        else:
            # One statement: the history rows come from the updated rows as RETURNING gives
            # them, instead of reading the rows again by a join with the temporary table.
            history_model = history.model
            constant = {
                "history_date": timezone.now(),
                "history_change_reason": history_reason or None,
                "history_type": "~",
                "history_user_id": getattr(history_user, "pk", None),
            }
            targets, returned, sources, params = [], [], [], []
            for field in history_model._meta.concrete_fields:
                if field is history_model._meta.pk:
                    continue
                targets.append(quote(field.column))
                if field.attname in constant:
                    sources.append("%s")
                    params.append(constant[field.attname])
                else:
                    returned.append(f"c.{quote(columns[field.attname])}")
                    sources.append(quote(columns[field.attname]))
            cursor.execute(
                f"WITH changed AS ({update} RETURNING {', '.join(returned)}) "
                f"INSERT INTO {quote(history_model._meta.db_table)} ({', '.join(targets)}) "
                f"SELECT {', '.join(sources)} FROM changed",
                params,
            )
        updated = cursor.rowcount
        cursor.execute(f"DROP TABLE {temp}")
    return updated


def copy_upsert(model, rows: list[dict], *, unique: str, fields: list[str]) -> int:
    """Insert `rows` (dicts of the `unique` attribute's and each of `fields`' values) or, where
    a row with the same `unique` value exists, set its `fields`: for derived tables that keep
    no history (the nightly risk scores). On PostgreSQL the values travel by COPY into a
    temporary table and one INSERT … SELECT … ON CONFLICT writes them (bulk_create's upsert
    sends the values as typed arrays, whose building costs more than the writing); elsewhere
    bulk_create with update_conflicts. Returns the number of rows written."""
    if not rows:
        return 0
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [model(**row) for row in rows],
            update_conflicts=True,
            unique_fields=[unique],
            update_fields=fields,
        )
        return len(rows)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    concrete = {field.attname: field for field in model._meta.concrete_fields}
    names = [unique, *fields]
    columns = [quote(concrete[name].column) for name in names]
    selected = ", ".join(columns)
    # COPY's text input parses a JSON column's text itself.
    as_json = {name for name in names if concrete[name].get_internal_type() == "JSONField"}

    def values(row):
        return [json.dumps(row[n], ensure_ascii=False) if n in as_json else row[n] for n in names]

    temp = quote(f"_copy_upsert_{next(_UPDATE_TABLES)}")
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns[1:])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE {temp} ON COMMIT DROP AS "
            f"SELECT {selected} FROM {table} WITH NO DATA"
        )
        _write_copy(cursor.cursor, f"COPY {temp} ({selected}) FROM STDIN", map(values, rows))
        cursor.execute(
            f"INSERT INTO {table} ({selected}) SELECT {selected} FROM {temp} "
            f"ON CONFLICT ({columns[0]}) DO UPDATE SET {updates}"
        )
        written = cursor.rowcount
        cursor.execute(f"DROP TABLE {temp}")
    return written


def _bulk_update_fallback(model, rows, fields, user, reason, history) -> int:
    from simple_history.utils import bulk_update_with_history

    pk_name = model._meta.pk.attname
    wanted = {row[pk_name]: row for row in rows}
    instances = []
    keys = list(wanted)
    for start in range(0, len(keys), 5000):
        for instance in model.objects.filter(pk__in=keys[start : start + 5000]):
            for name in fields:
                setattr(instance, name, wanted[instance.pk][name])
            instances.append(instance)
    if history is not None:
        bulk_update_with_history(
            instances,
            model,
            fields=fields,
            batch_size=2000,
            default_user=user,
            default_change_reason=reason,
        )
    else:
        model.objects.bulk_update(instances, fields, batch_size=2000)
    return len(instances)
