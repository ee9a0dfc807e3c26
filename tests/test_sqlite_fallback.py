"""README: `make test` without a reachable PostgreSQL runs on in-memory SQLite, where the tests
marked `postgres` are skipped, saying why (tests/conftest.py); with CI=true it is an error."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKED = "tests/enrollment/test_table_storage.py"  # one test, marked `postgres`
UNREACHABLE = "postgres://postgres@127.0.0.1:9/nowhere"  # the discard port: nothing listens


def _pytest(**env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", MARKED, "-p", "no:cacheprovider", "-q", "-rs"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_without_postgres_the_postgres_tests_are_skipped_saying_why():
    result = _pytest(DATABASE_URL=UNREACHABLE, CI="false")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout
    assert "SKIPPED [1]" in result.stdout and "needs PostgreSQL" in result.stdout


def test_with_ci_a_missing_postgres_is_an_error_not_a_fallback():
    result = _pytest(DATABASE_URL=UNREACHABLE, CI="true")
    assert result.returncode != 0
    assert "CI=true but PostgreSQL is not reachable" in result.stdout + result.stderr


def test_on_postgres_nothing_is_skipped_for_the_database(db):
    from django.db import connection

    from .conftest import _on_postgres

    assert connection.vendor == "postgresql" and _on_postgres()
