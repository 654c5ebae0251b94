"""Throttling per token (per user for a browser session), at settings.PRESCORING_API["THROTTLE_RATE"].

The rate is read on every request rather than once at import, so tests and operators can change it
through settings. With Redis as the cache the count is one round trip (ResilientRedisCache.sliding_window);
the embedded default's in-process cache uses DRF's own.
"""
from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class PerTokenThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self):
        return settings.PRESCORING_API.get("THROTTLE_RATE") or None

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        window = getattr(self.cache, "sliding_window", None)  # the Redis cache (prescoring/cache.py)
        if window is None or self.rate is None:
            return super().allow_request(request, view)
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        allowed, self.retry_after = window(key, self.num_requests, self.duration)
        return allowed

    def wait(self):
        retry_after = getattr(self, "retry_after", None)
        return super().wait() if retry_after is None else retry_after

    def get_cache_key(self, request, view):
        token = getattr(request.auth, "key_hash", None)
        if token:
            ident = f"token-{token}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"  # a browser session
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
