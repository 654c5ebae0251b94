"""The shared cache (Redis) as a convenience that may go away, never a reason for a 500.

What the product keeps in the cache can be lost without harm: API throttle counters, login-failure
counts, the analytics page's computed figures. During a Redis outage every request that touched the
cache answered 500 (the throttle's lookup raised ConnectionError), login and reads included. Here a
Redis error makes the call answer as an empty cache would (get: the default; set/add/delete: done
nothing; incr: ValueError, as for a missing key), is logged once per outage, and for BREAK_SECONDS
afterwards Redis is not asked at all, so a dead server costs one short timeout, not one per call.
What that means while Redis is away: no throttling, no login lockout counting (the lockout of
accounts already locked is forgotten), analytics figures recomputed per request. docs/deploy.md.
"""
from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger("prescoring.cache")

BREAK_SECONDS = 5.0


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        # Short socket timeouts: a request waits at most this long for a Redis that does not answer.
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        super().__init__(server, {**params, "OPTIONS": options})
        self._lock = threading.Lock()
        self._broken_until = 0.0

    # --- the breaker ----------------------------------------------------------------------------
    def _available(self) -> bool:
        return time.monotonic() >= self._broken_until

    def _failed(self, exc: Exception) -> None:
        with self._lock:
            first = self._broken_until == 0.0 or time.monotonic() >= self._broken_until + 60
            self._broken_until = time.monotonic() + BREAK_SECONDS
        if first:
            log.warning("cache unavailable (%s): answering as an empty cache for now", exc.__class__.__name__)

    def _call(self, method, fallback, *args, **kwargs):
        if not self._available():
            return fallback()
        try:
            return method(*args, **kwargs)
        except RedisError as exc:
            self._failed(exc)
            return fallback()

    # --- the cache API ----------------------------------------------------------------------------
    def get(self, key, default=None, version=None):
        return self._call(super().get, lambda: default, key, default, version)

    def get_many(self, keys, version=None):
        return self._call(super().get_many, dict, keys, version)

    def has_key(self, key, version=None):
        return self._call(super().has_key, lambda: False, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().add, lambda: False, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().set, lambda: None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().set_many, lambda: list(data), data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().touch, lambda: False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call(super().delete, lambda: False, key, version)

    def delete_many(self, keys, version=None):
        return self._call(super().delete_many, lambda: None, keys, version)

    def incr(self, key, delta=1, version=None):
        def missing():
            raise ValueError(f"Key '{key}' not found (cache unavailable)")
        return self._call(super().incr, missing, key, delta, version)

    def clear(self):
        return self._call(super().clear, lambda: False)
