"""Item 11 of issue 10: `make backup` dumps the database (pg_dump, custom format) and
`make restore` loads it into a fresh database where every table has the same rows."""

import subprocess
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from enrollment.models import Child

ROOT = Path(__file__).resolve().parents[2]
RESTORED = "county_edu_security_restored"


def _url(name: str) -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return (
        f"postgresql://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"
    )


def _make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Rows and an md5 of every row's text, per table of the public schema."""
    result = {}
    with psycopg.connect(url) as db:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        ]
        for table in tables:
            count, digest = db.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
                f' FROM "{table}" t'
            ).fetchone()
            result[table] = (count, digest)
    return result


@pytest.fixture
def fresh_database():
    admin = _url("postgres")
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{RESTORED}"')
        db.execute(f'CREATE DATABASE "{RESTORED}"')
    yield _url(RESTORED)
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{RESTORED}" WITH (FORCE)')


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_a_fresh_database_has_every_row(world, tmp_path, fresh_database):
    if connection.vendor != "postgresql":
        pytest.fail("backup and restore need PostgreSQL")
    source = _url(connection.settings_dict["NAME"])

    dumped = _make("backup", f"DATABASE_URL={source}", f"BACKUP_DIR={tmp_path}")
    assert dumped.returncode == 0, dumped.stderr
    dump = Path(dumped.stdout.strip().splitlines()[-1])
    assert dump.parent == tmp_path and dump.suffix == ".dump" and dump.stat().st_size > 0
    assert dump.read_bytes()[:5] == b"PGDMP", "pg_dump's custom format"

    restored = _make("restore", f"DATABASE_URL={fresh_database}", f"FILE={dump}")
    assert restored.returncode == 0, restored.stderr

    before, after = _fingerprint(source), _fingerprint(fresh_database)
    assert after == before
    assert before["enrollment_child"][0] == Child.objects.count() == 4
    assert before["auth_user"][0] >= 9
    assert sum(count for count, _digest in before.values()) > 50


def test_backup_and_restore_refuse_to_run_without_a_database(tmp_path):
    assert _make("backup", "DATABASE_URL=", f"BACKUP_DIR={tmp_path}").returncode != 0
    missing = _make("restore", "DATABASE_URL=postgresql://x@127.0.0.1/none", "FILE=/no/such")
    assert missing.returncode != 0
    assert "usage: make restore" in missing.stdout
