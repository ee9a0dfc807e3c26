"""Reads from a PostgreSQL streaming replica (core.replica, DATABASE_REPLICA_URL).

The router's rules are checked in-process; the real thing in a throwaway pair of servers: the
machine's own PostgreSQL refuses replication connections, so the test starts its own primary
with initdb on a free port, makes a hot standby of it with `pg_basebackup -R` on another port,
copies the test database's schema into the primary and runs tests/core/replica_probe.py against
the pair. Both servers are stopped and their directories removed at the end, whatever happens."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, router

from core.replica import REPLICA, ReplicaRouter, reading, replica_alias
from enrollment.models import Child

ROOT = Path(settings.BASE_DIR)


def test_without_a_replica_every_read_stays_on_the_primary():
    assert REPLICA not in settings.DATABASES
    assert router.db_for_read(Child) == DEFAULT_DB_ALIAS
    with reading() as alias:
        assert alias == DEFAULT_DB_ALIAS
        assert replica_alias() == DEFAULT_DB_ALIAS
        assert router.db_for_read(Child) == DEFAULT_DB_ALIAS


def test_router_never_writes_or_migrates_on_the_replica():
    replica_router = ReplicaRouter()
    assert replica_router.db_for_write(Child) == DEFAULT_DB_ALIAS
    assert replica_router.allow_migrate(REPLICA, "enrollment", "child") is False
    assert replica_router.allow_migrate(DEFAULT_DB_ALIAS, "enrollment", "child") is True
    # Outside a reading() block, even with the router installed, reads stay on the primary.
    assert replica_router.db_for_read(Child) == DEFAULT_DB_ALIAS


# --- the real replica -------------------------------------------------------------------------


def _postgres_bindir() -> Path | None:
    candidates = []
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(Path(found.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for directory in candidates:
        if all((directory / tool).exists() for tool in ("initdb", "pg_ctl", "pg_basebackup")):
            return directory
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """A primary and its hot standby in one temporary directory, run as `postgres` when this
    process is root (initdb and postgres refuse root)."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="county-edu-replica-"))
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, user="postgres", group="postgres")
        self.root.chmod(0o700)
        self.primary_port, self.replica_port = _free_port(), _free_port()
        self.started: list[Path] = []

    def run(self, tool: str, *arguments: str, timeout: float = 120) -> None:
        command = [str(self.bindir / tool), *arguments]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stdout}\n{done.stderr}")

    def start(self, data: Path) -> None:
        log = self.root / f"{data.name}.log"
        self.run("pg_ctl", "-D", str(data), "-l", str(log), "-w", "start")
        self.started.append(data)

    def set_up(self) -> None:
        primary, replica = self.root / "primary", self.root / "replica"
        self.run("initdb", "-D", str(primary), "-U", "postgres", "--auth=trust", "--no-sync")
        # initdb's pg_hba.conf already trusts replication connections from 127.0.0.1.
        with (primary / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.primary_port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\n"
                "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "shared_buffers = 32MB\n"
            )
        self.start(primary)
        self.run(
            "pg_basebackup",
            *("-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres"),
            *("-D", str(replica), "-R", "-X", "stream", "--no-sync"),
        )
        with (replica / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {self.replica_port}\n")
        self.start(replica)

    def tear_down(self) -> None:
        for data in reversed(self.started):
            try:
                self.run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop", timeout=60)
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, port: int) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/county_edu"


def _copy_schema(bindir: Path, port: int) -> None:
    """The test database's schema (migrated once for the whole run) into the throwaway
    primary's `county_edu`: seconds, where migrating again takes minutes on a busy machine."""
    source = connections[DEFAULT_DB_ALIAS].settings_dict  # the test database's own name
    env = {**os.environ, "PGPASSWORD": source.get("PASSWORD") or ""}
    dump = subprocess.run(
        [str(bindir / "pg_dump"), "--schema-only", "--no-owner", "--no-privileges"]
        + ["-h", source["HOST"] or "127.0.0.1", "-p", str(source["PORT"] or 5432)]
        + ["-U", source["USER"] or "postgres", source["NAME"]],
        capture_output=True,
        env=env,
        timeout=300,
    )
    assert dump.returncode == 0, dump.stderr.decode()[-3000:]
    target = ["-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
    created = subprocess.run([str(bindir / "createdb"), *target, "county_edu"], capture_output=True)
    assert created.returncode == 0, created.stderr.decode()
    loaded = subprocess.run(
        [str(bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", *target, "county_edu"],
        input=dump.stdout,
        capture_output=True,
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stderr.decode()[-3000:]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # the test database set up and named (pg_dump reads it)
def test_reports_exports_and_annual_figures_read_from_a_real_replica_and_never_write_there():
    bindir = _postgres_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) on this machine")
    cluster = Cluster(bindir)
    started = time.monotonic()
    try:
        cluster.set_up()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": cluster.url(cluster.primary_port),
            "DATABASE_REPLICA_URL": cluster.url(cluster.replica_port),
        }
        env.pop("DATABASE_REPLICA_MAX_LAG", None)
        servers_up = time.monotonic()
        _copy_schema(bindir, cluster.primary_port)
        migrated_at = time.monotonic()
        probe = subprocess.run(
            [sys.executable, "-m", "tests.core.replica_probe"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert probe.returncode == 0, probe.stderr[-5000:]
        facts = json.loads(probe.stdout.strip().splitlines()[-1])
        probed_at = time.monotonic()
    finally:
        cluster.tear_down()
    assert not cluster.root.exists()
    print(
        f"replica test: servers {servers_up - started:.1f} s, schema "
        f"{migrated_at - servers_up:.1f} s, probe {probed_at - migrated_at:.1f} s"
    )

    # Two servers: the replica is a hot standby of the primary, on its own port.
    assert facts["replica_in_recovery"] is True
    assert facts["primary_in_recovery"] is False
    assert facts["replica_port"] == cluster.replica_port != facts["primary_port"]
    assert facts["routers"] == ["core.replica.ReplicaRouter"]

    # The router: reads go to the replica only inside reading() and outside a transaction on the
    # primary; writes and migrations never.
    assert facts["read_outside_block"] == "default"
    assert facts["block_chose"] == "replica"
    assert facts["read_inside_block"] == "replica"
    assert facts["raw_sql_alias"] == "replica"
    assert facts["read_inside_transaction"] == "default"
    assert facts["write_inside_block"] == "default"
    assert facts["migrate_on_replica"] is False and facts["migrate_on_primary"] is True
    assert facts["write_on_replica_refused"]  # a hot standby refuses any write

    # Replay paused, one more child on the primary: the export shows the replica's three.
    assert facts["children_on_primary"] == 4 and facts["children_on_replica"] == 3
    assert facts["export_status"] == "done"
    assert facts["export_rows_from_replica"] == 3
    assert facts["export_child_selects"]["replica"] > 0
    assert facts["export_child_selects"]["default"] == 0
    assert facts["export_replica_writes"] == []
    assert facts["export_primary_writes"] > 0  # the job's row and its file, on the primary
    assert facts["export_job_on_replica"] is False
    # A replica older than DATABASE_REPLICA_MAX_LAG is not used: the primary's four rows.
    assert facts["export_rows_when_replica_too_old"] == 4
    assert facts["export_child_selects_when_too_old"]["replica"] == 0

    # The monthly report: figures (the raw status-history query too) read on the replica, the
    # snapshots written to the primary only.
    assert facts["report_count"] >= 1
    assert facts["report_history_selects"]["replica"] > 0
    assert facts["report_history_selects"]["default"] == 0
    assert facts["report_replica_writes"] == []
    assert facts["report_on_replica"] is False

    # The annual figures likewise.
    assert facts["summary_sections"] >= 1
    assert facts["annual_replica_statements"] > 0
    assert facts["annual_child_selects"]["default"] == 0
    assert facts["annual_replica_writes"] == []
    assert facts["summary_on_replica"] is False

    # Replay resumed: streaming replication brings everything the primary wrote.
    assert facts["children_on_replica_after_resume"] == 4
    assert facts["export_job_on_replica_after_resume"] is True
