"""API authentication: `Authorization: Token <key>`, checked against the stored SHA-256 of the key.

The header is the one DRF's TokenAuthentication reads (and the 2023 service's clients send), but
the key itself is not stored (scoring.models.ApiToken): the lookup is by digest, and an expired
token is refused with its own message so that the integrator knows to ask for a new one.
"""
import copy

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from scoring.models import ApiToken, token_digest
from scoring.services import config_cache


class HashedTokenAuthentication(TokenAuthentication):
    model = ApiToken

    def authenticate_credentials(self, key):
        digest = token_digest(key)
        # Kept by the process for a moment, as the users' permissions are (scoring/services/config_cache.py):
        # a revoked token or a disabled user is refused by every process within CONFIG_CACHE_SECONDS, by
        # the one that made the change at once. The expiry is checked on every request. Each request
        # gets its own copy, so nothing one request sets on its user is seen by another.
        cached = config_cache.cached(
            f"api-token:{digest}",  # the digest is unique: no ORDER BY for first()
            lambda: next(iter(ApiToken.objects.select_related("user").filter(key_hash=digest).order_by()[:1]), None),
            keep=lambda found: found is not None)
        token = copy.copy(cached)
        if token is not None:
            token.user = copy.copy(cached.user)
        if token is None:
            raise exceptions.AuthenticationFailed("Недействительный токен.")
        if token.expires_at is not None and token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed("Срок действия токена истёк; попросите администратора выпустить новый.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("Пользователь отключён.")
        return token.user, token
