"""Reads that may come from a PostgreSQL streaming replica (DATABASE_REPLICA_URL).

Nothing goes to the replica by default. Code that only reads — the monthly reports' figures, the
export jobs and the annual figures — asks for it in one place with `reading()`:

    with reading():
        figures = compute_month(county, month)

Inside the block, reads go to the replica when one is configured and fresh enough; otherwise,
and always without DATABASE_REPLICA_URL, they stay on the primary ("default"), so the product
behaves exactly as with one database. Writes never go to the replica (a hot standby would refuse
them anyway), and neither does any read made inside a transaction on the primary: such a read
may be about to be written back and must see the transaction's own rows.

Why a lagging replica is acceptable where it is used: a report, an export or an annual figure
is a picture of the data at one moment. A replica replays the primary's commits a moment later;
`reading()` takes the replica only while it has replayed everything the primary had written
when the block began, or its last replayed commit is at most DATABASE_REPLICA_MAX_LAG seconds
old (default 30, under the minute by which dropout.report_lock looks back for changes a report
may have missed). A replica that is further behind, paused or unreachable is not used: the
block reads from the primary and logs why.
"""

import logging
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"

# The alias reads go to inside the innermost `reading()` block (None: not in one).
_reading_from: ContextVar[str | None] = ContextVar("core_replica_reading_from", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_alias() -> str:
    """Where a read goes now (the router's answer; raw SQL asks it for its connection): the
    replica inside `reading()` when it chose the replica, outside any transaction on the
    primary; the primary otherwise."""
    alias = _reading_from.get()
    if alias is None or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return alias


@contextmanager
def reading():
    """Route this block's reads (outside transactions on the primary) to the replica when it
    is configured and fresh; yields the alias chosen. A nested block keeps the outer choice."""
    outer = _reading_from.get()
    if outer is not None:
        yield outer
        return
    use_replica = (
        replica_configured()
        # Inside a transaction on the primary every read stays there (the router): no need to ask.
        and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        and replica_is_fresh()
    )
    alias = REPLICA if use_replica else DEFAULT_DB_ALIAS
    token = _reading_from.set(alias)
    try:
        yield alias
    finally:
        _reading_from.reset(token)


def replica_is_fresh() -> bool:
    """Whether the replica has replayed the primary's current WAL position, or its last
    replayed commit is at most DATABASE_REPLICA_MAX_LAG seconds old."""
    replica, primary = connections[REPLICA], connections[DEFAULT_DB_ALIAS]
    same = ("HOST", "PORT", "NAME")
    if replica.vendor != "postgresql" or all(
        replica.settings_dict.get(key) == primary.settings_dict.get(key) for key in same
    ):
        return True  # the primary itself (a test mirror): nothing to trail
    max_lag = float(getattr(settings, "DATABASE_REPLICA_MAX_LAG", 30))
    try:
        with primary.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            position = cursor.fetchone()[0]
        with replica.cursor() as cursor:
            cursor.execute(
                "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= %s::pg_lsn,"
                " EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())",
                [position],
            )
            in_recovery, caught_up, lag = cursor.fetchone()
    except DatabaseError as error:
        logger.warning("Replica not used: %s", error)
        return False
    if not in_recovery:
        # A promoted replica (or a wrong URL pointing at a primary) is another database now.
        logger.warning("Replica not used: %s is not in recovery", replica.settings_dict["HOST"])
        return False
    if caught_up or (lag is not None and float(lag) <= max_lag):
        return True
    logger.warning("Replica not used: %s s behind the primary (limit %s s)", lag, max_lag)
    return False


class ReplicaRouter:
    """DATABASE_ROUTERS entry when DATABASE_REPLICA_URL is set: reads inside `reading()` go where
    it chose, every other read and every write to the primary, migrations only there."""

    def db_for_read(self, model, **hints):
        return replica_alias()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the primary's rows: the same objects

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
