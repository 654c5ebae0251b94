"""Throttling per token (per user for a browser session), at settings.PRESCORING_API["THROTTLE_RATE"].

The rate is read on every request rather than once at import, so tests and operators can change it
through settings.
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
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        token = getattr(request.auth, "key_hash", None)
        if token:
            ident = f"token-{token}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"  # a browser session
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
