"""Tests: the machine's PostgreSQL and Redis when reachable; with CI=true they must be."""

import os
import socket
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES as _BASE_DATABASES
from .base import env

SECRET_KEY = "test-only-secret-key"
DEBUG = False
DEMO_DATA_ALLOWED = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["*"]

IN_CI = env.bool("CI", default=False)
LOCAL_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/county_edu"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/15"


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=1):
            return True
    except OSError:
        return False


_database_url = os.environ.get("DATABASE_URL") or LOCAL_POSTGRES_URL
if _database_url.startswith("postgres") and _reachable(_database_url):
    DATABASES = {"default": env.db_url_config(_database_url)}
elif IN_CI:
    raise ImproperlyConfigured(f"CI=true but PostgreSQL is not reachable at {_database_url}")
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

if "replica" in _BASE_DATABASES:
    DATABASES["replica"] = _BASE_DATABASES["replica"]  # a test mirror of the primary

TEST_REDIS_URL = os.environ.get("REDIS_URL") or LOCAL_REDIS_URL
REDIS_AVAILABLE = _reachable(TEST_REDIS_URL)
if IN_CI and not REDIS_AVAILABLE:
    raise ImproperlyConfigured(f"CI=true but Redis is not reachable at {TEST_REDIS_URL}")

# Unit tests run tasks in-process; the Celery worker test points the app at Redis itself.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
MEDIA_ROOT = BASE_DIR / "test-artifacts" / "media"  # noqa: F405
LANGUAGE_CODE = "zh-hans"
