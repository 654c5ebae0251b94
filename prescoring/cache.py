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
import uuid

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

log = logging.getLogger("prescoring.cache")

BREAK_SECONDS = 5.0


class ReusedClients(RedisCacheClient):
    """Django's Redis cache client, keeping one redis.Redis per connection pool. Django makes a new
    one for every call, and redis-py fills ~170 response callbacks into each: 0.3 ms of CPU a call,
    three calls a request (the throttle's read and write among them). A redis.Redis is safe to share
    between threads: it takes a connection from its pool for each command."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}
        self._clients_lock = threading.Lock()

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            with self._clients_lock:
                client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        # Short socket timeouts: a request waits at most this long for a Redis that does not answer.
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = ReusedClients
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

    # --- beyond the cache API ---------------------------------------------------------------------
    def sliding_window(self, key: str, limit: int, seconds: float) -> tuple[bool, float]:
        """Count one request under `key` and say whether it is within `limit` in the last `seconds`,
        and if not, how many seconds until it would be: in one round trip to Redis (a sorted set of
        the requests' times, trimmed and read in one MULTI). DRF's throttle takes two, a read and a
        write of a pickled list, and two requests at once could both pass on the same count.
        A refused request is taken out again, so it does not count (as in DRF). Redis away: allowed."""
        def count():
            name = self.make_and_validate_key(key)
            client = self._cache.get_client(name, write=True)
            now = time.time()
            member = f"{now:.6f}:{uuid.uuid4().hex[:8]}"
            pipe = client.pipeline(transaction=True)
            pipe.zremrangebyscore(name, "-inf", now - seconds)
            pipe.zadd(name, {member: now})
            pipe.zcard(name)
            pipe.zrange(name, 0, 0, withscores=True)
            pipe.expire(name, int(seconds) + 1)
            _trimmed, _added, counted, oldest, _expiry = pipe.execute()
            if counted <= limit:
                return True, 0.0
            client.zrem(name, member)
            return False, max(oldest[0][1] + seconds - now, 0.001) if oldest else seconds
        return self._call(count, lambda: (True, 0.0))
