"""API authentication: `Authorization: Token <key>`, checked against the stored SHA-256 of the key.

The header is the one DRF's TokenAuthentication reads (and the 2023 service's clients send), but
the key itself is not stored (scoring.models.ApiToken): the lookup is by digest, and an expired
token is refused with its own message so that the integrator knows to ask for a new one.

`Authorization: Bearer <key>` is taken too: it is how most clients and HTTP libraries send a token
(RFC 6750), and it was answered "Учетные данные не были предоставлены" about a key that was there.
"""
import copy

from django.db import models
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header

# The schemes a key may come under, lower case; DRF's own is "Token".
SCHEMES = (b"token", b"bearer")

from scoring.models import ApiToken, token_digest
from scoring.services import config_cache


class HashedTokenAuthentication(TokenAuthentication):
    model = ApiToken

    def authenticate(self, request):
        """DRF's, for either scheme: None without one (another authentication may apply), a refusal
        for a header of one without exactly one key after it."""
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in SCHEMES:
            return None
        scheme = parts[0].decode("latin-1")
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                f"Заголовок Authorization: после «{scheme}» нужен ключ, один, без пробелов.")
        try:
            key = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Недействительный токен.") from None
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key):
        digest = token_digest(key)
        # Kept by the process for a moment, as the users' permissions are (scoring/services/config_cache.py):
        # a revoked token or a disabled user is refused by the process that made the change at once, by
        # the others as soon as they hear of it (or within the cache's period, if they cannot). The expiry
        # is checked on every request. Each request gets its own copy, so nothing one request sets on its
        # user is seen by another.
        cached = config_cache.cached(
            f"api-token:{digest}",  # the digest is unique: no ORDER BY for first()
            lambda: next(iter(ApiToken.objects.select_related("user").filter(key_hash=digest).order_by()[:1]), None),
            keep=lambda found: found is not None)
        if cached is None:
            raise exceptions.AuthenticationFailed("Недействительный токен.")
        token = _own_copy(cached)
        token.user = _own_copy(cached.user)
        if token.expires_at is not None and token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed("Срок действия токена истёк; попросите администратора выпустить новый.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("Пользователь отключён.")
        return token.user, token


def _own_copy(instance: models.Model) -> models.Model:
    """A shallow copy of a model instance, as copy.copy makes one, without its trip through pickling's
    protocol (Model.__reduce__ and __getstate__: a fifth of the authentication's time)."""
    clone = instance.__class__.__new__(instance.__class__)
    clone.__dict__.update(instance.__dict__)
    clone._state = copy.copy(instance._state)
    clone._state.fields_cache = dict(instance._state.fields_cache)
    return clone
