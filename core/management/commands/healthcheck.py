"""`manage.py healthcheck`: is the database answering, the cache (Redis) and the Celery broker
reachable, and is at least one Celery worker alive? Prints one line per check and exits non-zero
when any is down — for container health checks and monitoring."""

import time

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

CHECKS = ("database", "cache", "broker", "worker")


class Down(Exception):
    pass


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise Down("SELECT 1 did not answer 1")
    return connection.vendor


def check_cache() -> str:
    key = f"healthcheck:{time.monotonic_ns()}"
    cache.set(key, "ok", timeout=30)
    if cache.get(key) != "ok":
        raise Down("a value written to the cache could not be read back")
    cache.delete(key)
    return settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def _celery_app():
    from config.celery import app

    return app


def check_broker() -> str:
    app = _celery_app()
    if app.conf.task_always_eager:
        return "not used: tasks run in-process"
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)
        return conn.transport_cls


def check_worker(timeout: float) -> str:
    app = _celery_app()
    if app.conf.task_always_eager:
        return "not used: tasks run in-process"
    replies = app.control.ping(timeout=timeout)
    if not replies:
        raise Down(f"no Celery worker answered within {timeout:g} s")
    return ", ".join(sorted(name for reply in replies for name in reply))


class Command(BaseCommand):
    help = "Report the database, cache (Redis), Celery broker and worker; exit 1 if one is down."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="append",
            choices=CHECKS,
            help="Run only this check (repeatable); default: all.",
        )
        parser.add_argument(
            "--worker-timeout", type=float, default=3.0, help="Seconds to wait for a worker."
        )

    def handle(self, *args, check=None, worker_timeout=3.0, **options):
        runners = {
            "database": check_database,
            "cache": check_cache,
            "broker": check_broker,
            "worker": lambda: check_worker(worker_timeout),
        }
        down = []
        for name in check or CHECKS:
            try:
                detail = runners[name]()
            except Exception as error:  # any failure of a dependency is "down", with the reason
                down.append(name)
                self.stdout.write(f"{name}: DOWN ({type(error).__name__}: {error})")
            else:
                self.stdout.write(f"{name}: ok ({detail})")
        if down:
            raise CommandError(f"down: {', '.join(down)}", returncode=1)
