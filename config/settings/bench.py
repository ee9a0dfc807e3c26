"""The benchmark: its own PostgreSQL database, debug off, tasks in-process."""

from .local import *  # noqa: F403
from .local import env

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
DATABASES = {
    "default": env.db(
        "BENCH_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/county_edu_bench"
    )
}
DATABASES["default"]["CONN_MAX_AGE"] = 60
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "whitenoise.runserver_nostatic"]  # noqa: F405
# The load test logs in many times from one address; lockout is not what is measured.
AXES_ENABLED = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# As deployed: Redis as the shared cache of every gunicorn worker.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("BENCH_REDIS_URL", default="redis://127.0.0.1:6379/14"),
    }
}
