"""`manage.py healthcheck` reports the database, the cache (Redis), the broker and the Celery
worker, and exits non-zero when one of them is down."""

import io
from unittest import mock

import pytest
from celery import _state as celery_state
from celery.contrib.testing.worker import start_worker
from django.core.management import CommandError, call_command
from django.db import OperationalError

from config.celery import app as celery_app
from core.management.commands import healthcheck

DEAD_REDIS = "redis://127.0.0.1:1/0"


def _run(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("healthcheck", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue()
    return 0, out.getvalue()


# The database each configured engine must be reported as (the test settings choose the engine
# from DATABASE_URL: PostgreSQL in CI, SQLite on a bare machine).
ENGINE_NAMES = {
    "django.db.backends.postgresql": "postgresql",
    "django.db.backends.sqlite3": "sqlite",
}


def test_everything_up_answers_ok_and_exit_zero(db, settings):
    engine = ENGINE_NAMES[settings.DATABASES["default"]["ENGINE"]]
    code, out = _run()
    assert code == 0
    assert out.splitlines() == [
        f"database: ok ({engine})",
        "cache: ok (LocMemCache)",
        "broker: ok (not used: tasks run in-process)",
        "worker: ok (not used: tasks run in-process)",
    ]


def test_a_database_that_does_not_answer_is_down(db):
    with mock.patch.object(
        healthcheck.connection, "cursor", side_effect=OperationalError("connection refused")
    ):
        code, out = _run()
    assert code == 1
    assert "database: DOWN (OperationalError: connection refused)" in out
    assert "cache: ok" in out


def test_an_unreachable_redis_cache_is_down(db, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
        }
    }
    code, out = _run("--check", "cache")
    assert code == 1
    assert out.startswith("cache: DOWN")


@pytest.fixture
def real_broker(settings):
    """Point the Celery app at the machine's Redis (not eager), as a deployment does."""
    if not settings.REDIS_AVAILABLE:
        pytest.fail(f"Redis is not reachable at {settings.TEST_REDIS_URL}")
    keys = ("broker_url", "result_backend", "task_always_eager")
    previous = {key: celery_app.conf[key] for key in keys}

    def use(url):
        _drop_connections()
        celery_app.conf.update(broker_url=url, result_backend=None, task_always_eager=False)

    use(settings.TEST_REDIS_URL)
    yield use
    _drop_connections()
    celery_app.conf.update(previous)


def _drop_connections():
    """Connections made for one broker must not serve the next."""
    celery_app.close()
    # close() also forgets the app, and a task module imported afterwards (shared_task) would
    # then not be registered on it: every later test calling such a task would fail.
    celery_state._register_app(celery_app)
    celery_app.amqp._producer_pool = None


def test_no_worker_alive_is_down(db, real_broker):
    code, out = _run("--check", "broker", "--check", "worker", "--worker-timeout", "1")
    assert code == 1
    assert "broker: ok (redis)" in out
    assert "worker: DOWN (Down: no Celery worker answered within 1 s)" in out


def test_a_running_worker_is_reported_by_name(transactional_db, real_broker):
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        code, out = _run("--check", "worker", "--worker-timeout", "3")
    assert code == 0, out
    assert out.startswith("worker: ok (") and "@" in out


def test_an_unreachable_broker_is_down(db, real_broker):
    real_broker(DEAD_REDIS)
    code, out = _run("--check", "broker")
    assert code == 1
    assert out.startswith("broker: DOWN")
