"""Versioned caching of expensive read results, only on a cache that every web worker shares
(Redis): a per-process cache could not be invalidated across workers, so without one the
result is simply computed each time."""

import hashlib
import json

from django.conf import settings
from django.core.cache import cache

SHARED_BACKENDS = ("django.core.cache.backends.redis.RedisCache",)
DEFAULT_TIMEOUT = 300


def shared_cache() -> bool:
    return settings.CACHES["default"]["BACKEND"] in SHARED_BACKENDS


def _version_key(namespace: str) -> str:
    return f"version:{namespace}"


def current_version(namespace: str) -> int:
    cache.add(_version_key(namespace), 1, timeout=None)
    return cache.get(_version_key(namespace)) or 1


def bump_version(namespace: str) -> None:
    """Every cached result of the namespace is stale from now on."""
    if not shared_cache():
        return
    try:
        cache.incr(_version_key(namespace))
    except ValueError:  # no version yet
        cache.set(_version_key(namespace), 2, timeout=None)


def cached(namespace: str, parts, compute, *, timeout: int = DEFAULT_TIMEOUT):
    if not shared_cache():
        return compute()
    digest = hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    key = f"{namespace}:{current_version(namespace)}:{digest}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value
